"""The file family beside the database: the data-version file and the scrape lock.

The data version is the identity (inode, mtime, size) of `<database>.version`, which the
scraper replaces atomically after each commit; reading it is one stat(), so the cached
hot path runs no SQL. Every reader asks data_version() here.
"""

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from app import clock

Version = tuple[int, int, int]
NO_VERSION: Version = (0, 0, 0)


def version_path(database: str) -> str:
    """The file whose identity is the data version (see app.plumbing.cache)."""
    return database + ".version"


def bump_data_version(database: str, run_id: int) -> None:
    """Atomically replace the version file so every web worker sees new data at once."""
    directory = os.path.dirname(os.path.abspath(database))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".version-")
    with os.fdopen(fd, "w") as out:
        out.write(f"{run_id}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, version_path(database))


def data_version(database: str) -> Version:
    """(inode, mtime_ns, size) of the version file; NO_VERSION before the first scrape."""
    try:
        st = os.stat(version_path(database))
    except FileNotFoundError:
        return NO_VERSION
    return (st.st_ino, st.st_mtime_ns, st.st_size)


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
