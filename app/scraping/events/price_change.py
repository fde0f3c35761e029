"""Pure `price_change` events (SPEC §7): one per price row that replaced an earlier one.

No threshold: any change of a catalogue price (prompt, completion or cache-read, USD per
1M tokens) is news to someone paying for it. The price rows are written by the same run
(app.db.prices), so an event is keyed on its row and is announced once.
"""

from collections.abc import Iterable

from app.prices import PRICE_LABELS, PriceChange
from app.scraping.events.types import NewEvent

KIND = "price_change"


def _usd(value: float | None) -> str:
    # As the model_added summary writes prices.
    return "unknown" if value is None else f"${value:g}"


def price_events(changes: Iterable[PriceChange]) -> list[NewEvent]:
    """A price_change per change: the summary names each moved price, old -> new."""
    events = []
    for change in changes:
        moved = change.changed
        if not moved:
            continue
        before, after = change.before.as_dict(), change.after.as_dict()
        parts = [f"{PRICE_LABELS[f]} {_usd(before[f])} → {_usd(after[f])}" for f in moved]
        text = f"{change.name} changed its price: {', '.join(parts)} per 1M tokens"
        detail = {
            "changed": list(moved),
            "before": before,
            "after": after,
            "since": change.since,
        }
        key = f"{KIND}:{change.chute_id}:{change.since}"
        events.append(NewEvent(KIND, change.chute_id, change.name, text, detail, key))
    return events
