"""Pure event detection (SPEC §6): the announced state and the state after a run in, the
new events out. No I/O: app.event_store reads the state and writes what this returns.

Conditions are judged on the state after each run, not on what the run changed: an event
is raised when its condition holds and has not been announced since it last stopped
holding, so a condition already true when first seen is announced once.
"""

from collections.abc import Iterable
from datetime import date

from app.methodology import FIRST_SCRAPE
from app.methodology import OFTEN_RATE_LIMITED_SHARE as RATE_LIMITED_LINE
from app.scraping.events.speed_shift import speed_event
from app.scraping.events.types import ModelState, NewEvent

__all__ = ["ModelState", "NewEvent", "detect"]


def _after(last: tuple[str, int] | None) -> str:
    # Keyed on the event it follows: deriving again from the same state gives the same key.
    return f"after-{last[1] if last else 0}"


def detect(
    models: Iterable[ModelState], *, first_scrape: bool, today: date, min_requests: int
) -> list[NewEvent]:
    """Every event the state after a run calls for. On the first scrape ever, one summary
    stands in for a model_added per model."""
    models = list(models)
    events: list[NewEvent] = []
    if first_scrape:
        listed = [m for m in models if m.listed_now]
        with_speed = sum(any(r.tps is not None for r in m.rows) for m in listed)
        events.append(
            NewEvent(
                FIRST_SCRAPE,
                None,
                None,
                f"Started following {len(listed)} models on chutes.ai"
                f" ({with_speed} with recent speed data)",
                {"models": len(listed), "models_with_speed": with_speed},
                FIRST_SCRAPE,
            )
        )
    for model in models:
        if not first_scrape:
            events.extend(_listing(model))
        if model.listed_now:
            events.extend(speed_event(model, today, min_requests))
            events.extend(_rate_limit(model))
    return events


def _listing(m: ModelState) -> list[NewEvent]:
    was_listed = m.last_listing[0] == "model_added" if m.last_listing else m.listed_before
    if m.listed_now and not was_listed:
        prices = {"price_input": m.price_input, "price_output": m.price_output}
        text = f"New on chutes.ai: {m.name}"
        if m.price_input is not None and m.price_output is not None:
            text += f" (${m.price_input:g} in / ${m.price_output:g} out per 1M tokens)"
        detail = {**prices, "context_length": m.context_length}
        return [NewEvent("model_added", m.chute_id, m.name, text, detail, _key(m, "model_added"))]
    if was_listed and not m.listed_now:
        text = f"{m.name} left the chutes.ai catalogue"
        if m.rank_tps is not None:
            text += f" (last ranked at {m.rank_tps:.1f} tok/s)"
        detail = {"rank_tps": m.rank_tps}
        return [
            NewEvent("model_removed", m.chute_id, m.name, text, detail, _key(m, "model_removed"))
        ]
    return []


def _key(m: ModelState, kind: str) -> str:
    last = m.last_rate if kind.startswith("rate_limited") else m.last_listing
    return f"{kind}:{m.chute_id}:{_after(last)}"


def _rate_limit(m: ModelState) -> list[NewEvent]:
    share = m.rate_limited_24h
    if share is None:  # no capacity data: nothing is known, nothing changes
        return []
    announced = m.last_rate is not None and m.last_rate[0] == "rate_limited"
    detail = {"rate_limited_24h": round(share, 4), "threshold": RATE_LIMITED_LINE}
    if share >= RATE_LIMITED_LINE and not announced:
        text = f"{m.name} is often rate-limited: {share:.0%} of requests in the last 24 h"
        return [NewEvent("rate_limited", m.chute_id, m.name, text, detail, _key(m, "rate_limited"))]
    if share < RATE_LIMITED_LINE and announced:
        text = f"{m.name} is no longer often rate-limited: {share:.0%} of requests in 24 h"
        kind = "rate_limited_cleared"
        return [NewEvent(kind, m.chute_id, m.name, text, detail, _key(m, kind))]
    return []
