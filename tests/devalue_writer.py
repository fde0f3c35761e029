"""Test helper: write data the way devalue's `uneval`/`stringify` and SvelteKit do.

A port of the serialiser rules (hoisting repeated objects into an IIFE, JavaScript
number printing with the leading 0 dropped, `<` as \\u003C), so tests can build pages
of any size and shape. The decoder is also tested against hand-written literals and
the real fixtures, so a shared misconception here would still be caught.
"""

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
# devalue's reserved-word list: a hoisted name that is one of these gets a 0 suffix.
_RESERVED = {
    *("do", "if", "in", "for", "int", "let", "new", "try", "var", "byte", "case", "char"),
    *("else", "enum", "goto", "long", "this", "void", "with", "await", "break", "catch"),
    *("class", "const", "final", "float", "short", "super", "throw", "while", "yield"),
    *("delete", "double", "export", "import", "native", "return", "switch", "throws"),
    *("typeof", "boolean", "default", "extends", "finally", "package", "private"),
    *("abstract", "continue", "debugger", "function", "volatile", "interface"),
    *("protected", "transient", "implements", "instanceof", "synchronized"),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def js_number(x: float | int) -> str:
    """JavaScript's Number#toString (ECMA-262 Number::toString), as devalue prints it."""
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    sign = "-" if x < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exponent += len("".join(map(str, digit_tuple))) - len(digits)
    k, n = len(digits), exponent + len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    text = sign + text
    # devalue drops the leading zero: 0.52 -> .52, -0.25 -> -.25
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def js_string(s: str) -> str:
    return (
        json.dumps(s, ensure_ascii=False)
        .replace("<", "\\u003C")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _is_identifier(key: str) -> bool:
    return (
        bool(key)
        and (key[0].isalpha() or key[0] in "_$")
        and key.isascii()
        and all(c.isalnum() or c in "_$" for c in key)
    )


def _safe_key(key: str) -> str:
    return key if _is_identifier(key) else js_string(key)


def _safe_prop(key: str) -> str:
    return f".{key}" if _is_identifier(key) else f"[{js_string(key)}]"


def _get_name(num: int) -> str:
    name = ""
    while True:
        name = _CHARS[num % len(_CHARS)] + name
        num = num // len(_CHARS) - 1
        if num < 0:
            break
    return f"{name}0" if name in _RESERVED else name


def _primitive(x: Any) -> str:
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, str):
        return js_string(x)
    if isinstance(x, datetime):
        return f"new Date({round((x - _EPOCH).total_seconds() * 1000)})"
    return js_number(x)


def uneval(value: Any) -> str:
    """devalue.uneval: objects/arrays referenced more than once are hoisted into an IIFE."""
    counts: dict[int, int] = {}
    order: list[Any] = []

    def walk(thing: Any) -> None:
        if not isinstance(thing, dict | list):
            return
        if id(thing) in counts:
            counts[id(thing)] += 1
            return
        counts[id(thing)] = 1
        order.append(thing)
        for child in thing.values() if isinstance(thing, dict) else thing:
            walk(child)

    walk(value)
    repeated = sorted((t for t in order if counts[id(t)] > 1), key=lambda t: -counts[id(t)])
    names = {id(t): _get_name(i) for i, t in enumerate(repeated)}

    def stringify(thing: Any) -> str:
        if id(thing) in names:
            return names[id(thing)]
        if isinstance(thing, list):
            return "[" + ",".join(stringify(v) for v in thing) + "]"
        if isinstance(thing, dict):
            return "{" + ",".join(f"{_safe_key(k)}:{stringify(v)}" for k, v in thing.items()) + "}"
        return _primitive(thing)

    text = stringify(value)
    if not names:
        return text
    params, statements, values = [], [], []
    for thing in repeated:
        name = names[id(thing)]
        params.append(name)
        if isinstance(thing, list):
            values.append(f"Array({len(thing)})")
            statements += [f"{name}[{i}]={stringify(v)}" for i, v in enumerate(thing)]
        else:
            values.append("{}")
            statements += [f"{name}{_safe_prop(k)}={stringify(v)}" for k, v in thing.items()]
    statements.append(f"return {text}")
    return f"(function({','.join(params)}){{{';'.join(statements)}}}({','.join(values)}))"


def stringify(value: Any) -> str:
    """devalue.stringify: a flat JSON array; equal primitives and shared objects reused."""
    out: list[Any] = []
    indexes: dict[Any, int] = {}

    def flatten(thing: Any) -> int:
        if isinstance(thing, float) and math.isnan(thing):
            return -3
        if thing == math.inf:
            return -4
        if thing == -math.inf:
            return -5
        if isinstance(thing, float) and thing == 0 and math.copysign(1, thing) < 0:
            return -6
        mutable = isinstance(thing, dict | list)
        key = id(thing) if mutable else (type(thing), thing)
        if key in indexes:
            return indexes[key]
        index = len(out)
        out.append(None)
        indexes[key] = index
        if isinstance(thing, list):
            out[index] = [flatten(v) for v in thing]
        elif isinstance(thing, dict):
            out[index] = {k: flatten(v) for k, v in thing.items()}
        elif isinstance(thing, datetime):
            out[index] = ["Date", thing.isoformat(timespec="milliseconds").replace("+00:00", "Z")]
        else:
            out[index] = thing
        return index

    flatten(value)
    return json.dumps(out, separators=(",", ":"))


def kit_page(data_js: str, *, after_html: str = "", before: str = "") -> str:
    """A SvelteKit ≥2.11 page whose bootstrap script passes `data_js` to kit.start."""
    return f"""<!doctype html>
<html lang="en">
\t<head><meta charset="utf-8" /><title>Chutes</title></head>
\t<body data-sveltekit-preload-data="hover">
\t\t<div style="display: contents"><main>rendered</main>{before}
\t\t\t<script>
\t\t\t\t{{
\t\t\t\t\t__sveltekit_1qmvh4f = {{
\t\t\t\t\t\tbase: new URL(".", location).pathname.slice(0, -1)
\t\t\t\t\t}};
\t\t\t\t\tconst element = document.currentScript.parentElement;
\t\t\t\t\tPromise.all([
\t\t\t\t\t\timport("./_app/immutable/entry/start.B7pQx2Lk.js"),
\t\t\t\t\t\timport("./_app/immutable/entry/app.D3hYk9sT.js")
\t\t\t\t\t]).then(([kit, app]) => {{
\t\t\t\t\t\tkit.start(app, element, {{
\t\t\t\t\t\t\tnode_ids: [0, 3, 21],
\t\t\t\t\t\t\tdata: {data_js},
\t\t\t\t\t\t\tform: null,
\t\t\t\t\t\t\terror: null
\t\t\t\t\t\t}});
\t\t\t\t\t}});
\t\t\t\t}}
\t\t\t</script>
\t\t</div>
\t</body>
</html>
{after_html}"""


def node(data: Any) -> str:
    """One server node as SvelteKit writes it: uneval of {type, data, uses}."""
    return uneval({"type": "data", "data": data, "uses": {"url": 1}})


def make_rows(chutes: int, days: int) -> list[dict[str, Any]]:
    """Daily stats rows with the real field order and a spread of number forms."""
    rows = []
    for d in range(days):
        for c in range(chutes):
            rows.append(
                {
                    "chute_id": f"{c:08x}-0000-5000-8000-{c:012x}",
                    "name": f"org/model-{c}-TEE" if c % 7 else "[private]",
                    "date": f"2026-{9 - d // 28:02d}-{28 - d % 28:02d}",
                    "total_requests": 1000 + c * 37 + d,
                    "total_input_tokens": 123456789 + c * d,
                    "total_output_tokens": 9876543 + c,
                    "average_tps": 0 if c % 11 == 0 else 20 + (c * 7.123456789 + d) % 120,
                    "average_ttft": 0 if c % 11 == 0 else 0.1 + (c % 13) * 0.2345678,
                }
            )
    return rows
