#!/usr/bin/env python3
"""Run one scrape of chutes.ai into the leaderboard database (what the systemd timer runs).

Exit status: 0 when data was stored (or another run already holds the lock),
1 when no data could be had, 2 for bad arguments or a bad LEADERBOARD_* setting.
"""

import argparse
import logging
import sys

from app.scraping.run import run_scrape
from app.settings import SOURCES, Settings, SettingsError

log = logging.getLogger("scrape")


def progress_bar(done: int, total: int) -> None:
    """A one-line bar on a terminal; under systemd (no TTY) nothing is drawn."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r  pages [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def setup_logging(*, verbose: bool = False) -> None:
    """Plain `LEVEL name: message` lines on stderr (the journal under systemd).

    urllib3 logs each retry as a WARNING ("Retrying (Retry(total=2, ...)) after connection
    broken by ..."): seven of them for one offline run. The run's own summary already says
    what failed and why, so those are debug detail, shown with --verbose.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("urllib3").setLevel(logging.DEBUG if verbose else logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="fetch every web page in one run")
    parser.add_argument("--source", choices=SOURCES, help="override LEADERBOARD_SOURCE")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, every HTTP retry included"
    )
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose)
    try:
        settings = Settings.load()
    except SettingsError as exc:
        log.error("bad setting: LEADERBOARD_%s", exc)
        return 2
    interactive = sys.stderr.isatty()
    outcome = run_scrape(
        settings,
        source=args.source,
        fetch_all=args.all,
        progress=progress_bar if interactive else None,
    )
    level = logging.ERROR if outcome.status == "failed" else logging.INFO
    log.log(level, "%s: %s", outcome.status, outcome.message)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
