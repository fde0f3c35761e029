"""Where a chart's text labels go: pure geometry, no markup (defect 8 of issue 19).

A label's box is estimated from its text (characters x an average advance, in em) and the
em in the chart's user units. Chart text is sized in CSS pixels (static/css/charts.css),
so one em is more user units the narrower the chart is drawn: labels are placed for the
narrowest chart a layout is for, where every box is at its largest. Each spot is an
anchor point plus offsets in em, so a box on a wider chart (a smaller em) lies inside the
box placed for: what overlaps nothing there overlaps nothing on any wider chart.
"""

from collections.abc import Sequence
from dataclasses import dataclass

# A glyph box around its baseline, in em: DejaVu Sans (the widest common system sans) has
# an ascent of 0.93 em and a descent of 0.24 em; a little more of both keeps a margin.
ASCENT = 0.96
DESCENT = 0.3
# Average advances, in em, of DejaVu Sans: narrow punctuation, capitals and wide letters,
# everything else. Other system fonts are narrower, so the estimate errs on the safe side.
NARROW = frozenset("iljtfrI.,:;!|'/()[]- ")
WIDE = frozenset("mwMW%@")
EPSILON = 1e-9


def text_width(text: str, em: float) -> float:
    """The estimated advance of `text` at `em` user units per em."""
    total = 0.0
    for ch in text:
        if ch in NARROW:
            total += 0.4
        elif ch in WIDE:
            total += 0.95
        elif ch.isupper() or ch.isdigit():
            total += 0.72
        else:
            total += 0.64
    return total * em


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: "Box") -> bool:
        """Shared area (touching edges do not count)."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def within(self, bounds: "Box") -> bool:
        """Inside bounds, give or take a rounding error (2 + 0.96 em - 0.96 em is not 2)."""
        return (
            self.left >= bounds.left - EPSILON
            and self.right <= bounds.right + EPSILON
            and self.top >= bounds.top - EPSILON
            and self.bottom <= bounds.bottom + EPSILON
        )


def around(x: float, y: float, radius: float) -> Box:
    """The square a dot of `radius` (stroke included) at x, y covers."""
    return Box(x - radius, y - radius, x + radius, y + radius)


@dataclass(frozen=True)
class Spot:
    """Where a text goes, as the template writes it: <text x y dy text-anchor>."""

    x: float
    y: float
    anchor: str = "start"  # "start", "middle" or "end"
    dy: float = 0.32  # baseline below y, in em (0.32: the text centred on y)

    def box(self, text: str, em: float) -> Box:
        width = text_width(text, em)
        left = {"start": self.x, "middle": self.x - width / 2, "end": self.x - width}[self.anchor]
        baseline = self.y + self.dy * em
        return Box(left, baseline - ASCENT * em, left + width, baseline + DESCENT * em)


# dy of a text whose box has its bottom (ABOVE) or its top (BELOW) at y.
ABOVE = -DESCENT
BELOW = ASCENT


def spots_around(x: float, y: float, gap: float) -> tuple[Spot, ...]:
    """Spots beside a dot at x, y, `gap` from its centre, in order of preference: right,
    left, the four diagonals, above, below."""
    diagonal = gap * 0.75
    return (
        Spot(x + gap, y),
        Spot(x - gap, y, "end"),
        Spot(x + diagonal, y - diagonal, "start", ABOVE),
        Spot(x + diagonal, y + diagonal, "start", BELOW),
        Spot(x - diagonal, y - diagonal, "end", ABOVE),
        Spot(x - diagonal, y + diagonal, "end", BELOW),
        Spot(x, y - gap, "middle", ABOVE),
        Spot(x, y + gap, "middle", BELOW),
    )


@dataclass(frozen=True)
class Wanted:
    """A label to place: its text, its candidate spots (best first), the obstacle it
    belongs to (its own dot, which it may touch), if any, and what else it brings along
    wherever it goes (an event mark's rule up to its label): kept clear of the labels
    placed before it, and kept clear of by the labels placed after it."""

    text: str
    spots: tuple[Spot, ...]
    own: int | None = None
    brings: tuple[Box, ...] = ()


def place(
    wanted: Sequence[Wanted],
    obstacles: Sequence[Box],
    bounds: Box,
    em: float,
    taken: Sequence[Box] = (),
) -> list[Spot | None]:
    """Greedy, in the order given (most wanted first): each label takes its first spot
    whose box lies within `bounds` and overlaps no obstacle but its own, no box in `taken`
    and no label placed before it; None where no spot fits (the label is left off)."""
    boxes = list(taken)
    chosen: list[Spot | None] = []
    for want in wanted:
        keep_off = [b for i, b in enumerate(obstacles) if i != want.own]
        found = None
        for spot in want.spots:
            box = spot.box(want.text, em)
            if not box.within(bounds) or any(box.overlaps(b) for b in (*keep_off, *boxes)):
                continue
            if any(extra.overlaps(b) for extra in want.brings for b in boxes):
                continue
            found = spot
            boxes += [box, *want.brings]
            break
        chosen.append(found)
    return chosen
