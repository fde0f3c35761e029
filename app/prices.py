"""Price history (SPEC §4 `model_prices`): when a catalogue price is a change. Pure: no I/O.

A model's prices are USD per 1M tokens: prompt (input), completion (output) and cache-read
(cached input). A run writes a new row only when a price differs from the model's newest
row; a price the catalogue does not give this run (None: the web pages carry no cache-read
price) is unknown, not changed, so the newest row's value carries over.
"""

import math
from dataclasses import dataclass, fields, replace

# The price kinds, as model_prices names its columns and the API its keys.
PRICE_FIELDS = ("prompt", "completion", "cache_read")
# What the site and the event summaries call them.
PRICE_LABELS = {"prompt": "input", "completion": "output", "cache_read": "cache-read"}


@dataclass(frozen=True)
class Price:
    """One model's prices, USD per 1M tokens; None: not known."""

    prompt: float | None = None
    completion: float | None = None
    cache_read: float | None = None

    @property
    def known(self) -> bool:
        return any(getattr(self, f) is not None for f in PRICE_FIELDS)

    def as_dict(self) -> dict[str, float | None]:
        return {f: getattr(self, f) for f in PRICE_FIELDS}


@dataclass(frozen=True)
class PriceChange:
    """A price row that replaced an earlier one: which prices moved, from what to what."""

    chute_id: str
    name: str
    since: str  # UTC ISO-8601: the run that saw the new prices
    before: Price
    after: Price

    @property
    def changed(self) -> tuple[str, ...]:
        return changed_fields(self.before, self.after)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    # Parsed from the same JSON text each run; the tolerance only absorbs float noise.
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def changed_fields(before: Price, after: Price) -> tuple[str, ...]:
    return tuple(f for f in PRICE_FIELDS if not _same(getattr(before, f), getattr(after, f)))


def next_price(newest: Price | None, seen: Price) -> Price | None:
    """The row to add for prices `seen` in a run, given the model's `newest` row: None
    when nothing is known or nothing changed; unknown prices carry the newest ones over."""
    if not seen.known:
        return None
    if newest is None:
        return seen
    merged = replace(
        seen,
        **{f.name: getattr(newest, f.name) for f in fields(seen) if getattr(seen, f.name) is None},
    )
    return merged if changed_fields(newest, merged) else None
