"""The file family beside the database: the data-version files, the scrape lock and the
runs' status file.

The data version is the identity (inode, mtime, size) of `<database>.version`, which the
scraper replaces atomically after each commit, and of `<database>.probe-version`, which a
probe run replaces the same way after its commit; reading it is two stat()s, so the
cached hot path runs no SQL. Every reader asks data_version() here.
"""

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from app import clock

# The scrape version file's identity, then the probe version file's.
Version = tuple[int, int, int, int, int, int]
NO_VERSION: Version = (0, 0, 0, 0, 0, 0)
NO_FILE = (0, 0, 0)


def version_path(database: str) -> str:
    """The scrape's version file: it names the scrape run (see version_run)."""
    return database + ".version"


def probe_version_path(database: str) -> str:
    """The probe runs' version file: new probes show at once, not after the next scrape."""
    return database + ".probe-version"


def bump_data_version(database: str, run_id: int) -> None:
    """Atomically replace the version file so every web worker sees new data at once."""
    _replace(version_path(database), f"{run_id}\n")


def bump_probe_version(database: str, run_id: int) -> None:
    """The same for a probe run's commit; raises OSError like bump_data_version."""
    _replace(probe_version_path(database), f"{run_id}\n")


def _replace(path: str, text: str, prefix: str = ".version-") -> None:
    """Replace `path` atomically (a temporary file beside it, then rename(2)), readable
    by the web service (the same user in the deploy; others in dev); raises OSError."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def data_version(database: str) -> Version:
    """The identity (inode, mtime_ns, size) of the scrape's version file and of the probe
    runs' one (zeros until a probe run wrote it); NO_VERSION before the first scrape."""
    try:
        st = os.stat(version_path(database))
    except FileNotFoundError:
        return NO_VERSION
    try:
        pr = os.stat(probe_version_path(database))
    except FileNotFoundError:
        return (st.st_ino, st.st_mtime_ns, st.st_size, *NO_FILE)
    return (st.st_ino, st.st_mtime_ns, st.st_size, pr.st_ino, pr.st_mtime_ns, pr.st_size)


def lock_path(database: str) -> str:
    """The scrape lock's file: two scrapes never run at once (timer + manual)."""
    return database + ".lock"


@contextmanager
def scrape_lock(database: str, wait: float) -> Iterator[bool]:
    """An exclusive lock beside the database; yields False if not had within `wait` s."""
    with open(lock_path(database), "a") as handle:
        deadline = clock.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock.monotonic() >= deadline:
                    yield False
                    return
                clock.sleep(0.2)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the runtime status file ------------------------------------------------------------
# One JSON line, rewritten atomically by every scrape (ok, partial, failed, skipped):
#   {"status", "at", "message", "since", "recorded"}
# `message` is the public phrase (no path, no exception text: /api/health shows it);
# `recorded` says whether scrape_runs has the run too; `since` is when the current
# streak of unrecorded failures began. A failure the database could not take (disk full,
# read-only, missing, corrupt) is visible through this file at once.
STATUS_SUFFIX = ".last-run.json"
# Far more than one line needs; a bigger file is not ours and is ignored.
MAX_STATUS_BYTES = 4096


def status_path(database: str, configured: str = "") -> str:
    """The status file: STATUS_FILE when set, else beside the database."""
    return configured or database + STATUS_SUFFIX


def read_status(path: str) -> dict | None:
    """The last run's status line, or None when there is none or it is not one."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_STATUS_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_STATUS_BYTES:
        return None
    try:
        status = json.loads(data)
    except ValueError:
        return None
    if not isinstance(status, dict) or not all(
        isinstance(status.get(key), str) for key in ("status", "at", "message")
    ):
        return None
    return status


def write_status(path: str, *, status: str, at: str, message: str, recorded: bool) -> None:
    """Replace the status file atomically (tmp + os.replace); raises OSError."""
    since = at
    before = unrecorded_failure(read_status(path), None)
    if status == "failed" and not recorded and before is not None:
        since = str(before.get("since") or before["at"])
    line = json.dumps(
        {"status": status, "at": at, "message": message, "since": since, "recorded": recorded}
    )
    _replace(path, line + "\n", prefix=".last-run-")


def unrecorded_failure(status: dict | None, last_recorded_at: str | None) -> dict | None:
    """The status line when it is a failure the database does not know of: failed, not
    recorded, and not older than the newest run in scrape_runs (`last_recorded_at`, its
    finished_at or started_at; None when there is none). Else None."""
    if status is None or status["status"] != "failed" or status.get("recorded", False):
        return None
    failed_at = clock.parse_utc(status["at"])
    if failed_at is None:
        return None
    recorded = clock.parse_utc(last_recorded_at)
    # Strictly older only: times are to the second, and a failure written in the same
    # second as the newest recorded run still came after it (the file is written last).
    if recorded is not None and failed_at < recorded:
        return None
    return status


def version_run(database: str) -> int | None:
    """The run id the version file names (what bump_data_version wrote), or None."""
    try:
        with open(version_path(database), encoding="utf-8") as handle:
            text = handle.read(64).strip()
    except OSError:
        return None
    return int(text) if text.isascii() and text.isdigit() else None
