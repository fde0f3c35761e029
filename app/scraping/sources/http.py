"""HTTP fetching shared by the sources: one Session, timeouts, bounded retries, size cap."""

import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any, Self, cast
from urllib.parse import SplitResult, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import InvalidHeader, MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from app import clock
from app.plumbing.streams import limit_socket_wait
from app.scraping.sources import SourceError
from app.settings import Settings

log = logging.getLogger(__name__)

# Same-host redirects followed per request (requests' own default is 30).
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}


class DeadlineRetry(Retry):
    """urllib3 Retry that never waits past the request's deadline.

    It gives up at once when Retry-After asks for more than `max_retry_after` (waiting
    would overrun the run, retrying early would lengthen the upstream's 429 ban; the next
    timer run tries again), and when the wait before the next attempt would end past
    `deadline` (a clock.monotonic() value; None for no deadline).
    """

    def __init__(
        self,
        *args: Any,
        deadline: float | None = None,
        max_retry_after: float = 30.0,
        gave_up: list[str] | None = None,
        refused_waits: list[float] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.deadline = deadline
        self.max_retry_after = max_retry_after
        # Shared by every copy made for one request: why retrying stopped early, if it
        # did (urllib3 then hands back the last error answer rather than raising).
        self.gave_up = [] if gave_up is None else gave_up
        # The Retry-After waits (seconds) not waited for: the Fetcher keeps off the host.
        self.refused_waits = [] if refused_waits is None else refused_waits

    def new(self, **kw: Any) -> Self:
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("max_retry_after", self.max_retry_after)
        kw.setdefault("gave_up", self.gave_up)
        kw.setdefault("refused_waits", self.refused_waits)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        asked = self.get_retry_after(response) if response is not None else None
        if asked is not None and asked > self.max_retry_after:
            why = f"Retry-After of {asked:.0f} s exceeds {self.max_retry_after:.0f} s"
            self.gave_up.append(why)
            self.refused_waits.append(asked)
            raise MaxRetryError(_pool, url or "", ResponseError(why))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if self.deadline is not None:
            # What Retry.sleep() is about to wait: Retry-After if sent, else the backoff.
            wait = asked if asked is not None else retry.get_backoff_time()
            if clock.monotonic() + wait >= self.deadline:
                cause = error or (f"HTTP {response.status}" if response is not None else "")
                self.gave_up.append("the deadline leaves no time for another attempt")
                if asked is not None:
                    self.refused_waits.append(asked)
                raise MaxRetryError(
                    _pool,
                    url or "",
                    ResponseError(f"deadline reached, no time left to retry (last: {cause})"),
                )
        return retry

    # urllib3 waits with time.sleep(); these are the same waits through the clock seam.
    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            clock.sleep(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        clock.sleep(self.get_backoff_time())


class DeadlineTimeout(Timeout):
    """urllib3 Timeout whose connect and read timeouts never reach past `deadline`.

    urllib3 reads these properties afresh for each attempt (retries included), so a
    late attempt gets only the time that is left instead of a full HTTP_TIMEOUT.
    """

    def __init__(self, connect: float, read: float, deadline: float) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def clone(self) -> "DeadlineTimeout":
        return DeadlineTimeout(self._connect, self._read, self.deadline)  # type: ignore[arg-type]

    def left(self) -> float:
        return max(0.001, self.deadline - clock.monotonic())

    @property
    def connect_timeout(self) -> float:
        return min(float(self._connect), self.left())  # type: ignore[arg-type]

    @property
    def read_timeout(self) -> float:
        return min(float(self._read), self.left())  # type: ignore[arg-type]


def _describe(exc: requests.RequestException) -> str:
    """The root cause in one line, not urllib3's nested retry wrapper."""
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    kind = "timed out" if isinstance(exc, requests.Timeout) else "request failed"
    return f"{kind} after retries: {type(reason).__name__}: {reason}"


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts: SplitResult = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is no number: never the same origin
        port = -1
    return scheme, (parts.hostname or "").lower(), port


class Fetcher:
    """GETs with a polite delay per host, a response-size cap and two hard deadlines:
    one per request (HTTP_REQUEST_DEADLINE: its retries, waits and whole body) and one
    for the run (RUN_BUDGET, from the Fetcher's creation).

    Redirects are followed only within the URL's own scheme, host and port (at most
    MAX_REDIRECTS); one to another host is the request's error, naming both. A host that
    answers Retry-After longer than the run can wait (HTTP_MAX_RETRY_AFTER, or past
    RUN_BUDGET) gets no further request from this Fetcher: later ones fail at once; a
    shorter Retry-After that ended a request is waited out before the host's next one.
    """

    def __init__(self, settings: Settings) -> None:
        self.connect_timeout = settings.http_connect_timeout
        self.read_timeout = settings.http_timeout
        self.delay = settings.request_delay
        self.max_bytes = settings.http_max_bytes
        self.run_budget = settings.run_budget
        self.deadline = clock.monotonic() + self.run_budget
        self.request_budget = settings.http_request_deadline
        self.requests_made = 0
        self.max_retry_after = settings.http_max_retry_after
        self._last_request: dict[str, float] = {}
        # Per host (netloc): asked to wait until (a clock.monotonic() value), and the
        # hosts given up on for this run with why.
        self._not_before: dict[str, float] = {}
        self.given_up: dict[str, str] = {}
        self.retries = DeadlineRetry(
            total=settings.http_retries,
            backoff_factor=settings.http_backoff,
            backoff_max=15,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
            max_retry_after=settings.http_max_retry_after,
        )
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self.adapter = HTTPAdapter(max_retries=self.retries)
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)

    def close(self) -> None:
        self.session.close()

    def out_of_time(self) -> bool:
        """True once the run's budget is spent: no request is started after that."""
        return clock.monotonic() >= self.deadline

    def get_bytes(self, url: str, params: Mapping[str, str] | None = None) -> bytes:
        """The body of a 200 answer, or SourceError saying what went wrong and where."""
        if self.out_of_time():
            raise SourceError(
                f"{url}: the run's {self.run_budget:.0f} s budget (RUN_BUDGET) is spent,"
                " request not sent"
            )
        host = urlsplit(url).netloc
        if host in self.given_up:
            raise SourceError(
                f"{url}: not sent: {self.given_up[host]}; no more requests go to {host} in this run"
            )
        self._pause(host)
        started = clock.monotonic()
        deadline = min(started + self.request_budget, self.deadline)
        what = (
            f"the {self.request_budget:.0f} s request deadline (HTTP_REQUEST_DEADLINE)"
            if deadline < self.deadline
            else f"the run's {self.run_budget:.0f} s budget (RUN_BUDGET)"
        )
        # One request's retries share its deadline: a fresh Retry per request carries it.
        retries = self.retries.new(deadline=deadline, gave_up=[])
        self.adapter.max_retries = retries
        timeout = DeadlineTimeout(self.connect_timeout, self.read_timeout, deadline)
        target, target_params = url, params
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                self.requests_made += 1
                # requests passes an urllib3 Timeout through to urllib3 as it is (its
                # stubs only know numbers). Redirects are ours to check (_redirect).
                with self.session.get(
                    target,
                    params=target_params,
                    timeout=cast(Any, timeout),
                    stream=True,
                    allow_redirects=False,
                ) as resp:
                    if resp.is_redirect:
                        target, target_params = self._redirect(url, resp), None
                        continue
                    if resp.status_code != 200:
                        self._keep_off(host, retries, resp)
                        wait = resp.headers.get("Retry-After")
                        hint = f" (Retry-After: {wait})" if wait else ""
                        if retries.gave_up:
                            hint += f"; retries stopped: {retries.gave_up[-1]}"
                            hint += f" ({what})" if "deadline" in retries.gave_up[-1] else ""
                        raise SourceError(
                            f"{resp.url}: HTTP {resp.status_code}{hint}, expected 200"
                        )
                    return self._read_capped(resp, deadline, what)
            raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects, not followed")
        except requests.RequestException as exc:
            self._keep_off(host, retries, None)
            late = clock.monotonic() >= deadline - 0.01
            reason = f"{_describe(exc)}" + (f"; stopped by {what}" if late else "")
            raise SourceError(f"{url}: {reason}") from exc
        finally:
            self._last_request[host] = clock.monotonic()

    def _redirect(self, url: str, resp: requests.Response) -> str:
        """Where a redirect of `url` points, if to the same scheme, host and port;
        SourceError naming both hosts otherwise."""
        location = self.session.get_redirect_target(resp) or ""
        target = urljoin(resp.url, location)
        if _origin(target) != _origin(url):
            was, now = urlsplit(url), urlsplit(target)
            raise SourceError(
                f"{resp.url}: HTTP {resp.status_code} redirect to another host"
                f" ({was.scheme}://{was.netloc} -> {now.scheme}://{now.netloc}), not followed"
            )
        return target

    def _keep_off(self, host: str, retries: DeadlineRetry, resp: requests.Response | None) -> None:
        """Remember a Retry-After that ended a request: past what the run can wait, the
        host is given up for the run; else its next request waits it out (_pause)."""
        waits = list(retries.refused_waits)
        header = resp.headers.get("Retry-After") if resp is not None else None
        if header and resp is not None and resp.status_code in (429, 503):
            with contextlib.suppress(InvalidHeader):
                waits.append(float(retries.parse_retry_after(header)))
        if not waits:
            return
        wait = max(waits)
        now = clock.monotonic()
        if wait > self.max_retry_after or now + wait >= self.deadline:
            self.given_up[host] = (
                f"{host} asked to wait {wait:.0f} s (Retry-After), longer than this run can"
            )
            log.warning("giving up on %s for this run: Retry-After %.0f s", host, wait)
        else:
            self._not_before[host] = max(self._not_before.get(host, 0.0), now + wait)

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """The parsed JSON of a 200 answer, or SourceError (also for a body that is not
        JSON)."""
        body = self.get_bytes(url, params)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise SourceError(f"{url}: answer is not valid JSON ({exc})") from exc

    def get_text(self, url: str, params: Mapping[str, str] | None = None) -> str:
        return self.get_bytes(url, params).decode("utf-8", errors="replace")

    def _read_capped(self, resp: requests.Response, deadline: float, what: str) -> bytes:
        """The whole body, by the deadline and under the size cap.

        Reads with read1(), which returns as soon as any bytes arrive, and checks the
        clock between reads, so a body trickling in a byte at a time cannot outlast the
        deadline; each read waits at most the time left.
        """
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceError(f"{resp.url}: body of {declared} bytes exceeds the cap")
        raw = resp.raw
        body = bytearray()
        try:
            while True:
                left = deadline - clock.monotonic()
                if left <= 0:
                    raise SourceError(
                        f"{resp.url}: body still arriving ({len(body)} bytes) at {what}"
                    )
                limit_socket_wait(raw, min(left, self.read_timeout))
                chunk = raw.read1(65536, decode_content=True)
                if not chunk:
                    return bytes(body)
                body += chunk
                if len(body) > self.max_bytes:
                    raise SourceError(f"{resp.url}: body exceeds the {self.max_bytes}-byte cap")
        except (Urllib3Error, OSError) as exc:
            late = clock.monotonic() >= deadline - 0.01
            if late and isinstance(exc, ReadTimeoutError | TimeoutError):
                # The read waited exactly the time left: the deadline ended it.
                raise SourceError(
                    f"{resp.url}: body still arriving ({len(body)} bytes) at {what}"
                ) from exc
            stop = f"; stopped by {what}" if late else ""
            raise SourceError(
                f"{resp.url}: reading the body failed: {type(exc).__name__}: {exc}{stop}"
            ) from exc

    def _pause(self, host: str) -> None:
        """Keep REQUEST_DELAY between the end of one request and the next to a host, and
        any Retry-After it asked for."""
        now = clock.monotonic()
        last = self._last_request.get(host)
        wait = self.delay - (now - last) if last is not None else 0.0
        # A Retry-After that ended an earlier request to this host is honoured too.
        wait = max(wait, self._not_before.get(host, now) - now)
        if wait > 0:
            clock.sleep(wait)
