"""GET /api: the API documented for people, rendered from the same OpenAPI document as
/api/openapi.json (SPEC §6), examples included (app.api.examples)."""

import json
from typing import Any
from urllib.parse import urlsplit

from flask import render_template, request

from app.api.examples import documented
from app.api.routes import bp


def example_text(value: Any) -> str:
    """An example answer as shown: JSON indented, a CSV as it is."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def shown_example(op: dict) -> dict:
    """What the page shows of an operation's example, read from the document: the
    request (link and curl line) and the answer (status, its summary and text), or the
    note that there is none yet."""
    shown: dict[str, Any] = {"note": op.get("x-example-note")}
    url = op.get("x-example-request")
    if url:
        parts = urlsplit(url)
        shown["url"] = url
        shown["request"] = "GET " + parts.path + (f"?{parts.query}" if parts.query else "")
        shown["curl"] = op["x-codeSamples"][0]["source"]
    for status, response in op["responses"].items():
        for media in response.get("content", {}).values():
            for example in media.get("examples", {}).values():
                shown["answer"] = {
                    "status": status,
                    "summary": example["summary"],
                    "description": example.get("description"),
                    "text": example_text(example["value"]),
                }
    return shown


@bp.get("", provide_automatic_options=False)
def docs() -> str:
    spec = documented(request.host_url)
    examples = {
        op["operationId"]: shown_example(op)
        for methods in spec["paths"].values()
        for op in methods.values()
    }
    return render_template("api.html", spec=spec, examples=examples)
