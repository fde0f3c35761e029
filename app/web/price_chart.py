"""Speed against price: server-rendered SVG geometry for the board (no markup, no I/O).

x is the output price per 1M tokens on a log scale (prices span 100x), y the ranked day's
TPS from zero. Each ranked model with a price is one point with an accessible name; the
models nobody beats on both (faster than every cheaper one) carry a visible label where
one fits: on no other dot and no other label (app/web/labels.py), else the dot's title
alone names the model.
"""

import math
from dataclasses import dataclass, field

from app.web import formatting, labels
from app.web.charts import TEXT_FALLBACK, TEXT_PX, Tick, nice_ticks, tick_label

MAX_LABELS = 10
DOT_RADIUS = 5.0
# A dot's footprint for labels: its radius, its stroke (3 when hovered) and a hair more.
DOT_CLEAR = DOT_RADIUS + 2.0
LABEL_GAP = 8.0  # a label's spot from its dot's centre
# Labels are placed in tiers, each for charts at least this many CSS px wide: a tier's
# labels are hidden on narrower charts (charts.css: one @container rule per tier after the
# first). The first tier is for a 360 px phone's chart.
TIERS_PX = (328, 600, 860)


@dataclass(frozen=True)
class Label:
    text: str
    spot: labels.Spot
    tier: int = 0  # shown on charts at least TIERS_PX[tier] CSS px wide


@dataclass(frozen=True)
class PricePoint:
    chute_id: str
    x: float
    y: float
    title: str  # the accessible name
    search_name: str = ""  # the full name, lower case: what the page's search matches
    label: Label | None = None  # None: unlabelled, or no room for its label


@dataclass(frozen=True)
class PriceChart:
    width: int = 720
    height: int = 360  # the price ticks below the plot: 1.3 em at a phone's em
    left: float = 56.0
    top: float = 26.0
    right: float = 704.0
    bottom: float = 318.0
    radius: float = DOT_RADIUS
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

    # Drawn slowest first: the fastest dots end up on top.
    drawn.sort(key=lambda m: m["rank"], reverse=True)
    dots = [(x_of(m["price_output"]), y_of(m["rank_tps"])) for m in drawn]
    leaders = _frontier(drawn)
    wanted = {
        i: m["name"].rsplit("/", 1)[-1] for i, m in enumerate(drawn) if m["chute_id"] in leaders
    }
    # The fastest leaders are labelled first.
    placed = place_labels(dots, sorted(wanted.items(), key=lambda item: drawn[item[0]]["rank"]))
    points = [
        PricePoint(
            m["chute_id"],
            x,
            y,
            f"#{m['rank']} {m['name']}: {formatting.tps(m['rank_tps'])} tok/s, "
            f"{formatting.price(m['price_output'])} per 1M output tokens",
            m["name"].lower(),
            placed.get(i),
        )
        for i, (m, (x, y)) in enumerate(zip(drawn, dots, strict=True))
    ]
    x_ticks = [Tick(x_of(10.0**e), formatting.price(10.0**e)) for e in range(low, high + 1)]
    y_ticks = [Tick(y_of(v), tick_label(v)) for v in y_values]
    return PriceChart(
        points=points, x_ticks=x_ticks, y_ticks=y_ticks, left_out=len(ranked) - len(drawn)
    )


def place_labels(
    dots: list[tuple[float, float]], wanted: list[tuple[int, str]]
) -> dict[int, Label]:
    """Labels for some of the dots (index, text; most wanted first), tier by tier: a tier
    keeps every label of the tiers before it (each fits on the wider charts too) and adds
    the ones that fit at its width. Dots whose label fits nowhere are left out."""
    # Inside the plot's columns (left of it are the speed ticks), above the price ticks.
    chart = PriceChart()
    bounds = labels.Box(chart.left, 0.0, chart.width, chart.bottom)
    obstacles = [labels.around(x, y, DOT_CLEAR) for x, y in dots]
    chosen: dict[int, Label] = {}
    for tier, px in enumerate(TIERS_PX):
        em = max(TEXT_PX * chart.width / px, TEXT_FALLBACK)
        taken = [label.spot.box(label.text, em) for label in chosen.values()]
        todo = [(i, text) for i, text in wanted if i not in chosen]
        spots = labels.place(
            [labels.Wanted(text, labels.spots_around(*dots[i], LABEL_GAP), i) for i, text in todo],
            obstacles,
            bounds,
            em,
            taken,
        )
        for (i, text), spot in zip(todo, spots, strict=True):
            if spot is not None:
                chosen[i] = Label(text, spot, tier)
    return chosen


def _frontier(models: list[dict]) -> set[str]:
    """Models faster than every cheaper model (the speed-for-price frontier)."""
    best = -1.0
    chosen = []
    for m in sorted(models, key=lambda m: (m["price_output"], -m["rank_tps"])):
        if m["rank_tps"] > best:
            best = m["rank_tps"]
            chosen.append(m["chute_id"])
    return set(chosen[-MAX_LABELS:])
