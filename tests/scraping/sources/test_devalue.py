"""The devalue decoder and SvelteKit page extraction: real fixtures, every literal form,
every page form, bad input."""

import json
import math
import random
import time
from datetime import UTC, date, datetime

import pytest

from app.scraping.sources.devalue import Deferred, DevalueError, parse_stringified, parse_uneval
from app.scraping.sources.sveltekit import data_json_values, extract_page_data
from tests.conftest import fixture_text
from tests.standin import (
    Dataset,
    devalue_stringify,
    devalue_uneval,
    render_page,
    render_stats_page,
)

API_ROWS = json.loads(fixture_text("stats_llm.json"))
ROW = {
    "chute_id": "ac059e33-eb27-541c-b9a9-24b214036475",
    "name": "Qwen/Qwen3-32B-TEE",
    "date": "2026-10-02",
    "total_requests": 25911,
    "total_input_tokens": 47018553,
    "total_output_tokens": 5221960,
    "average_tps": 55.12,
    "average_ttft": 0.53,
}
CHUTE = {"chute_id": ROW["chute_id"], "name": ROW["name"], "standard_template": "vllm"}
USER = {"user": None, "authenticated": False}  # the layout node on every page
ROW_JS = (
    '{chute_id:"ac059e33-eb27-541c-b9a9-24b214036475",name:"Qwen/Qwen3-32B-TEE",'
    'date:"2026-10-02",total_requests:25911,total_input_tokens:47018553,'
    "total_output_tokens:5221960,average_tps:55.12,average_ttft:.53}"
)


def synthetic_rows(n_models: int, days: int) -> list[dict]:
    """Realistic daily rows: every number form the API sends, `[private]` names, gaps."""
    return Dataset.synthetic(n_models, days, today=date(2026, 10, 3), seed=7).stats()


# -- the real fixtures ---------------------------------------------------------------


def test_stats_page_fixture_decodes_to_the_api_rows():
    values = extract_page_data(fixture_text("sveltekit_stats_page.html"))
    # Two nodes with data (the null layout node is dropped), in page order.
    assert len(values) == 2
    assert values[0] == {"user": None, "authenticated": False}
    page = values[1]
    assert list(page) == ["chute", "stats", "tab"]
    assert page["tab"] == "stats"
    assert page["stats"] == API_ROWS  # same rows, same order, same number types
    assert page["chute"]["current_estimated_price"]["per_million_tokens"]["input"]["usd"] == 0.104
    assert page["chute"]["instances"][1]["last_verified_at"] is None


def test_data_json_fixture_matches_the_html_page():
    from_json = data_json_values(fixture_text("sveltekit_stats_page__data.json"))
    from_html = extract_page_data(fixture_text("sveltekit_stats_page.html"))
    assert from_json == from_html
    assert from_json[1]["stats"] == API_ROWS


def test_app_page_fixture_lists_the_chutes():
    (user, page) = extract_page_data(fixture_text("sveltekit_app_page.html"))
    assert user == {"user": None, "authenticated": False}
    items = page["chutes"]["items"]
    assert [(c["chute_id"], c["name"], c["standard_template"]) for c in items] == [
        ("ac059e33-eb27-541c-b9a9-24b214036475", "Qwen/Qwen3-32B-TEE", "vllm"),
        ("7725a31d-28df-5bb7-9d29-c23b49df5472", "unsloth/Mistral-Nemo-Instruct-2407-TEE", "vllm"),
        ("2f6c8e1a-4b3d-5a97-8c0e-9d1f7a3b5e24", "exampleuser/custom-ocr", None),
    ]
    # JSON-string keys (not identifiers) decode like identifier keys.
    assert list(page["chutes"]["cord_refs"]) == [
        "5f0b8a52-3c1e-5d47-9a8e-0f3b2c6d1e4a",
        "d41d8cd9-8f00-5b20-9800-998ecf8427e0",
    ]


# -- literals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("js", "expected"),
    [
        ("42", 42),
        ("-7", -7),
        ("0", 0),
        (".52", 0.52),
        ("-.25", -0.25),
        ("1e-7", 1e-7),
        ("1.5e-7", 1.5e-7),
        ("1e+21", 1e21),
        ("2.5E3", 2500.0),
        ("123.456", 123.456),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("12345678901234567890n", 12345678901234567890),
        ("void 0", None),
        ("null", None),
        ("undefined", None),
        ("true", True),
        ("false", False),
    ],
)
def test_scalars(js, expected):
    value = parse_uneval(js)
    assert value == expected
    assert type(value) is type(expected)


def test_nan_and_negative_zero():
    assert math.isnan(parse_uneval("NaN"))
    negative_zero = parse_uneval("-0")
    assert negative_zero == 0 and math.copysign(1, negative_zero) == -1


def test_every_number_form_inside_objects_and_arrays():
    js = "{a:.52,b:-.25,c:1e-7,d:-0,e:NaN,f:Infinity,g:-Infinity,h:void 0,i:null,j:7,k:true}"
    obj = parse_uneval(js)
    assert obj["a"] == 0.52 and obj["b"] == -0.25 and obj["c"] == 1e-7
    assert math.copysign(1, obj["d"]) == -1
    assert math.isnan(obj["e"])
    assert (obj["f"], obj["g"], obj["h"], obj["i"], obj["j"], obj["k"]) == (
        math.inf,
        -math.inf,
        None,
        None,
        7,
        True,
    )
    arr = parse_uneval("[.52,-.25,1e-7,-0,NaN,-Infinity,void 0]")
    assert arr[:3] == [0.52, -0.25, 1e-7] and math.copysign(1, arr[3]) == -1
    assert math.isnan(arr[4]) and arr[5:] == [-math.inf, None]


def test_numbers_round_trip_through_devalue_printing():
    rng = random.Random(1234)
    samples = [rng.uniform(-1, 1) * 10 ** rng.randint(-12, 25) for _ in range(2000)]
    samples += [0.1, 0.000001, 1e-7, 123e-20, 1e21, 5e-324, 1.7976931348623157e308]
    for x in samples:
        assert parse_uneval(devalue_uneval(x)) == x, devalue_uneval(x)


def test_strings_and_escapes():
    js = (
        r'["a\u003Cb","\u003C/script>","line\u2028sep\u2029",'
        r'"tab\t\"q\"\\","é ü 漢字","\ud83d\ude00"]'
    )
    assert parse_uneval(js) == [
        "a<b",
        "</script>",
        "line\u2028sep\u2029",
        'tab\t"q"\\',
        "é ü 漢字",
        "\U0001f600",
    ]


def test_single_quoted_strings_as_in_app_decode():
    assert parse_uneval(r"""['it\'s "q" \u003C',"it's",'a\\b']""") == [
        'it\'s "q" <',
        "it's",
        "a\\b",
    ]


def test_keys_unquoted_and_json_strings():
    js = r'{plain:1,$dollar:2,_u:3,"with-dash":4,"\u003Cangle":5,"":6,"say \"hi\"":7,"1":8,2:9}'
    assert parse_uneval(js) == {
        "plain": 1,
        "$dollar": 2,
        "_u": 3,
        "with-dash": 4,
        "<angle": 5,
        "": 6,
        'say "hi"': 7,
        "1": 8,
        "2": 9,
    }


def test_whitespace_between_tokens_is_tolerated():
    js = ' { a : [ 1 , .5 , "x" ] ,\n\t"b" : { c : void 0 } , d : new Date( 0 ) } '
    assert parse_uneval(js) == {
        "a": [1, 0.5, "x"],
        "b": {"c": None},
        "d": datetime(1970, 1, 1, tzinfo=UTC),
    }


def test_array_holes():
    assert parse_uneval("[,1,,]") == [None, 1, None]
    assert parse_uneval("[1,]") == [1]
    assert parse_uneval("[,]") == [None]
    assert parse_uneval("[]") == []
    assert parse_uneval("{}") == {}


def test_dates_are_utc_datetimes():
    assert parse_uneval("new Date(1759363200000)") == datetime(2025, 10, 2, tzinfo=UTC)
    assert parse_uneval("new Date(1759363200123)") == datetime(
        2025, 10, 2, 0, 0, 0, 123000, tzinfo=UTC
    )
    assert parse_uneval("new Date(-86400000)") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_uneval("new Date(NaN)") is None  # an Invalid Date


def test_map_set_object_and_other_wrappers():
    assert parse_uneval('new Map([["a",1],[2,{x:.5}]])') == {"a": 1, 2: {"x": 0.5}}
    assert parse_uneval('new Set([1,"a",.5])') == [1, "a", 0.5]
    assert parse_uneval("new Map([])") == {}
    assert parse_uneval('Object("boxed")') == "boxed"
    assert parse_uneval("Object(5)") == 5
    assert parse_uneval("Object.create(null)") == {}
    assert parse_uneval('Object.assign(Object.create(null),{a:1,"b-c":2})') == {"a": 1, "b-c": 2}
    assert parse_uneval('new URL("https://chutes.ai/app")') == "https://chutes.ai/app"
    assert parse_uneval("new Uint8Array([1,2,3]).buffer") == [1, 2, 3]
    assert parse_uneval("__sveltekit_1qmvh4f.defer(3)") == Deferred(3)


# -- hoisting (IIFE) -----------------------------------------------------------------


def test_hoisted_row_shared_by_two_lists():
    # What devalue writes for {stats:[row, other], latest: row}: the shared row is
    # hoisted to parameter `a` and filled by assignment statements.
    js = (
        '(function(a){a.chute_id="ac059e33-eb27-541c-b9a9-24b214036475";'
        'a.name="Qwen/Qwen3-32B-TEE";a.date="2026-10-02";a.total_requests=25911;'
        "a.total_input_tokens=47018553;a.total_output_tokens=5221960;a.average_tps=55.12;"
        f"a.average_ttft=.53;return {{stats:[a,{ROW_JS}],latest:a}}}}({{}}))"
    )
    value = parse_uneval(js)
    assert value["stats"] == [ROW, ROW]
    assert value["latest"] is value["stats"][0]  # one shared object, as in JavaScript
    assert value["stats"][1] is not value["latest"]


def test_devalue_hoisting_is_undone_by_the_parser():
    rows = [dict(ROW, date=f"2026-10-0{d}") for d in (1, 2, 3)]
    data = {"stats": rows, "latest": rows[2], "chart": rows}
    js = devalue_uneval(data)
    assert js.startswith("(function(a,b){")  # the list and the row, both used twice
    assert "}(Array(3),{}))" in js and "a[0]=" in js and "b.chute_id=" in js
    value = parse_uneval(js)
    assert value == data
    assert value["chart"] is value["stats"] and value["latest"] is value["stats"][2]


def test_array_n_with_index_assignments():
    js = (
        '(function(a,b){a[0]=b;a[2]="x";b.n=1;b["odd key"]=.5;'
        "return {list:a,again:a,obj:b}}(Array(3),{}))"
    )
    value = parse_uneval(js)
    assert value == {
        "list": [{"n": 1, "odd key": 0.5}, None, "x"],
        "again": [{"n": 1, "odd key": 0.5}, None, "x"],
        "obj": {"n": 1, "odd key": 0.5},
    }
    assert value["list"] is value["again"] and value["list"][0] is value["obj"]


def test_hoisted_map_set_cycle_and_reserved_names():
    js = (
        '(function(a,b,do0){a.set("k", 1).set("j", do0);b.add(1).add(do0);do0.self=do0;'
        "return {m:a,s:b,m2:a,s2:b,o:do0}}(new Map,new Set,{}))"
    )
    value = parse_uneval(js)
    assert value["m"] == {"k": 1, "j": value["o"]} and value["m"] is value["m2"]
    assert value["s"] == [1, value["o"]] and value["s"] is value["s2"]
    assert value["o"]["self"] is value["o"]


def test_hoisted_assignments_of_every_value_form():
    js = (
        r"(function(a){a.z=-0;a.h=.5;a.n=-.25;a.e=1e-7;a.big=12345678901234567890;"
        r'a.i=42;a.s="plain";a.q="q\"uote\u003C";a["odd-key"]=void 0;a.f=false;'
        r"a.d=new Date(0);a.o={x:[1,,2]};a.t=NaN;return a}({}))"
    )
    value = parse_uneval(js)
    assert math.copysign(1, value.pop("z")) == -1 and math.isnan(value.pop("t"))
    assert value == {
        "h": 0.5,
        "n": -0.25,
        "e": 1e-7,
        "big": 1.2345678901234567e19,  # past 2**53: the double JavaScript holds
        "i": 42,
        "s": "plain",
        "q": 'q"uote<',
        "odd-key": None,
        "f": False,
        "d": datetime(1970, 1, 1, tzinfo=UTC),
        "o": {"x": [1, None, 2]},
    }
    assert type(value["i"]) is int
    assert parse_uneval("(function(a){a.x=1}({}))") is None  # no return: undefined


def test_iife_called_outside_the_parentheses_and_dates_as_arguments():
    js = "(function(a,b){return [a,b,a]})(new Date(0),5)"
    assert parse_uneval(js) == [
        datetime(1970, 1, 1, tzinfo=UTC),
        5,
        datetime(1970, 1, 1, tzinfo=UTC),
    ]


def test_strings_with_braces_inside_a_hoisted_body():
    js = r'(function(a){a.s="}{ \"}";a["}"]="{";return [a,a]}({}))'
    value = parse_uneval(js)
    assert value == [{"s": '}{ "}', "}": "{"}] * 2


def test_round_trip_of_many_rows():
    rows = synthetic_rows(30, 4)
    for data in ({"stats": rows}, {"stats": rows, "again": rows[::-1]}):
        assert parse_uneval(devalue_uneval(data)) == data


# -- malformed input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("js", "message"),
    [
        ("{a:1", "unexpected end of input at offset 4"),
        ("{a:1]", "expected ',' or '}' in object at offset 4"),
        ("[1 2]", "expected ',' or ']' in array at offset 3"),
        ("{-:1}", "expected an object key at offset 1"),
        ("foo", "unknown identifier 'foo' at offset 0"),
        ('"abc', "bad string literal"),
        ("{a:1}x", "unexpected text after the expression at offset 5"),
        ("new Foo(1)", "unsupported constructor new Foo at offset 4"),
        ("-x", "bad number at offset 0"),
        ("(function(a){b.x=1;return a}({}))", "assignment to unknown variable 'b' at offset 13"),
        ("(function(a){a.x=1;return a}(", "unexpected end of input"),
        ("(function(a){a.x=1", "unexpected end of input"),
        ("", "unexpected end of input at offset 0"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_literals_raise_with_the_offset(js, message):
    with pytest.raises(DevalueError) as info:
        parse_uneval(js)
    assert message in str(info.value)


def test_devalue_error_is_a_value_error():
    assert issubclass(DevalueError, ValueError)


# -- stringify (__data.json) ---------------------------------------------------------


def test_stringified_specials_and_holes():
    value = parse_stringified('[[1,-1,-3,-4,-5,-6,-2],"x"]')
    assert value[0] == "x" and value[1] is None and value[6] is None
    assert math.isnan(value[2]) and value[3:5] == [math.inf, -math.inf]
    assert value[5] == 0 and math.copysign(1, value[5]) == -1


def test_stringified_typed_values():
    data = [
        {"d": 1, "m": 2, "s": 5, "big": 6, "boxed": 7, "bare": 8},
        ["Date", "2025-10-02T00:00:00.000Z"],
        ["Map", 3, 4, 9, 10],
        "k",
        7,
        ["Set", 3, 4],
        ["BigInt", "12345678901234567890"],
        ["Object", 11],  # devalue 5.9.4: a boxed primitive's payload is an index
        ["null", "x", 4],
        ["Date", "2025-10-02T12:30:00.250Z"],
        {"nested": 3},
        "boxed",
    ]
    value = parse_stringified(data)
    assert value == {
        "d": datetime(2025, 10, 2, tzinfo=UTC),
        "m": {"k": 7, datetime(2025, 10, 2, 12, 30, 0, 250000, tzinfo=UTC): {"nested": "k"}},
        "s": ["k", 7],
        "big": 12345678901234567890,
        "boxed": "boxed",
        "bare": {"x": 7},
    }


def test_stringified_shared_and_cyclic_references():
    shared = parse_stringified([{"a": 1, "b": 1}, {"x": 2}, 3])
    assert shared == {"a": {"x": 3}, "b": {"x": 3}} and shared["a"] is shared["b"]
    cyclic = parse_stringified([{"self": 0, "list": 1}, [0, 2], "end"])
    assert cyclic["self"] is cyclic and cyclic["list"][0] is cyclic
    assert cyclic["list"][1] == "end"


def test_stringified_roots_and_promises():
    assert parse_stringified(-1) is None
    assert parse_stringified('["just a string"]') == "just a string"
    assert parse_stringified([{"p": 1}, ["Promise", 2], 1]) == {"p": Deferred(1)}


def test_stringified_round_trip():
    rows = synthetic_rows(20, 3)
    data = {"stats": rows, "when": datetime(2026, 10, 3, 7, 58, 12, 481000, tzinfo=UTC)}
    assert parse_stringified(devalue_stringify(data)) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[1,", "not JSON"),
        ("[]", "non-empty JSON array"),
        ('{"a":1}', "non-empty JSON array"),
        ([{"a": 5}], "index 5 out of range"),
        ([["Weird", "x", "y"]], "unknown type 'Weird'"),
        ([{"a": "1"}], "expected an index"),
        (-9, "invalid devalue stringify root"),
    ],
)
def test_stringified_errors(data, message):
    with pytest.raises(DevalueError, match=message):
        parse_stringified(data)


def test_data_json_with_streamed_chunks():
    text = (
        '{"type":"data","nodes":[null,{"type":"skip"},{"type":"data","data":'
        '[{"stats":1},["Promise",2],1],"uses":{}}]}\n'
        '{"type":"chunk","id":1,"data":[[1],{"n":2},.5]}\n'.replace(".5", "0.5")
    )
    assert data_json_values(text) == [{"stats": Deferred(1)}, [{"n": 0.5}]]


def test_data_json_redirect_and_garbage():
    with pytest.raises(DevalueError, match="'redirect'"):
        data_json_values('{"type":"redirect","location":"/login"}')
    with pytest.raises(DevalueError, match="line 1 is not JSON"):
        data_json_values("<html>")
    with pytest.raises(DevalueError, match="empty"):
        data_json_values("\n")


# -- whole pages ---------------------------------------------------------------------


def test_kit_start_page_with_a_hoisted_node():
    rows = [dict(ROW, date=f"2026-10-0{d}") for d in (3, 2, 1)]
    page, _ = render_stats_page(CHUTE, rows, "hoisted")
    assert "(function(a,b){" in page and "}(Array(3),{}))" in page
    user, data = extract_page_data(page)
    assert user == USER
    assert data == {"chute": CHUTE, "stats": rows, "tab": "stats", "latest": rows[0], "chart": rows}
    assert data["chart"] is data["stats"] and data["latest"] is data["stats"][0]


def test_streamed_values_after_the_document():
    rows = [dict(ROW, date=f"2026-10-0{d}") for d in (2, 1)]
    document, chunks = render_stats_page(CHUTE, rows, "streamed")
    # The arrow form is what the renderer streams; an error in it, and the object form
    # with and without an error, are written by hand.
    more = (
        '<script>__sveltekit_1qmvh4f.resolve(2, () => [,{message:"Internal Error"}])</script>\n'
        f"<script>__sveltekit_1qmvh4f.resolve({{id:3,data:{devalue_uneval(rows[:1])},"
        "error:void 0})</script>\n"
        '<script>__sveltekit_1qmvh4f.resolve({id:4,data:void 0,error:{message:"x"}})</script>\n'
    )
    page = document + "".join(chunks) + more
    assert page.index("</html>") < page.index(".resolve(1, () => [")
    values = extract_page_data(page)
    assert values == [USER, {"chute": CHUTE, "stats": Deferred(1), "tab": "stats"}, rows, rows[:1]]


def test_streamed_transport_decode_form():
    page = (
        render_page("[null]")
        + "<script>__sveltekit_x.resolve(1, (app) => [app.decode('Row', {n:1})])</script>"
    )
    assert extract_page_data(page) == [{"n": 1}]


def test_legacy_const_data_with_quoted_wrapper_keys():
    data = devalue_uneval({"stats": [ROW]})
    page = f"""<!doctype html><html><body><div>
<script>
  {{
    __sveltekit_abc = {{ env: {{}}, base: new URL(".", location).pathname.slice(0, -1) }};
    const element = document.currentScript.parentElement;
    // a comment with data: [1] that must not be read
    const data = [null,{{"type":"data","data":{data},"uses":{{"url":1}}}}];
    Promise.all([import("./start.js"), import("./app.js")]).then(([kit, app]) => {{
      kit.start(app, element, {{ node_ids: [0, 2], data, form: null, error: null }});
    }});
  }}
</script></div></body></html>"""
    assert extract_page_data(page) == [{"stats": [ROW]}]


def test_app_start_and_older_hydrate_forms():
    app_start = (
        "<html><body><script>import('./app.js').then((app) => { app.start(element, "
        f'{{node_ids:[0],data:[{{type:"data",data:{ROW_JS},uses:{{}}}}],form:null}}); }})'
        "</script></body></html>"
    )
    assert extract_page_data(app_start) == [ROW]
    hydrate = (
        '<script type="module">import { start } from "./start.js"; start({ env: {}, '
        'target: document.querySelector("[data-sveltekit-hydrate]").parentNode, '
        f"hydrate: {{ status: 200, node_ids: [0], data: [{ROW_JS}], form: null }} }});</script>"
    )
    assert extract_page_data(hydrate) == [ROW]


def test_data_keys_outside_the_start_call_are_ignored():
    page = render_page(
        '[{type:"data",data:{ok:1},uses:{}}]',
        main='<main>rendered</main><script>window.config = {data: ["not page data"]};</script>',
    )
    assert extract_page_data(page) == [{"ok": 1}]


def test_server_fetch_replays_are_included():
    body = json.dumps([ROW])
    fetched = (
        '<script type="application/json" data-sveltekit-fetched data-url="/api/stats">'
        + json.dumps({"status": 200, "statusText": "", "headers": {}, "body": body})
        + "</script>"
    )
    page = render_page("[null]", main="<main>rendered</main>" + fetched)
    assert extract_page_data(page) == [[ROW]]


def test_page_without_a_data_script():
    page = (
        "<html><head><script src='/app.js'></script></head><body>"
        "<script>var data = 5; console.log('hi')</script></body></html>"
    )
    with pytest.raises(DevalueError, match="no SvelteKit data script found"):
        extract_page_data(page)
    with pytest.raises(DevalueError, match="no SvelteKit data script found"):
        extract_page_data("")


def test_page_with_a_malformed_literal():
    page = render_page('[null,{type:"data",data:{stats:[{a:1,,}]},uses:{}}]')
    with pytest.raises(DevalueError) as info:
        extract_page_data(page)
    message = str(info.value)
    assert message.startswith("<script> #0: expected an object key at offset ")
    offset = int(message.split("at offset ")[1].split()[0])
    script_start = page.index("<script>") + len("<script>")
    # The offset is within the script's text and points at the stray second comma.
    assert page[script_start + offset - 5 : script_start + offset + 1] == "{a:1,,"


# -- speed ---------------------------------------------------------------------------


def test_nine_thousand_rows_decode_quickly():
    # The target is well under 150 ms on the 2-core build box; the bound here only
    # catches a regression to quadratic or pathological behaviour on a slow runner.
    rows = synthetic_rows(340, 31)
    assert len(rows) > 9000
    # Every row is referenced twice, so devalue hoists all of them into one IIFE.
    node = {"type": "data", "data": {"stats": rows, "again": rows[::-1]}, "uses": {"url": 1}}
    page = render_page(f"[null,{devalue_uneval(node)}]")
    started = time.perf_counter()
    values = extract_page_data(page)
    elapsed = time.perf_counter() - started
    assert values[0]["stats"] == rows
    assert elapsed < 2.0, f"9000 hoisted rows took {elapsed:.2f}s"


# -- issue 8: forms the real serializer (devalue 5.9.4) writes ---------------------------


def test_stringify_boxed_primitive_is_its_value_not_its_index():
    assert parse_stringified('[{"total_requests":1},["Object",2],25911]') == {
        "total_requests": 25911
    }
    shared = parse_stringified('[[1,1],["Object",2],"s"]')
    assert shared == ["s", "s"]


def test_stringify_sparse_arrays():
    assert parse_stringified("[[-7,4,3,1],1]") == [None, None, None, 1]
    wide = parse_stringified("[[-7,1001,1000,1],1]")
    assert len(wide) == 1001 and wide[1000] == 1 and wide[:1000] == [None] * 1000
    with pytest.raises(DevalueError, match="exceeds"):
        parse_stringified("[[-7,4294967295]]")
    with pytest.raises(DevalueError, match="out of range"):
        parse_stringified("[[-7,2,5,1],1]")


def test_uneval_sparse_arrays():
    js = (
        "Object.assign((function(a){a[4294967294]=0;delete a[4294967294];a.length=1001;"
        "return a}([])),{1000:1})"
    )
    wide = parse_uneval(js)
    assert len(wide) == 1001 and wide[1000] == 1 and wide[0] is None
    with pytest.raises(DevalueError, match="exceeds"):
        parse_uneval(js.replace("a.length=1001", "a.length=4294967295"))
    with pytest.raises(DevalueError, match="index 4294967294 exceeds"):  # never deleted
        parse_uneval("(function(a){a[4294967294]=0;return a}([]))")


def test_uneval_more_hoisted_values_than_function_parameters():
    js = "(function(){var[a,b]=arguments[0];a.x=1;b.add(a);return [a,b,a]}([{},new Set]))"
    value = parse_uneval(js)
    assert value == [{"x": 1}, [{"x": 1}], {"x": 1}]
    assert value[0] is value[2] and value[1][0] is value[0]


def test_uneval_reassigned_placeholders():
    long = "L" * 130
    js = f'(function(a,b){{b=Object(a);return {{x:b,y:b,z:a}}}}("{long}"))'
    assert parse_uneval(js) == {"x": long, "y": long, "z": long}


def test_uneval_null_prototype_objects_have_no_proto_key():
    assert parse_uneval("{a:1,__proto__:null}") == {"a": 1}
    assert parse_uneval('{"a-b":{c:[]},__proto__:null}') == {"a-b": {"c": []}}
    assert parse_uneval("{__proto__:null}") == {}


def test_data_json_lines_split_on_newline_only():
    node = {"type": "data", "nodes": [{"type": "data", "data": [{"name": 1}, "a\u0085b\u2028c"]}]}
    text = json.dumps(node, ensure_ascii=False) + "\n"
    assert data_json_values(text) == [{"name": "a\u0085b\u2028c"}]


@pytest.mark.parametrize(
    "js", ["Array(1000000000)", "1" * 5001 + "n", "6.n", "1.5e3n"], ids=str.__len__
)
def test_absurd_or_invalid_literals_are_devalue_errors(js):
    with pytest.raises(DevalueError):
        parse_uneval(js)


def test_huge_integer_literal_is_the_nearest_double():
    assert parse_uneval("1" * 5001) == math.inf
    assert parse_uneval("1" * 25) == 1.1111111111111111e24
