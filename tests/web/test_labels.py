"""Chart labels that overlap nothing (defect 8 of issue 19), from plain data: dots, texts
and the em (font size in CSS px times user units per CSS px) they are drawn at."""

import pathlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.web import charts, labels, price_chart
from app.web.labels import Box, Spot, Wanted

CHARTS_CSS = pathlib.Path(__file__).parents[2] / "static/css/charts.css"


def test_boxes_overlap_only_with_shared_area():
    a = Box(0, 0, 10, 10)
    assert a.overlaps(Box(5, 5, 15, 15))
    assert not a.overlaps(Box(10, 0, 20, 10))  # touching
    assert not a.overlaps(Box(0, 11, 10, 20))
    # A rule (no width) crosses a text it runs through, not a rule beside it.
    assert Box(5, -5, 5, 20).overlaps(a)
    assert not Box(5, -5, 5, 20).overlaps(Box(5, 0, 5, 10))
    assert a.within(Box(0, 0, 10, 10)) and not a.within(Box(1, 0, 10, 10))


def test_text_boxes_follow_the_text_the_anchor_and_the_em():
    em = 12.0
    right = Spot(100, 50).box("GLM-4.5-Air", em)
    assert right.left == 100 and right.right > 100 + 11 * 0.4 * em
    assert right.top < 50 < right.bottom  # centred on y (dy 0.32 em)
    end = Spot(100, 50, "end").box("GLM-4.5-Air", em)
    assert end.right == 100 and end.left == pytest.approx(200 - right.right)
    above = Spot(100, 50, "middle", labels.ABOVE).box("ab", em)
    assert above.bottom == 50 and (above.left + above.right) / 2 == 100
    below = Spot(100, 50, "middle", labels.BELOW).box("ab", em)
    assert below.top == 50
    assert labels.text_width("DeepSeek-R1", 2 * em) == 2 * labels.text_width("DeepSeek-R1", em)


@given(
    st.sampled_from([*labels.spots_around(300, 200, 8), Spot(10, 2, "start", labels.BELOW)]),
    st.text(alphabet="abcXYZ019-./ %", min_size=1, max_size=30),
    st.floats(min_value=8, max_value=40),
    st.floats(min_value=0.3, max_value=1.0),
)
def test_a_box_on_a_wider_chart_lies_inside_the_box_placed_for(spot, text, em, shrink):
    """Why placing for the narrowest chart is enough: a smaller em shrinks every box
    towards its anchor, so what overlaps nothing there overlaps nothing wider."""
    big, small = spot.box(text, em), spot.box(text, em * shrink)
    assert small.within(big)


def test_a_label_keeps_off_other_dots_and_labels_or_is_left_off():
    em = 12.0
    dots = [(100.0, 100.0), (118.0, 100.0), (100.0, 160.0)]
    obstacles = [labels.around(x, y, 7) for x, y in dots]
    bounds = Box(0, 0, 400, 300)
    wanted = [Wanted("first", labels.spots_around(*dots[0], 8), 0)]
    # Its right is taken by the dot 18 units away: it goes left instead.
    (spot,) = labels.place(wanted, obstacles, bounds, em)
    assert spot is not None and spot.anchor == "end"
    # Walled in on every side (no room in the bounds either): left off.
    tight = Box(80, 80, 140, 120)
    assert labels.place(wanted, obstacles, tight, em) == [None]
    # Two labels for one crowded spot: the second takes another spot or none, never the same.
    both = [Wanted("same text", labels.spots_around(*dots[2], 8), 2)] * 2
    first, second = labels.place(both, obstacles, bounds, em)
    assert first is not None and first != second


def boxes_clear(shown: dict[int, price_chart.Label], dots, em: float) -> list[str]:
    """Every overlap among shown labels and dots (their own excepted), at em."""
    found = []
    chart = price_chart.PriceChart()
    bounds = Box(chart.left, 0, chart.width, chart.bottom)
    boxes = {i: label.spot.box(label.text, em) for i, label in shown.items()}
    for i, box in boxes.items():
        if not box.within(bounds):
            found.append(f"{shown[i].text} out of the chart")
        for j, (x, y) in enumerate(dots):
            if j != i and box.overlaps(labels.around(x, y, price_chart.DOT_RADIUS)):
                found.append(f"{shown[i].text} on dot {j}")
        for j, other in boxes.items():
            if j != i and box.overlaps(other):
                found.append(f"{shown[i].text} on {shown[j].text}")
    return found


def test_the_price_chart_defect_a_dot_on_a_label():
    """Defect 8: leaders a few units apart; the label right of each dot ran over its
    neighbour's dot."""
    dots = [(200.0 + 14 * i, 250.0 - 12 * i) for i in range(6)]
    wanted = [(i, f"Leader-Model-{i}-70B") for i in reversed(range(6))]
    placed = price_chart.place_labels(dots, wanted)
    assert placed, "some labels fit"
    for tier, px in enumerate(price_chart.TIERS_PX):
        em = max(charts.TEXT_PX * 720 / px, charts.TEXT_FALLBACK)
        shown = {i: label for i, label in placed.items() if label.tier <= tier}
        assert boxes_clear(shown, dots, em) == [], px
    # The old rule (always right of the dot) would have covered the next dot.
    old = Spot(dots[0][0] + 8, dots[0][1]).box(wanted[-1][1], 12 * 720 / 600)
    assert old.overlaps(labels.around(*dots[1], price_chart.DOT_RADIUS))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=64, max_value=696), st.floats(min_value=26, max_value=318)),
        min_size=1,
        max_size=40,
    ),
    st.data(),
)
def test_price_chart_labels_overlap_nothing_at_any_tier(dots, data):
    wanted_ids = data.draw(st.sets(st.integers(0, len(dots) - 1), max_size=10))
    names = ["Kimi-K2-Instruct", "Qwen3-235B-A22B", "GLM-4.5-Air", "DeepSeek-V3-0528", "x"]
    wanted = [(i, names[i % len(names)]) for i in sorted(wanted_ids)]
    placed = price_chart.place_labels(dots, wanted)
    assert set(placed) <= wanted_ids
    for tier, px in enumerate(price_chart.TIERS_PX):
        # Every chart width the tier is shown at: its own and wider ones (a smaller em).
        for width in (px, px * 1.5, 2000):
            em = max(charts.TEXT_PX * 720 / width, charts.TEXT_FALLBACK)
            shown = {i: label for i, label in placed.items() if label.tier <= tier}
            assert boxes_clear(shown, dots, em) == [], (px, width)


def test_price_chart_tiers_hide_in_css_below_their_width():
    css = CHARTS_CSS.read_text()
    for tier, px in enumerate(price_chart.TIERS_PX[1:], start=1):
        rule = re.search(rf"@container \(width < {px}px\) \{{([^}}]*)\}}", css)
        assert rule, px
        hidden = set(re.findall(r"\.tier-(\d+)", rule.group(1)))
        assert hidden == {str(t) for t in range(tier, len(price_chart.TIERS_PX))}


def test_price_chart_labels_leaders_where_they_fit():
    models = [
        {
            "chute_id": f"m{i}",
            "name": f"org/Model-{i}-Instruct-70B",
            "rank": 10 - i,
            "rank_tps": 60.0 + i,
            "price_output": 0.2 + 0.002 * i,
        }
        for i in range(10)
    ]
    chart = price_chart.price_chart(models)
    labelled = [p for p in chart.points if p.label]
    assert 0 < len(labelled) < 10  # all ten are leaders; crowded, not all fit
    # The fastest is labelled first, so it always has one.
    assert next(p for p in chart.points if p.chute_id == "m9").label is not None
    # Every dot keeps its name for tooltips and screen readers, labelled or not.
    assert all(p.title.startswith(f"#{10 - int(p.chute_id[1:])} org/Model-") for p in chart.points)
    assert {p.label.text for p in labelled} <= {f"Model-{i}-Instruct-70B" for i in range(10)}


def line_chart_with_marks(values, marks):
    days = [f"2026-10-{d:02d}" for d in range(1, len(values) + 1)]
    return charts.chart(list(zip(days, values, strict=True)), marks=marks, value_format=str)


def test_event_labels_sit_above_the_line():
    """Defect 8: an event label at the plot's top ran over a line near its top."""
    values = [95.0 + (d % 3) for d in range(30)]  # along the top tick, 100
    marks = [
        ("2026-10-05", "added", "a"),
        ("2026-10-12", "price", "b"),
        ("2026-10-20", "+12%", "c"),
        ("2026-10-21", "rate-limited", "d"),
    ]
    chart = line_chart_with_marks(values, marks)
    em = charts.mark_em(chart.width)
    line_top = min(p.y for p in chart.points) - 3.5 - 1  # a point's radius and stroke
    shown = [m for m in chart.markers if m.spot]
    assert shown, "some labels fit"
    boxes = [m.spot.box(m.label, em) for m in shown]
    for m, box in zip(shown, boxes, strict=True):
        assert box.bottom < line_top and box.bottom <= chart.top
        assert box.left >= chart.left and box.right <= chart.width
        assert not any(box.overlaps(other) for other in boxes if other is not box)
        # No other labelled rule runs through it.
        assert not any(o.spot and box.left < o.x < box.right for o in shown if o is not m)
        assert m.rule_top == box.top
    # The day after one labelled: no room; its rule starts at the plot and keeps its title.
    left_off = [m for m in chart.markers if not m.spot]
    assert all(m.rule_top == chart.top and m.title for m in left_off)
    assert {m.label for m in shown} >= {"rate-limited", "price"}
    # Without marks, no band: the plot keeps its height.
    assert line_chart_with_marks(values, []).top < chart.top


def test_event_labels_fit_the_band_on_the_narrowest_chart():
    chart = line_chart_with_marks([10.0] * 30, [("2026-10-30", "probes failing", "x")])
    (marker,) = chart.markers
    assert marker.spot is not None and marker.spot.anchor == "end"  # at the right edge
    box = marker.spot.box(marker.label, charts.mark_em(chart.width))
    assert box.within(Box(chart.left, 0, chart.width, charts.mark_band(chart.width)))
