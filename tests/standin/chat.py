"""`POST /v1/chat/completions` of the stand-in: a real OpenAI-style event stream, paced in
real time, with the first-token delay and token rate set per model, and every failure a
probe must record (SPEC §2 D).

Behaviours (ChatBehaviour.mode): ok, no_usage, reasoning (reasoning deltas first),
keepalive (`: ping` comments between events), gzip (the stream gzip-encoded, flushed
per event), cut (stream ends before [DONE]), garbage (a non-JSON event), hang (headers,
then nothing), rate_limited (429), server_error (503), refused (401), redirect (307 to
`redirect_to`, another port).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

MODES = (
    "ok",
    "no_usage",
    "reasoning",
    "keepalive",
    "gzip",
    "cut",
    "garbage",
    "hang",
    "rate_limited",
    "server_error",
    "refused",
    "redirect",
)


@dataclass(frozen=True)
class ChatBehaviour:
    ttft: float = 0.05  # seconds from the request to the first token
    tps: float = 400.0  # tokens per second after the first
    tokens: int = 12  # tokens in the answer (capped by max_tokens)
    mode: str = "ok"
    redirect_to: str = ""
    hang_for: float = 30.0


@dataclass
class ChatStandIn:
    default: ChatBehaviour = field(default_factory=ChatBehaviour)
    by_model: dict[str, ChatBehaviour] = field(default_factory=dict)
    # Every request's Authorization header and model, for the tests to check.
    seen: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def behaviour(self, model: str) -> ChatBehaviour:
        return self.by_model.get(model, self.default)

    def handle(self, request: Request) -> Response:
        started = time.monotonic()
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            body = {}
        model = str(body.get("model", ""))
        with self._lock:
            self.seen.append((request.headers.get("Authorization", ""), model))
        b = self.behaviour(model)
        if b.mode == "rate_limited":
            return _json(429, {"detail": "Too many requests"})
        if b.mode == "server_error":
            return _json(503, {"detail": "No instances available"})
        if b.mode == "refused":
            return _json(401, {"detail": "Invalid token"})
        if b.mode == "redirect":
            return Response("", status=307, headers={"Location": b.redirect_to})
        tokens = min(b.tokens, int(body.get("max_tokens") or b.tokens))
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        stream = _stream(b, model, tokens, usage, started)
        headers = {}
        if b.mode == "gzip":
            stream, headers = _gzipped(stream), {"Content-Encoding": "gzip"}
        return Response(
            stream,
            status=200,
            mimetype="text/event-stream",
            headers=headers,
            direct_passthrough=True,
        )


def _json(status: int, value: Any) -> Response:
    return Response(json.dumps(value), status=status, mimetype="application/json")


def _gzipped(stream: Iterator[bytes]) -> Iterator[bytes]:
    """The stream gzip-encoded, each event flushed as it is sent (as a compressing proxy
    that streams does)."""
    gzip = zlib.compressobj(wbits=31)
    for piece in stream:
        yield gzip.compress(piece) + gzip.flush(zlib.Z_SYNC_FLUSH)
    yield gzip.flush()


def _event(model: str, delta: dict[str, Any] | None = None, **extra: Any) -> bytes:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": 1764650412,
        "model": model,
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": None}],
        **extra,
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


def _stream(
    b: ChatBehaviour, model: str, tokens: int, usage: bool, started: float
) -> Iterator[bytes]:
    yield _event(model, {"role": "assistant", "content": ""})
    if b.mode == "hang":
        time.sleep(b.hang_for)
        return
    reasoning = tokens // 2 if b.mode == "reasoning" else 0
    for i in range(tokens):
        # An absolute schedule: token i at ttft + i / tps, whatever the writes cost.
        wait = started + b.ttft + i / b.tps - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if b.mode == "keepalive":
            yield b": ping\n\n"
        if b.mode == "garbage" and i == tokens // 2:
            yield b"data: {this is not json\n\n"
        field_name = "reasoning_content" if i < reasoning else "content"
        yield _event(model, {field_name: f" w{i}"})
    if b.mode == "cut":
        return
    yield _event(model, {"content": ""})
    if usage and b.mode != "no_usage":
        yield _event(
            model,
            None,
            usage={"prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": tokens + 20},
        )
    yield b"data: [DONE]\n\n"
