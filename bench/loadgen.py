"""A Python HTTP load generator for machines without wrk: `run()` returns a `procs.Load`
like `procs.wrk()`, so the benchmark's tables keep their shape.

Design, measured on the 2-core bench machine (bench/results.md's history): the GIL makes
one process the bottleneck, so the connections are spread over one process per core,
each driving its share from threads. Each connection is a plain socket that sends a
pre-encoded GET and parses just enough of the answer (status, Content-Length or chunked,
Connection: close); `http.client` costs about 3x more CPU per request, which on 2 cores
is CPU taken from the server being measured. Still, this generator is slower than wrk
and shares the cores with the server, so its figures (and ratios) are only comparable
with other runs of the same generator.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import threading
import time
from array import array
from urllib.parse import urlsplit

from bench.procs import Load

TIMEOUT_S = 10.0  # per socket operation; bounds a run at duration + TIMEOUT_S
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked")
_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close")


class _Connection:
    """One keep-alive connection repeating the same GET; reconnects when the server
    closes (gunicorn's sync workers close after every answer)."""

    def __init__(self, address: tuple[str, int], request: bytes) -> None:
        self.address = address
        self.request = request
        self.sock: socket.socket | None = None
        self.buf = b""

    def get(self) -> int:
        """Send the request, read the whole answer; its status code."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=TIMEOUT_S)
            self.buf = b""
        self.sock.sendall(self.request)
        head = self._read_until(b"\r\n\r\n").lower()
        status = int(head[9:12])
        length = _LENGTH.search(head)
        if status in (204, 304):
            pass
        elif length:
            self._skip(int(length.group(1)))
        elif _CHUNKED.search(head):
            while size := int(self._read_until(b"\r\n").split(b";")[0], 16):
                self._skip(size + 2)
            while self._read_until(b"\r\n"):  # trailers, up to the empty line
                pass
        else:  # no length: the body runs to the end of the connection
            while self._recv():
                pass
            self.close()
            return status
        if _CLOSE.search(head) or head.startswith(b"http/1.0"):
            self.close()
        return status

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buf = b""

    def _recv(self) -> bytes:
        assert self.sock is not None
        return self.sock.recv(262_144)

    def _read_until(self, marker: bytes) -> bytes:
        """Bytes up to `marker` (consumed, not returned)."""
        while (end := self.buf.find(marker)) < 0:
            if not (data := self._recv()):
                raise ConnectionError("closed mid-answer")
            self.buf += data
        line, self.buf = self.buf[:end], self.buf[end + len(marker) :]
        return line

    def _skip(self, n: int) -> None:
        """Discard the next n bytes."""
        if n <= len(self.buf):
            self.buf = self.buf[n:]
            return
        n -= len(self.buf)
        self.buf = data = b""
        while n > 0:
            if not (data := self._recv()):
                raise ConnectionError("closed mid-body")
            n -= len(data)
        if n < 0:  # the last read went past the body
            self.buf = data[n:]


def _drive(conn: _Connection, deadline: float, latencies: list[float], errors: list[int]) -> None:
    """One connection's closed loop until `deadline` (time.monotonic)."""
    clock = time.monotonic
    failed = 0
    while (start := clock()) < deadline:
        try:
            status = conn.get()
        except (OSError, ValueError):  # socket errors and malformed answers
            failed += 1
            conn.close()
            continue
        latencies.append(clock() - start)
        if not 200 <= status < 400:
            failed += 1
    conn.close()
    errors.append(failed)


def _process(job: tuple[tuple[str, int], bytes, int, float, float]) -> tuple[bytes, int, float]:
    """One process's share: (latencies as array('d') bytes, errors, seconds run)."""
    address, request, connections, start_at, duration = job
    time.sleep(max(0.0, start_at - time.monotonic()))  # all processes start together
    deadline = start_at + duration
    latencies: list[float] = []
    errors: list[int] = []
    threads = [
        threading.Thread(target=_drive, args=(_Connection(address, request), deadline,
                                              latencies, errors))
        for _ in range(connections)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return array("d", latencies).tobytes(), sum(errors), time.monotonic() - start_at


def default_processes(connections: int) -> int:
    """One process per core, at most one per connection."""
    return max(1, min(connections, os.cpu_count() or 1))


def run(
    url: str,
    host: str,
    duration: float,
    connections: int = 16,
    processes: int | None = None,
    headers: tuple[str, ...] = (),
) -> Load:
    """GET `url` with Host `host` over `connections` keep-alive connections for
    `duration` seconds, like `wrk -c16 -d5s`; one process per core unless told."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    extra = "".join(f"{header}\r\n" for header in headers)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench-loadgen\r\n{extra}\r\n"
    processes = processes or default_processes(connections)
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    start_at = time.monotonic() + 0.5  # room for the pool's processes to start
    jobs = [(address, request.encode(), share, start_at, duration) for share in shares]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map_async(_process, jobs).get(timeout=duration + TIMEOUT_S + 30)
    latencies = array("d")
    for raw, _, _ in results:
        latencies.frombytes(raw)
    ordered = sorted(latencies)
    n = len(ordered)

    def percentile_ms(q: float) -> float:
        return ordered[min(n - 1, int(n * q))] * 1000 if n else 0.0

    return Load(
        rps=n / max(elapsed for _, _, elapsed in results),
        p50_ms=percentile_ms(0.50),
        p99_ms=percentile_ms(0.99),
        requests=n,
        errors=sum(errors for _, errors, _ in results),
    )
