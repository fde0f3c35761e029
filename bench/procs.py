"""The processes a bench run starts: the chutes.ai stand-in, gunicorn, nginx and wrk
(bench/loadgen.py is the Python stand-in for wrk).

Everything listens on 127.0.0.1 (or a unix socket in the run's scratch directory) and
every process is stopped by its own handle when its `with` block ends.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.demo import spawned_upstream
from tests.deploy_helpers import (
    GUNICORN_CONF,
    ROOT,
    free_port,
    nginx_binary,
    stop,
    wait_for,
    write_nginx_conf,
)


@contextmanager
def upstream(n_models: int, log: Path, days: int = 31) -> Iterator[str]:
    """The chutes.ai stand-in in its own process (its CPU is not the scraper's), with
    `days` of history ending today; yields its base URL."""
    with spawned_upstream(
        ["--no-fixtures", "--synthetic", str(n_models), "--shift-to-today", "--days", str(days)],
        log,
    ) as url:
        yield url


@dataclass
class Gunicorn:
    """A running gunicorn: its TCP port and master process."""

    port: int
    proc: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """The master's children, i.e. the workers (Linux /proc)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], log: Path, unix: Path | None = None
) -> Iterator[Gunicorn]:
    """gunicorn with deploy/gunicorn.conf.py serving `app` on a free loopback port (and
    on `unix` too, for nginx, when given). Command-line binds replace the config's."""
    port = free_port()
    binds = ["--bind", f"127.0.0.1:{port}"]
    if unix is not None:
        binds += ["--bind", f"unix:{unix}"]
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, *binds, app],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        server = Gunicorn(port, proc)

        def ready() -> bool:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            workers = int(env.get("GUNICORN_WORKERS", "1"))
            return len(server.worker_pids()) >= workers

        wait_for(ready, 30, f"gunicorn {app}", [proc])
        yield server
    finally:
        stop(proc)


@contextmanager
def nginx(work: Path, prefix: Path, micro_cache: bool = True) -> Iterator[int]:
    """nginx with the deploy/ site rendered into `work` (upstream: work/gunicorn.sock,
    static files under prefix/static); yields its port. With micro_cache=False the site
    is a copy with `proxy_cache off;` (every request goes to gunicorn), rendered into
    work/nginx-no-micro-cache so that both can run at once."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    port = free_port()
    home = work if micro_cache else work / "nginx-no-micro-cache"
    home.mkdir(exist_ok=True)
    conf = write_nginx_conf(
        home, port, prefix, upstream_socket=work / "gunicorn.sock", micro_cache=micro_cache
    )
    site = home / "site.conf"
    site.write_text(with_static_baseline(site.read_text(), prefix))
    with open(home / "nginx.log", "w") as out:
        proc = subprocess.Popen(
            [binary, "-p", str(home), "-c", str(conf), "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready() -> bool:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True

        wait_for(ready, 10, "nginx", [proc])
        yield port
    finally:
        stop(proc)


# The baseline the micro-cache is compared with: nginx sending the same bytes from a
# file under the same conditions as a micro-cache hit. It is the site's own
# `location / {…}` block with only the proxying swapped for a file: the same limits,
# tcp_nopush, access log and add_header lines (the shipped /static/ location turns
# logging off and keeps Debian's tcp_nopush on, which made the old baseline cheaper and
# its p99 worse), plus the app's own headers a hit carries and gzip_static for the
# compressed rows, as a hit sends the app's stored gzip bytes (gzip_vary adds Vary).
BASELINE_EXTRA = """        alias {prefix}/static/bench/;
        gzip_static on;
        add_header Cache-Control "public, max-age=300";
        add_header Access-Control-Allow-Origin "*";
"""


def with_static_baseline(site: str, prefix: Path) -> str:
    """The rendered site plus /bench-static/, derived from its `location /` (deploy/ is
    not changed)."""
    # The site's own server's `location /` (the default server before it has one too,
    # which only says 444).
    start = site.rindex("\n    location / {\n")
    end = site.index("\n    }\n", start) + len("\n    }\n")
    lines = []
    for line in site[start:end].splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(("proxy_", "#")):
            continue  # proxy_pass and proxy_cache*: what a file does not need
        if stripped == "location / {":
            line = line.replace("location / {", "location /bench-static/ {")
            line += BASELINE_EXTRA.format(prefix=prefix)
        elif stripped.startswith("add_header X-Cache-Status"):
            line = line.replace("$upstream_cache_status", "HIT")
        lines.append(line)
    return site[:end] + "".join(lines) + site[end:]


@dataclass
class Load:
    """One load run's figures."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx answers


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def nginx_available() -> bool:
    return nginx_binary() is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(
    url: str, host: str, duration: float, connections: int = 16, headers: tuple[str, ...] = ()
) -> Load:
    """`wrk --latency -t2 -c16 -d5s` (bounded: wrk stops itself after `duration`)."""
    proc = subprocess.run(
        [
            "wrk",
            "--latency",
            "-t2",
            f"-c{connections}",
            f"-d{duration:g}s",
            "-H",
            f"Host: {host}",
            *(arg for header in headers for arg in ("-H", header)),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 30,
        check=True,
    )
    out = proc.stdout

    def find(pattern: str) -> str | None:
        match = re.search(pattern, out, re.MULTILINE)
        return match.group(1) if match else None

    errors = int(find(r"Non-2xx or 3xx responses: (\d+)") or 0)
    socket_errors = find(r"Socket errors: (.*)$")
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors))
    return Load(
        rps=float(find(r"Requests/sec:\s+([\d.]+)") or 0),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)") or "0ms"),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)") or "0ms"),
        requests=int(find(r"(\d+) requests in") or 0),
        errors=errors,
    )


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set size of a process, in KiB (VmHWM in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")
