#!/usr/bin/env python3
"""Run one scrape of chutes.ai into the leaderboard database (what the systemd timer runs).

Exit status: 0 when data was stored (or another run already holds the lock),
1 when no data could be had, 2 for bad arguments.
"""

import argparse
import logging
import sys

from app import create_app
from app.config import SOURCES
from app.scraping.run import run_scrape

log = logging.getLogger("scrape")


def progress_bar(done: int, total: int) -> None:
    """A one-line bar on a terminal; under systemd (no TTY) nothing is drawn."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r  pages [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="fetch every web page in one run")
    parser.add_argument("--source", choices=SOURCES, help="override LEADERBOARD_SOURCE")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    app = create_app()
    interactive = sys.stderr.isatty()
    outcome = run_scrape(
        app.config,
        source=args.source,
        fetch_all=args.all,
        progress=progress_bar if interactive else None,
    )
    level = logging.ERROR if outcome.status == "failed" else logging.INFO
    log.log(level, "%s: %s", outcome.status, outcome.message)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
