"""Issue 12, found by an attack run: cache keys, a corrupt or missing database, the
response cache's size, security headers, the CSV guard and what /api/health publishes.
(nginx, systemd and install.sh: tests/test_deploy_hardening.py.)"""

import csv
import io
import logging
import os
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import create_app
from app.api.params import ListParams
from app.api.serialise import csv_cell
from app.db import flaskdb
from app.plumbing.cache import cache, versioned_key
from app.plumbing.cache_backend import BoundedSimpleCache
from app.plumbing.security import resource_policy
from app.scraping.run import run_scrape
from tests.seed import seed, simple_model

# --- 3. cache keys ------------------------------------------------------------------------

# Biased towards the characters that delimit a query string.
TEXT = st.text(
    st.one_of(st.sampled_from("&=%+ ;?#a"), st.characters(blacklist_categories=("Cs",))),
    max_size=12,
)
PAIRS = st.lists(st.tuples(TEXT.filter(bool), TEXT), max_size=4)


def page_key(app, query_string: str) -> str:
    with app.test_request_context("/", query_string=query_string):
        return versioned_key("page")


def test_escaped_ampersand_is_not_a_second_parameter(app) -> None:
    assert page_key(app, "q=mistral%26sort%3Dname") != page_key(app, "q=mistral&sort=name")
    # Same parameters in another order: the same page, the same entry.
    assert page_key(app, "sort=name&q=mistral") == page_key(app, "q=mistral&sort=name")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=PAIRS, b=PAIRS)
@example(a=[("q", "mistral&sort=name")], b=[("q", "mistral"), ("sort", "name")])
def test_different_query_strings_never_share_a_key(app, a, b) -> None:
    same_args = sorted(a) == sorted(b)
    assert (page_key(app, urlencode(a)) == page_key(app, urlencode(b))) == same_args


@settings(max_examples=300, deadline=None)
@given(
    a=st.tuples(st.sampled_from(["tps", "name"]), TEXT, st.sampled_from([None, 1, 10])),
    b=st.tuples(st.sampled_from(["tps", "name"]), TEXT, st.sampled_from([None, 1, 10])),
)
def test_api_parameters_never_share_a_key(a, b) -> None:
    first = ListParams(sort=a[0], q=a[1], limit=a[2])
    second = ListParams(sort=b[0], q=b[1], limit=b[2])
    assert (first.cache_key == second.cache_key) == (first == second)


def test_crafted_query_does_not_poison_the_clean_url(client, db_path) -> None:
    seed_board(db_path)
    crafted = client.get("/?q=model%26sort%3Dname")
    assert crafted.status_code == 200
    clean = client.get("/?q=model&sort=name")
    assert b'<option value="name" selected>' in clean.data
    assert clean.data != crafted.data


# --- 4. a corrupt or missing database -------------------------------------------------

ROUTES = ["/", "/models/chute-0", "/api/models", "/api/models.csv", "/api/models/chute-0"]


@pytest.fixture
def scraped(db_path: str, httpserver) -> str:
    """A database written by a real scrape (the JSON API samples), WAL checkpointed into
    the main file so damage to that file is what the site reads."""
    base = httpserver.url_for("").rstrip("/")
    for path, name in [
        ("/v1/models", "v1_models.json"),
        ("/invocations/stats/llm", "stats_llm.json"),
    ]:
        text = (Path(__file__).parent / "fixtures/chutes" / name).read_text()
        httpserver.expect_request(path).respond_with_data(text, content_type="application/json")
    config = create_app(
        {
            "DATABASE": db_path,
            "API_URL": base,
            "LLM_URL": base,
            "WEB_URL": base,
            "REQUEST_DELAY": 0,
            "HTTP_RETRIES": 0,
            "HTTP_BACKOFF": 0,
        }
    ).config
    assert run_scrape(config, source="api").status in {"ok", "partial"}
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path


def _page_size(path: str) -> int:
    with open(path, "rb") as handle:
        header = handle.read(100)
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def _root_page(path: str, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)
        ).fetchone()[0]


def corrupt(path: str, kind: str) -> None:
    size = _page_size(path)
    if kind == "garbage-header":
        with open(path, "r+b") as handle:
            handle.write(b"this is not an SQLite file at all!" * 3)
    elif kind == "truncated":
        os.truncate(path, size * 2 + 100)
    elif kind == "zeroed-pages":
        with open(path, "r+b") as handle:
            handle.seek(size)
            handle.write(b"\0" * (os.path.getsize(path) - size))
    elif kind in {"models-page", "daily-stats-page"}:
        # One table's root page overwritten: other tables still read fine.
        table = "models" if kind == "models-page" else "daily_stats"
        page = _root_page(path, table)
        with open(path, "r+b") as handle:
            handle.seek((page - 1) * size)
            handle.write(b"\xa5" * size)
    else:
        raise AssertionError(kind)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


CORRUPTIONS = ["garbage-header", "truncated", "zeroed-pages", "models-page", "daily-stats-page"]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corrupt_database_is_a_503_and_health_says_so(scraped, kind, caplog) -> None:
    before = create_app({"TESTING": True, "DATABASE": scraped}).test_client()
    assert before.get("/api/health").status_code in {200, 503}
    corrupt(scraped, kind)
    client = create_app({"TESTING": True, "DATABASE": scraped}).test_client()
    caplog.set_level(logging.ERROR)
    statuses = {path: client.get(path).status_code for path in ROUTES}
    # A damaged table some routes never read may leave them working; none may be a 500.
    assert 500 not in statuses.values(), statuses
    assert statuses["/"] == 503, statuses
    health = client.get("/api/health")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "the database cannot be read"
    assert "malformed" not in health.get_data(as_text=True)
    assert scraped in caplog.text and "integrity_check" in caplog.text


def test_missing_database_is_a_503_and_no_file_is_created(tmp_path, caplog) -> None:
    path = tmp_path / "state" / "leaderboard.sqlite3"
    path.parent.mkdir()
    client = create_app({"TESTING": True, "DATABASE": str(path)}).test_client()
    for route in [*ROUTES, "/api/health"]:
        assert client.get(route).status_code == 503, route
    assert list(path.parent.iterdir()) == []
    assert str(path) in caplog.text


def test_the_site_cannot_write_the_database(app, db_path) -> None:
    with app.app_context():
        conn = flaskdb.get_db()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("PRAGMA query_only = OFF")
            conn.execute("CREATE TABLE intruder (x)")


# --- 5. the response cache is bounded in bytes ------------------------------------------


def stored_bytes(app) -> int:
    """What the cache holds, pickled values included (SimpleCache's layout)."""
    backend = app.extensions["cache"][cache]
    return sum(len(key) + len(value) for key, (_, value) in backend._cache.items())


def test_bounded_cache_evicts_oldest_by_bytes() -> None:
    store = BoundedSimpleCache(max_bytes=100_000, threshold=1000)
    for i in range(50):
        assert store.set(f"k{i}", b"x" * 10_000)
    assert store.total_bytes <= 100_000
    assert store.get("k49") is not None and store.get("k0") is None
    held = [k for k in (f"k{i}" for i in range(50)) if store.has(k)]
    assert held == [f"k{i}" for i in range(50 - len(held), 50)]  # the newest, contiguous
    # Replacing an entry does not count it twice; deleting gives its bytes back.
    total = store.total_bytes
    store.set("k49", b"x" * 10_000)
    assert store.total_bytes == total
    store.delete("k49")
    assert store.total_bytes < total
    # A value bigger than the whole budget is not kept (it would evict everything).
    assert store.set("huge", b"x" * 200_000) is False and store.get("huge") is None
    store.clear()
    assert store.total_bytes == 0 and store.get("k48") is None


def test_a_flood_of_distinct_searches_stays_within_the_byte_budget(db_path) -> None:
    seed_board(db_path, models=60)
    budget = 400_000
    app = create_app({"TESTING": True, "DATABASE": db_path, "CACHE_MAX_BYTES": budget})
    client = app.test_client()
    page = len(client.get("/").data)
    assert page * 10 > budget  # the flood below would hold ~100 pages unbounded
    for i in range(100):
        assert client.get(f"/?q=flood{i}").status_code == 200
        assert client.get(f"/api/models?q=flood{i}").status_code == 200
    assert stored_bytes(app) <= budget
    # Still a cache: a repeated request is a hit.
    assert client.get("/?q=flood99").data == client.get("/?q=flood99").data


def test_default_cache_is_bounded(app) -> None:
    backend = app.extensions["cache"][cache]
    assert isinstance(backend, BoundedSimpleCache)
    assert backend.max_bytes == app.config["CACHE_MAX_BYTES"] <= 32 * 1024 * 1024


# --- 7. security headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/", "same-origin"),
        ("/methodology", "same-origin"),
        ("/models/nope", "same-origin"),
        ("/api/models", "cross-origin"),
        ("/api/health", "cross-origin"),
        ("/api/nope", "cross-origin"),
        ("/badge/abc.svg", "cross-origin"),
        ("/feed.atom", "cross-origin"),
    ],
)
def test_headers_deny_unused_features_and_isolate_the_site(client, path, policy) -> None:
    response = client.get(path)
    assert response.headers["Cross-Origin-Resource-Policy"] == policy == resource_policy(path)
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    assert "interest-cohort" not in permissions
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


# --- 8. the CSV guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [" =HYPERLINK(1)", "  +SUM(A1)", "\u00a0-2+3", "\t@cmd", "\u200b=1+1", "\n=1", " \t =x"],
)
def test_csv_guard_sees_through_leading_blanks(name) -> None:
    assert csv_cell(name) == "'" + name


@pytest.mark.parametrize("name", ["Qwen/Qwen3-32B", "deepseek-ai/DeepSeek-V3", "a = b", "x-1"])
def test_csv_guard_leaves_names_alone(name) -> None:
    assert csv_cell(name) == name


def test_csv_export_guards_blank_prefixed_formulas(client, db_path) -> None:
    entry, rows = simple_model("sneaky", " =HYPERLINK(1)", {1: (50.0, 500)})
    seed(db_path, [entry], rows)
    text = client.get("/api/models.csv").get_data(as_text=True)
    assert next(csv.DictReader(io.StringIO(text)))["name"] == "' =HYPERLINK(1)"


# --- 9. /api/health publishes a reason, not exception text ---------------------------------


def test_crashed_run_is_published_without_its_exception_text(scraped, monkeypatch, caplog):
    def crash(*args, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed at page 7 of /secret")

    monkeypatch.setattr("app.scraping.run._locked_run", crash)
    app = create_app({"TESTING": True, "DATABASE": scraped})
    outcome = run_scrape(app.config, source="api")
    assert outcome.status == "failed"
    health = app.test_client().get("/api/health").get_json()
    message = health["last_run"]["message"]
    assert "DatabaseError" in message and "log" in message
    assert "malformed" not in message and "/secret" not in message
    assert "malformed at page 7 of /secret" in caplog.text


# --- helpers -------------------------------------------------------------------------------


def seed_board(db_path: str, models: int = 5) -> None:
    pairs = [
        simple_model(f"chute-{i}", f"org/model-{i}", {1: (150.0 - i, 5000), 2: (140.0 - i, 4000)})
        for i in range(models)
    ]
    seed(db_path, [e for e, _ in pairs], [r for _, rs in pairs for r in rs])
