"""The web-pages source: parsing the real pages, and fetch_pages against a loopback server."""

import json
import math
import re
from datetime import UTC, datetime

import pytest

from app.rows import CatalogueEntry, DailyRow
from app.scraping.inputs import daily_row_from_raw
from app.scraping.sources import SourceError
from app.scraping.sources.devalue import DevalueError
from app.scraping.sources.http import Fetcher
from app.scraping.sources.pages import (
    catalogue_from_values,
    fetch_pages,
    parse_catalogue,
    parse_data_json,
    parse_stats_page,
    parse_stats_rows,
)
from app.scraping.sources.sveltekit import extract_page_data
from app.settings import Settings
from tests.conftest import fixture_text
from tests.standin import render_app_page, render_data_json, render_page, render_stats_page

API_ROWS = json.loads(fixture_text("stats_llm.json"))
QWEN = "ac059e33-eb27-541c-b9a9-24b214036475"
NEMO = "7725a31d-28df-5bb7-9d29-c23b49df5472"

# -- parsing ---------------------------------------------------------------------------


def test_catalogue_from_the_real_app_page():
    assert parse_catalogue(fixture_text("sveltekit_app_page.html")) == [
        CatalogueEntry(
            chute_id=QWEN,
            name="Qwen/Qwen3-32B-TEE",
            price_input=0.104,
            price_output=0.416,
            engine="sglang",
            price_cache_read=0.052,
        ),
        CatalogueEntry(
            chute_id=NEMO,
            name="unsloth/Mistral-Nemo-Instruct-2407-TEE",
            price_input=0.0245,
            price_output=0.0978,
            engine="vllm",
            price_cache_read=0.00245,
        ),
    ]


def chute(chute_id: str, template: str | None = "vllm", **extra) -> dict:
    return {"chute_id": chute_id, "name": f"org/{chute_id}", "standard_template": template} | extra


def test_catalogue_keeps_vllm_once_and_tolerates_missing_fields():
    C = [f"c{n}c00000-0000-5000-8000-000000000000" for n in range(8)]
    shared = chute(C[1], image={"name": "vllm-0.9"})
    items = [
        shared,  # also `featured` in the hoisted form: the same object twice
        chute(C[1], image={"name": "other"}),  # a later duplicate by id
        chute(C[2], image="SGLang-tee", current_estimated_price={"per_million_tokens": {}}),
        chute(C[3], image={"name": "custom"}, current_estimated_price={"usd": 1}),
        chute(C[4], template="diffusion"),
        chute(C[5], template=None),
        {"chute_id": C[6], "name": "no template key"},
        chute(C[7], current_estimated_price=price(-1, math.nan)),
    ]
    page, _ = render_app_page({"items": items}, "hoisted")
    assert "(function(a,b,c){" in page
    assert parse_catalogue(page) == [
        CatalogueEntry(C[1], f"org/{C[1]}", engine="vllm"),
        CatalogueEntry(C[2], f"org/{C[2]}", engine="sglang"),
        CatalogueEntry(C[3], f"org/{C[3]}"),
        CatalogueEntry(C[7], f"org/{C[7]}"),
    ]


def price(inp: float, out: float) -> dict:
    return {"per_million_tokens": {"input": {"usd": inp}, "output": {"usd": out}}}


def test_catalogue_of_a_page_without_data():
    with pytest.raises(DevalueError, match="no SvelteKit data script found"):
        parse_catalogue("<html><body><p>maintenance</p></body></html>")


def expected_rows() -> list[DailyRow]:
    return [daily_row_from_raw(raw) for raw in API_ROWS]


def test_stats_rows_from_the_real_stats_page():
    rows = parse_stats_page(fixture_text("sveltekit_stats_page.html"))
    assert rows == expected_rows()
    assert len({row.chute_id for row in rows}) > 2  # one chute's page carries many chutes
    nemotron = next(r for r in rows if r.date == "2026-10-03" and r.name.startswith("Nemotron"))
    assert (nemotron.requests, nemotron.tps, nemotron.ttft) == (90, None, None)  # 0 = no data


def test_stats_rows_from_the_real_data_json():
    assert parse_data_json(fixture_text("sveltekit_stats_page__data.json")) == expected_rows()


def test_stats_rows_cleaning_dates_and_duplicates():
    base = dict(API_ROWS[0])
    values = [
        {
            "a": [
                dict(base, date=datetime(2026, 10, 3, tzinfo=UTC), average_tps=-3.0),
                dict(base, average_tps=99.0),  # same chute and day again: first wins
                dict(base, date="2026-10-02", average_tps=math.nan, average_ttft=None),
                dict(base, chute_id=None),  # unusable
                dict(base, date="yesterday"),  # unusable
                {"chute_id": "x", "date": "2026-10-01"},  # not a stats row (no average_tps)
            ]
        }
    ]
    rows = parse_stats_rows(values)
    assert [(r.date, r.tps, r.ttft) for r in rows] == [
        ("2026-10-03", None, base["average_ttft"]),
        ("2026-10-02", None, None),
    ]


def test_stats_page_malformed():
    with pytest.raises(DevalueError, match="offset"):
        parse_stats_page(render_page('[{type:"data",data:{stats:[{a:}]}}]'))


# -- fetch_pages over loopback HTTP ------------------------------------------------------

IDS = [f"{n}0000000-0000-5000-8000-00000000000{n}" for n in range(5)]  # sorted order
NOT_IN_CATALOGUE = "ffffffff-0000-5000-8000-000000000000"


def raw_row(chute_id: str, day: str, tps: float = 50.5) -> dict:
    return {
        "chute_id": chute_id,
        "name": f"org/{chute_id[:2]}",
        "date": day,
        "total_requests": 1200,
        "total_input_tokens": 3400000,
        "total_output_tokens": 560000,
        "average_tps": tps,
        "average_ttft": 0.75,
    }


def app_page(ids: list[str]) -> str:
    items = [chute(cid, image={"name": "vllm-tee"}) for cid in ids]
    items.insert(1, chute("ffffffff-not-an-llm", template="diffusion"))
    return render_app_page({"items": items[::-1]})[0]


def stats_page(*chute_ids: str) -> str:
    rows = [raw_row(cid, day) for cid in chute_ids for day in ("2026-10-02", "2026-10-01")]
    return render_stats_page(chute(chute_ids[0]), rows)[0]


@pytest.fixture
def upstream(httpserver):
    """A loopback chutes.ai: the catalogue of IDS and a stats page per chute (own rows)."""
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    for cid in IDS:
        serve_stats(httpserver, cid, stats_page(cid))
    return httpserver


def serve_stats(server, chute_id: str, body: str, status: int = 200) -> None:
    server.expect_request(f"/app/chute/{chute_id}", query_string="tab=stats").respond_with_data(
        body, status=status, content_type="text/html"
    )


def config(server, **overrides) -> Settings:
    return Settings.from_mapping(
        {
            "WEB_URL": server.url_for("/").rstrip("/"),
            "REQUEST_DELAY": 0,
            "HTTP_RETRIES": 0,
            **overrides,
        }
    )


def run(server, **kwargs):
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k.isupper()}
    fetcher = Fetcher(config(server, **overrides))
    try:
        return fetch_pages(fetcher, config(server, **overrides), **kwargs)
    finally:
        fetcher.close()


def requested(server) -> list[str]:
    """The stats pages fetched, as catalogue positions, in order."""
    paths = [req.path for req, _ in server.log]
    assert paths[0] == "/app"
    return [IDS.index(p.rsplit("/", 1)[1]) for p in paths[1:] if "/app/chute/" in p]


def test_batch_starts_at_the_offset_and_wraps(upstream):
    result = run(upstream, offset=4, BATCH_SIZE=2)
    assert requested(upstream) == [4, 0]
    assert result.source == "html"
    assert [e.chute_id for e in result.catalogue] == IDS  # sorted, diffusion chute left out
    assert result.refreshed == {IDS[4], IDS[0]}
    assert sorted((r.chute_id, r.date) for r in result.rows) == [
        (IDS[0], "2026-10-01"),
        (IDS[0], "2026-10-02"),
        (IDS[4], "2026-10-01"),
        (IDS[4], "2026-10-02"),
    ]
    assert result.rows[0] == daily_row_from_raw(raw_row(IDS[4], "2026-10-02"))
    assert result.next_offset == 1
    assert result.errors == []


def test_offset_past_the_end_is_taken_modulo(upstream):
    result = run(upstream, offset=12, BATCH_SIZE=1)
    assert requested(upstream) == [2]
    assert result.next_offset == 3


def test_pages_for_chutes_already_harvested_are_skipped(httpserver):
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    serve_stats(httpserver, IDS[0], stats_page(IDS[0], IDS[1], IDS[2], NOT_IN_CATALOGUE))
    for cid in IDS[1:]:
        serve_stats(httpserver, cid, stats_page(cid))
    result = run(httpserver, offset=0, BATCH_SIZE=2)
    # Page 0 carried chutes 1 and 2: no fetch for them; page 3 is the second fetch; 4 waits.
    assert requested(httpserver) == [0, 3]
    assert result.refreshed == {IDS[0], IDS[1], IDS[2], IDS[3], NOT_IN_CATALOGUE}
    assert len(result.rows) == 10
    assert result.next_offset == 4


def test_skipped_chutes_after_the_last_fetch_still_advance_the_offset(httpserver):
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    serve_stats(httpserver, IDS[0], stats_page(IDS[0], IDS[1]))
    result = run(httpserver, offset=0, BATCH_SIZE=1)
    assert requested(httpserver) == [0]
    assert result.next_offset == 2  # chute 1 is fresh already; the next run starts at 2


def test_batch_size_limits_the_fetches_and_reports_progress(upstream):
    calls = []
    result = run(
        upstream, offset=0, BATCH_SIZE=3, progress=lambda done, total: calls.append((done, total))
    )
    assert requested(upstream) == [0, 1, 2]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert result.next_offset == 3
    assert result.refreshed == set(IDS[:3])


def test_fetch_all_visits_every_chute_and_keeps_the_offset(upstream):
    result = run(upstream, offset=3, BATCH_SIZE=1, fetch_all=True)
    assert requested(upstream) == [3, 4, 0, 1, 2]
    assert result.refreshed == set(IDS)
    assert len(result.rows) == 10
    assert result.next_offset == 3


def test_a_failing_page_is_skipped_and_the_others_kept(httpserver):
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    serve_stats(httpserver, IDS[1], "upstream exploded", status=500)
    for cid in (IDS[0], IDS[2]):
        serve_stats(httpserver, cid, stats_page(cid))
    result = run(httpserver, offset=0, BATCH_SIZE=3)
    assert requested(httpserver) == [0, 1, 2]
    assert result.refreshed == {IDS[0], IDS[2]}
    assert len(result.errors) == 1
    assert f"/app/chute/{IDS[1]}?tab=stats" in result.errors[0]
    assert "HTTP 500" in result.errors[0]
    assert result.next_offset == 3


def test_a_page_with_no_rows_is_an_error_naming_the_url(upstream):
    upstream.clear_all_handlers()
    upstream.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    empty, _ = render_stats_page(chute(IDS[0]), [])
    serve_stats(upstream, IDS[0], empty)
    serve_stats(upstream, IDS[1], stats_page(IDS[1]))
    result = run(upstream, offset=0, BATCH_SIZE=2)
    assert result.refreshed == {IDS[1]}
    assert result.errors == [
        f"{config(upstream).web_url}/app/chute/{IDS[0]}?tab=stats: no daily stats rows "
        "found, expected rows with chute_id, date, average_tps"
    ]


def test_page_without_data_script_falls_back_to_data_json(httpserver):
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    serve_stats(httpserver, IDS[0], "<html><body>no script here</body></html>")
    rows = [raw_row(IDS[0], "2026-10-02", tps=42.25)]
    data_json = render_data_json({"stats": rows}, {})
    httpserver.expect_request(f"/app/chute/{IDS[0]}/__data.json").respond_with_data(
        data_json, content_type="application/json"
    )
    serve_stats(httpserver, IDS[1], "<html><body>no script either</body></html>")
    httpserver.expect_request(f"/app/chute/{IDS[1]}/__data.json").respond_with_data(
        "gone", status=404
    )
    result = run(httpserver, offset=0, BATCH_SIZE=2)
    assert result.rows == [daily_row_from_raw(rows[0])]
    assert result.refreshed == {IDS[0]}
    (error,) = result.errors
    assert f"/app/chute/{IDS[1]}?tab=stats: no SvelteKit data script found" in error
    assert f"/app/chute/{IDS[1]}/__data.json: HTTP 404" in error


def test_every_page_failing_is_a_failure_that_still_moves_the_offset(httpserver):
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    for cid in IDS[:2]:
        serve_stats(httpserver, cid, "nope", status=503)
    result = run(httpserver, offset=0, BATCH_SIZE=2)
    assert result.rows == []
    assert re.search(r"all 2 stats pages failed.*HTTP 503", result.failure or "")
    assert result.next_offset == 2  # past the two pages tried, whatever their outcome


def test_catalogue_http_failure(httpserver):
    httpserver.expect_request("/app").respond_with_data("down", status=500)
    with pytest.raises(SourceError, match=r"/app: HTTP 500, expected 200"):
        run(httpserver, offset=0)
    assert len(httpserver.log) == 1  # no stats page tried


def test_catalogue_without_llms(httpserver):
    page, _ = render_app_page({"items": [chute("c-1", template="diffusion")]})
    httpserver.expect_request("/app").respond_with_data(page, content_type="text/html")
    with pytest.raises(SourceError, match=r"/app: no chutes with standard_template 'vllm'"):
        run(httpserver, offset=0)


def test_catalogue_without_data_and_no_data_json(httpserver):
    httpserver.expect_request("/app").respond_with_data("<html><body>hi</body></html>")
    httpserver.expect_request("/app/__data.json").respond_with_data("no", status=404)
    with pytest.raises(SourceError) as info:
        run(httpserver, offset=0)
    message = str(info.value)
    assert "/app: no SvelteKit data script found" in message
    assert "/app/__data.json: HTTP 404" in message
    assert "expected SvelteKit page data listing the chutes" in message


def test_the_real_fixture_pages_end_to_end(httpserver):
    httpserver.expect_request("/app").respond_with_data(
        fixture_text("sveltekit_app_page.html"), content_type="text/html"
    )
    for cid in (QWEN, NEMO):
        serve_stats(httpserver, cid, fixture_text("sveltekit_stats_page.html"))
    result = run(httpserver, offset=0)
    # The first (sorted) chute's page carries every row, the Nemo chute's included.
    assert [req.path for req, _ in httpserver.log] == ["/app", f"/app/chute/{NEMO}"]
    assert sorted(result.rows, key=lambda r: (r.chute_id, r.date)) == sorted(
        expected_rows(), key=lambda r: (r.chute_id, r.date)
    )
    assert {QWEN, NEMO} <= result.refreshed
    assert result.next_offset == 0  # both visited: wrapped around to the start


# -- issue 8: any failure of one page is that page's error -------------------------------

# Real devalue 5.9.4 `uneval` output for a sparse array of length 2**32-1, and inputs that
# raised MemoryError, ValueError and others in the decoder rather than DevalueError.
POISON = {
    "sparse-2**32": "Object.assign((function(a){a[4294967294]=0;delete a[4294967294];"
    "a.length=4294967295;return a}([])),{})",
    "bigint-5001-digits": "1" * 5001 + "n",
    "array-1e9": "Array(1000000000)",
    "bigint-with-fraction": "6.n",
}


@pytest.mark.parametrize("poison", POISON.values(), ids=POISON.keys())
def test_a_page_that_cannot_be_decoded_is_that_pages_error(httpserver, poison):
    httpserver.expect_request("/app").respond_with_data(app_page(IDS), content_type="text/html")
    bad = render_page(f'[null,{{type:"data",data:{{stats:{poison}}},uses:{{}}}}]')
    serve_stats(httpserver, IDS[0], bad)
    for cid in IDS[1:3]:
        serve_stats(httpserver, cid, stats_page(cid))
    result = run(httpserver, offset=0, BATCH_SIZE=3)
    assert result.refreshed == {IDS[1], IDS[2]}
    assert len(result.errors) == 1 and IDS[0] in result.errors[0]
    assert result.next_offset == 3


def test_an_unexpected_exception_on_one_page_skips_only_that_page(upstream, monkeypatch):
    from app.scraping.sources import pages

    real = pages.extract_page_data

    def flaky(html: str):
        if IDS[1] in html and "average_tps" in html:  # its stats page, not /app
            raise RecursionError("a bug in the decoder")
        return real(html)

    monkeypatch.setattr(pages, "extract_page_data", flaky)
    result = run(upstream, offset=0, BATCH_SIZE=3)
    assert result.refreshed == {IDS[0], IDS[2]}
    assert len(result.errors) == 1 and "RecursionError: a bug in the decoder" in result.errors[0]


def test_catalogue_skips_chute_ids_that_are_not_uuids_and_cleans_names():
    good = "b048fe26-0352-5c46-acf7-335e527e7f3d"
    items = [
        chute("../../api/health"),  # would become /app/chute/../../api/health
        {**chute(good), "name": "org/\u202eevil\u0000name"},
    ]
    errors: list[str] = []
    page, _ = render_app_page({"items": items})
    entries = catalogue_from_values(extract_page_data(page), errors)
    assert [(e.chute_id, e.name) for e in entries] == [(good, "org/evilname")]
    assert len(errors) == 1 and "../../api/health" in errors[0]
