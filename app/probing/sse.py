"""Server-sent events, decoded incrementally from the bytes as they arrive (pure).

Only what an OpenAI-style stream uses: `data:` fields (several in one event are joined
with a newline, as the SSE standard says), blank lines ending an event, comment lines
(`: ping`) ignored, other fields (`event:`, `id:`, `retry:`) ignored. An event cut off by
the end of the stream is dropped, as a browser would. Lines are bounded, so a stream that
never sends a line break cannot grow memory without end.
"""

MAX_LINE_BYTES = 1 << 20


class SseError(ValueError):
    """The bytes are no event stream (a line past MAX_LINE_BYTES, or not UTF-8)."""


class SseDecoder:
    """feed() the bytes in the order they came; it returns the data of each event that
    ended in them. Lines end with LF or CRLF (a lone CR, which no inference server sends,
    is not taken as a line end)."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._partial = b""
        self._data: list[str] = []
        self._max_line = max_line

    def feed(self, chunk: bytes) -> list[str]:
        events: list[str] = []
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > self._max_line:
            raise SseError(f"a line longer than {self._max_line} bytes")
        for raw in lines:
            self._line(raw[:-1] if raw.endswith(b"\r") else raw, events)
        return events

    def _line(self, raw: bytes, events: list[str]) -> None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SseError(f"not UTF-8 ({exc.reason})") from None
        if not line:
            if self._data:
                events.append("\n".join(self._data))
                self._data = []
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
