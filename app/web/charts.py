"""Pure SVG geometry for sparklines and the model page's charts. No markup, no I/O.

Series are lists of (UTC day "YYYY-MM-DD", value or None). The x axis is calendar time,
so a missing day shows as a gap rather than being silently joined to its neighbours.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from app.web import labels

Series = Sequence[tuple[str, float | None]]
# An event to mark on a chart: (UTC day, short label, full title).
Mark = tuple[str, str, str]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str
    partial: bool = False  # today's figure: the day is still in progress


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    partial: bool = False


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A vertical rule at x with a short label; the title says what happened. The label
    sits in a band above the plot (`spot`, its rule from `rule_top`), or, where it fits
    nowhere there, is left off: the rule starts at the plot's top and keeps its title."""

    x: float
    label: str
    title: str
    spot: labels.Spot | None = None
    rule_top: float = 0.0


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    path: str
    last: Point | None
    # Dashed joins across days without data, so sparse days don't leave lone dots.
    bridges: str = ""
    # Too few days for a line (SPARK_MIN_DAYS): a short text in its place, and its title.
    note: str = ""
    note_title: str = ""


# A sparkline needs this many days with a speed: one or two days in a 30-day window draw
# a lone dot (defect 12 of issue 19), so they are said in words instead.
SPARK_MIN_DAYS = 3


@dataclass(frozen=True)
class Frame:
    """A chart's viewBox (width x height) and its plot area inside it."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class Chart(Frame):
    """Everything a template needs to draw one chart inside a width x height viewBox."""

    paths: list[str] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.points or self.bars)


def _num(value: float, digits: int = 1) -> str:
    """Coordinates with at most one decimal: short paths, crisp enough at any zoom."""
    if digits == 0:
        return str(round(value))
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _ordinal(day: str) -> int:
    return date.fromisoformat(day).toordinal()


def nice_step(span: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^n) giving about `count` intervals over span."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Tick values from 0 up to a round number at or above maximum."""
    step = nice_step(maximum, count)
    top = math.ceil(maximum / step - 1e-9) * step if maximum > 0 else step
    steps = round(top / step)
    return [round(i * step, 10) for i in range(steps + 1)]


def tick_label(value: float) -> str:
    """An axis tick of a nice_ticks() value: "80", "2.5", "0.05", "1,000" (the unit is
    in the chart's title)."""
    return f"{value:,.10g}"


# Chart text is 12 CSS px at any width (static/css/charts.css) while the plot is drawn in
# viewBox units, so the y labels' margin must hold the longest label where the chart is
# narrowest: a 360 px phone's card draws a chart ~270 CSS px wide.
NARROWEST_CHART_PX = 270
MIN_LEFT = 50.0
TEXT_PX = 12.0
# Where CSS cannot size text in pixels (no container units), it is this many user units.
TEXT_FALLBACK = 13.0


def label_px(text: str) -> float:
    """A 12 px label's width, generously (the one estimate of text, app/web/labels.py)."""
    return labels.text_width(text, TEXT_PX)


def y_label_margin(labels: Sequence[str], width: int, gap_px: float = 8.0) -> float:
    """The left margin, in viewBox units of a chart `width` wide, that holds every y label
    (right-aligned `gap_px` short of the plot) on the narrowest screen."""
    widest = max((label_px(label) for label in labels), default=0.0)
    return max(MIN_LEFT, (widest + gap_px) * width / NARROWEST_CHART_PX)


def segments(
    series: Series, to_xy: Callable[[int, float], tuple[float, float]]
) -> list[list[tuple[float, float]]]:
    """Runs of consecutive days with values; a None or a missing day starts a new run."""
    runs: list[list[tuple[float, float]]] = []
    previous: int | None = None
    for day, value in series:
        ordinal = _ordinal(day)
        if value is None:
            previous = None
            continue
        if previous is None or ordinal - previous > 1:
            runs.append([])
        runs[-1].append(to_xy(ordinal, value))
        previous = ordinal
    return runs


def path_data(runs: list[list[tuple[float, float]]], digits: int = 1) -> str:
    """SVG path data for runs; a lone point becomes a zero-length line (a round-cap dot).
    `digits=0` rounds to whole units (sparklines: one unit is one pixel)."""
    parts = []
    for run in runs:
        (x0, y0), rest = run[0], run[1:]
        parts.append(f"M{_num(x0, digits)} {_num(y0, digits)}")
        parts.extend(f"L{_num(x, digits)} {_num(y, digits)}" for x, y in rest)
        if not rest:
            parts.append("l0 0")
    return "".join(parts)


def sparkline(
    series: Series, start: str, end: str, *, width: int = 120, height: int = 32, pad: float = 3
) -> Sparkline:
    """A fixed-window sparkline from `start` to `end` (inclusive), on a zero-based scale
    up to the model's best day: a 147 -> 142 dip moves 3 % of the height, not all of it."""
    inside = [(d, v) for d, v in series if start <= d <= end]
    values = [v for _, v in inside if v is not None]
    if not values:
        return Sparkline(width, height, "", None)
    if len(values) < SPARK_MIN_DAYS:
        days = [_label(_ordinal(d)) for d, v in inside if v is not None]
        count = f"{len(days)} day{'s' if len(days) > 1 else ''}"
        title = f"Speed known on {' and '.join(days)} only: a line needs {SPARK_MIN_DAYS} days"
        return Sparkline(width, height, "", None, note=f"{count} of data", note_title=title)
    first, last_day = _ordinal(start), _ordinal(end)
    high = max(values)

    def to_xy(ordinal: int, value: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (ordinal - first) / max(last_day - first, 1)
        return x, height - pad - (height - 2 * pad) * value / high

    runs = segments(inside, to_xy)
    bridges = [[runs[i][-1], runs[i + 1][0]] for i in range(len(runs) - 1)]
    x, y = runs[-1][-1]
    # Whole pixels: a 300-model page carries 300 of these.
    return Sparkline(
        width, height, path_data(runs, 0), Point(round(x), round(y), ""), path_data(bridges, 0)
    )


def _x_scale(days: list[str], left: float, right: float) -> Callable[[int], float]:
    first, last = _ordinal(days[0]), _ordinal(days[-1])
    if first == last:
        return lambda _ordinal: (left + right) / 2
    return lambda ordinal: left + (right - left) * (ordinal - first) / (last - first)


def _x_ticks(days: list[str], x_of: Callable[[int], float], count: int = 4) -> list[Tick]:
    """Up to `count` evenly spaced day labels, always including the first and last day."""
    first, last = _ordinal(days[0]), _ordinal(days[-1])
    span = last - first
    if span == 0:
        return [Tick(x_of(first), _label(first))]
    wanted = min(count, span + 1)
    ordinals = sorted({round(first + span * i / (wanted - 1)) for i in range(wanted)})
    return [Tick(x_of(o), _label(o)) for o in ordinals]


def _label(ordinal: int) -> str:
    day = date.fromordinal(ordinal)
    return f"{day:%b} {day.day}"


def place_markers(
    marks: Sequence[Mark], first: str, last: str, x_of: Callable[[int], float]
) -> list[Marker]:
    """One marker per day, oldest first. A day outside the charted days is drawn at the
    nearer edge (an event announced today about data up to yesterday still shows); the
    title keeps the real day. Marks on one day share a rule: "first label +N"."""
    by_day: dict[str, list[Mark]] = {}
    for mark in sorted(marks):
        day = min(max(mark[0], first), last)
        by_day.setdefault(day, []).append(mark)
    markers = []
    for day, group in sorted(by_day.items()):
        label = group[0][1] + (f" +{len(group) - 1}" if len(group) > 1 else "")
        title = "; ".join(f"{_label(_ordinal(d))}: {text}" for d, _, text in group)
        markers.append(Marker(x_of(_ordinal(day)), label, title))
    return markers


# Event labels are 11 CSS px (charts.css; 13 user units where CSS cannot size them in
# pixels), placed for the narrowest chart (NARROWEST_CHART_PX).
MARK_PX = 11.0
MARK_BAND_TOP = 2.0
MARK_GAP = 4.0  # a label's start from its rule


def mark_em(width: int) -> float:
    """User units per em of an event label, at its largest (the narrowest chart)."""
    return max(MARK_PX * width / NARROWEST_CHART_PX, TEXT_FALLBACK)


def mark_band(width: int) -> float:
    """The bottom of the band of event labels above the plot."""
    return MARK_BAND_TOP + (labels.ASCENT + labels.DESCENT) * mark_em(width)


def label_markers(markers: list[Marker], left: float, width: int, top: float) -> list[Marker]:
    """Each marker's label a spot in the band above the plot, newest first, right of its
    rule or else left of it, on no other label and no other labelled rule; a label that
    fits nowhere is left off (its rule then starts at the plot's `top`)."""
    band = mark_band(width)
    wanted = [
        labels.Wanted(
            m.label,
            (
                labels.Spot(m.x + MARK_GAP, MARK_BAND_TOP, "start", labels.BELOW),
                labels.Spot(m.x - MARK_GAP, MARK_BAND_TOP, "end", labels.BELOW),
            ),
            brings=(labels.Box(m.x, MARK_BAND_TOP, m.x, band),),
        )
        for m in reversed(markers)
    ]
    bounds = labels.Box(left, MARK_BAND_TOP, width, band)
    spots = reversed(labels.place(wanted, [], bounds, mark_em(width)))
    return [
        replace(m, spot=spot, rule_top=MARK_BAND_TOP if spot else top)
        for m, spot in zip(markers, spots, strict=True)
    ]


def plot_edges(width: int, height: int) -> tuple[float, float, float]:
    """The plot's top, right and bottom in a width x height chart (the left: the y labels'
    margin, y_label_margin): room for the x labels below."""
    return 12.0, width - 10.0, height - 32.0


def chart(
    series: Series,
    *,
    marks: Sequence[Mark] = (),
    kind: str = "line",
    value_format: Callable[[float], str] = str,
    tick_format: Callable[[float], str] | None = None,
    width: int = 400,
    height: int = 240,
    y_max: float | None = None,
    partial_day: str | None = None,
) -> Chart:
    """A line ("line") or bar ("bar") chart of a daily series, y from zero (to y_max when
    given: a share is drawn on its whole 0-1 scale, so 2 % never looks like a wall).

    Each point or bar gets a title ("Oct 3: 41.2 tok/s") for hover tooltips; the
    `partial_day` (today) is flagged so a half-day's requests don't read as a collapse.
    """
    top, right, bottom = plot_edges(width, height)
    if marks:
        # Event labels get a band of their own: they never cross the line or the bars.
        top = mark_band(width) + 6.0
    data = sorted((d, v) for d, v in series if v is not None)
    if not data:
        return Chart(width, height, MIN_LEFT, top, right, bottom)
    days = [d for d, _ in data]
    ticks = nice_ticks(y_max if y_max is not None else max(v for _, v in data))
    y_max = ticks[-1]
    tick_format = tick_format or value_format
    left = y_label_margin([tick_format(t) for t in ticks], width)
    inset = 10.0 if kind == "bar" else 4.0
    x_of = _x_scale(days, left + inset, right - inset)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / y_max

    y_ticks = [Tick(y_of(t), tick_format(t)) for t in ticks]
    x_ticks = _x_ticks(days, x_of)
    markers = label_markers(place_markers(marks, days[0], days[-1], x_of), left, width, top)

    def title(day: str, value: float) -> str:
        note = " (today, in progress)" if day == partial_day else ""
        return f"{_label(_ordinal(day))}: {value_format(value)}{note}"

    if kind == "bar":
        span = max(_ordinal(days[-1]) - _ordinal(days[0]), 1)
        slot = (right - left - 2 * inset) / span
        bar_width = max(min(slot * 0.7, 24.0), 1.0)
        bars = [
            Bar(
                x_of(_ordinal(d)) - bar_width / 2,
                y_of(v),
                bar_width,
                bottom - y_of(v),
                title(d, v),
                d == partial_day,
            )
            for d, v in data
        ]
        return Chart(
            width, height, left, top, right, bottom, [], [], bars, y_ticks, x_ticks, markers
        )

    runs = segments(sorted(series), lambda o, v: (x_of(o), y_of(v)))
    points = [Point(x_of(_ordinal(d)), y_of(v), title(d, v), d == partial_day) for d, v in data]
    return Chart(
        width,
        height,
        left,
        top,
        right,
        bottom,
        [path_data(runs)],
        points,
        [],
        y_ticks,
        x_ticks,
        markers,
    )
