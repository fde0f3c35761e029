"""Bad requests: every path and parameter, fuzzed, is never a 500; doubled slashes are
not redirected; schemathesis finds nothing against the OpenAPI contract.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import connection
from tests.conftest import new_app
from tests.seed import seed, simple_model

# --- bad requests: every path and parameter, fuzzed ---------------------------------------

FUZZ_IDS = ["fast", "slow", "nodata"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fuzz") / "leaderboard.sqlite3")
    connection.init_db(path)
    models = [
        simple_model("fast", "Fast Model", {1: (120.0, 5000), 2: (100.0, 5000)}),
        simple_model("slow", "Slow <b>Model</b>", {0: (20.0, 50)}),
        simple_model("nodata", "No Data", {}),
    ]
    seed(path, [m for m, _ in models], [r for _, rows in models for r in rows])
    return new_app({"DATABASE": path})


JUNK = ["%", "%%", "%zz", "%00", "%ff%fe", "%E2%80", "..", "%2e%2e", "\x00", "é", "💥", "a" * 5000]
SEGMENT = st.one_of(
    st.sampled_from([*FUZZ_IDS, *JUNK, "", "models", "api", "static", "x.csv"]),
    st.text(max_size=40).map(lambda s: urllib.parse.quote(s, safe="")),
)
KNOWN_PATH = st.sampled_from(
    [
        "/",
        "/methodology",
        "/api/models",
        "/api/models.csv",
        "/api/health",
        "/api/openapi.json",
        "/api",
        "/api/",
        *[f"/models/{i}" for i in FUZZ_IDS],
        *[f"/api/models/{i}" for i in FUZZ_IDS],
    ]
)
# The real routes (weighted up, so the query fuzzing reaches the validators), ids that
# may or may not exist, and paths that are anything at all.
PATH = st.one_of(
    KNOWN_PATH,
    KNOWN_PATH,
    KNOWN_PATH,
    SEGMENT.map(lambda s: f"/models/{s}"),
    SEGMENT.map(lambda s: f"/api/models/{s}"),
    st.lists(SEGMENT, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts)),
    st.lists(SEGMENT, min_size=1, max_size=3).map(lambda parts: "/api/" + "/".join(parts)),
)
NAME = st.one_of(
    st.sampled_from(["sort", "order", "q", "limit", "SORT", "q[]", "", "utm_source"]),
    st.text(max_size=10),
)
VALUE = st.one_of(
    st.sampled_from(
        ["tps", "name", "peak", "asc", "desc", "1", "0", "1000", "1001", "-1", "1e3", "٣"]
    ),
    st.sampled_from(JUNK),
    st.text(max_size=300),
    st.integers(min_value=0, max_value=200_000).map(lambda n: "x" * n),  # huge
)


def encode_pair(name: str, value: str, raw: bool) -> str:
    if raw:  # sent as-is: stray %, NULs, raw unicode
        return f"{name}={value}"
    return urllib.parse.urlencode({name: value})


QUERY = st.lists(st.tuples(NAME, VALUE, st.booleans()), max_size=6).map(
    lambda pairs: "&".join(encode_pair(*p) for p in pairs)
)


def raw_get(app, path: str, query: str):
    """GET as gunicorn would pass it on: PATH_INFO percent-decoded, QUERY_STRING raw,
    both as WSGI latin-1 strings (the test client's URL parsing would reject e.g. "//x")."""
    environ = {
        "PATH_INFO": urllib.parse.unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query.encode("utf-8", "surrogatepass").decode("latin-1"),
        "REQUEST_URI": f"{path}?{query}",
    }
    return app.test_client().get("/", environ_overrides=environ)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(path=PATH, query=QUERY, repeat=st.booleans())
def test_fuzzed_paths_and_queries_never_500(fuzz_app, path, query, repeat):
    """Any path, any query string: never a 500; /api errors are JSON 4xx."""
    if repeat and query:
        query = f"{query}&{query}"  # every parameter repeated
    response = raw_get(fuzz_app, path, query)

    assert response.status_code < 500, (path, query[:200], response.data[:300])
    # Werkzeug routes on the percent-decoded path with leading slashes folded into one:
    # "/%61pi/x" and "//api/x" are API paths too.
    routed = "/" + urllib.parse.unquote_to_bytes(path).decode("latin-1").lstrip("/")
    if routed == "/api" or routed.startswith("/api/"):
        if response.status_code >= 400:
            assert response.mimetype == "application/json", (path, response.data[:200])
            body = response.get_json()
            assert body["status"] == response.status_code and body["error"]
        elif routed == "/api":  # the API's documentation for people (SPEC §6): HTML
            assert response.mimetype == "text/html"
        elif not path.endswith(".csv"):
            json.loads(response.data)
    elif response.status_code >= 400:
        assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/api//models", "/api//models%0Ax", "/models//x%0D%0Ay"])
def test_doubled_slashes_are_not_redirected(fuzz_app, path):
    """Found by the fuzz: werkzeug's slash-merging redirect echoed a newline into
    Location (a 500) and answered /api paths with HTML. Now such paths are plain 404s."""
    response = raw_get(fuzz_app, path, "")
    assert response.status_code == 404
    assert "Location" not in response.headers
    expected = "application/json" if path.startswith("/api/") else "text/html"
    assert response.mimetype == expected


def test_schemathesis_finds_nothing_in_the_openapi_contract(fuzz_app):
    """Schemathesis (if installed) drives every documented operation from
    /api/openapi.json, with valid and invalid inputs, and checks each answer against it."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/models", "/api/models/{chute_id}"}
    checked = 0
    for operation in operations:
        for mode in GenerationMode:

            @settings(
                max_examples=60,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                # Schemathesis' WSGI transport asks for gzip but, unlike an HTTP client,
                # does not decode it; the app's gzip variants are tests/plumbing/test_hotpath.py's.
                case.call_and_validate(headers={"Accept-Encoding": "identity"})

            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters): only positive cases exist.
                assert mode is GenerationMode.NEGATIVE
                assert not operation.query and not operation.path_parameters
            checked += 1
    assert checked == 2 * len(operations)
