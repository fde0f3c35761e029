"""`make bench`, own probes: one probe run's own CPU time and peak memory for 15 and for 300
models, against the loopback stand-in's streams (64 tokens at 1,000 tok/s each).

The stand-in serves from this process; probe.py runs as a child, so os.wait4's rusage is
the prober's alone. CPU share = its CPU seconds / the run's wall seconds: the goal is that
the prober adds < 5 % CPU to the streams it times (its per-token work must not slow them).
Numbers, not assertions; printed and appended to bench/results.md's probe section.
"""

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import connection  # noqa: E402
from tests.helpers import scrape  # noqa: E402
from tests.standin import Dataset, UpstreamApp, serve  # noqa: E402
from tests.standin.chat import ChatBehaviour  # noqa: E402

SIZES = (15, 300)


def one(models: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = os.path.join(tmp, "bench.sqlite3")
        connection.init_db(database)
        today = datetime.now(UTC).date()
        upstream = UpstreamApp(Dataset.synthetic(models, days=2, today=today, seed=1))
        upstream.chat.default = ChatBehaviour(ttft=0.02, tps=1000.0, tokens=64)
        with serve(upstream) as base:
            assert scrape(database, base).status in ("ok", "partial")
            key = Path(tmp) / "probe.key"
            key.write_text("cpk_bench")
            env = {
                **os.environ,
                "LEADERBOARD_DATABASE": database,
                "LEADERBOARD_LLM_URL": base,
                "LEADERBOARD_REQUEST_DELAY": "0",
                "LEADERBOARD_PROBE_KEY_FILE": str(key),
                "LEADERBOARD_PROBE_DAILY_TOKENS": str(models * 256 + 1),
            }
            started = time.monotonic()
            child = subprocess.Popen(
                [sys.executable, "probe.py"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
            )
            _pid, status, usage = os.wait4(child.pid, 0)
            wall = time.monotonic() - started
            assert os.waitstatus_to_exitcode(status) == 0
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "models": models,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_share": cpu / wall,
        "max_rss_mb": usage.ru_maxrss / 1024,
    }


def main() -> None:
    lines = [
        "",
        "## Own probes (bench/probes.py)",
        "",
        "| models | wall s | CPU s | CPU share | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for size in SIZES:
        r = one(size)
        lines.append(
            f"| {size} | {r['wall_s']:.1f} | {r['cpu_s']:.2f} | {r['cpu_share'] * 100:.1f} % |"
            f" {r['max_rss_mb']:.0f} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
