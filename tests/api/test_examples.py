"""The examples of /api and /api/openapi.json (issue 19, defect 5): a ready curl line with
the site's origin and a real answer per endpoint, shortened, the same in both; built once
per data version; "no data yet" before the first scrape."""

import html
import json
import re
import shlex

import pytest

from app.api import examples
from app.api.examples import NO_DATA, OPENAPI_KEYS
from app.api.openapi import document
from app.api.shorten import only_keys, shorten, shorten_csv
from app.probing.run import run_probes
from app.settings import Settings
from tests.api.test_routes import leaderboard, seed_models
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import Dataset, UpstreamApp

ORIGIN = "https://leaderboard.example"
OPERATIONS = {
    op["operationId"]: path for path, m in document()["paths"].items() for op in m.values()
}
DATA_PATHS = [p for p in document()["paths"] if p not in ("/api/health", "/api/openapi.json")]


# --- shortening (plain data) --------------------------------------------------------------


def test_every_array_keeps_its_first_items_and_each_cut_is_said():
    value = {"a": 1, "history": [1, 2, 3, 4], "events": [{"x": [5, 6, 7]}], "prices": [8, 9]}
    short, notes = shorten(value, items=2)
    assert short == {"a": 1, "history": [1, 2], "events": [{"x": [5, 6]}], "prices": [8, 9]}
    assert notes == ["the first 2 of 4 items of history", "the first 2 of 3 items of events[0].x"]
    assert shorten([{"p": []}, {"p": [1]}, {"p": [2]}], items=2) == (
        [{"p": []}, {"p": [1]}],
        ["the first 2 of 3 items"],
    )
    assert shorten({"n": None, "s": "text"}) == ({"n": None, "s": "text"}, [])


def test_a_csv_keeps_its_header_and_first_records_whole():
    text = 'id,name\r\n1,"two\r\nlines"\r\n2,b\r\n3,c\r\n'
    assert shorten_csv(text, items=2) == (
        'id,name\r\n1,"two\r\nlines"\r\n2,b\r\n',
        ["the header and the first 2 of 3 rows"],
    )
    assert shorten_csv("id\r\n1\r\n", items=2) == ("id\r\n1\r\n", [])


def test_an_object_keeps_the_keys_asked_for():
    assert only_keys({"a": 1, "b": 2, "c": 3}, ["a"]) == (
        {"a": 1},
        ["b, c left out (/api shows them)"],
    )


# --- the page and the document -----------------------------------------------------------


def section(page: str, operation_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{operation_id}">(.*?)</section>', page, re.S)
    assert found, operation_id
    return found.group(1)


def pre(part: str, css: str) -> str | None:
    found = re.search(rf'<pre class="{css}"[^>]*>(.*?)</pre>', part, re.S)
    return html.unescape(found.group(1)) if found else None


def shown_examples(client, base_url: str = ORIGIN) -> dict[str, tuple[str | None, str | None]]:
    """operationId -> (the curl line shown, the answer shown), read off /api."""
    page = client.get("/api", base_url=base_url).text
    return {
        op: (
            pre(section(page, op), "code-block"),
            pre(section(page, op), "code-block example-answer"),
        )
        for op in OPERATIONS
    }


def real_shortened(client, url: str):
    """A real GET of `url`, shortened as the examples are."""
    response = client.get(url)
    if response.mimetype == "text/csv":
        return shorten_csv(response.get_data(as_text=True))[0]
    if url.endswith("/api/openapi.json"):
        return only_keys(response.get_json(), OPENAPI_KEYS)[0]
    return shorten(response.get_json())[0]


def curl_url(curl: str) -> str:
    words = shlex.split(curl)
    assert words[0] == "curl" and len(words) == 2, curl
    return words[1]


def test_every_endpoint_shows_a_curl_line_and_the_real_answer_shortened(client, seeded):
    ids = [m["chute_id"] for m in client.get("/api/models?sort=ttft&limit=3").get_json()]
    for operation_id, (curl, answer) in shown_examples(client).items():
        url = curl_url(curl)
        path = OPERATIONS[operation_id]
        assert url.startswith(ORIGIN + path.split("{")[0]), url
        if "{chute_id}" in path:  # a real id of the current data
            assert url.removeprefix(ORIGIN + "/api/models/").split("/")[0] in ids
        expected = real_shortened(client, url)
        shown = answer if isinstance(expected, str) else json.loads(answer)
        assert shown == expected, operation_id
    curl, answer = shown_examples(client)["listModels"]
    assert curl == f"curl '{ORIGIN}/api/models?sort=ttft&limit=3'"
    assert [m["chute_id"] for m in json.loads(answer)] == ids[:2]


def test_the_curl_lines_carry_the_origin_asked_on(client, seeded):
    for base_url in ("http://127.0.0.1:5000", "https://other.example"):
        for curl, _ in shown_examples(client, base_url).values():
            assert curl_url(curl).startswith(base_url + "/api/"), curl
        doc = client.get("/api/openapi.json", base_url=base_url).get_json()
        op = doc["paths"]["/api/health"]["get"]
        assert op["x-codeSamples"][0]["source"] == f"curl '{base_url}/api/health'"


def test_the_page_shows_what_the_openapi_document_holds(client, seeded):
    doc = client.get("/api/openapi.json", base_url=ORIGIN).get_json()
    shown = shown_examples(client)
    for path, methods in doc["paths"].items():
        op = methods["get"]
        curl, answer = shown[op["operationId"]]
        assert op["x-codeSamples"] == [{"lang": "Shell", "label": "curl", "source": curl}]
        values = [
            ex["value"]
            for response in op["responses"].values()
            for media in response.get("content", {}).values()
            for ex in media.get("examples", {}).values()
        ]
        assert len(values) == 1, path
        assert values[0] == (answer if isinstance(values[0], str) else json.loads(answer)), path
    # Without the examples it is the document as built from the code.
    assert without_examples(doc) == json.loads(json.dumps(document()))


def without_examples(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for methods in doc["paths"].values():
        for op in methods.values():
            for key in ("x-codeSamples", "x-example-request", "x-example-note"):
                op.pop(key, None)
            for response in op["responses"].values():
                for media in response.get("content", {}).values():
                    media.pop("examples", None)
    return doc


def test_every_curl_line_answers_200_with_probes_on(serve_stand_in, db_path, tmp_path):
    _, base = serve_stand_in(UpstreamApp(Dataset.synthetic(3, days=3, seed=5)))
    assert scrape(db_path, base).status == "ok"
    key = tmp_path / "probe.key"
    key.write_text("cpk_examples")
    settings = Settings.from_mapping(
        {"DATABASE": db_path, "LLM_URL": base, "REQUEST_DELAY": 0, "PROBE_KEY_FILE": str(key)}
    )
    assert run_probes(settings).status == "ok"
    client = new_app({"DATABASE": db_path}).test_client()
    shown = shown_examples(client)
    for operation_id, (curl, answer) in shown.items():
        assert client.get(curl_url(curl)).status_code == 200, operation_id
        assert answer, operation_id
    probes = json.loads(shown["getModelProbes"][1])
    assert probes and probes[0]["outcome"]


def test_an_empty_database_says_no_data_yet(client, db_path):
    page = client.get("/api", base_url=ORIGIN).text
    doc = client.get("/api/openapi.json", base_url=ORIGIN).get_json()
    for operation_id, path in OPERATIONS.items():
        part = section(page, operation_id)
        op = doc["paths"][path]["get"]
        if path in DATA_PATHS:
            assert html.escape(NO_DATA, quote=False) in part, path
            assert pre(part, "code-block example-answer") is None, path
            assert op["x-example-note"] == NO_DATA
        else:  # health says "empty"; the document is there
            assert pre(part, "code-block example-answer"), path
    # The list and the events answer before any scrape too: their curl lines stay.
    assert (
        pre(section(page, "listModels"), "code-block")
        == f"curl '{ORIGIN}/api/models?sort=ttft&limit=3'"
    )
    assert pre(section(page, "getModel"), "code-block") is None  # no real id to show
    assert (
        json.loads(pre(section(page, "health"), "code-block example-answer"))["status"] == "empty"
    )


def test_the_answers_are_asked_once_per_data_version(make_app, db_path, monkeypatch):
    seed_models(db_path)
    built = []
    real = examples.real_answers
    monkeypatch.setattr(examples, "real_answers", lambda app: built.append(1) or real(app))
    client = make_app().test_client()
    first = client.get("/api").text
    assert client.get("/api").text == first
    client.get("/api/openapi.json")
    client.get("/api", base_url="https://other.example")
    assert len(built) == 1
    seed_models(db_path, leaderboard()[:2])  # a new scrape: a new data version
    client.get("/api")
    assert len(built) == 2


@pytest.fixture
def seeded(db_path: str) -> str:
    seed_models(db_path)
    return db_path
