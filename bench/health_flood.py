"""One address floods `/api/health` through the shipped nginx site; how slow does it make
everyone else? (issue 20: 1,596 req/s from one address once reached gunicorn and took
the others' p99 from 20 to 256 ms.)

A few "normal" clients, each from its own loopback address (127.0.0.3 and up: not the
exempt 127.0.0.1, so the site's per-address limits apply to them as to visitors), ask
for `/`, `/api/models` and `/api/health` in turn at a person's pace, first on a quiet
site, then while 127.0.0.2 sends `/api/health` as fast as its connections allow. The
figure is their p99 in both runs and the ratio (goal: within 2x of quiet). Everything is
bounded: each phase lasts `duration` seconds, every socket operation times out.
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

GOAL_RATIO = 2.0
FLOODER = "127.0.0.2"
CLIENTS = tuple(f"127.0.0.{n}" for n in range(3, 9))
CLIENT_PATHS = ("/", "/api/models", "/api/health")
CLIENT_PAUSE_S = 0.2  # 5 requests a second each: within the site's 10 r/s per address
FLOOD_PROCESSES = 2
FLOOD_CONNECTIONS = 16  # per process
TIMEOUT_S = 10.0


def _request(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench-health\r\n\r\n".encode()


class _Client:
    """A keep-alive connection from a chosen source address; reconnects when closed."""

    def __init__(self, port: int, source: str) -> None:
        self.address = ("127.0.0.1", port)
        self.source = source
        self.sock: socket.socket | None = None
        self.buf = b""

    def get(self, request: bytes) -> int:
        if self.sock is None:
            self.sock = socket.create_connection(
                self.address, timeout=TIMEOUT_S, source_address=(self.source, 0)
            )
            self.buf = b""
        self.sock.sendall(request)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head, self.buf = self.buf[:end].lower(), self.buf[end + 4 :]
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if b"transfer-encoding: chunked" in head:
            raise ValueError("chunked answer: the site should send Content-Length")
        while len(self.buf) < length:
            self._fill()
        self.buf = self.buf[length:]
        if b"connection: close" in head:
            self.close()
        return status

    def _fill(self) -> None:
        assert self.sock is not None
        data = self.sock.recv(262_144)
        if not data:
            raise ConnectionError("closed mid-answer")
        self.buf += data

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def p99(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def _person(port: int, host: str, source: str, deadline: float, into: Phase) -> None:
    client = _Client(port, source)
    turn = 0
    while time.monotonic() < deadline:
        path = CLIENT_PATHS[turn % len(CLIENT_PATHS)]
        turn += 1
        start = time.perf_counter()
        try:
            status = client.get(_request(path, host))
        except (OSError, ValueError):
            client.close()
            status = 0
        into.latencies_ms.append((time.perf_counter() - start) * 1000)
        into.statuses[status] += 1
        time.sleep(CLIENT_PAUSE_S)
    client.close()


def _people(port: int, host: str, duration: float) -> Phase:
    phase = Phase()
    deadline = time.monotonic() + duration
    threads = [
        threading.Thread(target=_person, args=(port, host, source, deadline, phase))
        for source in CLIENTS
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return phase


def _flood_connection(port: int, host: str, deadline: float, counts: Counter) -> None:
    client = _Client(port, FLOODER)
    request = _request("/api/health", host)
    while time.monotonic() < deadline:
        try:
            counts[client.get(request)] += 1
        except (OSError, ValueError):
            client.close()
            counts[0] += 1
    client.close()


def _flood_process(job: tuple[int, str, float]) -> dict[int, int]:
    port, host, deadline = job
    counts: Counter = Counter()
    threads = [
        threading.Thread(target=_flood_connection, args=(port, host, deadline, counts))
        for _ in range(FLOOD_CONNECTIONS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return dict(counts)


@dataclass
class Flood:
    quiet: Phase
    flooded: Phase
    flood_statuses: Counter
    duration: float

    def ratio(self) -> float:
        return self.flooded.p99() / max(self.quiet.p99(), 0.001)


def measure(port: int, host: str, duration: float) -> Flood:
    """A quiet phase, then the same clients during a flood of /api/health."""
    warm = _Client(port, "127.0.0.1")
    for path in CLIENT_PATHS * 3:  # stored from the second request on (min_uses 2)
        warm.get(_request(path, host))
    warm.close()
    quiet = _people(port, host, duration)
    time.sleep(1.5)  # let the quiet run's limits and cache entries settle
    deadline = time.monotonic() + duration + 1.0
    with multiprocessing.get_context("fork").Pool(FLOOD_PROCESSES) as pool:
        pending = pool.map_async(_flood_process, [(port, host, deadline)] * FLOOD_PROCESSES)
        time.sleep(1.0)  # the flood is under way before the clients start
        flooded = _people(port, host, duration)
        results = pending.get(timeout=duration + TIMEOUT_S + 30)
    statuses: Counter = Counter()
    for counts in results:
        statuses.update(counts)
    return Flood(quiet, flooded, statuses, duration + 1.0)


FIGURE = "Health flood: a normal client's p99 while one address floods `/api/health`"


def row(port: int, host: str, duration: float) -> tuple[str, str, str, bool, str]:
    """(figure, measured, goal, met, why) for bench/run.py's table."""
    flood = measure(port, host, duration)
    sent = sum(flood.flood_statuses.values())
    limited = flood.flood_statuses.get(429, 0)
    people = flood.quiet.statuses + flood.flooded.statuses
    failed = sum(n for status, n in people.items() if status not in (200, 503))
    measured = (
        f"ratio {flood.ratio():.2f}: p99 {flood.flooded.p99():.1f} ms flooded vs"
        f" {flood.quiet.p99():.1f} ms quiet ({len(CLIENTS)} clients, 5 req/s each, "
        f"{len(flood.flooded.latencies_ms)} requests); the flood: {sent / flood.duration:,.0f}"
        f" req/s, {limited / max(sent, 1):.0%} answered 429"
        + (f"; {failed} client requests failed" if failed else "")
    )
    met = flood.ratio() <= GOAL_RATIO and not failed
    why = "" if met else ("client requests failed" if failed else "the flood slows others down")
    return FIGURE, measured, f"<= {GOAL_RATIO:g}x quiet", met, why


if __name__ == "__main__":  # ad hoc, against a running site: python -m bench.health_flood PORT
    import sys

    print(row(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "leaderboard.test", 5.0))
