"""The /api endpoints through Flask's test client, over a seeded temporary database."""

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import TemplateNotFound

import app.db.flaskdb
import app.plumbing.errors
from app.api.openapi import document
from app.api.serialise import HISTORY_FIELDS, MODEL_FIELDS
from app.db import files as db_files
from app.plumbing.bodies import DATA_CACHE_CONTROL
from app.probe_figures import PROBE_FIELDS
from app.ranking import SORTS
from tests.conftest import new_app
from tests.seed import days_ago, seed, simple_model

XSS_NAME = "<img src=x onerror=alert(1)>"
FORMULA_NAMES = ["=HYPERLINK(1)", "+SUM(A1)", "-2+3", "@cmd"]


def leaderboard() -> list:
    """(entry, rows) pairs: distinct figures so every sort gives its own order."""
    return [
        simple_model("fast", "Fast Model", {1: (120.0, 5000), 2: (100.0, 5000)}),
        simple_model("mid", "Mid Model", {1: (80.0, 20000), 3: (150.0, 200)}),
        simple_model("slow", "Slow Model", {0: (20.0, 50), 5: (30.0, 300)}),
        simple_model("xss", XSS_NAME, {1: (60.0, 1000)}),
        simple_model("nodata", "No Data Yet", {}),
        *[
            simple_model(f"f{i}", name, {1: (10.0 - i, 400)})
            for i, name in enumerate(FORMULA_NAMES)
        ],
    ]


def seed_models(db_path: str, models: list | None = None) -> int:
    models = leaderboard() if models is None else models
    return seed(db_path, [entry for entry, _ in models], [r for _, rows in models for r in rows])


@pytest.fixture
def seeded(db_path: str) -> str:
    seed_models(db_path)
    return db_path


def get_json(client, url: str, status: int = 200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_param_error(response, parameter: str) -> None:
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["parameter"] == parameter
    assert body["status"] == 400
    assert parameter in body["error"]


# --- /api/models ---------------------------------------------------------------------


def test_models_empty_before_first_scrape(client):
    assert get_json(client, "/api/models") == []
    csv_response = client.get("/api/models.csv")
    assert csv_response.status_code == 200
    assert csv_response.data.decode().splitlines() == [",".join(MODEL_FIELDS)]


def test_models_sorted_by_latest_tps_with_no_data_last(client, seeded):
    models = get_json(client, "/api/models")
    assert [m["chute_id"] for m in models[:4]] == ["fast", "mid", "xss", "slow"]
    assert models[-1]["chute_id"] == "nodata"
    assert models[-1]["latest_tps"] is None and models[-1]["rank"] is None
    assert [m["rank"] for m in models[:-1]] == list(range(1, len(models)))


def test_model_object_fields(client, seeded):
    models = {m["chute_id"]: m for m in get_json(client, "/api/models")}
    fast, slow = models["fast"], models["slow"]
    assert list(fast) == list(MODEL_FIELDS)
    assert fast["latest_tps"] == 120.0 and fast["latest_requests"] == 5000
    assert fast["avg_7d"] == pytest.approx(110.0)
    assert fast["price_input"] == 0.1 and fast["context_length"] == 32768
    assert fast["engine"] == "vllm" and fast["active"] is True
    assert fast["low_sample"] is False and fast["partial_day"] is False
    # slow's latest day is today with 50 requests: partial and low sample.
    assert slow["partial_day"] is True and slow["low_sample"] is True
    assert models["nodata"]["low_sample"] is False


def _expected_order(models: list[dict], field: str, descending: bool) -> list[str]:
    with_value = [m for m in models if m.get(field) is not None]
    key = (lambda m: m[field].casefold()) if field == "name" else (lambda m: m[field])
    with_value.sort(key=key, reverse=descending)
    return [m["chute_id"] for m in with_value]


@pytest.mark.parametrize("order", [None, "asc", "desc"])
@pytest.mark.parametrize("sort", list(SORTS))
def test_each_sort_and_order(client, seeded, sort, order):
    field, natural_desc = SORTS[sort]
    query = {"sort": sort} | ({"order": order} if order else {})
    models = get_json(client, "/api/models", query_string=query)
    descending = natural_desc if order is None else order == "desc"
    expected = _expected_order(models, field, descending)
    assert [m["chute_id"] for m in models[: len(expected)]] == expected
    # Models without the figure come last, whatever the order.
    assert all(m.get(field) is None for m in models[len(expected) :])
    # `rank` is the speed rank: sorting reorders, it never renumbers.
    speed_ranks = {m["chute_id"]: m["rank"] for m in get_json(client, "/api/models")}
    assert {m["chute_id"]: m["rank"] for m in models} == speed_ranks


def test_rank_is_the_ranked_day_speed_rank_with_unranked_last(client, db_path):
    seed_models(
        db_path,
        [
            # Today's 30 requests at 500 tok/s don't rank it: yesterday's full day does.
            simple_model("early", "Early Today", {0: (500.0, 30), 1: (90.0, 4000)}),
            simple_model("steady", "Steady", {1: (100.0, 4000)}),
            # Only tiny days: unranked, whatever its speed.
            simple_model("tiny", "Tiny Traffic", {1: (900.0, 20), 2: (800.0, 40)}),
            # Its only full day is 8 days old: outside the week, unranked.
            simple_model("old", "Old Day", {8: (300.0, 4000)}),
        ],
    )
    models = get_json(client, "/api/models", query_string={"sort": "rank"})
    assert [(m["chute_id"], m["rank"]) for m in models] == [
        ("steady", 1),
        ("early", 2),
        # Unranked ones follow, fastest latest speed first.
        ("tiny", None),
        ("old", None),
    ]
    early = models[1]
    assert early["latest_tps"] == 500.0 and early["rank_tps"] == 90.0
    assert early["rank_requests"] == 4000 and early["rank_date"] == days_ago(1)
    assert early["e2e_1k_s"] == pytest.approx(early["rank_ttft"] + 1000 / 90.0)
    assert models[2]["e2e_1k_s"] is None and models[2]["rank_date"] is None
    # The API's default order stays latest TPS (the original contract).
    default = get_json(client, "/api/models")
    assert [m["chute_id"] for m in default] == ["tiny", "early", "old", "steady"]


def test_search_filters_without_renumbering(client, seeded):
    all_ranks = {m["chute_id"]: m["rank"] for m in get_json(client, "/api/models")}
    found = get_json(client, "/api/models?q=slow")
    assert [m["chute_id"] for m in found] == ["slow"]
    assert found[0]["rank"] == all_ranks["slow"] == 4
    # Every word must match, in name or chute_id, case-insensitively.
    assert [m["chute_id"] for m in get_json(client, "/api/models?q=MODEL+mid")] == ["mid"]
    assert [m["chute_id"] for m in get_json(client, "/api/models?q=nodata")] == ["nodata"]
    assert get_json(client, "/api/models?q=nothing-like-this") == []
    assert len(get_json(client, "/api/models?q=")) == len(all_ranks)


def test_limit(client, seeded):
    everything = get_json(client, "/api/models")
    assert get_json(client, "/api/models?limit=2") == everything[:2]
    assert get_json(client, "/api/models?limit=1000") == everything
    # limit applies after the search.
    assert [m["chute_id"] for m in get_json(client, "/api/models?q=model&limit=2")] == [
        "fast",
        "mid",
    ]


def test_unknown_parameters_are_ignored(client, seeded):
    plain = client.get("/api/models")
    tagged = client.get("/api/models?utm_source=x&foo=1&foo=2&SORT=bogus")
    assert tagged.status_code == 200
    assert tagged.data == plain.data


INVALID = [
    ("sort", "sort=bogus"),
    ("sort", "sort=TPS"),
    ("sort", "sort="),
    ("sort", "sort=tps&sort=name"),
    ("sort", "sort=" + "t" * 300),
    ("order", "order=up"),
    ("order", "order="),
    ("order", "order=asc&order=desc"),
    ("limit", "limit=0"),
    ("limit", "limit=-1"),
    ("limit", "limit=abc"),
    ("limit", "limit=1.5"),
    ("limit", "limit=+5"),
    ("limit", "limit=%205"),
    ("limit", "limit="),
    ("limit", "limit=1001"),
    ("limit", "limit=" + "9" * 5000),
    ("limit", "limit=1&limit=2"),
    ("q", "q=" + "x" * 201),
    ("q", "q=a&q=b"),
]


@pytest.mark.parametrize("path", ["/api/models", "/api/models.csv"])
@pytest.mark.parametrize(("parameter", "query"), INVALID)
def test_invalid_parameter_is_a_400_naming_it(client, seeded, path, parameter, query):
    assert_param_error(client.get(f"{path}?{query}"), parameter)


def test_longest_accepted_query(client, seeded):
    assert get_json(client, "/api/models", query_string={"q": "x" * 200}) == []


def test_json_is_compact(client, seeded):
    body = client.get("/api/models").data
    assert body == json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()


def test_html_in_names_round_trips_as_data(client, seeded):
    response = client.get("/api/models?q=img")
    assert response.content_type == "application/json"
    assert response.get_json()[0]["name"] == XSS_NAME
    # A JSON string, not HTML-escaped: the page escapes it where it inserts it.
    assert json.dumps(XSS_NAME).encode() in response.data
    assert b"&lt;" not in response.data and b"\\u003c" not in response.data
    detail = get_json(client, "/api/models/xss")
    assert detail["name"] == XSS_NAME


# --- /api/models/<chute_id> ------------------------------------------------------------


def test_model_detail_with_history_oldest_first(client, seeded):
    ranked = {m["chute_id"]: m for m in get_json(client, "/api/models")}
    detail = get_json(client, "/api/models/mid")
    history = detail.pop("history")
    assert detail.pop("events") == []  # seeded without the scraper: nothing announced
    assert [list(p) for p in detail.pop("prices")] == [
        ["since", "prompt", "completion", "cache_read"]
    ]
    assert detail == ranked["mid"]
    assert [row["date"] for row in history] == sorted(row["date"] for row in history)
    assert len(history) == 2
    assert list(history[0]) == list(HISTORY_FIELDS)
    assert history[0]["tps"] == 150.0 and history[0]["requests"] == 200
    assert history[1]["output_tokens"] == 20000 * 200


def test_model_without_data_has_empty_history(client, seeded):
    detail = get_json(client, "/api/models/nodata")
    assert detail["history"] == [] and detail["latest_tps"] is None


def test_inactive_model_stays_reachable_but_unlisted(client, db_path):
    seed_models(db_path)
    seed_models(db_path, [m for m in leaderboard() if m[0].chute_id != "fast"])
    assert "fast" not in {m["chute_id"] for m in get_json(client, "/api/models")}
    detail = get_json(client, "/api/models/fast")
    assert detail["active"] is False and detail["rank"] is None
    assert detail["latest_tps"] == 120.0 and len(detail["history"]) == 2


@pytest.mark.parametrize("chute_id", ["unknown", "x" * 201, "%3Cscript%3E"])
def test_unknown_model_is_a_404_json(client, seeded, chute_id):
    body = get_json(client, f"/api/models/{chute_id}", status=404)
    assert body["status"] == 404 and body["error"]


# --- errors ---------------------------------------------------------------------------


# `/api` itself is the API's documentation for people (SPEC §6), an HTML page.
@pytest.mark.parametrize("path", ["/api/nope", "/api/", "/api/models/", "/api/models/a/b"])
def test_unknown_api_path_is_a_404_json(client, path):
    body = get_json(client, path, status=404)
    assert set(body) == {"error", "status"} and body["status"] == 404


def test_api_root_documents_the_api_for_people(client):
    response = client.get("/api")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "<code>GET /api/models</code>" in response.text


def test_other_paths_get_an_html_error_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_html_error_falls_back_when_the_template_is_missing(client, monkeypatch):
    def missing(*args, **kwargs):
        raise TemplateNotFound("error.html")

    monkeypatch.setattr(app.plumbing.errors, "render_template", missing)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"404 Not Found" in response.data


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(
    "path", ["/api/models", "/api/models.csv", "/api/models/fast", "/api/health"]
)
def test_only_get_and_head_are_allowed(client, seeded, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "status"} and body["status"] == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_unhandled_exception_is_a_logged_500(db_path, caplog):
    flask_app = new_app({"TESTING": False, "DATABASE": db_path, "PROPAGATE_EXCEPTIONS": False})

    def boom():
        raise RuntimeError("secret detail")

    flask_app.add_url_rule("/api/boom", "api_boom", boom)
    flask_app.add_url_rule("/boom", "boom", boom)
    client = flask_app.test_client()
    body = get_json(client, "/api/boom", status=500)
    assert body["status"] == 500 and "secret" not in body["error"]
    page = client.get("/boom")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert b"secret" not in page.data
    assert "secret detail" in caplog.text


# --- /api/models.csv -------------------------------------------------------------------


def test_csv_is_the_same_table(client, seeded):
    response = client.get("/api/models.csv?sort=name&order=desc&limit=5")
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'inline; filename="chutes-tps-leaderboard.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    models = get_json(client, "/api/models?sort=name&order=desc&limit=5")
    assert [r["chute_id"] for r in rows] == [m["chute_id"] for m in models]
    assert list(rows[0]) == list(MODEL_FIELDS)
    by_id = {r["chute_id"]: r for r in rows}
    fast = next(m for m in models if m["chute_id"] == "fast")
    assert by_id["fast"]["latest_tps"] == "120.0"
    assert by_id["fast"]["rank"] == str(fast["rank"])
    assert by_id["fast"]["active"] == "true"


def test_csv_empty_figures_are_blank(client, seeded):
    rows = list(csv.DictReader(io.StringIO(client.get("/api/models.csv?q=nodata").data.decode())))
    assert rows[0]["latest_tps"] == "" and rows[0]["rank"] == ""


def test_csv_neutralises_formulas(client, seeded):
    text = client.get("/api/models.csv").data.decode()
    names = {r["chute_id"]: r["name"] for r in csv.DictReader(io.StringIO(text))}
    for i, name in enumerate(FORMULA_NAMES):
        assert names[f"f{i}"] == "'" + name
    assert names["xss"] == XSS_NAME
    # JSON keeps the real names: the guard is for spreadsheets only.
    assert {m["name"] for m in get_json(client, "/api/models?q=f")} >= set(FORMULA_NAMES)


# --- /api/health ---------------------------------------------------------------------


def test_health_empty(client):
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.get_json() == {
        "status": "empty",
        "models": 0,
        "models_with_data": 0,
        "last_run": None,
        "last_good_run": None,
        "stale_after_seconds": 1200,
        "upstream_changed_at": None,
        "upstream_frozen": False,
        "upstream_frozen_after_seconds": 3600,
        "capacity": {
            "status": "empty",
            "stale": True,
            "capacity_at": None,
            "stale_after_seconds": 3600,
        },
        # SPEC §7: the probes part says "off" when no probe has run.
        "probes": "off",
    }


def test_health_ok(client, seeded):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["models"] == len(leaderboard())
    assert body["models_with_data"] == len(leaderboard()) - 1
    assert body["last_run"] == body["last_good_run"]
    assert body["last_good_run"]["status"] == "ok"
    assert body["stale_after_seconds"] == 2 * 600


def test_health_stale(client, seeded):
    old = (datetime.now(UTC) - timedelta(seconds=2 * 600 + 60)).isoformat(timespec="seconds")
    with sqlite3.connect(seeded) as conn:
        conn.execute("UPDATE scrape_runs SET finished_at = ?", (old,))
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.get_json()["status"] == "stale"
    assert response.get_json()["last_good_run"]["finished_at"] == old


def test_health_stale_follows_scrape_interval(db_path):
    seed_models(db_path)
    flask_app = new_app({"TESTING": False, "DATABASE": db_path, "SCRAPE_INTERVAL": 60})
    recent = (datetime.now(UTC) - timedelta(seconds=100)).isoformat(timespec="seconds")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE scrape_runs SET finished_at = ?", (recent,))
    response = flask_app.test_client().get("/api/health")
    assert response.status_code == 200
    assert response.get_json()["stale_after_seconds"] == 120


def test_health_is_stale_with_models_but_no_good_run(client, db_path):
    seed_models(db_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE scrape_runs SET status = 'failed'")
    body = get_json(client, "/api/health", status=503)
    assert body["status"] == "stale" and body["last_good_run"] is None
    assert body["last_run"]["status"] == "failed"


# --- HTTP caching --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/models", "/api/models?sort=name", "/api/models.csv", "/api/models/fast"]
)
def test_cache_headers(client, seeded, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == DATA_CACHE_CONTROL
    # The app's hot path may answer gzipped (app/plumbing/hotpath.py), so it says so, once; nginx
    # adds no second one to an answer already encoded (tests/test_deploy_hardening.py).
    assert response.headers.get_all("Vary") == ["Accept-Encoding"]
    etag, weak = response.get_etag()
    assert etag and not weak
    finished = get_json(client, "/api/health")["last_good_run"]["finished_at"]
    assert response.last_modified == datetime.fromisoformat(finished)


@pytest.mark.parametrize("path", ["/api/models", "/api/models.csv", "/api/models/mid"])
def test_if_none_match_gives_304(client, seeded, path):
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


@pytest.mark.parametrize("path", ["/api/models", "/api/models.csv", "/api/models/mid"])
def test_if_modified_since_gives_304(client, seeded, path):
    first = client.get(path)
    since = first.headers["Last-Modified"]
    assert client.get(path, headers={"If-Modified-Since": since}).status_code == 304
    earlier = first.last_modified - timedelta(seconds=1)
    older = client.get(path, headers={"If-Modified-Since": earlier.strftime("%a, %d %b %Y %X GMT")})
    assert older.status_code == 200 and older.data == first.data


def test_etag_is_a_hash_of_the_body(client, seeded):
    responses = [
        client.get(f"/api/models?sort={s}&order={o}") for s in SORTS for o in ["asc", "desc"]
    ]
    by_tag = {r.headers["ETag"]: r.data for r in responses}
    # Same body <=> same ETag.
    assert len(by_tag) == len({r.data for r in responses}) > 1
    # Equivalent queries share a body, so they share an ETag.
    assert (
        client.get("/api/models?q=Fast").headers["ETag"]
        == client.get("/api/models?q=fast&x=1").headers["ETag"]
    )


def test_head_has_headers_and_no_body(client, seeded):
    got = client.get("/api/models")
    head = client.head("/api/models")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(got.data))


# --- server-side cache (SPEC §8) -------------------------------------------------------


def test_new_scrape_is_seen_at_once_by_every_worker(db_path):
    seed_models(db_path)
    workers = [new_app({"DATABASE": db_path}).test_client() for _ in "ab"]
    for client in workers:
        assert get_json(client, "/api/models")[0]["chute_id"] == "fast"
        assert get_json(client, "/api/models/fast")["latest_tps"] == 120.0
    seed_models(db_path, [*leaderboard(), simple_model("rocket", "Rocket", {1: (999.0, 900)})])
    for client in workers:
        assert get_json(client, "/api/models")[0]["chute_id"] == "rocket"
        assert "rocket" in client.get("/api/models.csv").data.decode()
        assert get_json(client, "/api/models/fast")["latest_tps"] == 120.0
        assert get_json(client, "/api/health")["models"] == len(leaderboard()) + 1


@pytest.mark.parametrize(
    "path", ["/api/models", "/api/models?sort=ttft&q=model", "/api/models.csv", "/api/models/mid"]
)
def test_cached_hot_path_runs_no_sql(db_path, monkeypatch, path):
    seed_models(db_path)
    flask_app = new_app({"TESTING": False, "DATABASE": db_path, "PROPAGATE_EXCEPTIONS": False})
    client = flask_app.test_client()
    first = client.get(path)
    assert first.status_code == 200

    def no_sql(*args, **kwargs):
        raise AssertionError("the cached hot path touched the database")

    monkeypatch.setattr(app.db.flaskdb, "get_db", no_sql)
    monkeypatch.setattr(sqlite3, "connect", no_sql)
    again = client.get(path)
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Last-Modified"] == first.headers["Last-Modified"]
    # The guard is real: a new data version misses the cache and needs the database.
    db_files.bump_data_version(db_path, 99)
    assert client.get(path).status_code == 500


# --- /api/openapi.json -----------------------------------------------------------------


def _params(operation: dict) -> dict:
    return {p["name"]: p["schema"] for p in operation["parameters"]}


def test_openapi_document(client, seeded):
    doc = get_json(client, "/api/openapi.json")
    # The paths gain this site's examples (tests/api/test_examples.py); the rest is as built.
    assert {k: v for k, v in doc.items() if k != "paths"} == {
        k: v for k, v in document().items() if k != "paths"
    }
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/api/models",
        "/api/models.csv",
        "/api/models/{chute_id}",
        "/api/models/{chute_id}/probes",
        "/api/events",
        "/api/health",
        "/api/openapi.json",
    }
    for path in ["/api/models", "/api/models.csv"]:
        params = _params(doc["paths"][path]["get"])
        assert params["sort"]["enum"] == list(SORTS)
        assert params["order"]["enum"] == ["asc", "desc"]
        assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 1000)
        assert params["q"]["maxLength"] == 200
    schemas = doc["components"]["schemas"]
    model = get_json(client, "/api/models")[0]
    assert set(schemas["Model"]["required"]) == set(model)
    # The probe fields are documented, and present only with probes on (not here).
    assert set(schemas["Model"]["properties"]) == set(model) | set(PROBE_FIELDS)
    health = get_json(client, "/api/health")
    assert set(schemas["Health"]["required"]) == set(health)
    assert set(schemas["Run"]["properties"]) == set(health["last_run"])
    refs = list(_refs(doc))
    assert refs
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)


def _refs(node):
    """Every $ref in a JSON document."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_is_cacheable(client):
    first = client.get("/api/openapi.json")
    assert first.headers["Cache-Control"] == DATA_CACHE_CONTROL
    again = client.get("/api/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- fuzzing -------------------------------------------------------------------------

PARAM_NAMES = st.sampled_from(["sort", "order", "q", "limit", "other", "Sort", ""])
PARAM_VALUES = st.one_of(
    st.sampled_from([*SORTS, "asc", "desc", "0", "1", "1000", "1001", "-1", ""]),
    st.integers(-(10**6), 10**6).map(str),
    st.text(max_size=250),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=5), st.booleans())
def test_fuzzed_parameters_never_500(client, seeded, params, as_csv):
    response = client.get("/api/models.csv" if as_csv else "/api/models", query_string=params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert body["status"] == 400 and body["parameter"] in body["error"]
    elif not as_csv:
        assert isinstance(response.get_json(), list)


@pytest.mark.parametrize("path", ["/", "/models/abc", "/api/models", "/api/health"])
def test_missing_database_is_a_503_not_a_500(tmp_path, path, caplog):
    app = new_app({"DATABASE": str(tmp_path / "never-initialised.sqlite3")})
    response = app.test_client().get(path)
    assert response.status_code == 503
    if path.startswith("/api/"):
        assert response.get_json()["error"].startswith("The leaderboard's data is unavailable")
    else:
        assert b"unavailable right now" in response.data
    assert "init-db" in caplog.text
