"""app/plumbing/hotpath.py: cached answers replayed in front of Flask, and their gzip variants."""

from __future__ import annotations

import gzip

import pytest
from flask import Flask

from app import clock
from app.plumbing import hotpath
from tests.clocks import ManualClock
from tests.seed import seed, simple_model


def seed_models(db_path: str, tps: float) -> None:
    pairs = [simple_model(f"chute-{i}", f"org/model-{i}", {1: (tps + i, 5000)}) for i in range(3)]
    seed(db_path, [e for e, _ in pairs], [r for _, rows in pairs for r in rows])


@pytest.fixture
def flask_calls(app: Flask) -> list[str]:
    """Paths of the requests that reached Flask (a replay never does)."""
    calls: list[str] = []
    app.before_request(lambda: calls.append(__import__("flask").request.path))
    return calls


@pytest.mark.parametrize("path", ["/", "/api/models", "/api/models?limit=2", "/models/chute-1"])
def test_second_request_is_replayed_unchanged(app, client, db_path, flask_calls, path) -> None:
    seed_models(db_path, 100.0)
    first = client.get(path)
    assert first.status_code == 200
    client.get(path)  # stored on its second miss
    second = client.get(path)
    assert flask_calls == [path.split("?")[0]] * 2  # the third never reached Flask
    assert second.data == first.data
    assert second.status == first.status
    assert sorted(second.headers.items()) == sorted(
        (k, v) for k, v in first.headers.items() if k != "Date"
    )


def test_new_data_version_is_never_replayed_stale(client, db_path, flask_calls) -> None:
    seed_models(db_path, 100.0)
    before = client.get("/api/models").get_json()
    assert client.get("/api/models").get_json() == before
    assert client.get("/api/models").get_json() == before
    seed_models(db_path, 200.0)  # a scrape: new data, new version file
    after = client.get("/api/models").get_json()
    assert after != before and after[0]["latest_tps"] >= 200
    assert flask_calls == ["/api/models"] * 3


def test_validators_and_head_go_to_flask(client, db_path, flask_calls) -> None:
    seed_models(db_path, 100.0)
    etag = client.get("/api/models").headers["ETag"]
    assert client.get("/api/models", headers={"If-None-Match": etag}).status_code == 304
    assert client.head("/api/models").status_code == 200
    assert len(flask_calls) == 3


def test_unmarked_and_failed_answers_are_not_stored(client, db_path, flask_calls) -> None:
    seed_models(db_path, 100.0)
    for _ in range(2):
        client.get("/api/health")
        assert client.get("/api/models/no-such-chute").status_code == 404
    assert flask_calls.count("/api/health") == 2
    assert flask_calls.count("/api/models/no-such-chute") == 2


def test_gzip_variant(client, db_path, flask_calls) -> None:
    seed_models(db_path, 100.0)
    plain = client.get("/")
    for _ in range(3):
        zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == plain.data
        assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 3
        # Other bytes, same meaning: a weak validator, and both variants say they vary.
        assert zipped.headers["ETag"] == "W/" + plain.headers["ETag"]
        assert "Accept-Encoding" in zipped.headers["Vary"]
    assert "Accept-Encoding" in client.get("/").headers["Vary"]
    # A client that refuses gzip gets the plain bytes.
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data
    # The weak validator still earns a 304 (Flask compares If-None-Match weakly).
    etag = zipped.headers["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    # Two misses (stored on the second), then the conditional one.
    assert flask_calls == ["/", "/", "/"]


def test_entries_expire(client, db_path, flask_calls) -> None:
    seed_models(db_path, 100.0)
    with clock.use(ManualClock()) as manual:
        client.get("/api/models")
        client.get("/api/models")  # stored
        manual.advance(1)  # (API answers hold until UTC midnight, which may be close)
        client.get("/api/models")
        assert flask_calls == ["/api/models"] * 2
        manual.advance(2 * 86400)  # past UTC midnight, whatever the time now
        client.get("/api/models")
        assert flask_calls == ["/api/models"] * 3


def test_bounded_in_entries(app, client, db_path, monkeypatch) -> None:
    seed_models(db_path, 100.0)
    monkeypatch.setattr(hotpath, "MAX_ENTRIES", 5)
    for n in range(1, 12):
        for _ in range(2):
            client.get(f"/api/models?limit={n}", headers={"Accept-Encoding": "gzip"})
    middleware = app.wsgi_app
    assert isinstance(middleware, hotpath.HotPath)
    assert len(middleware.entries) == 5
    assert middleware.size == sum(map(hotpath.entry_size, middleware.entries.values()))


def test_one_off_urls_are_never_stored(app, client, db_path) -> None:
    """A flood of distinct searches (each URL asked once) leaves the hot path empty."""
    seed_models(db_path, 100.0)
    for n in range(50):
        assert client.get(f"/api/models?q=flood{n}").status_code == 200
    assert app.wsgi_app.entries == {}


@pytest.mark.parametrize(
    ("header", "accepts"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("x-gzip-not", False),
        ("", False),
    ],
)
def test_accepts_gzip(header: str, accepts: bool) -> None:
    assert bool(hotpath.ACCEPTS_GZIP.search(header)) is accepts


def test_one_vary_header_however_many_reasons() -> None:
    assert hotpath.with_vary([("Vary", "Accept")], "Accept-Encoding") == [
        ("Vary", "Accept, Accept-Encoding")
    ]
    assert hotpath.with_vary([("Vary", "accept-encoding")], "Accept-Encoding") == [
        ("Vary", "accept-encoding")
    ]
    assert hotpath.with_vary([("ETag", "x")], "Accept-Encoding") == [
        ("ETag", "x"),
        ("Vary", "Accept-Encoding"),
    ]
