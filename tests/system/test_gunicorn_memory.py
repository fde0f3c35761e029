"""A gunicorn worker's memory under a flood of distinct searches stays bounded."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.db import connection
from tests.deploy_helpers import GUNICORN_CONF, ROOT, stop, wait_for
from tests.seed import seed, simple_model

pytestmark = pytest.mark.deploy


# --- 5. a gunicorn worker's memory under a flood of distinct searches -------------------------


def worker_rss_mb(arbiter: int) -> list[int]:
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    status = [Path(f"/proc/{pid}/status").read_text() for pid in children]
    return [int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) // 1024 for text in status]


@pytest.mark.slow
def test_a_worker_stays_under_80_mb_during_a_flood_of_searches(tmp_path) -> None:
    """SPEC §8: one worker, a 300-model board (~0.5 MB a page), 150 distinct ?q= for the
    page and the API. Unbounded (SimpleCache, 500 entries) it reached 116 MB and kept growing."""
    database = str(tmp_path / "db.sqlite3")
    connection.init_db(database)
    pairs = [
        simple_model(
            f"chute-{i:04d}",
            f"org/model-{i}-{'x' * 20}",
            {d: (100.0 - i / 10 + d, 5000) for d in range(1, 31)},
        )
        for i in range(300)
    ]
    seed(database, [e for e, _ in pairs], [r for _, rows in pairs for r in rows])
    sock = tmp_path / "g.sock"
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": database,
        "GUNICORN_BIND": f"unix:{sock}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_MAX_REQUESTS": "0",  # no recycling: the cache must bound itself
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def get(path: str) -> int:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sock))
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(1 << 16):
                data += chunk
        return int(data.split(b" ", 2)[1])

    try:
        wait_for(lambda: get("/api/health") in {200, 503}, 20, "gunicorn", [proc])
        peak = 0
        for i in range(150):
            assert get(f"/?q=flood{i}") == 200
            assert get(f"/api/models?q=flood{i}") == 200
            if i % 10 == 9:
                peak = max(peak, *worker_rss_mb(proc.pid))
        print(f"worker RSS peak during the flood: {peak} MB")
        assert peak <= 80, peak
    finally:
        stop(proc)
