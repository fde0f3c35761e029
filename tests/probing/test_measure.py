"""The pure measurement: SSE decoding, the timings and every outcome, on plain data and
on the two recorded streams."""

import json
import pathlib

import pytest

from app.probing import budget, measure
from app.probing.sse import SseDecoder, SseError

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "chutes"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def events_of(raw: bytes, piece: int = 7) -> list[str]:
    decoder = SseDecoder()
    out: list[str] = []
    for i in range(0, len(raw), piece):
        out += decoder.feed(raw[i : i + piece])
    return out


def meter_over(events: list[str], *, sent=100.0, step=0.01, first_at=100.5):
    """Events arriving `step` s apart from first_at on."""
    meter = measure.StreamMeter(sent, ttft_timeout=60, timeout=180)
    for i, data in enumerate(events):
        if meter.event(first_at + i * step, data):
            break
    return meter


def test_sse_events_split_across_any_chunking():
    raw = b"data: a\n\n: ping\n\ndata: b\r\ndata: c\r\n\r\nevent: x\ndata:d\n\ndata: cut"
    for piece in (1, 2, 5, 100):
        assert events_of(raw, piece) == ["a", "b\nc", "d"]


def test_sse_a_line_without_end_is_bounded():
    decoder = SseDecoder(max_line=100)
    with pytest.raises(SseError):
        decoder.feed(b"data: " + b"x" * 200)


def test_sse_rejects_bytes_that_are_not_utf8():
    with pytest.raises(SseError):
        SseDecoder().feed(b"data: \xff\xfe\n\n")


def test_the_recorded_stream_is_ok_with_usage():
    events = events_of(fixture("chat_completions_stream.txt"))
    assert events[-1] == "[DONE]"
    meter = meter_over(events)
    result = meter.result()
    assert result.outcome == "ok"
    assert result.output_tokens == 24 and not result.tokens_estimated
    # First token is the second event (the first carries an empty content).
    assert meter.first == pytest.approx(100.51)
    chunks = meter.token_chunks
    assert result.ttft_s == pytest.approx(0.51)
    assert result.tps == pytest.approx(23 / ((chunks - 1) * 0.01))
    assert result.total_s == pytest.approx(meter.last - 100.0)


def test_reasoning_deltas_are_the_first_token():
    events = events_of(fixture("chat_completions_stream_reasoning.txt"))
    meter = meter_over(events)
    assert meter.first == pytest.approx(100.51)  # the first reasoning_content chunk
    assert meter.result().outcome == "ok"


def chunk(text: str, field: str = "content") -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {field: text}}]})


USAGE = '{"choices":[],"usage":{"completion_tokens":10}}'


def test_without_a_usage_chunk_tokens_are_counted_and_marked_estimated():
    meter = meter_over([chunk("a"), chunk("b"), chunk("c"), "[DONE]"], step=0.5)
    result = meter.result()
    assert result.outcome == "ok" and result.tokens_estimated
    assert result.output_tokens == 3
    assert result.tps == pytest.approx(2 / 1.0)


def test_newer_vllm_reasoning_field_counts_as_a_token():
    meter = meter_over([chunk("x", "reasoning"), chunk("y"), USAGE, "[DONE]"])
    assert meter.first == pytest.approx(100.5)


def test_a_single_token_answer_has_no_tps():
    result = meter_over(
        [chunk("a"), '{"choices":[],"usage":{"completion_tokens":1}}', "[DONE]"]
    ).result()
    assert result.outcome == "ok" and result.tps is None and result.ttft_s == pytest.approx(0.5)


def test_a_stream_cut_before_done_is_bad_stream():
    result = meter_over([chunk("a"), chunk("b")]).result()
    assert result.outcome == "bad_stream" and "[DONE]" in result.detail
    assert result.ttft_s is None and result.tps is None  # its figures are not used
    assert result.tokens_spent == 2


@pytest.mark.parametrize("garbage", ["{not json", "[1,2]", '{"error":{"message":"boom"}}'])
def test_a_garbage_event_is_bad_stream(garbage):
    result = meter_over([chunk("a"), garbage, chunk("b"), "[DONE]"]).result()
    assert result.outcome == "bad_stream"


def test_a_2xx_without_any_token_is_bad_stream():
    empty = '{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}'
    result = meter_over([empty, USAGE, "[DONE]"]).result()
    assert result.outcome == "bad_stream" and result.detail == "no token in the answer"


def test_a_broken_read_is_bad_stream():
    assert meter_over([chunk("a")]).result(broken="connection reset").outcome == "bad_stream"


def test_deadlines_ttft_then_whole_answer():
    meter = measure.StreamMeter(10.0, ttft_timeout=60, timeout=180)
    assert meter.deadline() == 70.0
    assert meter.result(timed_out=True).outcome == "timeout"
    assert "first token" in meter.result(timed_out=True).detail
    meter.event(20.0, chunk("a"))
    assert meter.deadline() == 190.0
    assert "not done" in meter.result(timed_out=True).detail
    # A ttft timeout longer than the whole one never stretches it.
    assert measure.StreamMeter(0.0, ttft_timeout=300, timeout=180).deadline() == 180.0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (429, "rate_limited"),
        (500, "http_error"),
        (503, "http_error"),
        (404, "http_error"),
        (401, "http_error"),
    ],
)
def test_status_outcomes_keep_the_status(status, outcome):
    result = measure.status_result(status)
    assert (result.outcome, result.http_status) == (outcome, status)
    assert result.key_refused == (status in (401, 403))


def test_budget_holds_the_worst_case():
    assert budget.may_probe(0, 256, 300_000)
    assert budget.may_probe(300_000 - 256, 256, 300_000)
    assert not budget.may_probe(300_000 - 255, 256, 300_000)
    assert budget.probes_per_day(300_000, 256) == 1171
