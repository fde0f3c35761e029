"""A ready request and a real answer for every endpoint, in the OpenAPI document that
/api/openapi.json serves and /api shows (SPEC §6 `GET /api`): one source for both.

The answers are the app's own: each example URL is asked of the app itself (its test
client, inside the current app context), on the current data, and shortened to read
(app.api.shorten). They are built once per data version and UTC day (like every cached
body: app.plumbing.bodies); the `curl` lines carry the origin the page was asked on.
Before the first scrape there is no model to show: the data endpoints say so instead.
"""

from typing import Any, TypedDict
from urllib.parse import quote

from flask import Flask, current_app

from app import clock
from app.api.openapi import document
from app.api.shorten import only_keys, shorten, shorten_csv
from app.plumbing.cache import cache, data_version

# The query of each example request (the path's own parameters come from the data).
EXAMPLE_QUERIES = {
    "/api/models": "?sort=ttft&limit=3",
    "/api/models.csv": "?sort=ttft&limit=3",
    "/api/events": "?limit=3",
}
LIST_PATH = "/api/models"
OPENAPI_PATH = "/api/openapi.json"
# The document's own example: its head (the rest is what /api shows, and its examples
# would hold themselves).
OPENAPI_KEYS = ("openapi", "info", "servers")
# What answers with data before the first scrape too ("empty" is worth seeing).
ANSWER_WITHOUT_DATA = ("/api/health", OPENAPI_PATH)
NO_DATA = "No data yet: no scrape has stored a model on this site, so there is no example response."
CSV = "text/csv"


class Answer(TypedDict):
    """A real answer, shortened: what an example shows."""

    url: str  # the request's path and query
    status: str
    mimetype: str
    value: Any  # parsed JSON, or the CSV text
    notes: list[str]  # what was cut
    at: str  # when it was asked (UTC, to the minute)


def request_url(path: str, chute_id: str | None) -> str | None:
    """The example request of a documented path: its query, and a real chute_id for a
    path that takes one (None without one)."""
    url = path + EXAMPLE_QUERIES.get(path, "")
    if "{chute_id}" in path:
        if chute_id is None:
            return None
        url = url.replace("{chute_id}", quote(chute_id, safe=""))
    return url


def _chute_ids(models: list) -> dict[str, str | None]:
    """A real id for each path that takes one: the first model of the list example, and
    for the probes the first of those with probes in the last 24 h."""
    first = models[0]["chute_id"] if models else None
    probed = next((m["chute_id"] for m in models if m.get("probe_n_24h")), first)
    return {"/api/models/{chute_id}": first, "/api/models/{chute_id}/probes": probed}


def _answer(url: str, status: int, mimetype: str, body: Any, at: str) -> Answer:
    """`body` (CSV text or parsed JSON) shortened, with what was cut."""
    value: Any
    if mimetype == CSV:
        value, notes = shorten_csv(body)
    elif url == OPENAPI_PATH:
        value, notes = only_keys(body, OPENAPI_KEYS)
    else:
        value, notes = shorten(body)
    return {
        "url": url,
        "status": str(status),
        "mimetype": mimetype,
        "value": value,
        "notes": notes,
        "at": at,
    }


def real_answers(app: Flask) -> dict[str, Answer | None]:
    """Each documented path's example answer, asked of `app` now (None: no data yet)."""
    client = app.test_client()
    at = clock.now().strftime("%Y-%m-%d %H:%M UTC")

    def ask(url: str) -> Answer:
        if url == OPENAPI_PATH:
            # Asking the view would build these examples again: its head is document()'s.
            return _answer(url, 200, "application/json", document(), at)
        response = client.get(url)
        mimetype = response.mimetype or ""
        body = response.get_data(as_text=True) if mimetype == CSV else response.get_json()
        return _answer(url, response.status_code, mimetype, body, at)

    listed = ask(LIST_PATH + EXAMPLE_QUERIES[LIST_PATH])
    # The list example's models (shortened: its first ones) give the real ids.
    models = listed["value"] if listed["status"] == "200" else []
    ids = _chute_ids(models)
    answers: dict[str, Answer | None] = {}
    for path in document()["paths"]:
        url = request_url(path, ids.get(path))
        if url is None or (not models and path not in ANSWER_WITHOUT_DATA):
            answers[path] = None
        else:
            answers[path] = listed if path == LIST_PATH else ask(url)
    return answers


def current_answers() -> dict[str, Answer | None]:
    """real_answers() for the current data version and UTC day, built once for both (in the
    response cache)."""
    key = f"api-examples:{data_version()}:{clock.today_utc()}"
    answers = cache.get(key)
    if answers is None:
        answers = real_answers(current_app._get_current_object())  # type: ignore[attr-defined]
        cache.set(key, answers)
    return answers


def shell_quoted(text: str) -> str:
    """`text` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def with_examples(doc: dict, answers: dict[str, Answer | None], origin: str) -> dict:
    """`doc` with each operation's example: `x-example-request` (the absolute URL),
    `x-codeSamples` (its curl line) and the answer under its status and media type in
    `examples`, or `x-example-note` saying there is none yet. `doc` is left as it was."""
    paths = {}
    for path, methods in doc["paths"].items():
        answer = answers.get(path)
        paths[path] = {
            method: _operation_with(op, path, answer, origin.rstrip("/"))
            for method, op in methods.items()
        }
    return {**doc, "paths": paths}


def _operation_with(op: dict, path: str, answer: Answer | None, origin: str) -> dict:
    url = answer["url"] if answer else (None if "{" in path else request_url(path, None))
    op = dict(op)
    if url is not None:
        op["x-example-request"] = origin + url
        curl = f"curl {shell_quoted(origin + url)}"
        op["x-codeSamples"] = [{"lang": "Shell", "label": "curl", "source": curl}]
    if answer is None:
        op["x-example-note"] = NO_DATA
        return op
    response = op["responses"].get(answer["status"])
    media = (response or {}).get("content", {}).get(answer["mimetype"])
    if response is None or media is None:  # an answer the document has no place for
        return op
    example: dict[str, Any] = {
        "summary": f"A real response from this site at {answer['at']}, on its current data."
    }
    if answer["notes"]:
        example["description"] = "Shortened for reading: " + "; ".join(answer["notes"]) + "."
    example["value"] = answer["value"]
    media = {**media, "examples": {"current": example}}
    response = {**response, "content": {**response["content"], answer["mimetype"]: media}}
    op["responses"] = {**op["responses"], answer["status"]: response}
    return op


def documented(origin: str) -> dict:
    """The OpenAPI document with the current examples, for a site asked at `origin`."""
    return with_examples(document(), current_answers(), origin)
