"""The pure price_change detection (app/scraping/events/price_change.py)."""

from app.methodology import EVENT_KINDS
from app.prices import Price, PriceChange
from app.scraping.events.price_change import price_events

AT = "2026-05-20T09:20:00+00:00"


def test_a_change_is_one_event_naming_each_moved_price_old_to_new():
    change = PriceChange("c1", "org/M-TEE", AT, Price(0.1, 0.4, 0.052), Price(0.1, 0.5, 0.0104))
    (event,) = price_events([change])
    assert event.kind == "price_change" and event.kind in EVENT_KINDS
    assert event.summary == (
        "org/M-TEE changed its price: output $0.4 → $0.5, cache-read $0.052 → $0.0104 per 1M tokens"
    )
    assert event.detail == {
        "changed": ["completion", "cache_read"],
        "before": {"prompt": 0.1, "completion": 0.4, "cache_read": 0.052},
        "after": {"prompt": 0.1, "completion": 0.5, "cache_read": 0.0104},
        "since": AT,
    }
    # Keyed on the price row: deriving it again gives the same key (stored once).
    assert event.key == price_events([change])[0].key == f"price_change:c1:{AT}"


def test_no_event_without_a_difference():
    same = PriceChange("c1", "m", AT, Price(0.1, 0.4, None), Price(0.1, 0.4, None))
    assert price_events([same]) == []
