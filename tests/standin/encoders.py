"""JavaScript number formatting and devalue's two encoders (`uneval`, `stringify`),
rule for rule as devalue's own source writes them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


class _Marker:
    """A singleton standing for a JavaScript value Python has no spelling for."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


UNDEFINED = _Marker("UNDEFINED")  # JavaScript `undefined` (devalue: `void 0`, index -1)
HOLE = _Marker("HOLE")  # an array hole, as in `[1,,3]` (devalue index -2)


def js_number(x: float | int) -> str:
    """`Number.prototype.toString()` for a Python int or float (e.g. 1e21 -> "1e+21")."""
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers in JavaScript")
    if isinstance(x, int):
        if abs(x) <= 2**53:  # exactly representable and below 1e21: plain digits
            return str(x)
        try:
            x = float(x)  # JavaScript only has doubles
        except OverflowError:
            return "Infinity" if x > 0 else "-Infinity"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"  # String(-0) is "0" too
    sign = "-" if x < 0 else ""
    # repr() gives the shortest round-tripping digits, as ECMAScript's Number::toString asks.
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    exponent = (int(exp_text) if exp_text else 0) - len(frac_part)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = exponent + k  # the value is 0.<digits> * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + ("e+" if e >= 0 else "e-")
        text += str(abs(e))
    return sign + text


def _devalue_number(x: float | int) -> str:
    """devalue's `stringify_primitive` for numbers: `-0` kept, a leading `0.` becomes `.`."""
    if isinstance(x, float) and x == 0 and math.copysign(1.0, x) < 0:
        return "-0"
    text = js_number(x)
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


_STRING_ESCAPES = {
    '"': '\\"',
    "<": "\\u003C",
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_STRING_UNSAFE = re.compile('[\x00-\x1f"<\\\\\u2028\u2029\ud800-\udfff]')


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _STRING_ESCAPES:
        return _STRING_ESCAPES[char]
    if char < " ":
        return f"\\u{ord(char):04x}"
    # A lone surrogate (Python strings have no pairs): escaped, as older devalue did, so the
    # page stays encodable as UTF-8.
    return f"\\u{ord(char):04X}"


def devalue_string(text: str) -> str:
    """devalue's `stringify_string`: JSON-like quoting with `<`, U+2028/2029 escaped."""
    return '"' + _STRING_UNSAFE.sub(_escape_char, text) + '"'


_JSON_UNSAFE = re.compile('[\x00-\x1f"\\\\\ud800-\udfff]')


def _json_stringify_string(text: str) -> str:
    """JavaScript's `JSON.stringify` for a string (raw non-ASCII, lowercase `\\u00xx`)."""

    def repl(match: re.Match[str]) -> str:
        char = match.group()
        if char in '"\\\n\r\t\b\f':
            return _STRING_ESCAPES[char]
        return f"\\u{ord(char):04x}"

    return '"' + _JSON_UNSAFE.sub(repl, text) + '"'


_IDENTIFIER = re.compile(r"[_$a-zA-Z][_$a-zA-Z0-9]*")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _safe_key(key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return key
    quoted = _json_stringify_string(key)
    return quoted.replace("<", "\\u003C").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _safe_prop(key: str) -> str:
    return f".{key}" if _IDENTIFIER.fullmatch(key) else f"[{_safe_key(key)}]"


def _js_keys(obj: dict[Any, Any]) -> list[tuple[str, Any]]:
    """(key, value) pairs in JavaScript's property order: array indexes first, ascending."""
    items: list[tuple[str, Any]] = []
    for key, value in obj.items():
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise TypeError(f"cannot serialise an object key of type {type(key).__name__}")
        items.append((key if isinstance(key, str) else str(key), value))
    indexes = [(k, v) for k, v in items if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1]
    if not indexes:
        return items
    others = [(k, v) for k, v in items if not (_ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1)]
    return sorted(indexes, key=lambda kv: int(kv[0])) + others


def _is_primitive(thing: Any) -> bool:
    return thing is None or thing is UNDEFINED or isinstance(thing, str | int | float)


def _uneval_primitive(thing: Any) -> str:
    if thing is None:
        return "null"
    if thing is UNDEFINED:
        return "void 0"
    if thing is True:
        return "true"
    if thing is False:
        return "false"
    if isinstance(thing, str):
        return devalue_string(thing)
    return _devalue_number(thing)


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive datetimes are taken as UTC
    return round(moment.timestamp() * 1000)


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
_RESERVED = re.compile(
    r"do|if|in|for|int|let|new|try|var|byte|case|char|else|enum|goto|long|this|void|with|"
    r"await|break|catch|class|const|final|float|short|super|throw|while|yield|delete|double|"
    r"export|import|native|return|switch|throws|typeof|boolean|default|extends|finally|"
    r"package|private|abstract|continue|debugger|function|volatile|interface|protected|"
    r"transient|implements|instanceof|synchronized"
)


def _hoist_name(num: int) -> str:
    name = ""
    while True:
        name = _NAME_CHARS[num % len(_NAME_CHARS)] + name
        num = num // len(_NAME_CHARS) - 1
        if num < 0:
            break
    return f"{name}0" if _RESERVED.fullmatch(name) else name


def devalue_uneval(
    value: Any, replacer: Callable[[Any], str | None] | None = None, *, major: int = 5
) -> str:
    """devalue's `uneval`: the JavaScript expression that rebuilds `value`.

    dict -> object, list/tuple -> array, set -> Set, datetime -> Date, None -> null,
    `UNDEFINED` -> `void 0`, `HOLE` -> an array hole. Containers referenced more than once
    (by identity) are hoisted into an IIFE exactly like devalue does: `major` 5 passes them
    as parameters, `(function(a){a.k=…;return …}({}))`; 6 declares each where it is first
    needed, `(function(){let a={};a.k=…;return …}())`. `replacer` is called for every
    non-primitive; a string it returns is used verbatim (how SvelteKit writes
    `__sveltekit_x.defer(1)` for promises).
    """
    counts: dict[int, list[Any]] = {}  # id -> [thing, count], in first-visit order
    custom: dict[int, str] = {}

    def walk(thing: Any) -> None:
        if _is_primitive(thing) or thing is HOLE:
            return
        key = id(thing)
        if key in counts:
            counts[key][1] += 1
            return
        counts[key] = [thing, 1]
        if replacer is not None:
            replaced = replacer(thing)
            if isinstance(replaced, str):
                custom[key] = replaced
                return
        if isinstance(thing, dict):
            for _, child in _js_keys(thing):
                walk(child)
        elif isinstance(thing, list | tuple | set | frozenset):
            for child in thing:
                walk(child)
        elif not isinstance(thing, datetime):
            raise TypeError(f"Cannot stringify arbitrary non-POJOs ({type(thing).__name__})")

    walk(value)

    # Python's sort is stable, like V8's, so equal counts keep first-visit order.
    shared = sorted((entry for entry in counts.values() if entry[1] > 1), key=lambda e: -e[1])
    names = {id(entry[0]): _hoist_name(i) for i, entry in enumerate(shared)}
    statements: list[str] = []
    declared: set[int] = set()

    def declare(thing: Any) -> None:
        # devalue 6: `let a=…` where the value is first needed, then its statements, each
        # value stringified (and so declared) before the statement that uses it.
        declared.add(id(thing))
        statements.append(f"let {names[id(thing)]}={hoisted_initial(thing)}")
        for fill in hoisted_fills(thing):
            statements.append(fill())

    def hoisted_initial(thing: Any) -> str:
        """A hoisted value's initial value; hoisted_fills's statements fill it in."""
        key = id(thing)
        if key in custom:
            return custom[key]
        if isinstance(thing, dict):
            return "{}"
        if isinstance(thing, list | tuple):
            return f"Array({len(thing)})"
        if isinstance(thing, set | frozenset):
            return "new Set"
        return f"new Date({_epoch_ms(thing)})"

    def hoisted_fills(thing: Any) -> list[Callable[[], str]]:
        # Deferred, so each runs when its statement is written: devalue 6 declares a
        # value met in a statement just before that statement.
        name, key = names[id(thing)], id(thing)
        if key in custom:
            return []
        if isinstance(thing, dict):
            return [
                (lambda k=k, v=v: f"{name}{_safe_prop(k)}={stringify(v)}")
                for k, v in _js_keys(thing)
            ]
        if isinstance(thing, list | tuple):
            return [
                (lambda i=i, v=v: f"{name}[{i}]={stringify(v)}")
                for i, v in enumerate(thing)
                if v is not HOLE
            ]
        if isinstance(thing, set | frozenset) and thing:
            if major < 6:  # one chained statement
                return [lambda: name + "." + ".".join(f"add({stringify(v)})" for v in thing)]
            return [(lambda v=v: f"{name}.add({stringify(v)})") for v in thing]
        return []

    def stringify(thing: Any) -> str:
        if _is_primitive(thing):
            return _uneval_primitive(thing)
        key = id(thing)
        if key in names:
            if major >= 6 and key not in declared:
                declare(thing)
            return names[key]
        if key in custom:
            return custom[key]
        if isinstance(thing, dict):
            return (
                "{" + ",".join(f"{_safe_key(k)}:{stringify(v)}" for k, v in _js_keys(thing)) + "}"
            )
        if isinstance(thing, list | tuple):
            members = ["" if v is HOLE else stringify(v) for v in thing]
            tail = "," if thing and thing[-1] is HOLE else ""
            return "[" + ",".join(members) + tail + "]"
        if isinstance(thing, set | frozenset):
            return "new Set([" + ",".join(stringify(v) for v in thing) + "])"
        return f"new Date({_epoch_ms(thing)})"

    text = stringify(value)
    if not names:
        return text
    if major >= 6:
        return f"(function(){{{';'.join(statements)};return {text}}}())"

    params: list[str] = []
    values: list[str] = []
    for thing, _count in shared:
        params.append(names[id(thing)])
        values.append(hoisted_initial(thing))
        statements.extend(fill() for fill in hoisted_fills(thing))
    statements.append(f"return {text}")
    return f"(function({','.join(params)}){{{';'.join(statements)}}}({','.join(values)}))"


def devalue_stringify(value: Any) -> str:
    """devalue's `stringify`: the flat JSON array of `__data.json` (index 0 is the root)."""
    stringified: list[str] = []
    indexes: dict[tuple[str, Any], int] = {}

    def index_key(thing: Any) -> tuple[str, Any]:
        # devalue keys a Map by value for primitives (SameValueZero: 1 == 1.0, 0 == -0) and
        # by identity for objects.
        if thing is None:
            return ("null", None)
        if isinstance(thing, bool):
            return ("bool", thing)
        if isinstance(thing, str):
            return ("str", thing)
        if isinstance(thing, int | float):
            try:
                return ("num", float(thing))
            except OverflowError:
                return ("num", math.inf if thing > 0 else -math.inf)
        return ("obj", id(thing))

    def flatten(thing: Any) -> int:
        key = index_key(thing) if thing is not UNDEFINED and thing is not HOLE else None
        if key is not None and key in indexes:
            return indexes[key]
        if thing is UNDEFINED:
            return -1
        if isinstance(thing, float) and not isinstance(thing, bool):
            if math.isnan(thing):
                return -3
            if thing == math.inf:
                return -4
            if thing == -math.inf:
                return -5
            if thing == 0 and math.copysign(1.0, thing) < 0:
                return -6
        assert key is not None
        index = len(stringified)
        stringified.append("")
        indexes[key] = index
        if thing is None:
            text = "null"
        elif isinstance(thing, bool):
            text = "true" if thing else "false"
        elif isinstance(thing, str):
            text = devalue_string(thing)
        elif isinstance(thing, int | float):
            text = js_number(thing)
        elif isinstance(thing, dict):
            text = (
                "{"
                + ",".join(f"{devalue_string(k)}:{flatten(v)}" for k, v in _js_keys(thing))
                + "}"
            )
        elif isinstance(thing, list | tuple):
            text = "[" + ",".join("-2" if v is HOLE else str(flatten(v)) for v in thing) + "]"
        elif isinstance(thing, set | frozenset):
            text = '["Set"' + "".join(f",{flatten(v)}" for v in thing) + "]"
        elif isinstance(thing, datetime):
            moment = thing if thing.tzinfo else thing.replace(tzinfo=UTC)
            iso = moment.astimezone(UTC).isoformat(timespec="milliseconds")
            text = '["Date","' + iso.replace("+00:00", "Z") + '"]'
        else:
            raise TypeError(f"Cannot stringify arbitrary non-POJOs ({type(thing).__name__})")
        stringified[index] = text
        return index

    root = flatten(value)
    if root < 0:
        return str(root)
    return "[" + ",".join(stringified) + "]"
