"""The board at scale and its stability, for `make bench` (issues 19 and 20 item 2):

- an uncached `/` (the app's response cache off) at 300 and at 10,000 catalogue models:
  median time, HTML bytes and gzipped bytes; the goal is 10,000 costing at most 3x 300
  (SPEC §6 "Scale": at most BOARD_LIMIT models rendered per page);
- a worker's peak RSS while it renders the 10,000-model board (a fresh process that
  imports the app as a gunicorn worker does and renders `/` a few times; VmHWM);
- the layout shift of `/` on a 390x844 phone in Chromium (PerformanceObserver
  `layout-shift`, buffered), goal < 0.02 (SPEC §6);
- the same in Lighthouse's own mobile run (bench/lighthouse.py), `/`, `/?view=table` and
  a model page.

Returns rows as (figure, measured, goal, met, why) for bench/run.py's table.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from app import create_app
from app.web import board_order
from bench.lighthouse import lighthouse_row
from bench.visitor import CHROMIUM, GZIP_LEVEL, seeded_database

ScaleRow = tuple[str, str, str, bool | None, str]
COUNTS = (300, 10_000)
RATIO_GOAL = 3.0
RSS_GOAL_MB = 80.0
CLS_GOAL = 0.02
RUNS = 5
UNCACHED = {"CACHE_TYPE": "NullCache", "HOT_PATH": False, "PROXY_HOPS": 0}
CLS_SCRIPT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 800);
})"""
# The worker: render `/` three times, print the peak resident set (kB) from /proc.
RSS_CHILD = """
import sys
from app import create_app
from app.web import board_order
app = create_app({"DATABASE": sys.argv[1], "CACHE_TYPE": "NullCache", "HOT_PATH": False})
client = app.test_client()
for _ in range(3):
    assert client.get("/").status_code == 200
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(line.split()[1])
"""


def _median_ms(client, path: str, *, cold: bool) -> float:
    times = []
    for _ in range(RUNS):
        if cold:
            board_order.CATALOGUES.clear()
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _uncached(database: str) -> tuple[float, float, int, int]:
    """(ms with the worker's ranked list kept, ms with it rebuilt each time, bytes, gz).
    The response cache is off both times, so every request renders the page, as each of
    a flood of distinct URLs would (app.web.board_order keeps the ranked list per data
    version, not per URL); the cold figure is a worker's first request after a scrape."""
    client = create_app({"DATABASE": database, **UNCACHED}).test_client()
    body = client.get("/").get_data()
    warm = _median_ms(client, "/", cold=False)
    cold = _median_ms(client, "/", cold=True)
    return warm, cold, len(body), len(gzip.compress(body, GZIP_LEVEL))


def scale_rows(databases: dict[int, str]) -> list[ScaleRow]:
    measured = {count: _uncached(path) for count, path in databases.items()}
    rows: list[ScaleRow] = []
    for count, (ms, cold_ms, size, gz) in measured.items():
        rows.append(
            (
                f"Uncached `/` with {count:,} models (response cache off)",
                f"{ms:.0f} ms median of {RUNS}; {size / 1000:.0f} KB HTML, {gz / 1000:.1f} KB gz",
                "info",
                None,
                "",
            )
        )
        rows.append(
            (
                f"Uncached `/` with {count:,} models, first after a new data version"
                " (ranked list rebuilt)",
                f"{cold_ms:.0f} ms median of {RUNS}",
                "info",
                None,
                "",
            )
        )
    small, large = measured[COUNTS[0]][0], measured[COUNTS[-1]][0]
    ratio = large / small
    rows.append(
        (
            f"Uncached `/`: {COUNTS[-1]:,} models against {COUNTS[0]}",
            f"{ratio:.1f}x",
            f"<= {RATIO_GOAL:.0f}x",
            ratio <= RATIO_GOAL,
            "" if ratio <= RATIO_GOAL else "ranking every model still costs per model",
        )
    )
    return rows


def rss_row(database: str) -> ScaleRow:
    figure = f"Worker peak RSS rendering `/` with {COUNTS[-1]:,} models"
    out = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, database],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    mb = int(out.stdout.split()[-1]) / 1024
    met = mb <= RSS_GOAL_MB
    return (figure, f"{mb:.0f} MB", f"<= {RSS_GOAL_MB:.0f} MB", met, "" if met else "too big")


@contextlib.contextmanager
def served(database: str) -> Iterator[str]:
    """The site on `database` on a free loopback port (werkzeug, threaded); yields its URL."""
    from werkzeug.serving import make_server

    app = create_app({"DATABASE": database, "PROXY_HOPS": 0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def cls_row(database: str) -> ScaleRow:
    figure = "Layout shift (CLS) of `/` and `/?view=table`, 300 models, 390x844 Chromium"
    goal = f"< {CLS_GOAL}"
    if not os.path.exists(CHROMIUM):
        return (figure, "—", goal, None, f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    shifts = {}
    with served(database) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for path in ("/", "/?view=table"):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.goto(url + path, wait_until="load")
            shifts[path] = page.evaluate(CLS_SCRIPT)
            context.close()
        browser.close()
    worst = max(shifts.values())
    listed = ", ".join(f"{p}: {v:.3f}" for p, v in shifts.items())
    met = worst < CLS_GOAL
    return (figure, listed, goal, met, "" if met else "something moves after first paint")


def lighthouse_cls_row(database: str) -> ScaleRow:
    """Lighthouse's mobile CLS of the board's two views and the fastest model's page."""
    with served(database) as url:
        with urllib.request.urlopen(url + "/api/models?limit=1") as answer:
            fastest = json.load(answer)[0]["chute_id"]
        return lighthouse_row(url, ["/", "/?view=table", f"/models/{fastest}"])


def board_scale_rows(directory: Path) -> list[ScaleRow]:
    databases = {count: seeded_database(directory, count) for count in COUNTS}
    rows = scale_rows(databases)
    rows.append(rss_row(databases[COUNTS[-1]]))
    rows.append(cls_row(databases[COUNTS[0]]))
    rows.append(lighthouse_cls_row(databases[COUNTS[0]]))
    for row in rows:
        print(f"bench: {row[0]}: {row[1]}", file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="chutes-scale-") as scratch:
        for row in board_scale_rows(Path(scratch)):
            print(" | ".join(str(part) for part in row))
