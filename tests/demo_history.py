"""`make demo`'s back story: one earlier scrape against a slightly different chutes.ai, so a
fresh demo opens with events to show: the first-scrape summary, speed changes, a model
added and one removed (the catalogue changed between the two scrapes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from tests.standin import Dataset, UtilizationFeed, make_upstream_app, serve, with_faster_week

# Models made faster over the last week, in the demo's stand-in and its back story alike.
FASTER_MODELS = 2


def stand_in_args(synthetic: int, page_form: str) -> list[str]:
    """The CLI of the stand-in the demo serves (tests.standin): `stand_in_dataset`'s data."""
    return [
        "--shift-to-today",
        "--synthetic",
        str(synthetic),
        "--page-form",
        page_form,
        "--faster-last-week",
        str(FASTER_MODELS),
    ]


def stand_in_dataset(synthetic: int, today: date) -> Dataset:
    """What `python -m tests.standin` serves with `stand_in_args`."""
    base = Dataset.from_fixtures(shift_to=today).extend(
        Dataset.synthetic(synthetic, today=today, seed=0)
    )
    return with_faster_week(base, FASTER_MODELS, today)[0]


def earlier_dataset(now: Dataset, today: date) -> Dataset:
    """The catalogue a while ago: its last model not listed yet, and a model since retired."""
    held_back = now.models[-1]["chute_id"]
    retired = Dataset.synthetic(1, today=today, seed=99)
    retired_id = retired.models[0]["chute_id"]
    return Dataset(
        models=[m for m in now.models if m["chute_id"] != held_back] + retired.models[:1],
        chutes=[c for c in now.chutes if c["chute_id"] != held_back]
        + [c for c in retired.chutes if c["chute_id"] == retired_id],
        rows=now.rows + [r for r in retired.rows if r["chute_id"] == retired_id],
        cord_refs=now.cord_refs,
    )


def run_back_story(
    scrape: Callable[[str], None],
    *,
    synthetic: int,
    today: date,
    page_form: str,
    snapshot_at: datetime | None = None,
) -> None:
    """Serve the earlier catalogue on loopback and let `scrape(base_url)` scrape it once;
    its capacity snapshot is taken at `snapshot_at` (before the demo's capacity history)."""
    earlier = earlier_dataset(stand_in_dataset(synthetic, today), today)
    upstream = make_upstream_app(earlier, page_form)
    upstream.utilization = UtilizationFeed(snapshot_at)
    with serve(upstream) as url:
        scrape(url)
