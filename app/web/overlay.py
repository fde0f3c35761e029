"""Pure SVG geometry for the compare page: up to four daily series on one time axis.

Series are told apart by more than colour: each has its own marker shape and dash
pattern (`index` picks them; the template turns it into CSS classes). No markup, no I/O.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from app.web.charts import (
    MIN_LEFT,
    Frame,
    Series,
    Tick,
    nice_ticks,
    path_data,
    segments,
    y_label_margin,
)

MARKERS = ("circle", "square", "triangle", "diamond")
MARKER_SIZE = 4.0  # half-width in viewBox units


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str
    d: str  # the marker's own path, so every shape is one <path>


@dataclass(frozen=True)
class OverlaySeries:
    index: int
    label: str
    path: str
    markers: list[Marker]

    @property
    def marker(self) -> str:
        return MARKERS[self.index % len(MARKERS)]


@dataclass(frozen=True)
class Overlay(Frame):
    """The compare page's chart: its frame, the models' series and the axes' ticks."""

    series: list[OverlaySeries] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(s.markers for s in self.series)


def marker_path(shape: str, x: float, y: float, r: float = MARKER_SIZE) -> str:
    """A closed path for a marker centred on (x, y)."""

    def n(value: float) -> str:
        text = f"{value:.1f}"
        return text[:-2] if text.endswith(".0") else text

    if shape == "square":
        return f"M{n(x - r)} {n(y - r)}h{n(2 * r)}v{n(2 * r)}h{n(-2 * r)}z"
    if shape == "triangle":
        return f"M{n(x)} {n(y - r * 1.2)}L{n(x + r * 1.1)} {n(y + r * 0.8)}H{n(x - r * 1.1)}z"
    if shape == "diamond":
        tall = r * 1.25
        return f"M{n(x)} {n(y - tall)}L{n(x + r)} {n(y)}L{n(x)} {n(y + tall)}L{n(x - r)} {n(y)}z"
    # A circle as two arcs: one element type for every marker keeps the template simple.
    return f"M{n(x - r)} {n(y)}a{n(r)} {n(r)} 0 1 0 {n(2 * r)} 0a{n(r)} {n(r)} 0 1 0 {n(-2 * r)} 0"


def _day_label(ordinal: int) -> str:
    day = date.fromordinal(ordinal)
    return f"{day:%b} {day.day}"


def overlay(
    series: Sequence[tuple[str, Series]],
    start: str,
    end: str,
    *,
    value_format: Callable[[float], str] = str,
    tick_format: Callable[[float], str] | None = None,
    y_max: float | None = None,
    width: int = 640,
    height: int = 280,
) -> Overlay:
    """Each (label, series) drawn over the days start..end (inclusive), y from zero."""
    top, right, bottom = 12.0, width - 12.0, height - 30.0
    first, last = date.fromisoformat(start).toordinal(), date.fromisoformat(end).toordinal()
    inside = [(label, sorted((d, v) for d, v in s if start <= d <= end)) for label, s in series]
    values = [v for _, s in inside for _, v in s if v is not None]
    if not values:
        return Overlay(width, height, MIN_LEFT, top, right, bottom)
    ticks = nice_ticks(y_max if y_max is not None else max(values))
    tick_format = tick_format or value_format
    left = y_label_margin([tick_format(t) for t in ticks], width)
    span = max(last - first, 1)

    def x_of(ordinal: int) -> float:
        return left + 6 + (right - left - 12) * (ordinal - first) / span

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    drawn = []
    for index, (label, data) in enumerate(inside):
        shape = MARKERS[index % len(MARKERS)]
        markers = []
        for day, value in data:
            if value is None:
                continue
            x, y = x_of(date.fromisoformat(day).toordinal()), y_of(value)
            title = f"{label}, {_day_label(date.fromisoformat(day).toordinal())}: "
            markers.append(Marker(x, y, title + value_format(value), marker_path(shape, x, y)))
        runs = segments(data, lambda o, v: (x_of(o), y_of(v)))
        drawn.append(OverlaySeries(index, label, path_data(runs) if runs else "", markers))
    count = 4
    x_ticks = [
        Tick(x_of(o), _day_label(o))
        for o in sorted({round(first + span * i / (count - 1)) for i in range(count)})
    ]
    y_ticks = [Tick(y_of(t), tick_format(t)) for t in ticks]
    return Overlay(width, height, left, top, right, bottom, drawn, y_ticks, x_ticks)
