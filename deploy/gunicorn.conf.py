"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`.

Every knob a sysadmin may want to turn is an environment variable (set them in
/etc/chutes-leaderboard/leaderboard.env, which the systemd unit reads), so upgrades never
have to merge local edits into this file.
"""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def _cpu_count() -> int:
    # sched_getaffinity honours CPUAffinity= and container CPU sets; os.cpu_count()
    # would report every core of the host.
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _default_workers() -> int:
    # The classic 2*cores+1 for sync workers, capped: each worker is a full Python
    # process holding its own response cache, and a small VPS runs out of memory long
    # before it runs out of CPU. nginx's micro-cache absorbs most of the load anyway.
    return min(2 * _cpu_count() + 1, 8)


def _worker_tmp_dir() -> str | None:
    # Workers heartbeat by touching a temp file; on a disk-backed /tmp a slow fsync can
    # make the arbiter think a healthy worker hung. /dev/shm is RAM. Fall back to the
    # default (the service's PrivateTmp) where /dev/shm is missing or read-only.
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


# Under systemd the socket comes from chutes-leaderboard.socket (LISTEN_FDS) and this
# address is ignored; it is used when gunicorn runs by hand or in tests.
bind = [os.environ.get("GUNICORN_BIND", "unix:/run/chutes-leaderboard/gunicorn.sock")]
# Only when gunicorn binds the socket itself: owner and group may connect, nobody else.
umask = 0o007
# Listen queue: with socket activation the kernel queues connections here while the
# service restarts, so nginx waits instead of failing.
backlog = _env_int("GUNICORN_BACKLOG", 2048)

# Synchronous Flask app: plain sync workers. nginx buffers slow clients, so a worker is
# only busy while the app itself runs.
worker_class = "sync"
workers = _env_int("GUNICORN_WORKERS", _default_workers())

# Recycle workers now and then so a slow leak cannot grow forever; the jitter keeps
# them from all restarting at the same moment.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Every page is a few SQLite reads: 30 s means something is stuck. nginx's
# proxy_read_timeout is set just above this so gunicorn reports the timeout first.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# Below the unit's TimeoutStopSec so workers finish in-flight requests before SIGKILL.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = 2
# nginx accepts request lines up to 8 KB (large_client_header_buffers 4 8k); gunicorn's
# default of 4094 bytes turned a ~4 KB search into gunicorn's own bare 414 page. Its
# maximum, so the app answers whatever nginx lets through (the API with a JSON 400).
limit_request_line = 8190
# nginx forwards only headers it makes itself (proxy_pass_request_headers off), each far
# below gunicorn's field limits, so gunicorn never answers with its own HTML 400/431;
# these are its maxima all the same, so that whatever nginx lets through reaches the app.
limit_request_field_size = 16384
limit_request_fields = 32768

# preload_app would be *safe*: create_app() opens no database connection, thread or
# socket (SQLite is opened lazily per request and closed at teardown), so nothing
# shared would leak across fork(). It stays off by default because with preloading a
# `systemctl reload` (SIGHUP) respawns workers from the arbiter's already-imported
# code, i.e. an upgrade would need a full restart; without it, HUP loads the new code
# with zero downtime. The memory it would save is a few MB per worker.
preload_app = _env_bool("GUNICORN_PRELOAD", False)

# Logs go to stdout/stderr, i.e. the journal. nginx already logs every request, so
# gunicorn's access log is off unless asked for (GUNICORN_ACCESSLOG=-).
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# No capture_output: under systemd the app's own stdout/stderr already go to the journal.

proc_name = "chutes-leaderboard"
worker_tmp_dir = _worker_tmp_dir()

# gunicorn >= 25 opens a control socket under $HOME by default; the service has no
# writable home (ProtectHome=, ProtectSystem=strict) and systemctl is the control
# interface, so don't try.
control_socket_disable = True

# gunicorn trusts X-Forwarded-Proto from unix-socket peers (only nginx can connect:
# the socket is 0660 root-managed); for a TCP bind only loopback is trusted. The app's
# ProxyFix (1 hop) interprets the rest of nginx's X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
