#!/usr/bin/env python3
"""Run one probe run: a small streamed request to each active model (what the probe timer runs).

Exit status: 0 when probes were stored, are off (no key) or another run holds the lock;
1 when the run failed or the key was refused; 2 for bad arguments or a bad setting.
"""

import argparse
import logging
import sys

from app.probing.run import run_probes
from app.settings import Settings, SettingsError

log = logging.getLogger("probe")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="probe only this model (its name or chute_id)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    try:
        settings = Settings.load()
    except SettingsError as exc:
        log.error("bad setting: LEADERBOARD_%s", exc)
        return 2
    outcome = run_probes(settings, model=args.model)
    if outcome.status == "off":
        print(outcome.message)
        return 0
    level = logging.ERROR if outcome.exit_code else logging.INFO
    log.log(level, "%s: %s", outcome.status, outcome.message)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
