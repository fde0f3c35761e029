"""A faithful local stand-in for chutes.ai: the JSON API, the LLM API and the SvelteKit pages.

CLI: `python -m tests.standin --port 8765 [--synthetic N [--days D]] [--no-fixtures]
[--page-form inline|hoisted|hoisted6|streamed|legacy] [--shift-to-today] [--faster-last-week N]
[--snapshots-from ISO --snapshot-step S --vary-capacity]` (the capacity snapshots' clock:
see `tests/standin/capacity.py`)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from werkzeug.serving import make_server

from tests.standin.app import make_upstream_app
from tests.standin.capacity import UtilizationFeed
from tests.standin.datasets import FIXTURE_NEWEST_DAY, Dataset, with_faster_week
from tests.standin.pages import PAGE_FORMS


def main(argv: list[str] | None = None) -> None:
    """CLI: serve the stand-in until interrupted; prints the base URL as its first line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.standin", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--synthetic", type=int, default=0, metavar="N", help="add N synthetic models"
    )
    parser.add_argument("--no-fixtures", action="store_true", help="serve only synthetic models")
    parser.add_argument("--page-form", choices=PAGE_FORMS, default="inline")
    parser.add_argument(
        "--shift-to-today",
        action="store_true",
        help="move the data so its newest day is today (UTC)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--days", type=int, default=31, metavar="N", help="days of synthetic history (to today)"
    )
    parser.add_argument(
        "--faster-last-week",
        type=int,
        default=0,
        metavar="N",
        help="make N models 40%% faster over the last 7 complete days (a speed change)",
    )
    parser.add_argument(
        "--snapshots-from",
        metavar="ISO",
        help="first /chutes/utilization timestamp (UTC); default: the clock at each request",
    )
    parser.add_argument(
        "--snapshot-step", type=float, default=0, metavar="S", help="seconds between answers"
    )
    parser.add_argument(
        "--vary-capacity", action="store_true", help="move the counts from answer to answer"
    )
    args = parser.parse_args(argv)

    today = datetime.now(UTC).date() if args.shift_to_today else FIXTURE_NEWEST_DAY
    parts: list[Dataset] = []
    if not args.no_fixtures:
        parts.append(Dataset.from_fixtures(shift_to=today if args.shift_to_today else None))
    if args.synthetic:
        parts.append(Dataset.synthetic(args.synthetic, days=args.days, today=today, seed=args.seed))
    if not parts:
        parser.error("--no-fixtures needs --synthetic N")
    dataset = parts[0] if len(parts) == 1 else parts[0].extend(parts[1])
    if args.faster_last_week:
        dataset, _ = with_faster_week(dataset, args.faster_last_week, today)

    app = make_upstream_app(dataset, args.page_form)
    app.utilization = UtilizationFeed(
        datetime.fromisoformat(args.snapshots_from) if args.snapshots_from else None,
        timedelta(seconds=args.snapshot_step) if args.snapshot_step else None,
        vary=args.vary_capacity,
    )
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"http://{args.host}:{server.server_port}", flush=True)
    print(
        f"chutes.ai stand-in: {len(dataset.models)} models, {len(dataset.rows)} rows, "
        f"page form {args.page_form}; Ctrl-C stops it",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
