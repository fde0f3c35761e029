"""Event detection on plain data: announced state + state after a run -> new events."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rows import DailyRow
from app.scraping.events.detect import ModelState, NewEvent, detect
from app.scraping.events.speed_shift import current_shift, window_shift
from app.scraping.events.types import SpeedAnnounced

TODAY = date(2026, 10, 20)
MIN = 100


def week_rows(chute_id: str, tps_by_week: list[float], requests: int = 1000) -> list[DailyRow]:
    """Daily rows ending yesterday: the last entry of `tps_by_week` is the latest week."""
    rows = []
    for week, tps in enumerate(reversed(tps_by_week)):
        for day in range(7):
            back = 1 + week * 7 + day
            day_str = (TODAY - timedelta(days=back)).isoformat()
            rows.append(DailyRow(chute_id, day_str, requests=requests, tps=tps))
    return rows


def state(chute_id: str = "a", **kw) -> ModelState:
    defaults = {"name": f"org/{chute_id}", "listed_before": True, "listed_now": True}
    return ModelState(chute_id=chute_id, **{**defaults, **kw})


def run(*models: ModelState, first: bool = False):
    return detect(models, first_scrape=first, today=TODAY, min_requests=MIN)


def kinds(events) -> list[tuple[str, str | None]]:
    return [(e.kind, e.chute_id) for e in events]


def test_first_scrape_is_one_summary_not_a_model_added_each():
    models = [state("a", listed_before=False), state("b", listed_before=False)]
    events = run(*models, first=True)
    assert kinds(events) == [("tracking_started", None)]
    assert events[0].detail["models"] == 2
    assert "2 models" in events[0].summary


def test_catalogue_change_raises_added_and_removed_once():
    added = state("new", listed_before=False, price_input=0.1, price_output=0.4)
    gone = state("old", listed_now=False, rank_tps=42.25)
    events = run(added, gone, state("same"))
    assert kinds(events) == [("model_added", "new"), ("model_removed", "old")]
    assert "$0.1 in / $0.4 out" in events[0].summary
    assert "(last ranked at 42.2 tok/s)" in events[1].summary
    # Once announced (the events are the announced state), the same state adds nothing.
    announced = [
        replace(added, listed_before=True, last_listing=("model_added", 7)),
        replace(gone, listed_before=False, last_listing=("model_removed", 8)),
    ]
    assert run(*announced) == []


def test_a_model_coming_back_is_announced_again_with_a_new_key():
    back = state("x", listed_before=False, last_listing=("model_removed", 8))
    [event] = run(back)
    assert event.kind == "model_added" and event.key == "model_added:x:after-8"
    first_time = state("x", listed_before=False)
    assert run(first_time)[0].key == "model_added:x:after-0"


def test_speed_change_needs_twenty_percent():
    assert window_shift(week_rows("a", [100, 119]), TODAY - timedelta(days=1), MIN) is None
    shift = window_shift(week_rows("a", [100, 120]), TODAY - timedelta(days=1), MIN)
    assert shift is not None and shift.direction == "faster"
    assert shift.change == pytest.approx(0.2)
    slower = window_shift(week_rows("a", [100, 75]), TODAY - timedelta(days=1), MIN)
    assert slower is not None and slower.direction == "slower"


def test_speed_change_needs_seven_times_min_requests_in_both_weeks():
    rows = week_rows("a", [100, 150], requests=99)  # 693 < 700 a week
    assert window_shift(rows, TODAY - timedelta(days=1), MIN) is None
    rows = week_rows("a", [100, 150], requests=100)
    assert window_shift(rows, TODAY - timedelta(days=1), MIN) is not None


def test_speed_is_request_weighted_and_ignores_today():
    rows = week_rows("a", [100, 100])
    # One thin fast day in the recent week hardly moves a request-weighted mean...
    rows[0] = replace(rows[0], tps=1000, requests=10)
    assert window_shift(rows, TODAY - timedelta(days=1), MIN) is None
    # ...and today, a partial day, is never in a window at all.
    rows.append(DailyRow("a", TODAY.isoformat(), requests=100000, tps=500))
    assert current_shift(rows, TODAY, MIN) is None


def announced(event: NewEvent, id: int = 5) -> SpeedAnnounced:
    return SpeedAnnounced(id, event.detail["direction"], event.detail["window_end"])


def test_speed_episode_is_announced_once_and_again_after_it_stopped():
    model = state("a", rows=week_rows("a", [100, 100, 140]))
    [event] = run(model)
    assert event.kind == "speed_change" and event.key == "speed_change:a:faster:after-0"
    assert event.detail["tps_before"] == 100 and event.detail["tps_after"] == 140
    assert "40% faster" in event.summary
    # The next day the same shift still holds: same episode, nothing new.
    later = detect(
        [replace(model, last_speed=announced(event))],
        first_scrape=False,
        today=TODAY + timedelta(days=1),
        min_requests=MIN,
    )
    assert later == []
    # A shift that stopped holding and came back the other way is a new episode.
    rows = week_rows("a", [100, 100, 140, 140, 100])
    [again] = run(replace(model, rows=rows, last_speed=announced(event)))
    assert again.key == "speed_change:a:slower:after-5" and again.detail["direction"] == "slower"


def test_a_revision_that_moves_the_episode_start_is_not_announced_again():
    # Announced for the window ending 3 days ago; upstream's revisions since then broke
    # the run of shifted days, so the episode holding now starts later: the same step.
    model = state("a", rows=week_rows("a", [100, 100, 140]))
    shown = SpeedAnnounced(9, "faster", (TODAY - timedelta(days=4)).isoformat())
    assert run(replace(model, last_speed=shown)) == []
    # Past 7 days, a new shift the same way after a gap is a new episode.
    old = SpeedAnnounced(9, "faster", (TODAY - timedelta(days=30)).isoformat())
    [event] = run(replace(model, last_speed=old))
    assert event.key == "speed_change:a:faster:after-9"
    # An episode announced 10 days ago and still holding (its days unbroken) stays
    # announced: 11 days at 300 after weeks at 100.
    rows = [
        DailyRow(
            "a",
            (TODAY - timedelta(days=back)).isoformat(),
            requests=1000,
            tps=300 if back <= 11 else 100,
        )
        for back in range(1, 31)
    ]
    found = current_shift(rows, TODAY, MIN)
    assert found is not None and found[1] == (TODAY - timedelta(days=11)).isoformat()
    at_start = SpeedAnnounced(9, "faster", found[1])
    assert run(replace(model, rows=rows, last_speed=at_start)) == []


def test_rate_limit_spell_raised_and_cleared_once():
    limited = state("a", rate_limited_24h=0.25)
    [event] = run(limited)
    assert event.kind == "rate_limited" and "25%" in event.summary
    still = replace(limited, last_rate=("rate_limited", 3))
    assert run(still) == []
    [cleared] = run(replace(still, rate_limited_24h=0.05))
    assert cleared.kind == "rate_limited_cleared" and cleared.key.endswith("after-3")
    assert run(replace(still, rate_limited_24h=0.05, last_rate=("rate_limited_cleared", 4))) == []


def test_no_capacity_data_raises_nothing_and_clears_nothing():
    assert run(state("a"), state("b", last_rate=("rate_limited", 3))) == []


def test_the_line_is_inclusive_and_a_low_share_never_announces_a_clearing():
    assert kinds(run(state("a", rate_limited_24h=0.2))) == [("rate_limited", "a")]
    assert run(state("a", rate_limited_24h=0.19)) == []


def test_unlisted_models_get_no_speed_or_rate_events():
    gone = state("a", listed_before=False, listed_now=False, rate_limited_24h=0.9)
    assert run(replace(gone, rows=week_rows("a", [100, 200]))) == []


@given(
    st.lists(
        st.tuples(st.booleans(), st.none() | st.floats(min_value=0, max_value=1)),
        min_size=1,
        max_size=25,
    )
)
def test_any_run_sequence_announces_each_change_exactly_once(runs):
    """Runs of one model (listed?, rate_limited_24h), each fed the events stored so far:
    announcements alternate, follow every crossing, and a repeated run adds nothing."""
    stored: list[NewEvent] = []
    last: dict[str, tuple[str, int]] = {}
    listed_before = False
    limited = False  # the condition as last judged with data (None leaves it as it was)
    expected_listing, expected_rate = [], []
    for number, (listed, share) in enumerate(runs):
        model = state(
            "a",
            listed_before=listed_before,
            listed_now=listed,
            rate_limited_24h=share,
            last_listing=last.get("listing"),
            last_rate=last.get("rate"),
        )
        events = run(model, first=number == 0)
        if number and listed != listed_before:
            expected_listing.append("model_added" if listed else "model_removed")
        if listed and share is not None and (share >= 0.2) != limited:
            limited = share >= 0.2
            expected_rate.append("rate_limited" if limited else "rate_limited_cleared")
        for event in events:
            stored.append(event)
            family = "rate" if event.kind.startswith("rate") else "listing"
            if event.chute_id:
                last[family] = (event.kind, len(stored))
        assert len({e.key for e in stored}) == len(stored)
        again = replace(model, last_listing=last.get("listing"), last_rate=last.get("rate"))
        assert run(replace(again, listed_before=listed)) == []
        listed_before = listed
    kinds = [e.kind for e in stored]
    assert [k for k in kinds if k.startswith("model_")] == expected_listing
    assert [k for k in kinds if k.startswith("rate_")] == expected_rate
