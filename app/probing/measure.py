"""What one probe measured, from the events and the monotonic times they arrived (pure).

SPEC §2 D: `sent` just before the request; `first` when the first chunk with non-empty
`content` or `reasoning_content` (or newer vLLM's `reasoning`) arrives; `last` when the
last such chunk arrives. ttft_s = first - sent; output_tokens = usage.completion_tokens,
else the number of token chunks (tokens_estimated); tps = (output_tokens - 1) /
(last - first) when output_tokens >= 2 and last > first; total_s = last - sent.

The meter does a json.loads and a few lookups per chunk and nothing else, so timing a
fast stream does not slow it (make bench measures that).
"""

import json
from dataclasses import dataclass
from typing import Any

OK = "ok"
RATE_LIMITED = "rate_limited"
HTTP_ERROR = "http_error"
TIMEOUT = "timeout"
BAD_STREAM = "bad_stream"
OUTCOMES = (OK, RATE_LIMITED, HTTP_ERROR, TIMEOUT, BAD_STREAM)
# Statuses that mean the key itself is refused: the run stops at once (SPEC §2 D).
KEY_REFUSED_STATUSES = (401, 403)
TOKEN_FIELDS = ("content", "reasoning_content", "reasoning")
DONE = "[DONE]"


@dataclass(frozen=True)
class ProbeResult:
    """One probe as stored: the outcome and, for an `ok` one, its figures."""

    outcome: str
    http_status: int | None = None
    ttft_s: float | None = None
    tps: float | None = None
    output_tokens: int | None = None
    tokens_estimated: bool = False
    total_s: float | None = None
    # Why it is not ok, in one line (never a header, a key or a body beyond a snippet).
    detail: str = ""

    @property
    def key_refused(self) -> bool:
        return self.http_status in KEY_REFUSED_STATUSES

    @property
    def tokens_spent(self) -> int:
        """Output tokens this probe cost, for the daily budget (0 when none came)."""
        return self.output_tokens or 0


class StreamMeter:
    """Fed each event's data with its arrival time; says when the next read must end
    (deadline) and what the probe was (result)."""

    def __init__(self, sent: float, ttft_timeout: float, timeout: float) -> None:
        self.sent = sent
        self.ttft_timeout = ttft_timeout
        self.timeout = timeout
        self.first: float | None = None
        self.last: float | None = None
        self.token_chunks = 0
        self.usage_tokens: int | None = None
        self.done = False
        self.malformed: str | None = None

    def deadline(self) -> float:
        """The monotonic time by which the next bytes must come: the first token within
        ttft_timeout of sending, the whole answer within timeout."""
        whole = self.sent + self.timeout
        return min(whole, self.sent + self.ttft_timeout) if self.first is None else whole

    def event(self, at: float, data: str) -> bool:
        """Take one event; True once the stream is over ([DONE] or a malformed event)."""
        if self.done or self.malformed is not None:
            return True
        if data.strip() == DONE:
            self.done = True
            return True
        try:
            chunk = json.loads(data)
        except ValueError:
            self.malformed = f"an event that is not JSON: {data[:60]!r}"
            return True
        if not isinstance(chunk, dict):
            self.malformed = f"an event that is not a JSON object: {data[:60]!r}"
            return True
        if "error" in chunk and "choices" not in chunk:
            self.malformed = f"an error event in the stream: {_snippet(chunk['error'])}"
            return True
        if _has_token(chunk):
            self.token_chunks += 1
            if self.first is None:
                self.first = at
            self.last = at
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            tokens = usage.get("completion_tokens")
            if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0:
                self.usage_tokens = tokens
        return False

    def result(self, *, timed_out: bool = False, broken: str | None = None) -> ProbeResult:
        """The probe once reading stopped: `timed_out` when the deadline passed, `broken`
        when the stream could not be read further (connection reset, not SSE)."""
        spent = self.usage_tokens if self.usage_tokens is not None else self.token_chunks
        if timed_out:
            what = (
                f"no first token within {self.ttft_timeout:g} s"
                if self.first is None
                else f"answer not done within {self.timeout:g} s"
            )
            return ProbeResult(TIMEOUT, 200, output_tokens=spent, detail=what)
        problem = broken or self.malformed
        if problem is None and not self.done:
            problem = "the stream ended without [DONE]"
        if problem is None and self.first is None:
            problem = "no token in the answer"
        if problem is not None:
            return ProbeResult(BAD_STREAM, 200, output_tokens=spent, detail=problem)
        assert self.first is not None and self.last is not None
        estimated = self.usage_tokens is None
        tokens = self.token_chunks if estimated else spent
        tps = (
            (tokens - 1) / (self.last - self.first)
            if tokens >= 2 and self.last > self.first
            else None
        )
        return ProbeResult(
            OK,
            200,
            ttft_s=self.first - self.sent,
            tps=tps,
            output_tokens=tokens,
            tokens_estimated=estimated,
            total_s=self.last - self.sent,
        )


def status_result(status: int, body_snippet: str = "") -> ProbeResult:
    """A probe that got a non-2xx answer: 429 is rate_limited, any other http_error."""
    outcome = RATE_LIMITED if status == 429 else HTTP_ERROR
    detail = f"HTTP {status}" + (f": {body_snippet}" if body_snippet else "")
    return ProbeResult(outcome, status, output_tokens=0, detail=detail)


def _has_token(chunk: dict[str, Any]) -> bool:
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return False
    delta = choices[0].get("delta")
    if not isinstance(delta, dict):
        return False
    return any(isinstance(delta.get(f), str) and delta[f] for f in TOKEN_FIELDS)


def _snippet(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("message", value)
    return str(value)[:80]
