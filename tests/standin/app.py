"""The WSGI app answering for chutes.ai's three hosts, and the helpers that serve it."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.standin.capacity import UtilizationFeed
from tests.standin.chat import ChatStandIn
from tests.standin.datasets import Dataset, _uid, make_row
from tests.standin.faults import Fault, Faults
from tests.standin.pages import PAGE_FORMS, render_app_page, render_data_json, render_stats_page


@dataclass(frozen=True)
class RequestRecord:
    """One request as the stand-in saw it."""

    method: str
    path: str
    query: str
    user_agent: str
    at: float


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UpstreamApp:
    """The WSGI app. `dataset`, `page_form` and `faults` may be changed while it serves."""

    def __init__(self, dataset: Dataset, page_form: str = "inline") -> None:
        if page_form not in PAGE_FORMS:
            raise ValueError(f"page_form must be one of {PAGE_FORMS}")
        self.dataset = dataset
        self.page_form = page_form
        self.faults = Faults()
        self.requests: Counter[str] = Counter()  # path -> number of requests
        self.log: list[RequestRecord] = []
        # SvelteKit answers `text/html` without a charset; the page's <meta> says UTF-8.
        self.html_content_type = "text/html"
        # Live stats pages carry every chute's rows; False narrows each to its own chute,
        # which makes the scraper's batching over several runs observable.
        self.pages_carry_all_rows = True
        # `GET /chutes/utilization`: a new snapshot per request (tests/standin/capacity.py).
        self.utilization = UtilizationFeed()
        # `POST /v1/chat/completions`: the probes' streams (tests/standin/chat.py).
        self.chat = ChatStandIn()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def reset_counts(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()
            self.log.clear()

    def handle(self, request: Request) -> Response:
        """Answer one request (also the pytest-httpserver handler)."""
        path = request.path
        with self._lock:
            self.requests[path] += 1
            self.log.append(
                RequestRecord(
                    request.method,
                    path,
                    request.query_string.decode("latin-1"),
                    request.headers.get("User-Agent", ""),
                    time.monotonic(),
                )
            )
        if request.method == "POST" and path == "/v1/chat/completions":
            return self.chat.handle(request)
        fault = self.faults.take(path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        route = self._route(request)
        if route is None:
            return self._error(404, path, json_expected=not path.startswith("/app"))
        kind, render = route
        response = self._respond(kind, render, fault, path)
        if fault is not None and fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    # -- routing ---------------------------------------------------------------------------

    def _route(self, request: Request) -> tuple[str, Callable[[str], Any]] | None:
        """(kind, render) where kind is "json" or "html" and render(mode) gives the answer.

        mode is "ok", "empty", "missing" (no data script) or "malformed".
        """
        path = request.path
        args = request.args
        if request.method not in ("GET", "HEAD"):
            return None
        if path == "/v1/models":
            return "json", lambda mode: self._models(mode == "empty")
        if path == "/invocations/stats/llm":
            return "json", lambda mode: self._stats(args, mode == "empty")
        if path == "/chutes/utilization":
            return "json", lambda mode: (
                200,
                "[]" if mode == "empty" else _dumps(self.utilization.answer(self.dataset.models)),
            )
        if path in ("/chutes", "/chutes/"):
            return "json", lambda mode: self._chutes_list(args, mode == "empty")
        if path == "/app":
            return "html", lambda mode: self._app_page(mode)
        if path == "/app/__data.json":
            return "json", lambda mode: (
                200,
                render_data_json({"chutes": self._envelope(mode == "empty")}, {"url": 1}),
            )
        match = re.fullmatch(r"/app/chute/([^/]+)(/__data\.json)?", path)
        if match:
            chute = self.dataset.chute(match.group(1))
            if chute is None:
                return None
            if match.group(2):
                return "json", lambda mode: (200, self._chute_data_json(chute, mode == "empty"))
            return "html", lambda mode: self._stats_page(chute, mode)
        return None

    def _envelope(self, empty: bool) -> dict[str, Any]:
        envelope = self.dataset.chutes_envelope()
        if empty:
            envelope = {**envelope, "total": 0, "items": []}
        return envelope

    def _models(self, empty: bool) -> tuple[int, str]:
        data = [] if empty else self.dataset.models
        return 200, _dumps({"object": "list", "data": data})

    def _stats(self, args: Any, empty: bool) -> tuple[int, str]:
        bounds: dict[str, date | None] = {}
        for name in ("start_date", "end_date"):
            raw = args.get(name)
            bounds[name] = None
            if raw is None:
                continue
            try:
                if not _DATE.fullmatch(raw):
                    raise ValueError("input is too short" if len(raw) < 10 else "invalid date")
                bounds[name] = date.fromisoformat(raw)
            except ValueError as exc:
                # FastAPI's validation error, as the real API answers a malformed date.
                detail = [
                    {
                        "type": "date_from_datetime_parsing",
                        "loc": ["query", name],
                        "msg": f"Input should be a valid date or datetime, {exc}",
                        "input": raw,
                        "ctx": {"error": str(exc)},
                    }
                ]
                return 422, _dumps({"detail": detail})
        if empty:
            return 200, "[]"  # the upstream's cold cache: 200 with nothing
        rows = self.dataset.stats(bounds["start_date"], bounds["end_date"], args.get("chute_id"))
        return 200, _dumps(rows)

    def _chutes_list(self, args: Any, empty: bool) -> tuple[int, str]:
        try:
            limit = int(args.get("limit", 25))
            page = int(args.get("page", 0))
        except ValueError:
            return 422, _dumps({"detail": "limit and page must be integers"})
        if not (1 <= limit <= 5000 and 0 <= page <= 100):
            return 422, _dumps({"detail": "limit must be 1-5000 and page 0-100"})
        items = [] if empty else self.dataset.chutes
        body = {
            "total": len(items),
            "page": page,
            "limit": limit,
            "items": items[page * limit : (page + 1) * limit],
            "cord_refs": self.dataset.cord_refs,
        }
        return 200, _dumps(body)

    def _app_page(self, mode: str) -> tuple[int, str, list[str]]:
        script = {"missing": "missing", "malformed": "malformed"}.get(mode, "ok")
        document, chunks = render_app_page(self._envelope(mode == "empty"), self.page_form, script)
        return 200, document, chunks

    def _stats_page(self, chute: dict[str, Any], mode: str) -> tuple[int, str, list[str]]:
        script = {"missing": "missing", "malformed": "malformed"}.get(mode, "ok")
        rows = [] if mode == "empty" else self._page_rows(chute)
        document, chunks = render_stats_page(chute, rows, self.page_form, script)
        return 200, document, chunks

    def _page_rows(self, chute: dict[str, Any]) -> list[dict[str, Any]]:
        if self.pages_carry_all_rows:
            return self.dataset.stats()
        return self.dataset.stats(chute_id=chute["chute_id"])

    def _chute_data_json(self, chute: dict[str, Any], empty: bool) -> str:
        rows = [] if empty else self._page_rows(chute)
        return render_data_json(
            {"chute": chute, "stats": rows, "tab": "stats"}, {"params": ["chute_id"], "url": 1}
        )

    # -- answering -----------------------------------------------------------------------

    def _respond(
        self, kind: str, render: Callable[[str], Any], fault: Fault | None, path: str
    ) -> Response:
        mimetype = "application/json" if kind == "json" else self.html_content_type
        body_fault = fault.body if fault else None
        if fault is not None and fault.status is not None and body_fault is None:
            return self._error(fault.status, path, json_expected=kind == "json")
        if body_fault == "html" or (body_fault == "no_script" and kind == "json"):
            status = fault.status if fault and fault.status else 200
            return Response(_html_error_page(status), status, content_type="text/html")
        if body_fault == "oversized":
            assert fault is not None
            response = Response(
                _filler(fault.size, kind),
                fault.status or 200,
                content_type=mimetype,
                direct_passthrough=True,
            )
            if fault.declare_length:
                response.headers["Content-Length"] = str(fault.size)
            return response

        mode = {"empty": "empty", "no_script": "missing", "malformed": "malformed"}.get(
            body_fault or "", "ok"
        )
        if kind == "json" and mode in ("missing", "malformed"):
            body_fault, mode = "truncated", "ok"
        result = render(mode)
        status, text = result[0], result[1]
        chunks: list[str] = result[2] if len(result) > 2 else []
        if fault is not None and fault.status is not None:
            status = fault.status
        if body_fault == "truncated":
            assert fault is not None
            data = (text + "".join(chunks)).encode()
            return Response(data[: fault.size or len(data) // 2], status, content_type=mimetype)
        if chunks:
            # Streamed: the whole document first, each resolved promise after </html>.
            return Response(_encode_all([text, *chunks]), status, content_type=mimetype)
        return Response(text, status, content_type=mimetype)

    def _error(self, status: int, path: str, *, json_expected: bool) -> Response:
        phrase = _phrase(status)
        if json_expected:
            return Response(_dumps({"detail": phrase}), status, content_type="application/json")
        return Response(_html_error_page(status), status, content_type=self.html_content_type)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _html_error_page(status: int) -> str:
    title = f"{status} {_phrase(status)}" if status != 200 else "Maintenance"
    return (
        "<!DOCTYPE html>\n<html><head><title>"
        f"{title}</title></head><body><center><h1>{title}</h1></center><hr>"
        "<center>cloudflare</center></body></html>\n"
    )


def _encode_all(parts: list[str]) -> Iterator[bytes]:
    for part in parts:
        yield part.encode()


def _filler(size: int, kind: str) -> Iterator[bytes]:
    """`size` bytes that look like the start of a huge answer, made as they are sent."""
    if kind == "json":
        head = b"["
        unit = (
            _dumps(make_row(_uid("x"), "x/Filler-TEE", "2026-10-01", 1, 1, 1, 1.5, 0.5)) + ","
        ).encode()
    else:
        head = b"<!doctype html><html><body>"
        unit = b"<p>" + b"x" * 120 + b"</p>\n"
    block = unit * max(1, 65536 // len(unit))
    sent = 0
    for piece in (head, *(block for _ in range(size // len(block) + 1))):
        if sent >= size:
            return
        piece = piece[: size - sent]
        sent += len(piece)
        yield piece


def _dumps(value: Any) -> str:
    # FastAPI's JSONResponse: compact separators, raw UTF-8.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def make_upstream_app(dataset: Dataset, page_form: str = "inline") -> UpstreamApp:
    """The stand-in WSGI app serving `dataset`."""
    return UpstreamApp(dataset, page_form)


def install(httpserver: Any, upstream_app: UpstreamApp) -> str:
    """Route every request of a pytest-httpserver to `upstream_app`; returns the base URL."""
    httpserver.expect_request(re.compile(".*")).respond_with_handler(upstream_app.handle)
    return httpserver.url_for("/").rstrip("/")


def config_for(base_url: str) -> dict[str, str]:
    """Flask config pointing all three chutes.ai URLs at the stand-in."""
    return {"API_URL": base_url, "LLM_URL": base_url, "WEB_URL": base_url}


@contextlib.contextmanager
def serve(upstream_app: UpstreamApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the app with werkzeug's threaded server in a thread; yields the base URL."""
    server = make_server(host, port, upstream_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="upstream", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
