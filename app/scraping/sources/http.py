"""HTTP fetching shared by the sources: one Session, timeouts, bounded retries, size cap."""

import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from app.scraping.sources import SourceError

log = logging.getLogger(__name__)


class BoundedRetry(Retry):
    """urllib3 Retry that gives up at once when Retry-After asks for a long wait.

    Waiting would overrun the run's budget, and retrying early would lengthen the
    upstream's 429 ban; the next timer run tries again instead.
    """

    max_retry_after: float = 30.0

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        **kwargs: Any,
    ) -> Retry:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is not None and wait > self.max_retry_after:
            raise MaxRetryError(
                kwargs.get("_pool"),
                url or "",
                ResponseError(f"Retry-After of {wait:.0f} s exceeds {self.max_retry_after:.0f} s"),
            )
        return super().increment(method, url, response, error, **kwargs)


def _describe(exc: requests.RequestException) -> str:
    """The root cause in one line, not urllib3's nested retry wrapper."""
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    kind = "timed out" if isinstance(exc, requests.Timeout) else "request failed"
    return f"{kind} after retries: {type(reason).__name__}: {reason}"


class Fetcher:
    """GETs with a polite delay per host, a response-size cap and a run deadline."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.timeout = (
            float(config["HTTP_CONNECT_TIMEOUT"]),
            float(config["HTTP_TIMEOUT"]),
        )
        self.delay = float(config["REQUEST_DELAY"])
        self.max_bytes = int(config["HTTP_MAX_BYTES"])
        self.deadline = time.monotonic() + float(config["RUN_BUDGET"])
        self.requests_made = 0
        self._last_request: dict[str, float] = {}
        retry_class = type(
            "ConfiguredRetry",
            (BoundedRetry,),
            {"max_retry_after": float(config["HTTP_MAX_RETRY_AFTER"])},
        )
        retries = retry_class(
            total=int(config["HTTP_RETRIES"]),
            backoff_factor=float(config["HTTP_BACKOFF"]),
            backoff_max=15,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session = requests.Session()
        self.session.headers["User-Agent"] = str(config["USER_AGENT"])
        adapter = HTTPAdapter(max_retries=retries)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def get_bytes(self, url: str, params: Mapping[str, str] | None = None) -> bytes:
        """The body of a 200 answer, or SourceError saying what went wrong and where."""
        if time.monotonic() > self.deadline:
            raise SourceError(f"{url}: run time budget exhausted, request not sent")
        host = urlsplit(url).netloc
        self._pause(host)
        self.requests_made += 1
        try:
            with self.session.get(url, params=params, timeout=self.timeout, stream=True) as resp:
                if resp.status_code != 200:
                    wait = resp.headers.get("Retry-After")
                    hint = f" (Retry-After: {wait})" if wait else ""
                    raise SourceError(f"{resp.url}: HTTP {resp.status_code}{hint}, expected 200")
                return self._read_capped(resp)
        except requests.RequestException as exc:
            raise SourceError(f"{url}: {_describe(exc)}") from exc
        finally:
            self._last_request[host] = time.monotonic()

    def get_text(self, url: str, params: Mapping[str, str] | None = None) -> str:
        return self.get_bytes(url, params).decode("utf-8", errors="replace")

    def _read_capped(self, resp: requests.Response) -> bytes:
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceError(f"{resp.url}: body of {declared} bytes exceeds the cap")
        body = bytearray()
        for chunk in resp.iter_content(chunk_size=65536):
            body += chunk
            if len(body) > self.max_bytes:
                raise SourceError(f"{resp.url}: body exceeds the {self.max_bytes}-byte cap")
        return bytes(body)

    def _pause(self, host: str) -> None:
        """Keep REQUEST_DELAY between the end of one request and the next to a host."""
        last = self._last_request.get(host)
        if last is not None:
            wait = self.delay - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
