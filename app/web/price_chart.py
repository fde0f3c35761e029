"""Speed against price: server-rendered SVG geometry for the board (no markup, no I/O).

x is the output price per 1M tokens on a log scale (prices span 100x), y the ranked day's
TPS from zero. Each ranked model with a price is one point with an accessible name; the
models nobody beats on both (faster than every cheaper one) carry a visible label.
"""

import math
from dataclasses import dataclass, field

from app.web import formatting
from app.web.charts import Tick, nice_ticks

MAX_LABELS = 10


@dataclass(frozen=True)
class PricePoint:
    chute_id: str
    x: float
    y: float
    name: str  # the visible label, "" when unlabelled
    title: str  # the accessible name
    label_left: bool = False  # near the right edge: the label ends left of the dot
    search_name: str = ""  # the full name, lower case: what the page's search matches


@dataclass(frozen=True)
class PriceChart:
    width: int = 720
    height: int = 372
    left: float = 56.0
    top: float = 26.0
    right: float = 704.0
    bottom: float = 318.0
    points: list[PricePoint] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    left_out: int = 0  # ranked models without a price (or free): not drawn


def price_chart(models: list[dict]) -> PriceChart:
    """The chart of every ranked model with a positive output price."""
    base = PriceChart()
    ranked = [m for m in models if m.get("rank") is not None]
    drawn = [m for m in ranked if (m.get("price_output") or 0) > 0 and m.get("rank_tps")]
    if not drawn:
        return PriceChart(left_out=len(ranked))
    prices = [math.log10(m["price_output"]) for m in drawn]
    low, high = math.floor(min(prices)), math.ceil(max(prices))
    high = max(high, low + 1)
    y_values = nice_ticks(max(m["rank_tps"] for m in drawn))

    def x_of(price: float) -> float:
        share = (math.log10(price) - low) / (high - low)
        return base.left + 8 + (base.right - base.left - 16) * share

    def y_of(tps: float) -> float:
        return base.bottom - (base.bottom - base.top) * tps / y_values[-1]

    labelled = _frontier(drawn)
    points = [
        PricePoint(
            m["chute_id"],
            x_of(m["price_output"]),
            y_of(m["rank_tps"]),
            m["name"].rsplit("/", 1)[-1] if m["chute_id"] in labelled else "",
            f"#{m['rank']} {m['name']}: {formatting.tps(m['rank_tps'])} tok/s, "
            f"{formatting.price(m['price_output'])} per 1M output tokens",
            x_of(m["price_output"]) > base.left + 0.62 * (base.right - base.left),
            m["name"].lower(),
        )
        for m in sorted(drawn, key=lambda m: m["rank"], reverse=True)
    ]
    x_ticks = [Tick(x_of(10.0**e), formatting.price(10.0**e)) for e in range(low, high + 1)]
    y_ticks = [Tick(y_of(v), f"{v:,.10g}") for v in y_values]
    return PriceChart(
        points=points, x_ticks=x_ticks, y_ticks=y_ticks, left_out=len(ranked) - len(drawn)
    )


def _frontier(models: list[dict]) -> set[str]:
    """Models faster than every cheaper model (the speed-for-price frontier)."""
    best = -1.0
    chosen = []
    for m in sorted(models, key=lambda m: (m["price_output"], -m["rank_tps"])):
        if m["rank_tps"] > best:
            best = m["rank_tps"]
            chosen.append(m["chute_id"])
    return set(chosen[-MAX_LABELS:])
