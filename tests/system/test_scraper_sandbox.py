"""The scraper's systemd sandbox: what its unit denies (seccomp groups, socket
families), a real scrape under strace never needs."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from app.db import connection
from tests.demo import spawned_upstream
from tests.deploy_helpers import DEPLOY, ROOT

pytestmark = pytest.mark.deploy


# --- systemd: what the scraper's sandbox denies, it never needs -----------------------------


def syscall_set(group: str, seen: set[str] | None = None) -> set[str]:
    """The system calls of a systemd @group, nested groups expanded."""
    seen = set() if seen is None else seen
    if group in seen:
        return set()
    seen.add(group)
    out = subprocess.run(
        ["systemd-analyze", "syscall-filter", group], capture_output=True, text=True, timeout=30
    ).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:  # the first line is the group's own name
        word = line.strip()
        if word.startswith("@"):
            names |= syscall_set(word, seen)
        elif re.fullmatch(r"[a-z0-9_]+", word):
            names.add(word)
    return names


@pytest.mark.systemd
@pytest.mark.slow
def test_scraper_makes_no_call_its_unit_denies(tmp_path) -> None:
    for tool in ("strace", "systemd-analyze"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {tool.split('-')[0]})")
    unit = (DEPLOY / "systemd/chutes-leaderboard-scrape.service").read_text()
    denied_groups = re.search(r"^SystemCallFilter=~(.+)$", unit, re.MULTILINE).group(1).split()
    families = re.search(r"^RestrictAddressFamilies=(.+)$", unit, re.MULTILINE).group(1).split()
    denied = set().union(*(syscall_set(g) for g in denied_groups))
    assert {"chown", "setuid", "setpriority", "setrlimit"} <= denied

    # As the service's unprivileged user would: SQLite (f)chowns its -wal/-shm files
    # only when geteuid() is 0, which the unit's user never is. In a user namespace
    # (like the unit's PrivateUsers=) root's euid reads as 65534.
    work = tmp_path
    # The scraper never creates the database: install.sh runs init-db first, as here.
    connection.init_db(str(work / "db.sqlite3"))
    as_user = ["unshare", "--user"] if os.geteuid() == 0 else []
    trace = work / "trace"
    with spawned_upstream(["--shift-to-today"], tmp_path / "upstream.log") as url:
        env = {
            **os.environ,
            "LEADERBOARD_DATABASE": str(work / "db.sqlite3"),
            "LEADERBOARD_API_URL": url,
            "LEADERBOARD_LLM_URL": url,
            "LEADERBOARD_WEB_URL": url,
            "LEADERBOARD_REQUEST_DELAY": "0",
        }
        for source in ("api", "html"):
            proc = subprocess.run(
                [
                    "strace",
                    "-f",
                    "-qq",
                    "-o",
                    f"{trace}.{source}",
                    *as_user,
                    sys.executable,
                    "scrape.py",
                    "--source",
                    source,
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert proc.returncode == 0, proc.stderr[-2000:]
    calls: set[str] = set()
    socket_families: set[str] = set()
    for path in work.glob("trace.*"):
        for line in path.read_text(errors="replace").splitlines():
            match = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
            if match:
                calls.add(match.group(1))
            family = re.search(r"\bsocket\((AF_[A-Z0-9]+)", line)
            if family:
                socket_families.add(family.group(1))
    assert "openat" in calls and "connect" in calls  # the trace saw the real work
    assert not calls & denied, sorted(calls & denied)
    assert socket_families <= set(families), socket_families
