"""Where SvelteKit puts its data in a page, and how to get it out.

An HTML page carries each route node's server data as devalue `uneval` JavaScript inside
its bootstrap `<script>`: `kit.start(app, element, {…, data: […]})` since SvelteKit 2.11,
`const data = […]` before it, `app.start(…)`/`start({hydrate: {data: […]}})` in older
builds. Promises are streamed in later scripts (`__sveltekit_x.resolve(…)`), even after
`</html>`, and server-side fetches are replayed as `data-sveltekit-fetched` JSON scripts.
The `…/__data.json` twin of a page holds the same node data as devalue `stringify` JSON,
one JSON document per line. The values themselves are decoded by app/scraping/sources/devalue.py.
"""

import json
import re
from typing import Any

from bs4 import BeautifulSoup

from app.scraping.sources.devalue import DevalueError, UnevalParser, parse_stringified

__all__ = ["data_json_values", "extract_page_data"]


# -- finding the data in an HTML page -------------------------------------------------

# A JavaScript token, enough to walk SvelteKit's bootstrap script without being fooled
# by strings, comments or template literals.
_JS_TOKEN = re.compile(
    r"""(?P<skip>[ \t\n\r]+|//[^\n]*|/\*.*?\*/)
    |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
    |(?P<id>[A-Za-z_$][\w$]*)
    |(?P<num>\d[\w.]*|\.\d\w*)
    |(?P<punct>=>|\.\.\.|.)""",
    re.S | re.X | re.ASCII,
)
_OPEN = {"(": ")", "[": "]", "{": "}"}


class _ScriptScanner:
    """Finds `start(… {data: […]})`, `const data = […]` and `….resolve(…)` in a script."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parser = UnevalParser(text)
        self.values: list[Any] = []
        self.found = False

    def scan(self) -> None:
        text = self.text
        tokens: list[tuple[str, str]] = []  # recent significant (kind, text) pairs
        stack: list[str] = []  # open brackets; "start(" marks a start() call
        i = 0
        while i < len(text):
            m = _JS_TOKEN.match(text, i)
            if m is None:  # the last alternative takes any one character
                raise DevalueError(f"internal: no token at {i}")
            kind, tok, i = m.lastgroup or "", m.group(), m.end()
            if kind == "skip":
                continue
            prev = tokens[-1][1] if tokens else ""
            if tok in _OPEN:
                is_start = tok == "(" and prev == "start" and tokens[-1][0] == "id"
                stack.append("start(" if is_start else tok)
            elif tok in (")", "]", "}") and stack:
                stack.pop()
            elif kind == "id" and tok == "data":
                j = self.parser.ws(i)
                after = text[j : j + 1]
                in_start = "start(" in stack and stack[-1] == "{"
                is_key = after == ":" and prev in ("{", ",") and in_start
                if is_key or (after == "=" and prev in ("const", "let", "var")):
                    i = self.take_nodes(self.parser.ws(j + 1), i)
            elif kind == "id" and tok == "resolve" and prev == "." and len(tokens) >= 2:
                j = self.parser.ws(i)
                if text.startswith("(", j) and tokens[-2][1].startswith("__sveltekit_"):
                    i = self.take_resolve(j + 1)
            tokens.append((kind, tok))
            del tokens[:-3]

    def take_nodes(self, i: int, fallback: int) -> int:
        """Parse the `data` array at i (if it is one) and keep each node's data."""
        if not self.text.startswith("[", i):
            return fallback  # e.g. the shorthand `data` referring to `const data`
        nodes, end = self.parser.parse_at(i)
        self.found = True
        for node in nodes:
            if isinstance(node, dict) and node.get("type") == "data" and "data" in node:
                self.values.append(node["data"])
            elif node is not None:
                self.values.append(node)
        return end

    def take_resolve(self, i: int) -> int:
        """`resolve(1, () => [value])` (error: `[,err]`) or `resolve({id,data,error})`."""
        p, text = self.parser, self.text
        i = p.ws(i)
        if text.startswith("{", i):
            result, i = p.parse_at(i)
            self.found = True
            ok = isinstance(result, dict) and result.get("error") is None
            if ok and result.get("data") is not None:
                self.values.append(result["data"])
            return p.expect(i, ")")
        _, i = p.parse_at(i)  # the promise id
        i = p.expect(i, ",")
        i = p.ws(i)
        if text.startswith("(", i):  # () => … or (app) => …
            i = p.ws(i + 1)
            if not text.startswith(")", i):
                _, i = p.ident(i)
            i = p.expect(i, ")")
        else:
            _, i = p.ident(i)
        i = p.expect(i, "=>")
        result, i = p.parse_at(i)
        self.found = True
        if isinstance(result, list) and len(result) == 1 and result[0] is not None:
            self.values.append(result[0])
        return p.expect(i, ")")


_JS_TYPES = {"", "module", "text/javascript", "application/javascript"}


def extract_page_data(html: str) -> list[Any]:
    """Every server data value embedded in a SvelteKit page: node data, then streamed values.

    Raises DevalueError when the page has no SvelteKit data script or a literal is bad.
    """
    soup = BeautifulSoup(html, "html.parser")
    values: list[Any] = []
    found = False
    for number, script in enumerate(soup.find_all("script")):
        if script.get("src"):
            continue
        text = str(script.string or "")  # a plain str: bs4 strings index slowly
        kind = str(script.get("type") or "").strip().lower()
        if kind == "application/json" and script.has_attr("data-sveltekit-fetched"):
            values.extend(_fetched_body(text))
            continue
        if kind not in _JS_TYPES or ("data" not in text and "resolve" not in text):
            continue
        scanner = _ScriptScanner(text)
        try:
            scanner.scan()
        except DevalueError as exc:
            raise DevalueError(f"<script> #{number}: {exc}") from None
        found = found or scanner.found
        values.extend(scanner.values)
    if not found:
        raise DevalueError("no SvelteKit data script found")
    return values


def _fetched_body(text: str) -> list[Any]:
    """A server-side fetch SvelteKit replays to the client; its JSON body, if any."""
    try:
        body = json.loads(json.loads(text)["body"])
    except (ValueError, KeyError, TypeError):
        return []
    return [body]


# -- the __data.json answer -------------------------------------------------------------


def data_json_values(text: str) -> list[Any]:
    """Every node's data and streamed chunk from a `…/__data.json` answer."""
    out: list[Any] = []
    # JSON lines end at "\n" only: str.splitlines() would also split inside a string
    # holding a raw U+0085, U+2028 or form feed, which JSON allows unescaped.
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise DevalueError("__data.json answer is empty")
    for number, line in enumerate(lines, 1):
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise DevalueError(f"__data.json line {number} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise DevalueError(f"__data.json line {number}: expected an object")
        if doc.get("type") == "data" and isinstance(doc.get("nodes"), list):
            for node in doc["nodes"]:
                if isinstance(node, dict) and node.get("type") == "data" and "data" in node:
                    out.append(parse_stringified(node["data"]))
        elif doc.get("type") == "chunk" and "data" in doc:
            out.append(parse_stringified(doc["data"]))
        elif doc.get("type") in ("redirect", "error"):
            raise DevalueError(f"__data.json answered type {doc.get('type')!r}, not data")
    return out
