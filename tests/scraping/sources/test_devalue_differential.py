"""The devalue decoder against the real serializer: differential, seeded, many cases.

tests/js/devalue_cases.mjs builds random values in Node (cycles, shared references,
holes, sparse arrays, boxed primitives, Map/Set/Date/BigInt, odd strings) and prints
what the pinned `devalue` package makes of each with `uneval` and `stringify`, plus the
value in a neutral form. Both outputs must decode here to that same form, for each
pinned major (tests/js/package.json: `devalue5` is devalue 5.9.4, `devalue6` 6.0.3, whose
`uneval` hoists repeated values as `(function(){let a=…;…;return …}())` instead of
`(function(a){…}({}))`): chutes.ai's pages may carry either. `make test`
installs the package (`npm ci` in tests/js); without Node the test skips locally and
fails under CI=true (the `node` marker, tests/skip_policy.py), so CI can never lose it.
"""

import json
import math
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.scraping.sources.devalue import parse_stringified, parse_uneval
from tests.standin import js_number

JS_DIR = Path(__file__).parents[2] / "js"
CASES = 1500
SEEDS = (8, 2026)
PACKAGES = ("devalue5", "devalue6")  # npm aliases, pinned in tests/js/package-lock.json
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


pytestmark = pytest.mark.node  # tests/skip_policy.py: a skip here fails CI


def _node_or_skip(package: str) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (JS_DIR / "node_modules" / package / "package.json").is_file():
        pytest.skip(
            f"the {package} npm package is not installed: make test runs npm ci in tests/js"
        )
    return node


@pytest.fixture(
    scope="module",
    params=[(package, seed) for package in PACKAGES for seed in SEEDS],
    ids=lambda param: f"{param[0]}-seed{param[1]}",
)
def cases(request) -> list[dict[str, Any]]:
    package, seed = request.param
    node = _node_or_skip(package)
    result = subprocess.run(
        [node, "devalue_cases.mjs", str(CASES), str(seed), package],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # "\n" only: the cases hold raw U+0085 and U+2028, which splitlines() splits on.
    return [json.loads(line) for line in result.stdout.split("\n") if line]


def canon(value: Any, ids: dict[int, int] | None = None) -> Any:
    """The decoded value in devalue_cases.mjs's neutral form (see canon() there)."""
    ids = {} if ids is None else ids
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return ["n", str(value)]
    if isinstance(value, float):
        return ["n", "-0" if value == 0 and math.copysign(1, value) < 0 else js_number(value)]
    if isinstance(value, datetime):
        return ["date", (value - _EPOCH) // (_EPOCH.resolution * 1000)]
    if id(value) in ids:
        return ["ref", ids[id(value)]]
    ident = ids[id(value)] = len(ids)
    if isinstance(value, list):
        return ["list", ident, [canon(item, ids) for item in value]]
    if isinstance(value, dict):
        return ["dict", ident, [[canon(k, ids), canon(v, ids)] for k, v in value.items()]]
    raise AssertionError(f"the decoder made a {type(value).__name__}: {value!r}")


def test_uneval_output_decodes_to_the_value_node_serialised(cases):
    failures = []
    for case in cases:
        try:
            got = canon(parse_uneval(case["uneval"]))
        except Exception as exc:  # collected so one run reports every mismatch
            got = f"{type(exc).__name__}: {exc}"
        if got != case["canon"]:
            failures.append(f"{case['case']}: {case['uneval'][:300]!r} -> {str(got)[:300]}")
    assert not failures, f"{len(failures)} of {len(cases)} differ:\n" + "\n".join(failures[:10])


def test_stringify_output_decodes_to_the_value_node_serialised(cases):
    failures = []
    for case in cases:
        try:
            got = canon(parse_stringified(case["stringify"]))
        except Exception as exc:
            got = f"{type(exc).__name__}: {exc}"
        if got != case["canon"]:
            failures.append(f"{case['case']}: {case['stringify'][:300]!r} -> {str(got)[:300]}")
    assert not failures, f"{len(failures)} of {len(cases)} differ:\n" + "\n".join(failures[:10])


def test_the_cases_cover_what_they_claim(cases):
    """Guards the generator: a change that stopped producing these forms would leave
    the comparison above passing on easy inputs only."""
    uneval = "\n".join(case["uneval"] for case in cases)
    stringified = "\n".join(case["stringify"] for case in cases)
    for form in ("Object(", "new Map", "new Set", "new Date(", "(function(", "a.length=", "n,"):
        assert form in uneval, form
    # Each major's way of hoisting repeated values (and 5's of hoisting over 65,534).
    hoisting = ["(function(){let a="] if "(function(){let " in uneval else ["var[", "=arguments[0]"]
    for form in hoisting:
        assert form in uneval, form
    for form in ('["Object",', "[-7,", '["BigInt",', '["null"', "-2"):
        assert form in stringified, form
    assert any("\u0085" in case["stringify"] for case in cases)
    assert len(cases) == CASES + 1
