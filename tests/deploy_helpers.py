"""Running the deploy/ artifacts on loopback: shared by tests/system/test_deploy.py and bench/.

Renders the nginx site (its @…@ placeholders) into a scratch directory inside Debian's
stock nginx.conf, and starts/stops the processes of a local nginx -> gunicorn stack.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
GUNICORN_CONF = str(DEPLOY / "gunicorn.conf.py")
SERVER_NAME = "leaderboard.test"


def nginx_binary() -> str | None:
    """The nginx executable, or None; Debian puts it in /usr/sbin, often not on PATH."""
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    return path if os.access(path, os.X_OK) else None


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def nginx_placeholders(
    work: Path, port: int, prefix: Path = ROOT, upstream_socket: Path | None = None
) -> dict[str, str]:
    """Values for the site's placeholders; `prefix` holds the `static/` nginx serves,
    `upstream_socket` is gunicorn's (by default work/gunicorn.sock)."""
    return {
        "PREFIX": str(prefix),  # by default static files straight from the checkout
        "SOCKET": str(upstream_socket or work / "gunicorn.sock"),
        "CACHE_DIR": str(work / "cache"),
        "SNIPPET": str(work / "security-headers.conf"),
        "SERVER_NAME": SERVER_NAME,
        "LISTEN": f"127.0.0.1:{port}",
        "LISTEN6": f"[::1]:{port}",
    }


def render(text: str, values: dict[str, str]) -> str:
    if not ipv6_loopback():
        text = "\n".join(ln for ln in text.splitlines() if "@LISTEN6@" not in ln)
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def nginx_main_conf(work: Path, site: Path) -> str:
    """Debian's own nginx.conf with our site in place of sites-enabled/*, and every
    path it writes moved into `work`: the site must coexist with the stock http{}
    (which already says `gzip on`, for one)."""
    ours = [
        f"access_log {work}/access.log;",
        *(f"{kind}_temp_path {work}/{kind};" for kind in ("client_body", "proxy", "fastcgi")),
        *(f"{kind}_temp_path {work}/{kind};" for kind in ("uwsgi", "scgi")),
        f"include {site};",
    ]
    stock = Path("/etc/nginx/nginx.conf")
    if stock.exists():
        lines = []
        for line in stock.read_text().splitlines():
            directive = line.strip().split(" ", 1)[0]
            if directive in {"user", "pid", "error_log", "access_log"}:
                continue
            if directive == "include" and ("sites-enabled" in line or "conf.d" in line):
                continue
            if directive == "include" and "modules-enabled" in line:
                continue  # optional dynamic modules; the site needs none
            lines.append(line)
            if re.match(r"\s*http\s*\{", line):
                lines.extend("\t" + directive for directive in ours)
        body = "\n".join(lines)
    else:
        mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
        body = "events {}\nhttp {\n" + mime + "\n" + "\n".join(ours) + "\n}\n"
    head = [f"pid {work}/nginx.pid;", f"error_log {work}/error.log;"]
    if os.geteuid() == 0:
        # Workers would otherwise drop to nobody, who can't reach the pytest tmp dir.
        head.append("user root;")
    return "\n".join(head) + "\n" + body + "\n"


_PROXY_CACHE = re.compile(r"^([ \t]*)proxy_cache[ \t]+(?!off;)\S+;", re.MULTILINE)


def without_micro_cache(site: str) -> str:
    """The rendered site with its micro-cache switched off (`proxy_cache off;` in place
    of each `proxy_cache <zone>;`: the app's locations and health), so nginx proxies
    every request to gunicorn: for the benchmark's comparison only; the shipped config is
    never changed."""
    text, count = _PROXY_CACHE.subn(r"\1proxy_cache off;", site)
    if count != MICRO_CACHED_LOCATIONS:
        raise ValueError(
            f"expected {MICRO_CACHED_LOCATIONS} proxy_cache directives in the site, found {count}"
        )
    return text


# `location /` and `location = /api/health`.
MICRO_CACHED_LOCATIONS = 2
_KEYS_ZONE = re.compile(r"keys_zone=(\w+):\w+")


def with_keys_zone(site: str, size: str) -> str:
    """The rendered site with its micro-cache keys zone resized (e.g. "32k", room for a
    few dozen keys), so a test can fill it with a few thousand URLs instead of the
    ~64 000 the shipped zone holds; nothing else changes."""
    text, count = _KEYS_ZONE.subn(rf"keys_zone=\1:{size}", site)
    if count != 1:
        raise ValueError(f"expected one keys_zone in the site, found {count}")
    return text


def write_nginx_conf(
    work: Path,
    port: int,
    prefix: Path = ROOT,
    *,
    upstream_socket: Path | None = None,
    micro_cache: bool = True,
    keys_zone: str | None = None,
) -> Path:
    """Render the site and its snippet into `work`; returns the main nginx.conf.
    `micro_cache=False` renders a copy with the micro-cache off (without_micro_cache);
    `keys_zone` a copy with that keys zone size (with_keys_zone)."""
    values = nginx_placeholders(work, port, prefix, upstream_socket)
    (work / "cache").mkdir(exist_ok=True)
    snippet = render((DEPLOY / "nginx/security-headers.conf").read_text(), values)
    (work / "security-headers.conf").write_text(snippet)
    site = work / "site.conf"
    text = render((DEPLOY / "nginx/chutes-leaderboard.conf").read_text(), values)
    if not micro_cache:
        text = without_micro_cache(text)
    if keys_zone is not None:
        text = with_keys_zone(text, keys_zone)
    site.write_text(text)
    main = work / "nginx.conf"
    main.write_text(nginx_main_conf(work, site))
    return main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    check: Callable[[], bool], timeout: float, what: str, procs: list[subprocess.Popen]
) -> None:
    """Poll check() until true; AssertionError if a process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{what}: {proc.args[0]} exited with {proc.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what}: not ready after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def gunicorn_on(db_path: str, log_path: Path, ready: str = "/api/models") -> Iterator[str]:
    """Real gunicorn (deploy/gunicorn.conf.py, 2 workers) over `db_path` on a loopback
    port; yields its base URL once `ready` answers 2xx, stops it on exit."""
    port = free_port()
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": db_path,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOGLEVEL": "warning",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [gunicorn, "-c", GUNICORN_CONF, "app:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"{base}{ready}", timeout=2):
                    break
            except OSError:  # refused, reset, or an HTTP error status (not ready yet)
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
