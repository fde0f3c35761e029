"""The thin I/O of a probe: one streamed POST over requests, timed by the StreamMeter.

No retries (a 429 or a 5xx is what the probe saw, recorded as such), no redirects (the
key never goes to another host: a 3xx is an http_error, not followed), deadlines checked
between reads so a hanging stream cannot outlast PROBE_TTFT_TIMEOUT / PROBE_TIMEOUT. The
key is only ever in the Authorization header of the one request: never in an error text
(requests' exceptions are reduced to their type), a log line or the result.
"""

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from app import clock
from app.plumbing.streams import limit_socket_wait
from app.probing.measure import HTTP_ERROR, TIMEOUT, ProbeResult, StreamMeter, status_result
from app.probing.sse import SseDecoder, SseError
from app.settings import Settings

READ_BYTES = 65536


class ProbeClient:
    def __init__(self, settings: Settings, key: str) -> None:
        self.url = settings.llm_url.rstrip("/") + "/v1/chat/completions"
        self.settings = settings
        self._key = key
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        adapter = HTTPAdapter(max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:  # never the key, whatever prints the client
        return f"ProbeClient({self.url!r})"

    def close(self) -> None:
        self.session.close()

    def body(self, model: str) -> dict[str, Any]:
        s = self.settings
        return {
            "model": model,
            "messages": [{"role": "user", "content": s.probe_prompt}],
            "max_tokens": s.probe_max_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    def probe(self, model: str) -> ProbeResult:
        s = self.settings
        sent = clock.monotonic()
        meter = StreamMeter(sent, s.probe_ttft_timeout, s.probe_timeout)
        connect = min(s.http_connect_timeout, s.probe_ttft_timeout)
        try:
            resp = self.session.post(
                self.url,
                json=self.body(model),
                headers={"Authorization": f"Bearer {self._key}", "Accept": "text/event-stream"},
                stream=True,
                allow_redirects=False,
                timeout=(connect, max(0.001, meter.deadline() - clock.monotonic())),
            )
        except requests.Timeout:
            return meter.result(timed_out=True)
        except requests.RequestException as exc:
            return ProbeResult(HTTP_ERROR, None, detail=f"request failed: {type(exc).__name__}")
        with resp:
            if resp.is_redirect or resp.is_permanent_redirect:
                return ProbeResult(
                    HTTP_ERROR,
                    resp.status_code,
                    output_tokens=0,
                    detail=f"HTTP {resp.status_code} redirect, not followed",
                )
            if not 200 <= resp.status_code < 300:
                return status_result(resp.status_code)
            return self._read(resp, meter)

    def _read(self, resp: requests.Response, meter: StreamMeter) -> ProbeResult:
        decoder = SseDecoder()
        raw = resp.raw
        # Per read, urllib3's decoding path (decoder set-up, a buffer put and get) costs as
        # much as the meter's own per-token work: taken only when the body is encoded.
        decode = resp.headers.get("Content-Encoding", "identity").strip().lower() != "identity"
        try:
            while True:
                left = meter.deadline() - clock.monotonic()
                if left <= 0:
                    return meter.result(timed_out=True)
                limit_socket_wait(raw, left)
                chunk = raw.read1(READ_BYTES, decode_content=decode)
                now = clock.monotonic()
                if not chunk:
                    return meter.result()
                for data in decoder.feed(chunk):
                    if meter.event(now, data):
                        return meter.result()
        except (ReadTimeoutError, TimeoutError):
            return meter.result(timed_out=True)
        except SseError as exc:
            return meter.result(broken=f"not an event stream: {exc}")
        except (Urllib3Error, OSError, requests.RequestException) as exc:
            if clock.monotonic() >= meter.deadline():
                return meter.result(timed_out=True)
            return meter.result(broken=f"reading the stream failed: {type(exc).__name__}")


__all__ = ["TIMEOUT", "ProbeClient"]
