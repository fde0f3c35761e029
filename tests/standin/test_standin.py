"""The chutes.ai stand-in is faithful: fixtures reproduced byte for byte, devalue's rules,
the API's filtering and errors, every page form and every fault knob."""

import json
import math
import pathlib
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug.test import Client

from tests.standin import (
    HOLE,
    KIT_GLOBAL,
    PAGE_FORMS,
    ROW_KEYS,
    UNDEFINED,
    Dataset,
    Fault,
    config_for,
    devalue_stringify,
    devalue_uneval,
    install,
    js_number,
    make_upstream_app,
    render_app_page,
    render_page,
    serve,
)
from tests.standin.app import _filler
from tests.standin.encoders import _hoist_name

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "chutes"
QWEN = "ac059e33-eb27-541c-b9a9-24b214036475"
OCR = "2f6c8e1a-4b3d-5a97-8c0e-9d1f7a3b5e24"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def embedded_data(page: str) -> str:
    """The `data: […]` literal of a SvelteKit page (inline form)."""
    start = page.index("data: [") + len("data: ")
    end = page.index(",\n\t\t\t\t\t\t\tform: null")
    return page[start:end]


def node_eval(expressions: list[str]) -> list:
    """Evaluate JavaScript expressions in node; each result as JSON (NaN etc. as strings)."""
    program = (
        "const exprs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const enc = (k, v) => typeof v === 'number' && !isFinite(v) ? String(v) "
        ": v instanceof Set ? {$set: [...v]} : v === undefined ? '$undefined' : v;"
        "process.stdout.write(JSON.stringify(exprs.map(e => (0, eval)('(' + e + ')')), enc));"
    )
    result = subprocess.run(
        [NODE, "-e", program],
        input=json.dumps(expressions),
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def fixtures_dataset() -> Dataset:
    return Dataset.from_fixtures()


@pytest.fixture
def upstream(fixtures_dataset):
    return make_upstream_app(fixtures_dataset)


@pytest.fixture
def client(upstream) -> Client:
    return Client(upstream)


# -- faithful to the fixtures -------------------------------------------------------------


def test_models_equal_the_fixture_byte_for_byte(client):
    response = client.get("/v1/models")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_data(as_text=True) == fixture("v1_models.json").rstrip("\n")
    assert response.get_json() == json.loads(fixture("v1_models.json"))


def test_stats_equal_the_fixture_byte_for_byte(client):
    response = client.get("/invocations/stats/llm?start_date=2026-10-01&end_date=2026-10-03")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == fixture("stats_llm.json").rstrip("\n")
    for row in response.get_json():
        assert tuple(row) == ROW_KEYS


def test_data_json_equals_the_fixture_byte_for_byte(client):
    response = client.get(f"/app/chute/{QWEN}/__data.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_data(as_text=True) == fixture("sveltekit_stats_page__data.json")


def test_stats_page_equals_the_fixture_byte_for_byte(client):
    response = client.get(f"/app/chute/{QWEN}?tab=stats")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == fixture("sveltekit_stats_page.html")


def test_app_page_renders_the_fixture_byte_for_byte():
    document, chunks = render_app_page(json.loads(fixture("chutes_list.json")))
    assert document == fixture("sveltekit_app_page.html")
    assert chunks == []


def test_render_page_puts_any_literal_in_the_real_document():
    real = fixture("sveltekit_app_page.html")
    main = real[real.index("<main") : real.index("</main>") + len("</main>")]
    assert render_page(embedded_data(real), main) == real
    hand_made = render_page("[null,{a:1,,}]", main="<main></main><script>x()</script>")
    assert "\t\t\t\t\t\t\tdata: [null,{a:1,,}],\n" in hand_made
    assert hand_made.index("<script>x()</script>") < hand_made.index("kit.start(")


def test_uneval_reproduces_the_real_serializer_output():
    """The fixture's data literal was written by devalue itself; ours must match exactly."""
    chute = json.loads(fixture("chutes_list.json"))["items"][0]
    rows = json.loads(fixture("stats_llm.json"))
    nodes = [
        {
            "type": "data",
            "data": {"user": None, "authenticated": False},
            "uses": {"dependencies": ["app:user"]},
        },
        None,
        {
            "type": "data",
            "data": {"chute": chute, "stats": rows, "tab": "stats"},
            "uses": {"params": ["chute_id"], "url": 1},
        },
    ]
    ours = "[" + ",".join("null" if n is None else devalue_uneval(n) for n in nodes) + "]"
    assert ours == embedded_data(fixture("sveltekit_stats_page.html"))


def test_stringify_reproduces_the_data_json_nodes():
    expected = json.loads(fixture("sveltekit_stats_page__data.json"))["nodes"][2]["data"]
    chute = json.loads(fixture("chutes_list.json"))["items"][0]
    rows = json.loads(fixture("stats_llm.json"))
    value = {"chute": chute, "stats": rows, "tab": "stats"}
    assert json.loads(devalue_stringify(value)) == expected


def test_api_and_pages_describe_the_same_catalogue(fixtures_dataset, client):
    model_ids = [m["chute_id"] for m in fixtures_dataset.models]
    llm_chutes = [c for c in fixtures_dataset.chutes if c["standard_template"] == "vllm"]
    assert len(model_ids) == 4
    assert sorted(c["chute_id"] for c in llm_chutes) == sorted(model_ids)
    for chute in llm_chutes:
        model = next(m for m in fixtures_dataset.models if m["chute_id"] == chute["chute_id"])
        assert chute["name"] == model["id"]
    assert [c["chute_id"] for c in fixtures_dataset.chutes if c not in llm_chutes] == [OCR]
    page = client.get("/app").get_data(as_text=True)
    for chute in fixtures_dataset.chutes:
        assert f'chute_id:"{chute["chute_id"]}"' in page
    # The pages of all five chutes exist; any other id is a 404.
    for chute in fixtures_dataset.chutes:
        assert client.get(f"/app/chute/{chute['chute_id']}?tab=stats").status_code == 200


def test_shift_to_moves_every_date():
    shifted = Dataset.from_fixtures(shift_to=date(2027, 1, 10))
    original = Dataset.from_fixtures()
    assert max(r["date"] for r in shifted.rows) == "2027-01-10"
    for before, after in zip(original.rows, shifted.rows, strict=True):
        delta = date.fromisoformat(after["date"]) - date.fromisoformat(before["date"])
        assert delta == date(2027, 1, 10) - date(2026, 10, 3)
        assert {**after, "date": before["date"]} == before


# -- JavaScript numbers and devalue ---------------------------------------------------------

NUMBER_CASES = [
    (0, "0"),
    (-0.0, "0"),
    (1, "1"),
    (-17, "-17"),
    (6.0, "6"),
    (0.52, "0.52"),
    (-0.25, "-0.25"),
    (1e-7, "1e-7"),
    (1e-6, "0.000001"),
    (1.5e-7, "1.5e-7"),
    (123e-20, "1.23e-18"),
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (1.2345e22, "1.2345e+22"),
    (2**53, "9007199254740992"),
    (2**53 + 1, "9007199254740992"),
    (10**21, "1e+21"),
    (10**400, "Infinity"),
    (123456789012345680000.0, "123456789012345680000"),
    (4.924693833191446e-06, "0.000004924693833191446"),
    (0.1 + 0.2, "0.30000000000000004"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (math.nan, "NaN"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
]


@pytest.mark.parametrize(("value", "expected"), NUMBER_CASES)
def test_js_number_matches_number_to_string(value, expected):
    assert js_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.52, ".52"),
        (-0.25, "-.25"),
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (-0.0, "-0"),
        (0, "0"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (42, "42"),
        (3.5, "3.5"),
        (0.000004924693833191446, ".000004924693833191446"),
    ],
)
def test_uneval_numbers_drop_the_leading_zero(value, expected):
    assert devalue_uneval(value) == expected


@needs_node
def test_js_number_agrees_with_node_on_random_doubles():
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30) for _ in range(400)]
    values += [rng.randint(-(10**25), 10**25) for _ in range(50)]
    values += [float(rng.randint(0, 10**6)) / 10 ** rng.randint(0, 8) for _ in range(150)]
    exprs = [f"String({float(v)!r})" for v in values]
    assert node_eval(exprs) == [js_number(v) for v in values]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('q"uote\\back', '"q\\"uote\\\\back"'),
        ("</script><b>", '"\\u003C/script>\\u003Cb>"'),
        ("a\u2028b\u2029c", '"a\\u2028b\\u2029c"'),
        ("\n\r\t\b\f", '"\\n\\r\\t\\b\\f"'),
        ("\x00\x1f", '"\\u0000\\u001f"'),
        ("héllo — 日本 🚀", '"héllo — 日本 🚀"'),
        ("\ud800", '"\\uD800"'),
    ],
)
def test_uneval_strings(value, expected):
    assert devalue_uneval(value) == expected


def test_uneval_keys_and_literals():
    value = {
        "ok_key$1": 1,
        "with-dash": 2,
        "a<b": 3,
        "": 4,
        "10": 5,
        "2": 6,
        "01": 7,
        "new": None,
        "u": UNDEFINED,
        "holes": [1, HOLE, 3, HOLE],
        "when": datetime(2025, 10, 2, 0, 0),
        "tags": {"x"},
        "t": True,
        "f": False,
        "e": [],
        "o": {},
    }
    assert devalue_uneval(value) == (
        '{"2":6,"10":5,ok_key$1:1,"with-dash":2,"a\\u003Cb":3,"":4,"01":7,new:null,u:void 0,'
        'holes:[1,,3,,],when:new Date(1759363200000),tags:new Set(["x"]),t:true,f:false,'
        "e:[],o:{}}"
    )


def test_uneval_does_not_hoist_equal_but_distinct_values_or_strings():
    value = {"a": {"x": "same"}, "b": {"x": "same"}, "c": ["same", "same"]}
    assert devalue_uneval(value) == '{a:{x:"same"},b:{x:"same"},c:["same","same"]}'


def test_uneval_hoists_shared_objects_and_arrays_exactly_like_devalue():
    row = {"chute_id": "c1", "average_tps": 0.5}
    rows = [row, {"chute_id": "c2", "average_tps": 12}]
    value = {"stats": rows, "chart": rows, "latest": row}
    # Both are referenced twice: the array is met first, so it is `a`; holes and order as
    # devalue writes them: hoisted values' statements in name order, then `return`.
    assert devalue_uneval(value) == (
        '(function(a,b){a[0]=b;a[1]={chute_id:"c2",average_tps:12};'
        'b.chute_id="c1";b.average_tps=.5;'
        "return {stats:a,chart:a,latest:b}}(Array(2),{}))"
    )


def test_uneval_names_the_most_referenced_value_first():
    once_more = {"k": 1}
    twice = [1]
    value = [twice, once_more, twice, once_more, once_more]
    assert devalue_uneval(value) == "(function(a,b){a.k=1;b[0]=1;return [b,a,b,a,a]}({},Array(1)))"


def test_uneval_hoisted_property_names_that_are_not_identifiers():
    shared = {"my-key": 1, "ok": 2}
    assert devalue_uneval([shared, shared]) == (
        '(function(a){a["my-key"]=1;a.ok=2;return [a,a]}({}))'
    )


def test_uneval_cycles_are_hoisted():
    loop: dict = {"name": "loop"}
    loop["self"] = loop
    assert devalue_uneval(loop) == '(function(a){a.name="loop";a.self=a;return a}({}))'


def test_hoist_names_skip_reserved_words():
    assert [_hoist_name(i) for i in (0, 25, 26, 53, 54, 55)] == ["a", "z", "A", "$", "aa", "ab"]
    assert _hoist_name(4 * 54 + 14) == "do0"  # "do" is a keyword
    assert _hoist_name(9 * 54 + 5) == "if0"


def test_uneval_replacer_output_is_used_verbatim():
    class Promise:
        pass

    value = {"stats": Promise()}
    text = devalue_uneval(value, lambda x: "K.defer(1)" if isinstance(x, Promise) else None)
    assert text == "{stats:K.defer(1)}"


def test_uneval_rejects_arbitrary_objects():
    with pytest.raises(TypeError):
        devalue_uneval({"x": object()})


@needs_node
def test_uneval_output_evaluates_to_the_value_in_node():
    shared = {"a": 0.52, "b": [1, 2, {"c": None}]}
    values = [
        {"x": shared, "y": [shared, shared], "z": "</script>\u2028"},
        [math.nan, math.inf, -math.inf, 1e-7, 1e21, -0.25],
        {"0": "zero", "k-k": {"1": 1}},
        Dataset.synthetic(5, 3, today=date(2026, 10, 3)).stats(),
    ]
    assert node_eval([devalue_uneval(v) for v in values]) == [
        {"x": shared, "y": [shared, shared], "z": "</script>\u2028"},
        ["NaN", "Infinity", "-Infinity", 1e-7, 1e21, -0.25],
        {"0": "zero", "k-k": {"1": 1}},
        values[3],
    ]


def test_stringify_rules():
    shared = {"a": 1}
    assert devalue_stringify({"x": shared, "y": shared}) == '[{"x":1,"y":1},{"a":2},1]'
    # Repeated primitives share one slot; 1 and 1.0 are the same JavaScript number.
    assert devalue_stringify(["s", "s", 1, 1.0, True]) == '[[1,1,2,2,3],"s",1,true]'
    assert devalue_stringify(
        [UNDEFINED, HOLE, math.nan, math.inf, -math.inf, -0.0, None, 0.5, "<"]
    ) == ('[[-1,-2,-3,-4,-5,-6,1,2,3],null,0.5,"\\u003C"]')
    # devalue looks values up in a Map (SameValueZero), so -0 after 0 reuses 0's slot.
    assert devalue_stringify([0, -0.0]) == "[[1,1],0]"
    assert devalue_stringify(UNDEFINED) == "-1"
    assert devalue_stringify(datetime(2025, 10, 2)) == '[["Date","2025-10-02T00:00:00.000Z"]]'


# -- the JSON API -----------------------------------------------------------------------------


def stats(client, query: str):
    return client.get(f"/invocations/stats/llm{query}")


def test_stats_date_filter_is_inclusive(client):
    rows = stats(client, "?start_date=2026-10-02&end_date=2026-10-02").get_json()
    assert rows and {r["date"] for r in rows} == {"2026-10-02"}
    assert {r["date"] for r in stats(client, "?start_date=2026-10-02").get_json()} == {
        "2026-10-02",
        "2026-10-03",
    }
    assert {r["date"] for r in stats(client, "?end_date=2026-10-01").get_json()} == {"2026-10-01"}
    assert stats(client, "?start_date=2026-11-01").get_json() == []
    assert len(stats(client, "").get_json()) == len(json.loads(fixture("stats_llm.json")))
    only = stats(client, f"?chute_id={QWEN}").get_json()
    assert {r["chute_id"] for r in only} == {QWEN} and len(only) == 2


def test_stats_are_sorted_by_date_then_tokens_desc():
    rows = make_upstream_app(Dataset.synthetic(30, 5, today=date(2026, 10, 3), seed=3))
    body = Client(rows).get("/invocations/stats/llm").get_json()
    keys = [(r["date"], r["total_input_tokens"] + r["total_output_tokens"]) for r in body]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("bad", ["2026-1-01", "yesterday", "2026-02-30", "2026-10-01T00", ""])
def test_malformed_date_is_422(client, bad):
    response = stats(client, f"?start_date=2026-10-01&end_date={bad}")
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["query", "end_date"]


def test_no_speed_data_is_integer_zero(client):
    text = stats(client, "?start_date=2026-10-03").get_data(as_text=True)
    assert '"average_tps":0,"average_ttft":0}' in text
    assert "0.0" not in text


def test_rows_outside_the_catalogue_are_served_like_the_real_api(client, fixtures_dataset):
    names = {r["name"] for r in stats(client, "").get_json()}
    assert "[private]" in names
    catalogue = {m["chute_id"] for m in fixtures_dataset.models}
    outside = [r for r in stats(client, "").get_json() if r["chute_id"] not in catalogue]
    assert any(r["total_input_tokens"] == 0 and r["total_output_tokens"] == 0 for r in outside)


def test_chutes_list_pages(client):
    body = client.get("/chutes/?limit=2&page=1").get_json()
    assert list(body) == ["total", "page", "limit", "items", "cord_refs"]
    assert body["total"] == 5 and body["page"] == 1 and len(body["items"]) == 2
    assert client.get("/chutes/?limit=0").status_code == 422


def test_unknown_things_are_404(client):
    assert client.get("/app/chute/no-such-chute?tab=stats").status_code == 404
    assert client.get("/app/chute/no-such-chute/__data.json").status_code == 404
    assert client.get("/nope").status_code == 404
    assert client.post("/v1/models").status_code == 404


# -- page forms ------------------------------------------------------------------------------


def page(upstream, form: str, path: str = f"/app/chute/{QWEN}?tab=stats") -> str:
    upstream.page_form = form
    response = Client(upstream).get(path)
    assert response.status_code == 200
    assert response.content_type == "text/html"  # SvelteKit sends no charset
    return response.get_data(as_text=True)


def test_inline_form_is_sveltekit_2(upstream):
    text = page(upstream, "inline")
    assert "kit.start(app, element, {" in text and "\t\t\t\t\t\t\tdata: [{type:" in text
    assert "(function(" not in text


def test_hoisted_form_hoists_the_rows(upstream, fixtures_dataset):
    text = page(upstream, "hoisted")
    n = len(fixtures_dataset.rows)
    assert "(function(a,b){a[0]={chute_id:" in text
    assert f"(Array({n}),{{}}))" in text
    assert 'b.chute_id="ac059e33-eb27-541c-b9a9-24b214036475";b.name=' in text
    assert 'stats:a,tab:"stats",latest:b,chart:a}' in text
    app_page = page(upstream, "hoisted", "/app")
    assert "(function(a,b,c){" in app_page


def test_streamed_form_resolves_after_the_document(upstream):
    text = page(upstream, "streamed")
    document, _, tail = text.partition("</html>\n")
    assert f"stats:{KIT_GLOBAL}.defer(1)" in document
    assert tail.startswith(f"<script>{KIT_GLOBAL}.resolve(1, () => [[{{chute_id:")
    assert tail.endswith("}]])</script>\n")
    assert "resolve(" not in document


def test_legacy_form_uses_const_data_and_quoted_wrappers(upstream):
    text = page(upstream, "legacy")
    assert '\t\t\t\t\tconst data = [{"type":"data","data":{user:null,authenticated:false},' in text
    assert '"uses":{"params":["chute_id"],"url":1}}];' in text
    assert "\t\t\t\t\t\t\tdata,\n" in text


@needs_node
@pytest.mark.parametrize("form", PAGE_FORMS)
def test_every_form_evaluates_to_the_same_page_data(upstream, fixtures_dataset, form):
    text = page(upstream, form)
    if form == "legacy":
        literal = re.search(r"const data = (\[.*\]);\n", text).group(1)
    else:
        literal = embedded_data(text)
    expr = (
        f"(() => {{ const {KIT_GLOBAL} = {{defer: id => ({{deferred: id}})}};"
        f" return {literal}; }})()"
    )
    exprs = [expr]
    if form == "streamed":
        resolved = re.search(r"resolve\(1, \(\) => (.*)\)</script>", text).group(1)
        exprs.append(resolved)
    results = node_eval(exprs)
    data = results[0][2]["data"]
    expected_rows = fixtures_dataset.stats()
    rows = results[1][0] if form == "streamed" else data["stats"]
    assert rows == expected_rows
    assert data["chute"] == fixtures_dataset.chute(QWEN)
    if form in ("hoisted", "hoisted6"):
        assert data["chart"] == expected_rows
        assert data["latest"] == next(r for r in expected_rows if r["chute_id"] == QWEN)


# -- round trips through the project's own decoder ----------------------------------------------


@pytest.fixture
def devalue():
    """The project's decoder (app/scraping/sources/devalue.py); only these tests need it."""
    return pytest.importorskip("app.scraping.sources.devalue")


@pytest.fixture
def sveltekit():
    """The project's page-data extraction (app/scraping/sources/sveltekit.py)."""
    return pytest.importorskip("app.scraping.sources.sveltekit")


def round_trip_value():
    shared = {"k": 0.52, "deep": [1, None, "x"]}
    return {
        "numbers": [0, -0.25, 1e-7, 1e21, 123456789, 2.5, -17],
        "strings": ["</script>", "a\u2028b", 'q"\\', "日本"],
        "keys": {"with-dash": 1, "10": 2, "ok": {"nested": True}},
        "shared": [shared, shared],
        "again": shared,
        "flags": [True, False, None],
    }


def test_decoder_round_trips_uneval_and_stringify(devalue):
    value = round_trip_value()
    assert devalue.parse_uneval(devalue_uneval(value)) == value
    assert devalue.parse_stringified(devalue_stringify(value)) == value


@pytest.mark.parametrize("form", PAGE_FORMS)
def test_decoder_round_trips_every_page_form(upstream, fixtures_dataset, form, sveltekit):
    values = sveltekit.extract_page_data(page(upstream, form))
    pages = [v for v in values if isinstance(v, dict) and "chute" in v]
    assert len(pages) == 1
    data = pages[0]
    assert data["chute"] == fixtures_dataset.chute(QWEN)
    rows = values[-1] if form == "streamed" else data["stats"]
    assert rows == fixtures_dataset.stats()
    catalogue = sveltekit.extract_page_data(page(upstream, form, "/app"))
    envelopes = [v["chutes"] for v in catalogue if isinstance(v, dict) and "chutes" in v]
    envelope = catalogue[-1] if form == "streamed" else envelopes[0]
    assert envelope["items"] == fixtures_dataset.chutes


def test_decoder_round_trips_data_json(client, fixtures_dataset, sveltekit):
    text = client.get(f"/app/chute/{QWEN}/__data.json").get_data(as_text=True)
    values = sveltekit.data_json_values(text)
    assert values[-1] == {
        "chute": fixtures_dataset.chute(QWEN),
        "stats": fixtures_dataset.stats(),
        "tab": "stats",
    }


def test_decoder_round_trips_synthetic_pages(sveltekit):
    data = Dataset.synthetic(40, 31, today=date(2026, 10, 3), seed=5)
    upstream = make_upstream_app(data, "hoisted")
    chute_id = data.models[0]["chute_id"]
    values = sveltekit.extract_page_data(page(upstream, "hoisted", f"/app/chute/{chute_id}"))
    assert values[-1]["stats"] == data.stats()


# -- faults ---------------------------------------------------------------------------------


def test_status_override_with_retry_after_heals_after_n_times(upstream, client):
    upstream.faults.add("/invocations/stats/llm", status=429, retry_after=2, times=2)
    first = stats(client, "")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert first.get_json() == {"detail": "Too Many Requests"}
    assert stats(client, "").status_code == 429
    assert stats(client, "").status_code == 200
    assert client.get("/v1/models").status_code == 200
    assert upstream.requests["/invocations/stats/llm"] == 3
    assert upstream.requests["/v1/models"] == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(upstream, client, status):
    upstream.faults.add("/v1/models", status=status)
    assert client.get("/v1/models").status_code == status
    upstream.faults.add("/app*", status=status)
    response = client.get("/app")
    assert response.status_code == status and response.content_type == "text/html"
    upstream.faults.clear()
    assert client.get("/v1/models").status_code == 200


def test_patterns_and_first_live_rule_wins(upstream, client):
    upstream.faults.add("/app/chute/*", status=503, times=1)
    upstream.faults.add("*", status=500)
    assert client.get(f"/app/chute/{QWEN}").status_code == 503
    assert client.get(f"/app/chute/{QWEN}").status_code == 500
    assert client.get("/v1/models").status_code == 500


def test_delay(upstream, client):
    upstream.faults.add("/v1/models", delay=0.2)
    started = time.monotonic()
    assert client.get("/v1/models").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_empty_answers(upstream, client):
    upstream.faults.add("*", body="empty")
    response = stats(client, "?start_date=2026-10-01")
    assert response.status_code == 200 and response.get_data() == b"[]"
    assert client.get("/v1/models").get_json() == {"object": "list", "data": []}
    assert '"stats":' in client.get(f"/app/chute/{QWEN}/__data.json").get_data(as_text=True)
    text = client.get(f"/app/chute/{QWEN}?tab=stats").get_data(as_text=True)
    assert "stats:[]," in text
    assert "items:[]," in client.get("/app").get_data(as_text=True)


def test_html_error_page_where_json_is_expected(upstream, client):
    upstream.faults.add("/v1/models", body="html")
    response = client.get("/v1/models")
    assert response.status_code == 200 and response.content_type == "text/html"
    assert response.get_data(as_text=True).startswith("<!DOCTYPE html>")
    upstream.faults.add("/invocations/stats/llm", body="html", status=502)
    assert stats(client, "").status_code == 502
    assert "502 Bad Gateway" in stats(client, "").get_data(as_text=True)


def test_truncated_json(upstream, client):
    full = client.get("/v1/models").get_data()
    upstream.faults.add("/v1/models", body="truncated")
    cut = client.get("/v1/models").get_data()
    assert cut == full[: len(full) // 2]
    with pytest.raises(ValueError):
        json.loads(cut)
    upstream.faults.add("/invocations/stats/llm", body="truncated", size=10)
    assert stats(client, "").get_data() == b'[{"chute_i'


def test_filler_is_lazy_and_exact():
    huge = _filler(10**12, "json")
    assert next(huge) == b"["
    assert len(next(huge)) <= 70000
    assert sum(len(piece) for piece in _filler(200_001, "json")) == 200_001
    assert sum(len(piece) for piece in _filler(5, "html")) == 5


def test_no_data_script_and_malformed_literal(upstream, client, devalue, sveltekit):
    upstream.faults.add("/app/chute/*", body="no_script", times=1)
    text = client.get(f"/app/chute/{QWEN}?tab=stats").get_data(as_text=True)
    assert "<script>" not in text and "<h1>Qwen/Qwen3-32B-TEE</h1>" in text
    upstream.faults.add("/app", body="malformed", times=1)
    text = client.get("/app").get_data(as_text=True)
    assert "kit.start(app, element, {" in text
    literal = embedded_data(text)
    assert literal.count("{") != literal.count("}")
    with pytest.raises(devalue.DevalueError):
        sveltekit.extract_page_data(text)
    # Malformed JSON where JSON is expected is truncated JSON.
    upstream.faults.add("/app/chute/*", body="malformed")
    with pytest.raises(ValueError):
        json.loads(client.get(f"/app/chute/{QWEN}/__data.json").get_data())


def test_unknown_body_fault_is_refused():
    with pytest.raises(ValueError):
        Fault(body="garbage")


# -- over real sockets ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loopback_httpserver():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_install_routes_everything_through_pytest_httpserver(loopback_httpserver, upstream):
    base = install(loopback_httpserver, upstream)
    assert base.startswith("http://127.0.0.1:")
    assert config_for(base) == {"API_URL": base, "LLM_URL": base, "WEB_URL": base}
    models = requests.get(f"{base}/v1/models", timeout=5)
    assert models.json() == json.loads(fixture("v1_models.json"))
    rows = requests.get(
        f"{base}/invocations/stats/llm",
        params={"start_date": "2026-10-01", "end_date": "2026-10-03"},
        timeout=5,
    )
    assert rows.text == fixture("stats_llm.json").rstrip("\n")
    upstream.page_form = "streamed"
    streamed = requests.get(f"{base}/app/chute/{QWEN}", params={"tab": "stats"}, timeout=5)
    assert streamed.content.endswith(b"}]])</script>\n")
    assert upstream.requests[f"/app/chute/{QWEN}"] == 1
    assert upstream.log[0].user_agent.startswith("python-requests/")


def test_oversized_body_streams_without_declaring_or_with_length(upstream):
    with serve(upstream) as base:
        upstream.faults.add("/v1/models", body="oversized", size=50_000_000, times=1)
        with requests.get(f"{base}/v1/models", stream=True, timeout=5) as response:
            assert response.headers["Content-Length"] == "50000000"
            first = next(response.iter_content(65536))
            assert first.startswith(b'[{"chute_id":')
        upstream.faults.add("/app", body="oversized", size=300_000, declare_length=False, times=1)
        with requests.get(f"{base}/app", stream=True, timeout=5) as response:
            assert "Content-Length" not in response.headers
            assert len(response.content) == 300_000
        # Faults can change while the server runs; then it behaves again.
        upstream.faults.add("/v1/models", status=503, times=1)
        assert requests.get(f"{base}/v1/models", timeout=5).status_code == 503
        assert requests.get(f"{base}/v1/models", timeout=5).status_code == 200


# -- synthetic data and the CLI -----------------------------------------------------------------


def test_synthetic_is_deterministic_and_realistic():
    today = date(2026, 10, 3)
    started = time.monotonic()
    data = Dataset.synthetic(300, 31, today=today, seed=1)
    assert time.monotonic() - started < 2
    assert data == Dataset.synthetic(300, 31, today=today, seed=1)
    assert data != Dataset.synthetic(300, 31, today=today, seed=2)
    assert len(data.models) == 300 and len({m["id"] for m in data.models}) == 300
    assert all(
        re.fullmatch(r"[\w.-]+/[\w.-]+-\d+B(-Instruct)?(-TEE)?", m["id"]) for m in data.models
    )
    llms = {c["chute_id"] for c in data.chutes if c["standard_template"] == "vllm"}
    assert llms == {m["chute_id"] for m in data.models}
    assert len(data.chutes) > len(llms)  # non-LLM chutes are on the page too
    rows = data.stats(today - timedelta(days=30), today)
    assert 7000 < len(rows) <= 300 * 31 + 300
    assert {r["date"] for r in rows} == {(today - timedelta(days=i)).isoformat() for i in range(31)}
    ours = [r for r in rows if r["chute_id"] in llms]
    speeds = [r for r in ours if r["average_tps"]]
    assert all(10 <= r["average_tps"] <= 200 and 0.2 <= r["average_ttft"] <= 4 for r in speeds)
    assert any(r["average_tps"] == 0 and type(r["average_tps"]) is int for r in ours)
    full_days = [r for r in ours if r["date"] != today.isoformat()]
    assert all(50 <= r["total_requests"] <= 400_000 for r in full_days)
    assert llms - {r["chute_id"] for r in ours}  # some models have no stats at all
    names = {r["name"] for r in rows}
    assert "[private]" in names and "[unknown]" in names
    assert all(tuple(r) == ROW_KEYS for r in rows)


def test_cli_serves_until_stopped():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.standin", "--port", "0", "--synthetic", "5"],
        cwd=pathlib.Path(__file__).parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        models = requests.get(f"{url}/v1/models", timeout=5).json()["data"]
        assert len(models) == 4 + 5
        page_ = requests.get(f"{url}/app", timeout=5)
        assert page_.status_code == 200 and "kit.start" in page_.text
    finally:
        proc.terminate()
        proc.wait(timeout=5)
