"""Decode devalue's two formats: `uneval` JavaScript and `stringify` JSON. Pure.

devalue is the serializer SvelteKit uses for server data. Its `uneval` output is
JavaScript, not JSON (unquoted keys, `.52`, `void 0`, `new Date(…)`, objects hoisted into
an IIFE, …). Both majors' hoisting is read: devalue 5 passes the hoisted values as the
IIFE's parameters, `(function(a){a.k=1;return [a,a]}({}))`; devalue 6 declares them in
its body, `(function(){let a={};a.k=1;return [a,a]}())`. `UnevalParser` is a small
recursive-descent parser for exactly that subset of JavaScript; it never evaluates code,
and anything outside the subset is a DevalueError naming the offset. Its `stringify`
output (the node data of `__data.json`) is a flat JSON array of values referring to each
other by index; `parse_stringified` rebuilds it. Where SvelteKit puts either in a page
or answer is app/scraping/sources/sveltekit.py's business.

Value mapping: objects -> dict, arrays -> list (holes -> None), `void 0`/`null` -> None,
`NaN`/`Infinity` -> float, integer literals -> int, `new Date(ms)` -> timezone-aware
UTC `datetime` (None for an invalid date), `new Map` -> dict, `new Set` -> list,
`Object(x)` -> x, BigInt `12n` -> int, `new URL("…")` -> str, and a streamed promise
`__sveltekit_x.defer(1)` -> `Deferred(1)`.
"""

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.decoder import scanstring  # type: ignore[attr-defined]  # C function, no stub
from typing import Any

__all__ = [
    "Deferred",
    "DevalueError",
    "UnevalParser",
    "parse_stringified",
    "parse_uneval",
]


class DevalueError(ValueError):
    """The data is not what devalue/SvelteKit writes; the message says where."""


@dataclass(frozen=True)
class Deferred:
    """A streamed promise placeholder; its value arrives in a later `resolve` script."""

    id: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Refused before allocating: page data holds a few thousand rows, while a hostile or
# broken page can ask for `Array(1e9)` or a 2**32-1 slot sparse array in a few bytes.
MAX_ARRAY_LENGTH = 1_000_000
MAX_BIGINT_DIGITS = 4300  # Python's int() limit for decimal strings
# devalue's sparse-array marker: `a[4294967294]=0;delete a[4294967294]` (its largest
# array index) makes the array sparse before `a.length=n` is set.
_MAX_JS_ARRAY_INDEX = 2**32 - 2
_WS = " \t\n\r"
_NUM_START = frozenset("-.0123456789")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*", re.ASCII)
# group 1: fraction, 2: leading-dot fraction, 3: exponent, 4: BigInt suffix.
_NUMBER = re.compile(r"-?(?:\d+(\.\d*)?|(\.\d+))([eE][-+]?\d+)?(n)?")
_SPACE = re.compile(r"[ \t\n\r]*")
# One object member whose value is a plain string or number, plus the delimiter after it:
# the overwhelmingly common case (every field of a stats row), matched in one step.
# Groups: 1 key, 2 quoted key, 3 string value, 4 number, 5 fraction, 6 dot-fraction,
# 7 exponent, 8 delimiter.
_SIMPLE_MEMBER = re.compile(
    r'(?:([A-Za-z_$][\w$]*)|"([^"\\]*)"):'
    r'(?:"([^"\\]*)"|(-?(?:\d+(\.\d*)?|(\.\d+))([eE][-+]?\d+)?)(?![\w.]))'
    r"([,}])",
    re.ASCII,
)
# The head of a hoisted assignment `a.key=`, `a["key"]=` or `a[0]=`; devalue writes
# tens of thousands of these when rows are shared, so they skip the general path.
# Groups: 1 variable, 2 .key, 3 ["key"], 4 [index]; then, when the value is a plain
# string or number ending the statement, 5 string, 6 number, 7-9 its fraction/exponent.
_ASSIGN_HEAD = re.compile(
    r'([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*)|\["([^"\\]*)"\]|\[(\d+)\])='
    r'(?:"([^"\\]*)"(?=[;}])|(-?(?:\d+(\.\d*)?|(\.\d+))([eE][-+]?\d+)?)(?=[;}]))?',
    re.ASCII,
)
_KEY = re.compile(r'[ \t\n\r]*(?:([A-Za-z_$][\w$]*)|"([^"\\]*)"|(\d+))[ \t\n\r]*:', re.ASCII)
# Skips a run of anything but braces, strings included, when jumping over an IIFE body.
_NON_BRACE = re.compile(
    r"""(?:[^{}"']+|"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')*""", re.S
)
_KEYWORD_VALUES: dict[str, Any] = {
    "null": None,
    "undefined": None,
    "true": True,
    "false": False,
    "NaN": math.nan,
    "Infinity": math.inf,
}
_TYPED_ARRAYS = frozenset(
    f"{kind}Array"
    for kind in (
        *("Int8", "Uint8", "Uint8Clamped", "Int16", "Uint16", "Int32", "Uint32"),
        *("Float32", "Float64", "BigInt64", "BigUint64"),
    )
)


_SINGLE_QUOTED_PART = re.compile(r"\\'|\\.|\"", re.S)


def _requote(m: re.Match[str]) -> str:
    part = m.group()
    return "'" if part == "\\'" else '\\"' if part == '"' else part


def _integer(text: str) -> int | float:
    """An integer literal; past 2**53 JavaScript holds the nearest double, so do we."""
    if len(text) > 20:  # far past 2**53 (and past int()'s 4300-digit limit): a double
        return float(text)
    value = int(text)
    return value if -(2**53) <= value <= 2**53 else float(value)


def _bigint(digits: str, where: str) -> int:
    """A BigInt's exact value; one too long for Python's int() is refused, not guessed."""
    if len(digits) > MAX_BIGINT_DIGITS:
        raise DevalueError(f"BigInt of {len(digits)} digits is too long {where}")
    return int(digits)


def _check_length(length: int, where: str) -> int:
    """An array length the decoder will allocate; absurd ones are refused beforehand."""
    if length > MAX_ARRAY_LENGTH:
        raise DevalueError(
            f"array of length {length} exceeds the {MAX_ARRAY_LENGTH:,} limit {where}"
        )
    return length


def _date_from_ms(ms: Any) -> datetime | None:
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not math.isfinite(ms):
        return None
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return None


def _date_from_iso(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _map_from_pairs(pairs: list[tuple[Any, Any]], where: str) -> dict:
    try:
        return dict(pairs)
    except TypeError as exc:
        raise DevalueError(f"Map key that Python cannot use as a dict key {where}") from exc


class UnevalParser:
    """Recursive descent over one JavaScript text; methods take and return offsets.

    `parse_at` reads one expression anywhere in the text, so a caller that finds where
    devalue's output sits inside a larger script can decode it in place.
    """

    __slots__ = ("far", "s")

    def __init__(self, text: str) -> None:
        self.s = text
        # Elements assigned past MAX_ARRAY_LENGTH, by (id(array), index): held aside,
        # never allocated, until a `delete` removes them (devalue's sparse-array marker);
        # one still there when its function body ends makes the data too large.
        self.far: dict[tuple[int, int], Any] = {}

    def parse_at(self, i: int) -> tuple[Any, int]:
        """One expression at offset i and the offset after it; any failure a DevalueError."""
        try:
            return self.value(self.ws(i), None)
        except IndexError:
            raise DevalueError(f"unexpected end of input at offset {len(self.s)}") from None
        except RecursionError:
            raise DevalueError(f"data nested too deeply at offset {i}") from None

    # -- helpers ------------------------------------------------------------------

    def fail(self, message: str, i: int) -> DevalueError:
        near = self.s[max(0, i - 20) : i + 30]
        return DevalueError(f"{message} at offset {i} (near {near!r})")

    def ws(self, i: int) -> int:
        s = self.s
        while i < len(s) and s[i] in _WS:
            i += 1
        return i

    def expect(self, i: int, char: str) -> int:
        i = self.ws(i)
        if not self.s.startswith(char, i):
            raise self.fail(f"expected {char!r}", i)
        return i + len(char)

    def ident(self, i: int) -> tuple[str, int]:
        m = _IDENT.match(self.s, self.ws(i))
        if m is None:
            raise self.fail("expected an identifier", self.ws(i))
        return m.group(), m.end()

    def string(self, i: int) -> tuple[str, int]:
        """A JSON-escaped string starting at the quote; single quotes for app.decode."""
        s = self.s
        try:
            if s[i] == "'":
                end = i + 1
                while s[end] != "'":
                    end += 2 if s[end] == "\\" else 1
                # Re-quote as JSON: unescape \' and escape bare double quotes.
                body = _SINGLE_QUOTED_PART.sub(_requote, s[i + 1 : end])
                return scanstring(body + '"', 0)[0], end + 1
            return scanstring(s, i + 1)
        except (ValueError, IndexError) as exc:
            raise self.fail(f"bad string literal ({exc})", i) from None

    # -- values -------------------------------------------------------------------

    def value(self, i: int, env: dict | None) -> tuple[Any, int]:
        s = self.s
        c = s[i]
        if c == '"':
            return self.string(i)
        if c == "{":
            return self.object(i + 1, env)
        if c == "[":
            return self.array(i + 1, env)
        if c in _NUM_START:
            return self.number(i)
        if c in _WS:
            return self.value(self.ws(i), env)
        if c == "(":
            return self.paren(i + 1, env)
        if c == "'":
            return self.string(i)
        return self.word(i, env)

    def number(self, i: int) -> tuple[Any, int]:
        s = self.s
        m = _NUMBER.match(s, i)
        if m is None:
            if s.startswith("-Infinity", i):
                return -math.inf, i + 9
            raise self.fail("bad number", i)
        text = m.group()
        if m.group(4):
            if m.group(1) is not None or m.group(2) is not None or m.group(3) is not None:
                raise self.fail("a BigInt literal must be a whole number", i)  # `6.n`
            return _bigint(text[:-1], f"at offset {i}"), m.end()
        if m.lastindex:
            return float(text), m.end()
        if text == "-0":
            return -0.0, m.end()
        return _integer(text), m.end()

    def object(self, i: int, env: dict | None) -> tuple[dict, int]:
        s = self.s
        obj: dict[str, Any] = {}
        simple = _SIMPLE_MEMBER.match
        key_match = _KEY.match
        i = self.ws(i)
        if s[i] == "}":
            return obj, i + 1
        while True:
            m = simple(s, i)
            if m is not None:
                key, qkey, sval, num, frac, dotfrac, exp, delim = m.groups()
                if sval is None:
                    if frac is not None or dotfrac is not None or exp is not None:
                        sval = float(num)
                    elif num == "-0":
                        sval = -0.0
                    else:
                        sval = int(num) if len(num) < 16 else _integer(num)
                key = key if key is not None else qkey
                if key != "__proto__":  # sets the prototype in JS, it is not a key
                    obj[key] = sval
                i = m.end()
                if delim == "}":
                    return obj, i
                continue
            m = key_match(s, i)
            if m is None:
                i = self.ws(i)
                if s[i] == '"':  # a key with escapes
                    key, i = self.string(i)
                    i = self.expect(i, ":")
                elif s[i] == "}":  # after a trailing comma
                    return obj, i + 1
                else:
                    raise self.fail("expected an object key", i)
            else:
                key = m.group(1) or m.group(2) or m.group(3)
                if key is None:  # the empty quoted key ""
                    key = ""
                i = m.end()
            v, i = self.value(i, env)
            if key != "__proto__":  # `{…,__proto__:null}`: a null-prototype object
                obj[key] = v
            c = s[i]
            if c in _WS:
                i = self.ws(i)
                c = s[i]
            if c == ",":
                i = self.ws(i + 1)
                if s[i] == "}":  # trailing comma
                    return obj, i + 1
                continue
            if c == "}":
                return obj, i + 1
            raise self.fail("expected ',' or '}' in object", i)

    def array(self, i: int, env: dict | None) -> tuple[list, int]:
        s = self.s
        arr: list[Any] = []
        append = arr.append
        value = self.value
        while True:
            c = s[i]
            if c == "]":
                return arr, i + 1
            if c == ",":  # a hole
                append(None)
                i += 1
                continue
            if c in _WS:
                i = self.ws(i)
                continue
            v, i = value(i, env)
            append(v)
            c = s[i]
            if c in _WS:
                i = self.ws(i)
                c = s[i]
            if c == ",":
                i += 1
            elif c != "]":
                raise self.fail("expected ',' or ']' in array", i)

    def args(self, i: int, env: dict | None) -> tuple[list, int]:
        """Comma-separated expressions up to and past the closing ')'."""
        out: list[Any] = []
        i = self.ws(i)
        if self.s[i] == ")":
            return out, i + 1
        while True:
            v, i = self.value(i, env)
            out.append(v)
            i = self.ws(i)
            c = self.s[i]
            if c == ")":
                return out, i + 1
            if c != ",":
                raise self.fail("expected ',' or ')' in argument list", i)
            i += 1

    def word(self, i: int, env: dict | None) -> tuple[Any, int]:
        """Identifiers: parameters, keywords, constructors and the calls devalue writes."""
        s = self.s
        m = _IDENT.match(s, i)
        if m is None:
            raise self.fail(f"unexpected character {s[i]!r}", i)
        name, j = m.group(), m.end()
        if env and name in env:
            return env[name], j
        if name in _KEYWORD_VALUES:
            return _KEYWORD_VALUES[name], j
        if name == "void":
            _, j = self.value(self.ws(j), env)
            return None, j
        if name == "new":
            return self.construct(j, env)
        k = self.ws(j)
        nxt = s[k : k + 1]
        if name == "Object":
            if nxt == "(":
                args, k = self.args(k + 1, env)
                return (args[0] if args else {}), k
            method, k = self.ident(self.expect(k, "."))
            args, k = self.args(self.expect(k, "("), env)
            if method == "create":
                return {}, k
            if method == "assign" and args and all(isinstance(a, dict) for a in args[1:]):
                target = args[0]
                if isinstance(target, dict | list):
                    # The target itself is returned (devalue assigns a sparse array's
                    # elements as `Object.assign(sparse, {1000: x})`).
                    for part in args[1:]:
                        for key, value in part.items():
                            self.assign(target, key, value, k)
                    self.check_far(k)
                    return target, k
            raise self.fail(f"unsupported Object.{method}", i)
        if name == "Array" and nxt == "(":
            args, k = self.args(k + 1, env)
            if len(args) == 1 and type(args[0]) is int and args[0] >= 0:
                return [None] * _check_length(args[0], f"at offset {i}"), k
            return args, k
        if nxt == ".":
            method, k2 = self.ident(k + 1)
            k2 = self.ws(k2)
            if s.startswith("(", k2):
                args, k2 = self.args(k2 + 1, env)
                if method == "defer" and len(args) == 1 and type(args[0]) is int:
                    return Deferred(args[0]), k2
                if method == "decode" and len(args) == 2:
                    # app.decode('Type', encoded): a transport hook's custom type; the
                    # encoded value is what we can read, so it stands for the object.
                    return args[1], k2
        raise self.fail(f"unknown identifier {name!r}", i)

    def construct(self, i: int, env: dict | None) -> tuple[Any, int]:
        """`new X(...)`; `new Map`/`new Set` without arguments are hoisted empties."""
        start = self.ws(i)
        ctor, k = self.ident(start)
        k2 = self.ws(k)
        args: list[Any] = []
        if self.s.startswith("(", k2):
            args, k = self.args(k2 + 1, env)
        first = args[0] if args else None
        where = f"at offset {start}"
        if ctor == "Date":
            if isinstance(first, str):
                return _date_from_iso(first), k
            return _date_from_ms(first if args else math.nan), k
        if ctor == "Map":
            pairs = first or []
            if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise self.fail("new Map needs [key, value] pairs", start)
            return _map_from_pairs([(p[0], p[1]) for p in pairs], where), k
        if ctor == "Set":
            return list(first or []), k
        if ctor in ("URL", "URLSearchParams", "String"):
            return ("" if first is None else first), k
        if ctor in ("Number", "Boolean"):
            return first, k
        if ctor == "RegExp":
            return first, k
        if ctor in _TYPED_ARRAYS:
            value = list(first) if isinstance(first, list) else []
            k2 = self.ws(k)
            if self.s.startswith(".buffer", k2):
                k = k2 + len(".buffer")
            return value, k
        raise self.fail(f"unsupported constructor new {ctor}", start)

    # -- hoisted IIFE ---------------------------------------------------------------

    def paren(self, i: int, env: dict | None) -> tuple[Any, int]:
        s = self.s
        i = self.ws(i)
        m = _IDENT.match(s, i)
        if m is not None and m.group() == "function":
            return self.iife(m.end(), env)
        v, i = self.value(i, env)
        return v, self.expect(i, ")")

    def iife(self, i: int, env: dict | None) -> tuple[Any, int]:
        """`(function(a,b){…;return x}(args))` or `(function(a){…})(args)`."""
        s = self.s
        i = self.ws(i)
        if _IDENT.match(s, i):  # a named function expression
            _, i = self.ident(i)
        i = self.expect(i, "(")
        params: list[str] = []
        i = self.ws(i)
        if s[i] != ")":
            while True:
                name, i = self.ident(i)
                params.append(name)
                i = self.ws(i)
                if s[i] == ")":
                    break
                i = self.expect(i, ",")
        i = self.expect(i + 1, "{")
        body = i
        hoisted = _VAR_ARGUMENTS.match(s, body) if not params else None
        if hoisted is not None:
            # Over 65,534 hoisted values: `function(){var[a,b,…]=arguments[0];…}([…])`.
            params, body = hoisted.group(1).split(","), hoisted.end()
        i = self.skip_block(i - 1)
        i = self.ws(i)
        if s[i] == ")":  # (function(){…})(args)
            args, i = self.args(self.expect(i + 1, "("), env)
        else:
            args, i = self.args(self.expect(i, "("), env)
            i = self.expect(i, ")")
        if hoisted is not None:
            args = args[0] if args and isinstance(args[0], list) else []
        scope = dict(env) if env else {}
        for n, name in enumerate(params):
            scope[name] = args[n] if n < len(args) else None
        value = self.run_body(body, scope)
        self.check_far(i)
        return value, i

    def check_far(self, i: int) -> None:
        if self.far:
            (_, index), _value = next(iter(self.far.items()))
            raise self.fail(f"array index {index} exceeds the {MAX_ARRAY_LENGTH:,} limit", i)

    def skip_block(self, i: int) -> int:
        """The offset just past the '}' matching the '{' at i, skipping strings."""
        s = self.s
        depth = 0
        non_brace = _NON_BRACE.match
        while True:
            c = s[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            else:
                raise self.fail("unterminated string in function body", i)
            i = _end(non_brace(s, i + 1))

    def run_body(self, i: int, scope: dict) -> Any:
        """Run devalue's assignment statements, then evaluate the return expression."""
        s = self.s
        head = _ASSIGN_HEAD.match
        while True:
            m = head(s, i)
            if m is not None and m.group(1) in scope:
                name, prop, quoted, index, text, num, frac, dotfrac, exp = m.groups()
                target = scope[name]
                key = prop if prop is not None else quoted if quoted is not None else int(index)
                if text is not None:
                    value, i = text, m.end()
                elif num is None:
                    value, i = self.value(m.end(), scope)
                elif frac is not None or dotfrac is not None or exp is not None:
                    value, i = float(num), m.end()
                else:
                    value, i = (-0.0 if num == "-0" else _integer(num)), m.end()
                if type(target) is dict and type(key) is str:
                    target[key] = value
                else:
                    self.assign(target, key, value, i)
                if s[i] == ";":
                    i += 1
                continue
            i = self.ws(i)
            c = s[i]
            if c == ";":
                i += 1
                continue
            if c == "}":
                return None  # no return statement: undefined
            name, j = self.ident(i)
            if name == "return":
                value, i = self.value(j, scope)
                i = self.ws(i)
                if s[i] == ";":
                    i = self.ws(i + 1)
                if s[i] != "}":
                    raise self.fail("expected '}' after the return expression", i)
                return value
            if name == "delete":
                i = self.delete(j, scope)
                continue
            if name == "let":
                i = self.declare(j, scope)
                continue
            if name not in scope:
                raise self.fail(f"assignment to unknown variable {name!r}", i)
            k = self.ws(j)
            if s.startswith("=", k) and not s.startswith("==", k):
                # A reconstruction replacing a placeholder: `b=Object(a)`, `b=new …`.
                scope[name], i = self.value(self.ws(k + 1), scope)
                continue
            i = self.statement(scope[name], j, scope)

    def declare(self, i: int, scope: dict) -> int:
        """devalue 6's hoisting, `let a={}` (or `let a=…,b=…`): each name bound in this
        function's scope, in order, so a later value may refer to an earlier name."""
        s = self.s
        while True:
            name, i = self.ident(i)
            if name in _RESERVED:
                raise self.fail(f"cannot declare {name!r}", i)
            scope[name], i = self.value(self.ws(self.expect(i, "=")), scope)
            i = self.ws(i)
            if s[i] != ",":
                return i
            i += 1

    def statement(self, target: Any, i: int, scope: dict) -> int:
        """`x.key=v`, `x["key"]=v`, `x[0]=v`, `x.add(v).add(w)`, `x.set(k, v)`."""
        s = self.s
        while True:
            i = self.ws(i)
            c = s[i]
            if c == ".":
                key, i = self.ident(i + 1)
                i = self.ws(i)
                if s[i] == "(":
                    args, i = self.args(i + 1, scope)
                    self.call_method(target, key, args, i)
                    continue
            elif c == "[":
                key, i = self.value(self.ws(i + 1), scope)
                i = self.expect(i, "]")
            else:
                return i
            i = self.ws(i)
            if s[i] == "=" and s[i + 1 : i + 2] != "=":
                value, i = self.value(self.ws(i + 1), scope)
                self.assign(target, key, value, i)
                return i
            target = self.get(target, key, i)

    def delete(self, i: int, scope: dict) -> int:
        """`delete a[i]` or `delete a.key`: a hole in an array, a key gone from an object."""
        name, i = self.ident(i)
        if name not in scope:
            raise self.fail(f"delete on unknown variable {name!r}", i)
        target = scope[name]
        i = self.ws(i)
        if self.s.startswith(".", i):
            key, i = self.ident(i + 1)
        else:
            key, i = self.value(self.ws(self.expect(i, "[")), scope)
            i = self.expect(i, "]")
        index = _index(key)
        if isinstance(target, list) and index is not None:
            if self.far.pop((id(target), index), _MISSING) is _MISSING and index < len(target):
                target[index] = None
        elif isinstance(target, dict):
            target.pop(key if isinstance(key, str) else _js_key(key), None)
        else:
            raise self.fail(f"cannot delete key {key!r} on a {type(target).__name__}", i)
        return i

    def call_method(self, target: Any, method: str, args: list, i: int) -> None:
        if method == "add" and isinstance(target, list) and len(args) == 1:
            target.append(args[0])
        elif method == "set" and isinstance(target, dict) and len(args) == 2:
            try:
                target[args[0]] = args[1]
            except TypeError:
                raise self.fail("Map key that Python cannot use as a dict key", i) from None
        else:
            raise self.fail(f"unsupported method call .{method}()", i)

    def assign(self, target: Any, key: Any, value: Any, i: int) -> None:
        if isinstance(target, dict):
            target[key if isinstance(key, str) else _js_key(key)] = value
            return
        if isinstance(target, list):
            index = _index(key)
            if index is not None:
                if index >= MAX_ARRAY_LENGTH:
                    self.far[(id(target), index)] = value
                    return
                if index >= len(target):
                    target.extend([None] * (index + 1 - len(target)))
                target[index] = value
                return
            if key == "length" and type(value) is int and value >= 0:
                length = _check_length(value, f"at offset {i}")
                del target[length:]
                target.extend([None] * (length - len(target)))
                return
        raise self.fail(f"cannot assign key {key!r} on a {type(target).__name__}", i)

    def get(self, target: Any, key: Any, i: int) -> Any:
        if isinstance(target, dict) and (key if isinstance(key, str) else _js_key(key)) in target:
            return target[key if isinstance(key, str) else _js_key(key)]
        index = _index(key)
        if isinstance(target, list) and index is not None and index < len(target):
            return target[index]
        raise self.fail(f"no member {key!r} to assign into", i)


_MISSING = object()
# Words a `let` cannot bind (devalue never names a value so).
_RESERVED = frozenset({"let", "return", "delete", "function", "new", "var", *_KEYWORD_VALUES})
_VAR_ARGUMENTS = re.compile(r"var\[([A-Za-z_$][\w$]*(?:,[A-Za-z_$][\w$]*)*)\]=arguments\[0\];")


def _js_key(key: Any) -> str:
    """JavaScript's property-key string for a non-string key (0 -> "0")."""
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _index(key: Any) -> int | None:
    if type(key) is int and key >= 0:
        return key
    if isinstance(key, float) and key.is_integer() and key >= 0:
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


def parse_uneval(js: str) -> Any:
    """Decode one JavaScript expression written by devalue's `uneval` (see module doc)."""
    parser = UnevalParser(js)
    value, end = parser.parse_at(0)
    end = parser.ws(end)
    if js.startswith(";", end):
        end = parser.ws(end + 1)
    if end != len(js):
        raise parser.fail("unexpected text after the expression", end)
    return value


# -- devalue stringify (the node data of …/__data.json) --------------------------------

_SPECIALS: dict[int, Any] = {-1: None, -2: None, -3: math.nan, -4: math.inf, -5: -math.inf}
_SPARSE = -7  # first element of a sparse array: [-7, length, index, value, …]


def parse_stringified(text_or_list: str | bytes | list | int) -> Any:
    """Decode devalue `stringify` output: a flat JSON array, index 0 the root."""
    data = text_or_list
    if isinstance(data, str | bytes | bytearray):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise DevalueError(f"devalue stringify data is not JSON: {exc}") from None
    if type(data) is int:  # a lone special constant, e.g. -1 for undefined
        if data == -6:
            return -0.0
        if data in _SPECIALS:
            return _SPECIALS[data]
        raise DevalueError(f"invalid devalue stringify root {data}")
    if not isinstance(data, list) or not data:
        raise DevalueError("devalue stringify data must be a non-empty JSON array")
    try:
        return _Hydrator(data).hydrate(0)
    except RecursionError:
        raise DevalueError("devalue stringify data nested too deeply") from None


class _Hydrator:
    """Rebuilds the value graph; memoised by index so shared and cyclic refs work."""

    __slots__ = ("done", "values")

    def __init__(self, values: list) -> None:
        self.values = values
        self.done: dict[int, Any] = {}

    def hydrate(self, index: Any) -> Any:
        if type(index) is not int:
            raise DevalueError(f"devalue stringify: expected an index, got {index!r}")
        if index < 0:
            if index == -6:
                return -0.0
            if index in _SPECIALS:
                return _SPECIALS[index]
            raise DevalueError(f"devalue stringify: invalid special index {index}")
        done = self.done
        if index in done:
            return done[index]
        try:
            value = self.values[index]
        except IndexError:
            raise DevalueError(f"devalue stringify: index {index} out of range") from None
        if isinstance(value, dict):
            obj: dict[str, Any] = {}
            done[index] = obj
            values, hydrate = self.values, self.hydrate
            for key, n in value.items():
                # Fast path: a primitive needs no memo (strings and numbers are immutable).
                if type(n) is int and n >= 0 and n < len(values):
                    raw = values[n]
                    if not isinstance(raw, dict | list):
                        obj[key] = raw
                        continue
                obj[key] = hydrate(n)
            return obj
        if isinstance(value, list):
            if value and isinstance(value[0], str):
                return self.typed(index, value)
            if value and value[0] == _SPARSE and type(value[0]) is int:
                return self.sparse(index, value)
            arr: list[Any] = []
            done[index] = arr
            arr.extend(self.hydrate(n) for n in value)
            return arr
        done[index] = value
        return value

    def sparse(self, index: int, value: list) -> list:
        """`[-7, length, i, v, i, v, …]`: a sparse array, holes as None."""
        length = value[1] if len(value) > 1 else None
        if type(length) is not int or length < 0 or len(value) % 2:
            raise DevalueError(f"devalue stringify: bad sparse array at index {index}")
        arr: list[Any] = [None] * _check_length(length, f"at index {index}")
        self.done[index] = arr
        for k in range(2, len(value), 2):
            slot = value[k]
            if type(slot) is not int or not 0 <= slot < length:
                raise DevalueError(f"devalue stringify: sparse index {slot!r} out of range")
            arr[slot] = self.hydrate(value[k + 1])
        return arr

    def typed(self, index: int, value: list) -> Any:
        """`["Date", iso]`, `["Map", k, v, …]`, `["Set", …]` and devalue's other tags."""
        tag, done = value[0], self.done
        if tag == "Date":
            done[index] = _date_from_iso(value[1] if len(value) > 1 else None)
        elif tag == "Set":
            items: list[Any] = []
            done[index] = items
            items.extend(self.hydrate(n) for n in value[1:])
        elif tag in ("Map", "null"):
            mapping: dict[Any, Any] = {}
            done[index] = mapping
            for k in range(1, len(value) - 1, 2):
                key = self.hydrate(value[k]) if tag == "Map" else value[k]
                try:
                    mapping[key] = self.hydrate(value[k + 1])
                except TypeError:
                    raise DevalueError(f"Map key at index {index} is not hashable") from None
        elif tag == "Object" and len(value) == 2:
            # A boxed primitive, `Object(25911)`: its payload is an index, like any value.
            done[index] = self.hydrate(value[1])
        elif tag in ("RegExp", "URL", "URLSearchParams"):
            done[index] = value[1] if len(value) > 1 else None  # raw string payloads
        elif tag == "BigInt":
            digits = value[1] if len(value) > 1 else None
            if not isinstance(digits, str) or not re.fullmatch(r"-?\d+", digits, re.ASCII):
                raise DevalueError(f"bad BigInt at index {index}")
            done[index] = _bigint(digits, f"at index {index}")
        elif tag == "Promise" and len(value) == 2:
            done[index] = Deferred(self.hydrate(value[1]))
        elif len(value) == 2 and type(value[1]) is int:
            # A transport hook's custom type: its encoded payload stands for it.
            done[index] = None
            done[index] = self.hydrate(value[1])
        else:
            raise DevalueError(f"devalue stringify: unknown type {tag!r} at index {index}")
        return done[index]


def _end(match: re.Match[str] | None) -> int:
    """Where a match of a pattern that matches the empty string too ends: such a pattern
    never fails at an index inside the text."""
    if match is None:
        raise DevalueError("internal: a pattern that always matches did not")
    return match.end()
