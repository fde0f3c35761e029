"""Lighthouse's own layout-shift figure for `make bench` (issue 19: "Lighthouse mobile CLS
< 0.02, record the figure in make bench"; SPEC §6 "No layout shift after first paint").

The real Lighthouse (pinned in bench/js/package-lock.json, installed by `make bench` with
`npm ci`; never by `make test` or CI) runs its performance category in its default mobile
form factor (a 412x823 phone, simulated slow 4G and CPU throttling) in Debian's Chromium
(CHROME_PATH=/usr/bin/chromium, headless, no sandbox), against a local server on the
bench's 300-model database: `/`, `/?view=table` and a model page. The figure per page is
the `cumulative-layout-shift` audit's value.

Returns one row (figure, measured, goal, met, why) for bench/run.py's table; bench/
board_scale.py's PerformanceObserver row stands beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bench.visitor import CHROMIUM

LIGHTHOUSE = Path(__file__).resolve().parent / "js" / "node_modules" / ".bin" / "lighthouse"
CLS_GOAL = 0.02
CHROME_FLAGS = "--headless=new --no-sandbox"
RUN_SECONDS = 180  # one page; a run takes ~20 s on this machine

LighthouseRow = tuple[str, str, str, bool | None, str]


def lighthouse_cls(url: str, attempts: int = 2) -> float:
    """The CLS Lighthouse measures for `url` (default mobile settings). A run that fails
    is tried once more (a loaded machine once timed one out mid-bench); the last
    failure's own words are kept for the table."""
    for attempt in range(attempts):
        try:
            return _one_run(url)
        except subprocess.CalledProcessError as exc:
            if attempt + 1 == attempts:
                said = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit {exc.returncode}"]
                raise RuntimeError(f"lighthouse {url}: {said[0]}") from exc
        except subprocess.TimeoutExpired as exc:
            if attempt + 1 == attempts:
                raise RuntimeError(f"lighthouse {url}: no report in {RUN_SECONDS} s") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _one_run(url: str) -> float:
    out = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--only-categories=performance",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=RUN_SECONDS,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    report = json.loads(out.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(report["runtimeError"].get("message", "Lighthouse runtime error"))
    return float(report["audits"]["cumulative-layout-shift"]["numericValue"])


def lighthouse_row(base_url: str, paths: list[str]) -> LighthouseRow:
    """The row for `paths` of the site at `base_url`."""
    figure = (
        "Lighthouse mobile CLS (default mobile form factor, performance category) of "
        + ", ".join(f"`{p}`" for p in paths)
        + ", 300 models"
    )
    goal = f"< {CLS_GOAL}"
    if not LIGHTHOUSE.exists():
        return (figure, "—", goal, None, "Lighthouse is not installed (`make bench` runs npm ci)")
    if not os.path.exists(CHROMIUM):
        return (figure, "—", goal, None, f"{CHROMIUM} is missing")
    try:
        shifts = {path: lighthouse_cls(base_url + path) for path in paths}
    except (subprocess.SubprocessError, RuntimeError, KeyError, ValueError) as exc:
        return (figure, "—", goal, None, f"Lighthouse failed: {str(exc)[:200]}")
    worst = max(shifts.values())
    met = worst < CLS_GOAL
    listed = ", ".join(f"{path}: {value:.3f}" for path, value in shifts.items())
    return (figure, listed, goal, met, "" if met else "something moves after first paint")
