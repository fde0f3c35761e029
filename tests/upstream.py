"""A faithful local stand-in for chutes.ai: the JSON API, the LLM API and the SvelteKit pages.

One werkzeug WSGI app answers for all three hosts (`API_URL`, `LLM_URL`, `WEB_URL` can all
point at it):

- `GET /v1/models`, `GET /invocations/stats/llm`, `GET /chutes/`, `GET /chutes/utilization`
  (JSON, like the real API);
- `GET /app`, `GET /app/chute/<chute_id>?tab=stats` (SvelteKit HTML with devalue data) and
  their `__data.json` twins (devalue `stringify` JSON).

Used by the tests, `make demo` and the benchmark. The encoders `devalue_uneval` and
`devalue_stringify` follow devalue's own source rule for rule, so the pages are what the
real serializer would print (checked byte for byte against the fixtures in
`tests/fixtures/chutes/`). Fault knobs (`UpstreamApp.faults`) imitate a misbehaving upstream.

CLI: `python -m tests.upstream --port 8765 [--synthetic N] [--no-fixtures]
[--page-form inline|hoisted|streamed|legacy] [--shift-to-today] [--faster-last-week N]
[--snapshots-from ISO --snapshot-step S --vary-capacity]` (the capacity snapshots' clock:
see `tests/upstream_capacity.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import html
import itertools
import json
import math
import pathlib
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.upstream_capacity import UtilizationFeed

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "chutes"
FIXTURE_NEWEST_DAY = date(2026, 10, 3)
PAGE_FORMS = ("inline", "hoisted", "streamed", "legacy")
ROW_KEYS = (
    "chute_id",
    "name",
    "date",
    "total_requests",
    "total_input_tokens",
    "total_output_tokens",
    "average_tps",
    "average_ttft",
)

# ---------------------------------------------------------------------------------------
# JavaScript number formatting and the devalue encoders
# ---------------------------------------------------------------------------------------


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


def devalue_uneval(value: Any, replacer: Callable[[Any], str | None] | None = None) -> str:
    """devalue's `uneval`: the JavaScript expression that rebuilds `value`.

    dict -> object, list/tuple -> array, set -> Set, datetime -> Date, None -> null,
    `UNDEFINED` -> `void 0`, `HOLE` -> an array hole. Containers referenced more than once
    (by identity) are hoisted into an IIFE exactly like devalue does. `replacer` is called
    for every non-primitive; a string it returns is used verbatim (how SvelteKit writes
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

    def stringify(thing: Any) -> str:
        if _is_primitive(thing):
            return _uneval_primitive(thing)
        key = id(thing)
        if key in names:
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

    params: list[str] = []
    statements: list[str] = []
    values: list[str] = []
    for thing, _count in shared:
        name = names[id(thing)]
        params.append(name)
        if id(thing) in custom:
            values.append(custom[id(thing)])
        elif isinstance(thing, dict):
            values.append("{}")
            statements.extend(f"{name}{_safe_prop(k)}={stringify(v)}" for k, v in _js_keys(thing))
        elif isinstance(thing, list | tuple):
            values.append(f"Array({len(thing)})")
            statements.extend(
                f"{name}[{i}]={stringify(v)}" for i, v in enumerate(thing) if v is not HOLE
            )
        elif isinstance(thing, set | frozenset):
            values.append("new Set")
            if thing:
                statements.append(name + "." + ".".join(f"add({stringify(v)})" for v in thing))
        else:
            values.append(f"new Date({_epoch_ms(thing)})")
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


# ---------------------------------------------------------------------------------------
# The data set
# ---------------------------------------------------------------------------------------

_TAO_USD = 197.41658  # USD per TAO, as implied by the fixture's prices
_SYSTEM_USER = {
    "username": "chutes",
    "user_id": "8930c58d-8a7a-5f0c-b5a8-a1f4d9b6b2f1",
    "logo_id": None,
    "created_at": "2024-12-04T17:21:03.119254Z",
    "logo": None,
}
_NS = uuid.UUID("6f1c2a4e-8a0b-5c3d-9e7f-112233445566")  # for stable synthetic ids


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(map(str, parts))))


def _iso_ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_model_entry(
    name: str,
    chute_id: str,
    *,
    engine: str = "vllm",
    prompt: float = 0.1,
    completion: float = 0.4,
    context_length: int | None = 131072,
    quantization: str | None = "bf16",
    created: int = 1788000000,
    root: str | None = None,
) -> dict[str, Any]:
    """A `/v1/models` entry in the real key order (Postgres JSONB order, hence unusual)."""
    cache_read = round(prompt / 2, 6)
    entry: dict[str, Any] = {
        "id": name,
        "root": root or name.removesuffix("-TEE"),
        "price": {
            "input": {"tao": prompt / _TAO_USD, "usd": prompt},
            "output": {"tao": completion / _TAO_USD, "usd": completion},
            "input_cache_read": {"tao": cache_read / _TAO_USD, "usd": cache_read},
        },
        "object": "model",
        "parent": None,
        "created": created,
        "pricing": {"prompt": prompt, "completion": completion, "input_cache_read": cache_read},
        "chute_id": chute_id,
        "owned_by": engine,
    }
    if quantization is not None:
        entry["quantization"] = quantization
    if context_length is not None:
        entry["max_model_len"] = context_length
        entry["context_length"] = context_length
    entry["input_modalities"] = ["text"]
    if context_length is not None:
        entry["max_output_length"] = min(context_length, 65536)
    entry["output_modalities"] = ["text"]
    entry["supported_features"] = ["json_mode", "tools", "structured_outputs"]
    entry["confidential_compute"] = name.endswith("-TEE")
    entry["supported_sampling_parameters"] = ["temperature", "top_p", "top_k", "stop", "seed"]
    return entry


def make_chute(
    name: str,
    chute_id: str,
    *,
    standard_template: str | None = "vllm",
    image: str = "vllm-tee",
    tag: str = "0.11.2",
    invocation_count: int = 0,
    created: datetime | None = None,
    price: tuple[float, float] | None = (0.1, 0.4),
) -> dict[str, Any]:
    """A chute object as `/chutes/` and the `/app` page carry it (real key order)."""
    created = created or datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    tee = name.endswith("-TEE")
    is_llm = standard_template == "vllm"
    per_million: dict[str, Any] = {}
    if price is not None and is_llm:
        prompt, completion = price
        per_million = {
            "per_million_tokens": {
                "input": {"usd": prompt, "tao": prompt / _TAO_USD},
                "output": {"usd": completion, "tao": completion / _TAO_USD},
                "input_cache_read": {"usd": prompt / 2, "tao": prompt / 2 / _TAO_USD},
            }
        }
    hourly = 3.5 if is_llm else 0.85
    cord_ref = "5f0b8a52-3c1e-5d47-9a8e-0f3b2c6d1e4a" if is_llm else _uid("cord", name)
    gpus = ["h200", "b200"] if is_llm else ["l40s", "a100"]
    return {
        "chute_id": chute_id,
        "name": name,
        "tagline": name if is_llm else "",
        "readme": "",
        "public": True,
        "version": "",
        "tool_description": None,
        "slug": "chutes-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        "standard_template": standard_template,
        "cords": None,
        "jobs": [],
        "cord_ref_id": cord_ref,
        "created_at": _iso_ts(created),
        "updated_at": _iso_ts(created + timedelta(days=20, hours=3)),
        "image": {
            "image_id": _uid("image", image, tag),
            "name": image,
            "readme": "",
            "tag": tag,
            "public": True,
            "status": "built and pushed",
            "created_at": _iso_ts(created - timedelta(days=3)),
            "build_started_at": _iso_ts(created - timedelta(days=3)),
            "build_completed_at": _iso_ts(created - timedelta(days=3)),
            "user": dict(_SYSTEM_USER),
            "logo_id": None,
            "patch_version": None,
            "chutes_version": "0.6.4",
            "logo": None,
        },
        "user": dict(_SYSTEM_USER),
        "supported_gpus": list(gpus),
        "node_selector": {
            "dynamic": False,
            "exclude": None,
            "include": list(gpus) if is_llm else None,
            "gpu_count": 1,
            "min_vram_gb_per_gpu": 80 if is_llm else 48,
            "max_hourly_price_per_gpu": None,
            "compute_multiplier": 6.0 if is_llm else 1.5,
            "supported_gpus": list(gpus),
        },
        "invocation_count": invocation_count,
        "current_estimated_price": {
            **per_million,
            "usd": {"hour": hourly, "second": hourly / 3600},
            "tao": {"hour": hourly / _TAO_USD, "second": hourly / 3600 / _TAO_USD},
        },
        "instances": [],
        "logo_id": None,
        "openrouter": False,
        "chutes_version": "0.6.4",
        "revision": None,
        "concurrency": 64 if is_llm else None,
        "boost": None,
        "max_instances": None,
        "scaling_threshold": None,
        "shutdown_after_seconds": None,
        "preemptible": True,
        "allow_external_egress": False,
        "tee": tee,
        "lock_modules": None,
        "effective_compute_multiplier": 13.5 if tee else 6.0,
        "compute_multiplier_factors": {"base": 6.0, "tee": 2.25} if tee else {"base": 6.0},
        "bounty": None,
        "logo": None,
        "hot": invocation_count > 0,
    }


def make_row(
    chute_id: str,
    name: str,
    day: date | str,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    tps: float | int,
    ttft: float | int,
) -> dict[str, Any]:
    """One daily stats row, keys in the API's order."""
    values = (chute_id, name, str(day), requests, input_tokens, output_tokens, tps, ttft)
    return dict(zip(ROW_KEYS, values, strict=True))


def _row_sort_key(row: dict[str, Any]) -> tuple[int, int]:
    # Date desc, then total tokens desc; used with reverse=True so ties keep their order.
    tokens = (row.get("total_input_tokens") or 0) + (row.get("total_output_tokens") or 0)
    return (date.fromisoformat(row["date"]).toordinal(), tokens)


@dataclass
class Dataset:
    """What the stand-in serves: the catalogue (both shapes) and the raw daily rows."""

    models: list[dict[str, Any]]  # /v1/models entries, served in this order
    chutes: list[dict[str, Any]]  # /app chute objects: the LLMs plus non-LLM chutes
    rows: list[dict[str, Any]]  # daily rows of every chute, any order
    cord_refs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def chute(self, chute_id: str) -> dict[str, Any] | None:
        """The chute object with this id, or None."""
        return next((c for c in self.chutes if c["chute_id"] == chute_id), None)

    def stats(
        self,
        start: date | None = None,
        end: date | None = None,
        chute_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows with start <= date <= end (inclusive), sorted like the real API."""
        lo = start.isoformat() if start else ""
        hi = end.isoformat() if end else "9999-12-31"
        kept = [
            row
            for row in self.rows
            if lo <= row["date"] <= hi and (chute_id is None or row["chute_id"] == chute_id)
        ]
        return sorted(kept, key=_row_sort_key, reverse=True) if _needs_sort(kept) else kept

    def chutes_envelope(self) -> dict[str, Any]:
        """The `/chutes/`-shaped envelope the `/app` page carries."""
        return {
            "total": len(self.chutes),
            "page": 0,
            "limit": max(25, len(self.chutes)),
            "items": self.chutes,
            "cord_refs": self.cord_refs,
        }

    def extend(self, other: Dataset) -> Dataset:
        """A new data set with `other`'s models, chutes and rows after this one's."""
        return Dataset(
            models=self.models + other.models,
            chutes=self.chutes + other.chutes,
            rows=self.rows + other.rows,
            cord_refs={**self.cord_refs, **other.cord_refs},
        )

    @classmethod
    def from_fixtures(cls, shift_to: date | None = None) -> Dataset:
        """The fixture files' data; `shift_to` moves the newest day (2026-10-03) to that date."""
        models = json.loads((FIXTURES / "v1_models.json").read_text(encoding="utf-8"))["data"]
        listing = json.loads((FIXTURES / "chutes_list.json").read_text(encoding="utf-8"))
        rows = json.loads((FIXTURES / "stats_llm.json").read_text(encoding="utf-8"))
        by_id = {item["chute_id"]: item for item in listing["items"]}
        # The listing fixture holds two of the four catalogue LLMs (verbatim) and one
        # non-LLM chute; the other two LLMs get chute objects built in the same shape.
        llm_chutes = []
        for model in models:
            chute = by_id.get(model["chute_id"])
            if chute is None:
                calls = max(
                    (r["total_requests"] for r in rows if r["chute_id"] == model["chute_id"]),
                    default=0,
                )
                chute = make_chute(
                    model["id"],
                    model["chute_id"],
                    image="sglang-tee" if model["owned_by"] == "sglang" else "vllm-tee",
                    invocation_count=calls,
                    created=datetime.fromtimestamp(model["created"], UTC),
                    price=(model["pricing"]["prompt"], model["pricing"]["completion"]),
                )
            llm_chutes.append(chute)
        llm_chutes.sort(key=lambda c: -c["invocation_count"])  # the real order: by usage
        others = [item for item in listing["items"] if item["standard_template"] != "vllm"]
        if shift_to is not None:
            delta = shift_to - FIXTURE_NEWEST_DAY
            rows = [
                {**row, "date": (date.fromisoformat(row["date"]) + delta).isoformat()}
                for row in rows
            ]
        return cls(
            models=models, chutes=llm_chutes + others, rows=rows, cord_refs=listing["cord_refs"]
        )

    @classmethod
    def synthetic(
        cls,
        n_models: int = 60,
        days: int = 31,
        today: date | None = None,
        seed: int = 0,
    ) -> Dataset:
        """Deterministic, realistic data: `n_models` LLMs over `days` days ending `today`.

        Speeds drift day to day; some days carry no speed data (integer 0), a few models
        have no rows at all, some started mid-window, today is a partial day, and there are
        `[private]`/`[unknown]` rows and non-LLM chutes with zero tokens, like the real API.
        """
        return _synthetic(n_models, days, today or datetime.now(UTC).date(), seed)


def with_faster_week(
    dataset: Dataset, count: int, today: date, factor: float = 1.4
) -> tuple[Dataset, list[str]]:
    """`count` catalogue models made `factor` times faster over the 7 complete days ending
    yesterday (a week-on-week speed change); only models with speed and at least 100
    requests on each of the 14 days before today are picked. Returns their chute_ids."""
    days = {(today - timedelta(days=back)).isoformat() for back in range(1, 15)}
    recent = {(today - timedelta(days=back)).isoformat() for back in range(1, 8)}
    covered: dict[str, set[str]] = {}
    for row in dataset.rows:
        if row["date"] in days and row["average_tps"] and row["total_requests"] >= 100:
            covered.setdefault(row["chute_id"], set()).add(row["date"])
    picked = [m["chute_id"] for m in dataset.models if covered.get(m["chute_id"]) == days]
    picked = picked[:count]
    rows = [
        {**row, "average_tps": row["average_tps"] * factor}
        if row["chute_id"] in picked and row["date"] in recent and row["average_tps"]
        else row
        for row in dataset.rows
    ]
    return Dataset(dataset.models, dataset.chutes, rows, dataset.cord_refs), picked


def _needs_sort(rows: list[dict[str, Any]]) -> bool:
    keys = [_row_sort_key(row) for row in rows]
    return any(a < b for a, b in itertools.pairwise(keys))


_ORGS = {
    "deepseek-ai": ["DeepSeek-V", "DeepSeek-R"],
    "Qwen": ["Qwen3-", "Qwen3.5-", "QwQ-"],
    "zai-org": ["GLM-4.", "GLM-5."],
    "moonshotai": ["Kimi-K"],
    "google": ["gemma-3-", "gemma-4-"],
    "unsloth": ["Llama-3.3-", "Mistral-Small-"],
    "meta-llama": ["Llama-4-Scout-", "Llama-4-Maverick-"],
    "NousResearch": ["Hermes-4-"],
    "tngtech": ["DeepSeek-TNG-R"],
    "openai": ["gpt-oss-"],
    "microsoft": ["Phi-5-"],
    "chutesai": ["Mistral-Large-", "Devstral-"],
}
_SIZES = [4, 8, 12, 14, 24, 27, 30, 32, 70, 120, 235, 397, 480, 671]


def _synthetic(n_models: int, days: int, today: date, seed: int) -> Dataset:
    rng = random.Random(seed)
    first_day = today - timedelta(days=days - 1)
    orgs = sorted(_ORGS)
    models: list[dict[str, Any]] = []
    chutes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    names: set[str] = set()
    usage: dict[str, int] = {}
    while len(names) < n_models:
        org = rng.choice(orgs)
        family = rng.choice(_ORGS[org])
        version = rng.randint(1, 9)
        size = rng.choice(_SIZES)
        suffix = rng.choice(["-TEE", "-TEE", "-TEE", "-Instruct-TEE", ""])
        name = f"{org}/{family}{version}-{size}B{suffix}"
        if name in names:
            continue
        names.add(name)
        chute_id = _uid("chute", seed, name)
        engine = rng.choice(["vllm", "sglang"])
        prompt = round(rng.uniform(0.02, 1.2), 4)
        completion = round(prompt * rng.uniform(2, 4), 4)
        context = rng.choice([32768, 40960, 65536, 131072, 163840, 202752, 262144])
        created = datetime.combine(first_day, datetime.min.time(), UTC) - timedelta(
            days=rng.randint(0, 300)
        )
        entry = make_model_entry(
            name,
            chute_id,
            engine=engine,
            prompt=prompt,
            completion=completion,
            context_length=None if rng.random() < 0.1 else context,
            quantization=None if rng.random() < 0.1 else rng.choice(["fp8", "bf16", "int4"]),
            created=int(created.timestamp()),
        )
        base_tps = math.exp(rng.uniform(math.log(10), math.log(200)))
        base_ttft = min(4.0, max(0.2, 40 / base_tps * rng.uniform(0.4, 1.6)))
        base_requests = math.exp(rng.uniform(math.log(50), math.log(400000)))
        in_per_req = rng.uniform(500, 20000)
        out_per_req = rng.uniform(100, 2000)
        total = 0
        if rng.random() >= 0.08:  # ~8% are new models with no stats yet
            start = rng.randint(0, days - 1) if rng.random() < 0.15 else 0
            tps, ttft = base_tps, base_ttft
            for offset in range(start, days):
                day = first_day + timedelta(days=offset)
                requests = min(400000, max(50, int(base_requests * rng.uniform(0.7, 1.3))))
                if day == today:
                    requests = max(1, int(requests * 0.45))  # today is a partial day
                tps = min(200.0, max(10.0, tps * rng.uniform(0.93, 1.07)))
                ttft = min(4.0, max(0.2, ttft * rng.uniform(0.93, 1.07)))
                speed: tuple[float | int, float | int] = (tps, ttft)
                if rng.random() < 0.05:
                    speed = (0, 0)  # the API's "no speed data" for that day
                rows.append(
                    make_row(
                        chute_id,
                        name,
                        day,
                        requests,
                        int(requests * in_per_req * rng.uniform(0.8, 1.2)),
                        int(requests * out_per_req * rng.uniform(0.8, 1.2)),
                        *speed,
                    )
                )
                total += requests
        usage[chute_id] = total
        models.append(entry)
        chutes.append(
            make_chute(
                name,
                chute_id,
                image="sglang-tee" if engine == "sglang" else "vllm-tee",
                invocation_count=total,
                created=created,
                price=(prompt, completion),
            )
        )
    models.sort(key=lambda m: -usage[m["chute_id"]])  # /v1/models lists "by usage"
    chutes.sort(key=lambda c: -c["invocation_count"])

    # Non-LLM chutes: on the /app page, never in /v1/models; rows with zero tokens.
    for template, name in [
        ("embedding", "Qwen/Qwen3-Embedding-4B-TEE"),
        ("tei", "BAAI/bge-m3"),
        ("diffusion", "chutesai/FLUX.2-dev"),
        (None, "someuser/custom-whisper"),
    ]:
        chute_id = _uid("chute", seed, name)
        chutes.append(
            make_chute(name, chute_id, standard_template=template, image=template or "custom")
        )
        for offset in range(days):
            requests = rng.randint(10, 5000)
            rows.append(
                make_row(chute_id, name, first_day + timedelta(days=offset), requests, 0, 0, 0, 0)
            )
    # Chutes outside the catalogue, named as the API names them.
    for i in range(3):
        chute_id = _uid("private", seed, i)
        for offset in range(0, days, 2):
            requests = rng.randint(1, 900)
            tokens = rng.choice([0, requests * rng.randint(500, 3000)])
            speed = (rng.uniform(10, 60), rng.uniform(0.5, 4)) if tokens else (0, 0)
            rows.append(
                make_row(
                    chute_id,
                    "[private]",
                    first_day + timedelta(days=offset),
                    requests,
                    tokens,
                    tokens // 8,
                    *speed,
                )
            )
    rows.append(make_row(_uid("unknown", seed), "[unknown]", today, 3, 0, 0, 0, 0))
    return Dataset(models=models, chutes=chutes, rows=rows)


# ---------------------------------------------------------------------------------------
# SvelteKit pages
# ---------------------------------------------------------------------------------------

KIT_GLOBAL = "__sveltekit_1qmvh4f"
# Where the `/app` page sits and which route node it loads.
_APP_ROUTE: dict[str, Any] = {
    "prefix": "./",
    "base": ".",
    "node_file": "12.BxN4r6Qa.js",
    "node_ids": [0, 3, 12],
    "title": "Chutes",
}
_USER_NODE: dict[str, Any] = {
    "type": "data",
    "data": {"user": None, "authenticated": False},
    "uses": {"dependencies": ["app:user"]},
}


def _head(prefix: str, node_file: str, title: str) -> str:
    links = [
        "assets/0.C4xR2m1Q.css",
        "entry/start.B7pQx2Lk.js",
        "chunks/DqW1n0a5.js",
        "entry/app.D3hYk9sT.js",
        "nodes/0.CmV8fT2e.js",
        f"nodes/{node_file}",
    ]
    tags = [
        f'\t\t<link href="{prefix}_app/immutable/{link}" '
        + ('rel="stylesheet">' if link.endswith(".css") else 'rel="modulepreload">')
        for link in links
    ]
    tags[-1] += f"<!--1xg2h7r--><title>{html.escape(title, quote=False)}</title>"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "\t<head>",
            '\t\t<meta charset="utf-8" />',
            f'\t\t<link rel="icon" href="{prefix}favicon.png" />',
            '\t\t<meta name="viewport" content="width=device-width, initial-scale=1" />',
            "\t\t",
            *tags,
            "\t</head>",
            '\t<body data-sveltekit-preload-data="hover">',
        ]
    )


def _body_open(main: str) -> str:
    return (
        '\t\t<div style="display: contents"><!--[--><!--[--><!----><!--[-->'
        + main
        + "<!--]--><!----><!--]--> <!--[!--><!--]--><!--]-->"
    )


def _kit_script(base: str, prefix: str, node_ids: list[int], data: str, legacy: bool) -> str:
    """SvelteKit's hydration script: ≥ 2.11 inline `data:[…]`, or 1.x `const data = […]`."""
    imports = [
        "\t\t\t\t\tPromise.all([",
        f'\t\t\t\t\t\timport("{prefix}_app/immutable/entry/start.B7pQx2Lk.js"),',
        f'\t\t\t\t\t\timport("{prefix}_app/immutable/entry/app.D3hYk9sT.js")',
        "\t\t\t\t\t]).then(([kit, app]) => {",
    ]
    ids = ", ".join(map(str, node_ids))
    if legacy:
        lines = [
            "\t\t\t<script>",
            "\t\t\t\t{",
            f"\t\t\t\t\t{KIT_GLOBAL} = {{",
            "\t\t\t\t\t\tenv: {},",
            f'\t\t\t\t\t\tbase: new URL("{base}", location).pathname.slice(0, -1),',
            "\t\t\t\t\t\telement: document.currentScript.parentElement",
            "\t\t\t\t\t};",
            "",
            f"\t\t\t\t\tconst data = {data};",
            "",
            *imports,
            f"\t\t\t\t\t\tkit.start(app, {KIT_GLOBAL}.element, {{",
            f"\t\t\t\t\t\t\tnode_ids: [{ids}],",
            "\t\t\t\t\t\t\tdata,",
        ]
    else:
        lines = [
            "\t\t\t<script>",
            "\t\t\t\t{",
            f"\t\t\t\t\t{KIT_GLOBAL} = {{",
            f'\t\t\t\t\t\tbase: new URL("{base}", location).pathname.slice(0, -1)',
            "\t\t\t\t\t};",
            "",
            "\t\t\t\t\tconst element = document.currentScript.parentElement;",
            "",
            *imports,
            "\t\t\t\t\t\tkit.start(app, element, {",
            f"\t\t\t\t\t\t\tnode_ids: [{ids}],",
            f"\t\t\t\t\t\t\tdata: {data},",
        ]
    lines += [
        "\t\t\t\t\t\t\tform: null,",
        "\t\t\t\t\t\t\terror: null",
        "\t\t\t\t\t\t});",
        "\t\t\t\t\t});",
        "\t\t\t\t}",
        "\t\t\t</script>",
    ]
    return "\n".join(lines)


@dataclass
class _Deferred:
    """A promise in page data: SvelteKit writes `defer(id)` and streams the value later."""

    value: Any


def _serialise_nodes(nodes: list[dict[str, Any] | None], legacy: bool) -> tuple[str, list[str]]:
    """The `data:[…]` text for the page nodes, and the `<script>` chunks streamed after it."""
    chunks: list[str] = []
    next_id = 1

    def replacer(thing: Any) -> str | None:
        nonlocal next_id
        if not isinstance(thing, _Deferred):
            return None
        promise_id = next_id
        next_id += 1
        text = devalue_uneval([thing.value], replacer)
        chunks.append(f"<script>{KIT_GLOBAL}.resolve({promise_id}, () => {text})</script>\n")
        return f"{KIT_GLOBAL}.defer({promise_id})"

    parts = []
    for node in nodes:
        if node is None:
            parts.append("null")
        elif legacy:
            # SvelteKit 1.x: quoted wrapper keys, `uses` as plain JSON.
            uses = json.dumps(node["uses"], separators=(",", ":"))
            parts.append(
                f'{{"type":"data","data":{devalue_uneval(node["data"], replacer)},"uses":{uses}}}'
            )
        else:
            parts.append(devalue_uneval(node, replacer))
    return "[" + ",".join(parts) + "]", chunks


def _page(
    *,
    nodes: list[dict[str, Any] | None],
    page_form: str,
    script: str = "ok",
    **route: Any,
) -> tuple[str, list[str]]:
    """A whole SvelteKit document; script is "ok", "missing" or "malformed"."""
    legacy = page_form == "legacy"
    data, chunks = _serialise_nodes(nodes, legacy=legacy)
    if script == "malformed":
        data = data[: len(data) // 2]  # a literal cut off mid-value: unbalanced, unparsable
    document = _document(**route, data=None if script == "missing" else data, legacy=legacy)
    return document, chunks


def _document(
    *,
    prefix: str,
    base: str,
    node_file: str,
    node_ids: list[int],
    title: str,
    main: str,
    data: str | None,
    legacy: bool = False,
) -> str:
    """The document around a `data` literal (verbatim); None leaves the script out."""
    parts = [_head(prefix, node_file, title), _body_open(main), "\t\t\t"]
    if data is not None:
        parts.append(_kit_script(base, prefix, node_ids, data, legacy=legacy))
    parts += ["\t\t</div>", "\t</body>", "</html>", ""]
    return "\n".join(parts)


def render_page(data: str, main: str = "<main></main>") -> str:
    """An `/app`-shaped SvelteKit 2 document whose `kit.start` gets `data` verbatim.

    For literals the page renderers would never write (hand-made, malformed, with extra
    nodes); `main` is the server-rendered markup ahead of the bootstrap script, and may
    hold other `<script>`s. Streamed chunks go after the returned text, as served.
    """
    return _document(**_APP_ROUTE, main=main, data=data)


def _fmt_int(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and value else str(value or 0)


def _fmt_speed(value: Any, unit: str = "") -> str:
    # Drift tests serve renamed fields and numbers as text; the table shows what it can.
    return f"{value:.2f}{unit}" if isinstance(value, int | float) and value else "—"


def _stats_table_rows(rows: list[dict[str, Any]]) -> str:
    cells = []
    for row in rows:
        cells.append(
            f"<tr><td>{row['date']}</td><td>{_fmt_int(row.get('total_requests'))}</td>"
            f"<td>{_fmt_speed(row.get('average_tps'))}</td>"
            f"<td>{_fmt_speed(row.get('average_ttft'), 's')}</td></tr>"
        )
    return "".join(cells)


def render_app_page(
    envelope: dict[str, Any], page_form: str = "inline", script: str = "ok"
) -> tuple[str, list[str]]:
    """The `/app` catalogue page for a `/chutes/`-shaped envelope; (document, chunks)."""
    items = envelope["items"]
    links = "".join(
        f'<a href="/app/chute/{html.escape(c["chute_id"])}">'
        f"<h3>{html.escape(c['name'], quote=False)}</h3></a>"
        for c in items
    )
    main = f'<main class="catalogue"><!--[-->{links}<!--]--></main>'
    data: dict[str, Any] = {"chutes": envelope}
    if page_form == "hoisted":
        data["featured"] = items[:3]  # the same chute objects twice: devalue hoists them
    elif page_form == "streamed":
        data = {"chutes": _Deferred(envelope)}
    nodes = [_USER_NODE, None, {"type": "data", "data": data, "uses": {"url": 1}}]
    return _page(**_APP_ROUTE, main=main, nodes=nodes, page_form=page_form, script=script)


def render_stats_page(
    chute: dict[str, Any],
    rows: list[dict[str, Any]],
    page_form: str = "inline",
    script: str = "ok",
) -> tuple[str, list[str]]:
    """A chute's `?tab=stats` page carrying `rows` (all chutes' rows, as seen live)."""
    own = [row for row in rows if row["chute_id"] == chute["chute_id"]]
    name = html.escape(chute["name"], quote=False)
    table = (
        "<table><thead><tr><th>Date</th><th>Requests</th><th>Avg TPS</th><th>Avg TTFT</th>"
        f"</tr></thead><tbody><!--[-->{_stats_table_rows(own)}<!--]--></tbody></table>"
    )
    data: dict[str, Any] = {"chute": chute, "stats": rows, "tab": "stats"}
    if page_form == "hoisted":
        # The rows list twice (hoisted as `Array(n)`) and this chute's newest row twice
        # (hoisted as `{}` plus `b.chute_id=…` statements), as FORMATS.md describes.
        data["latest"] = own[0] if own else None
        data["chart"] = rows
    elif page_form == "streamed":
        data["stats"] = _Deferred(rows)
        table = "<p>Loading stats…</p>"  # SSR shows the pending state of the await block
    main = (
        f'<main class="chute-page"><h1>{name}</h1><nav><a href="?tab=overview">Overview</a>'
        f'<a href="?tab=stats" aria-current="page">Stats</a></nav>'
        f'<section class="stats">{table}</section></main>'
    )
    nodes = [
        _USER_NODE,
        None,
        {"type": "data", "data": data, "uses": {"params": ["chute_id"], "url": 1}},
    ]
    return _page(
        prefix="../../",
        base="../..",
        node_file="21.BxN4r6Qa.js",
        node_ids=[0, 3, 21],
        title=f"{chute['name']} | Chutes",
        main=main,
        nodes=nodes,
        page_form=page_form,
        script=script,
    )


def render_data_json(page_data: dict[str, Any], uses: dict[str, Any]) -> str:
    """A route's `__data.json` (SvelteKit's JSON form, node data in devalue `stringify`)."""
    user = (
        f'{{"type":"data","data":{devalue_stringify(_USER_NODE["data"])},'
        '"uses":{"dependencies":["app:user"]}}'
    )
    page = (
        f'{{"type":"data","data":{devalue_stringify(page_data)},'
        f'"uses":{json.dumps(uses, separators=(",", ":"))}}}'
    )
    return f'{{"type":"data","nodes":[{user},null,{page}]}}\n'


# ---------------------------------------------------------------------------------------
# Faults and the WSGI app
# ---------------------------------------------------------------------------------------

BODY_FAULTS = ("empty", "html", "truncated", "oversized", "no_script", "malformed")


@dataclass
class Fault:
    """How to misbehave on matching paths.

    status      answer with this status code (the body says so, JSON or HTML as usual);
    retry_after a `Retry-After` header value (with 429/503);
    delay       seconds to sleep before answering (timeouts);
    body        "empty" (the endpoint's natural empty answer, e.g. `[]` for stats),
                "html" (an HTML error page, status 200 unless `status`),
                "truncated" (the real body cut at `size` bytes, default half),
                "oversized" (`size` bytes generated lazily; `declare_length` sends a
                Content-Length), "no_script" (page without its data script),
                "malformed" (page whose devalue literal is cut off; JSON is truncated);
    times       apply to the first `times` matching requests only, then heal.
    """

    status: int | None = None
    retry_after: int | str | None = None
    delay: float = 0.0
    body: str | None = None
    size: int = 0
    declare_length: bool = True
    times: int | None = None

    def __post_init__(self) -> None:
        if self.body is not None and self.body not in BODY_FAULTS:
            raise ValueError(f"unknown body fault {self.body!r}; use one of {BODY_FAULTS}")


class Faults:
    """Fault rules by path pattern (fnmatch: "/app/chute/*", "*"); first live match wins."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()

    def add(self, pattern: str, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Add a rule (a Fault, or its fields as keywords); returns the Fault."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self._rules.append((pattern, fault))
        return fault

    def clear(self) -> None:
        """Remove every rule: the upstream behaves again."""
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> Fault | None:
        """The rule for this request, counting one use of it."""
        with self._lock:
            for pattern, fault in self._rules:
                if not fnmatch.fnmatchcase(path, pattern):
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None


@dataclass(frozen=True)
class RequestRecord:
    """One request as the stand-in saw it."""

    method: str
    path: str
    query: str
    user_agent: str
    at: float


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UpstreamApp:
    """The WSGI app. `dataset`, `page_form` and `faults` may be changed while it serves."""

    def __init__(self, dataset: Dataset, page_form: str = "inline") -> None:
        if page_form not in PAGE_FORMS:
            raise ValueError(f"page_form must be one of {PAGE_FORMS}")
        self.dataset = dataset
        self.page_form = page_form
        self.faults = Faults()
        self.requests: Counter[str] = Counter()  # path -> number of requests
        self.log: list[RequestRecord] = []
        # SvelteKit answers `text/html` without a charset; the page's <meta> says UTF-8.
        self.html_content_type = "text/html"
        # Live stats pages carry every chute's rows; False narrows each to its own chute,
        # which makes the scraper's batching over several runs observable.
        self.pages_carry_all_rows = True
        # `GET /chutes/utilization`: a new snapshot per request (tests.upstream_capacity).
        self.utilization = UtilizationFeed()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def reset_counts(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()
            self.log.clear()

    def handle(self, request: Request) -> Response:
        """Answer one request (also the pytest-httpserver handler)."""
        path = request.path
        with self._lock:
            self.requests[path] += 1
            self.log.append(
                RequestRecord(
                    request.method,
                    path,
                    request.query_string.decode("latin-1"),
                    request.headers.get("User-Agent", ""),
                    time.monotonic(),
                )
            )
        fault = self.faults.take(path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        route = self._route(request)
        if route is None:
            return self._error(404, path, json_expected=not path.startswith("/app"))
        kind, render = route
        response = self._respond(kind, render, fault, path)
        if fault is not None and fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    # -- routing ---------------------------------------------------------------------------

    def _route(self, request: Request) -> tuple[str, Callable[[str], Any]] | None:
        """(kind, render) where kind is "json" or "html" and render(mode) gives the answer.

        mode is "ok", "empty", "missing" (no data script) or "malformed".
        """
        path = request.path
        args = request.args
        if request.method not in ("GET", "HEAD"):
            return None
        if path == "/v1/models":
            return "json", lambda mode: self._models(mode == "empty")
        if path == "/invocations/stats/llm":
            return "json", lambda mode: self._stats(args, mode == "empty")
        if path == "/chutes/utilization":
            return "json", lambda mode: (
                200,
                "[]" if mode == "empty" else _dumps(self.utilization.answer(self.dataset.models)),
            )
        if path in ("/chutes", "/chutes/"):
            return "json", lambda mode: self._chutes_list(args, mode == "empty")
        if path == "/app":
            return "html", lambda mode: self._app_page(mode)
        if path == "/app/__data.json":
            return "json", lambda mode: (
                200,
                render_data_json({"chutes": self._envelope(mode == "empty")}, {"url": 1}),
            )
        match = re.fullmatch(r"/app/chute/([^/]+)(/__data\.json)?", path)
        if match:
            chute = self.dataset.chute(match.group(1))
            if chute is None:
                return None
            if match.group(2):
                return "json", lambda mode: (200, self._chute_data_json(chute, mode == "empty"))
            return "html", lambda mode: self._stats_page(chute, mode)
        return None

    def _envelope(self, empty: bool) -> dict[str, Any]:
        envelope = self.dataset.chutes_envelope()
        if empty:
            envelope = {**envelope, "total": 0, "items": []}
        return envelope

    def _models(self, empty: bool) -> tuple[int, str]:
        data = [] if empty else self.dataset.models
        return 200, _dumps({"object": "list", "data": data})

    def _stats(self, args: Any, empty: bool) -> tuple[int, str]:
        bounds: dict[str, date | None] = {}
        for name in ("start_date", "end_date"):
            raw = args.get(name)
            bounds[name] = None
            if raw is None:
                continue
            try:
                if not _DATE.fullmatch(raw):
                    raise ValueError("input is too short" if len(raw) < 10 else "invalid date")
                bounds[name] = date.fromisoformat(raw)
            except ValueError as exc:
                # FastAPI's validation error, as the real API answers a malformed date.
                detail = [
                    {
                        "type": "date_from_datetime_parsing",
                        "loc": ["query", name],
                        "msg": f"Input should be a valid date or datetime, {exc}",
                        "input": raw,
                        "ctx": {"error": str(exc)},
                    }
                ]
                return 422, _dumps({"detail": detail})
        if empty:
            return 200, "[]"  # the upstream's cold cache: 200 with nothing
        rows = self.dataset.stats(bounds["start_date"], bounds["end_date"], args.get("chute_id"))
        return 200, _dumps(rows)

    def _chutes_list(self, args: Any, empty: bool) -> tuple[int, str]:
        try:
            limit = int(args.get("limit", 25))
            page = int(args.get("page", 0))
        except ValueError:
            return 422, _dumps({"detail": "limit and page must be integers"})
        if not (1 <= limit <= 5000 and 0 <= page <= 100):
            return 422, _dumps({"detail": "limit must be 1-5000 and page 0-100"})
        items = [] if empty else self.dataset.chutes
        body = {
            "total": len(items),
            "page": page,
            "limit": limit,
            "items": items[page * limit : (page + 1) * limit],
            "cord_refs": self.dataset.cord_refs,
        }
        return 200, _dumps(body)

    def _app_page(self, mode: str) -> tuple[int, str, list[str]]:
        script = {"missing": "missing", "malformed": "malformed"}.get(mode, "ok")
        document, chunks = render_app_page(self._envelope(mode == "empty"), self.page_form, script)
        return 200, document, chunks

    def _stats_page(self, chute: dict[str, Any], mode: str) -> tuple[int, str, list[str]]:
        script = {"missing": "missing", "malformed": "malformed"}.get(mode, "ok")
        rows = [] if mode == "empty" else self._page_rows(chute)
        document, chunks = render_stats_page(chute, rows, self.page_form, script)
        return 200, document, chunks

    def _page_rows(self, chute: dict[str, Any]) -> list[dict[str, Any]]:
        if self.pages_carry_all_rows:
            return self.dataset.stats()
        return self.dataset.stats(chute_id=chute["chute_id"])

    def _chute_data_json(self, chute: dict[str, Any], empty: bool) -> str:
        rows = [] if empty else self._page_rows(chute)
        return render_data_json(
            {"chute": chute, "stats": rows, "tab": "stats"}, {"params": ["chute_id"], "url": 1}
        )

    # -- answering -----------------------------------------------------------------------

    def _respond(
        self, kind: str, render: Callable[[str], Any], fault: Fault | None, path: str
    ) -> Response:
        mimetype = "application/json" if kind == "json" else self.html_content_type
        body_fault = fault.body if fault else None
        if fault is not None and fault.status is not None and body_fault is None:
            return self._error(fault.status, path, json_expected=kind == "json")
        if body_fault == "html" or (body_fault == "no_script" and kind == "json"):
            status = fault.status if fault and fault.status else 200
            return Response(_html_error_page(status), status, content_type="text/html")
        if body_fault == "oversized":
            assert fault is not None
            response = Response(
                _filler(fault.size, kind),
                fault.status or 200,
                content_type=mimetype,
                direct_passthrough=True,
            )
            if fault.declare_length:
                response.headers["Content-Length"] = str(fault.size)
            return response

        mode = {"empty": "empty", "no_script": "missing", "malformed": "malformed"}.get(
            body_fault or "", "ok"
        )
        if kind == "json" and mode in ("missing", "malformed"):
            body_fault, mode = "truncated", "ok"
        result = render(mode)
        status, text = result[0], result[1]
        chunks: list[str] = result[2] if len(result) > 2 else []
        if fault is not None and fault.status is not None:
            status = fault.status
        if body_fault == "truncated":
            assert fault is not None
            data = (text + "".join(chunks)).encode()
            return Response(data[: fault.size or len(data) // 2], status, content_type=mimetype)
        if chunks:
            # Streamed: the whole document first, each resolved promise after </html>.
            return Response(_encode_all([text, *chunks]), status, content_type=mimetype)
        return Response(text, status, content_type=mimetype)

    def _error(self, status: int, path: str, *, json_expected: bool) -> Response:
        phrase = _phrase(status)
        if json_expected:
            return Response(_dumps({"detail": phrase}), status, content_type="application/json")
        return Response(_html_error_page(status), status, content_type=self.html_content_type)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _html_error_page(status: int) -> str:
    title = f"{status} {_phrase(status)}" if status != 200 else "Maintenance"
    return (
        "<!DOCTYPE html>\n<html><head><title>"
        f"{title}</title></head><body><center><h1>{title}</h1></center><hr>"
        "<center>cloudflare</center></body></html>\n"
    )


def _encode_all(parts: list[str]) -> Iterator[bytes]:
    for part in parts:
        yield part.encode()


def _filler(size: int, kind: str) -> Iterator[bytes]:
    """`size` bytes that look like the start of a huge answer, made as they are sent."""
    if kind == "json":
        head = b"["
        unit = (
            _dumps(make_row(_uid("x"), "x/Filler-TEE", "2026-10-01", 1, 1, 1, 1.5, 0.5)) + ","
        ).encode()
    else:
        head = b"<!doctype html><html><body>"
        unit = b"<p>" + b"x" * 120 + b"</p>\n"
    block = unit * max(1, 65536 // len(unit))
    sent = 0
    for piece in (head, *(block for _ in range(size // len(block) + 1))):
        if sent >= size:
            return
        piece = piece[: size - sent]
        sent += len(piece)
        yield piece


def _dumps(value: Any) -> str:
    # FastAPI's JSONResponse: compact separators, raw UTF-8.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------
# Serving helpers and CLI
# ---------------------------------------------------------------------------------------


def make_upstream_app(dataset: Dataset, page_form: str = "inline") -> UpstreamApp:
    """The stand-in WSGI app serving `dataset`."""
    return UpstreamApp(dataset, page_form)


def install(httpserver: Any, upstream_app: UpstreamApp) -> str:
    """Route every request of a pytest-httpserver to `upstream_app`; returns the base URL."""
    httpserver.expect_request(re.compile(".*")).respond_with_handler(upstream_app.handle)
    return httpserver.url_for("/").rstrip("/")


def config_for(base_url: str) -> dict[str, str]:
    """Flask config pointing all three chutes.ai URLs at the stand-in."""
    return {"API_URL": base_url, "LLM_URL": base_url, "WEB_URL": base_url}


@contextlib.contextmanager
def serve(upstream_app: UpstreamApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the app with werkzeug's threaded server in a thread; yields the base URL."""
    server = make_server(host, port, upstream_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="upstream", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """CLI: serve the stand-in until interrupted; prints the base URL as its first line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.upstream", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--synthetic", type=int, default=0, metavar="N", help="add N synthetic models"
    )
    parser.add_argument("--no-fixtures", action="store_true", help="serve only synthetic models")
    parser.add_argument("--page-form", choices=PAGE_FORMS, default="inline")
    parser.add_argument(
        "--shift-to-today",
        action="store_true",
        help="move the data so its newest day is today (UTC)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--faster-last-week",
        type=int,
        default=0,
        metavar="N",
        help="make N models 40%% faster over the last 7 complete days (a speed change)",
    )
    parser.add_argument(
        "--snapshots-from",
        metavar="ISO",
        help="first /chutes/utilization timestamp (UTC); default: the clock at each request",
    )
    parser.add_argument(
        "--snapshot-step", type=float, default=0, metavar="S", help="seconds between answers"
    )
    parser.add_argument(
        "--vary-capacity", action="store_true", help="move the counts from answer to answer"
    )
    args = parser.parse_args(argv)

    today = datetime.now(UTC).date() if args.shift_to_today else FIXTURE_NEWEST_DAY
    parts: list[Dataset] = []
    if not args.no_fixtures:
        parts.append(Dataset.from_fixtures(shift_to=today if args.shift_to_today else None))
    if args.synthetic:
        parts.append(Dataset.synthetic(args.synthetic, today=today, seed=args.seed))
    if not parts:
        parser.error("--no-fixtures needs --synthetic N")
    dataset = parts[0] if len(parts) == 1 else parts[0].extend(parts[1])
    if args.faster_last_week:
        dataset, _ = with_faster_week(dataset, args.faster_last_week, today)

    app = make_upstream_app(dataset, args.page_form)
    app.utilization = UtilizationFeed(
        datetime.fromisoformat(args.snapshots_from) if args.snapshots_from else None,
        timedelta(seconds=args.snapshot_step) if args.snapshot_step else None,
        vary=args.vary_capacity,
    )
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"http://{args.host}:{server.server_port}", flush=True)
    print(
        f"chutes.ai stand-in: {len(dataset.models)} models, {len(dataset.rows)} rows, "
        f"page form {args.page_form}; Ctrl-C stops it",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
