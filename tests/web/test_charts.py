"""SVG geometry for sparklines and charts, from plain series."""

from hypothesis import given
from hypothesis import strategies as st

from app.web import charts


def test_nice_ticks_are_round_and_cover_the_maximum():
    assert charts.nice_ticks(87) == [0, 25, 50, 75, 100]
    assert charts.nice_ticks(62) == [0, 20, 40, 60, 80]
    assert charts.nice_ticks(0.19) == [0, 0.05, 0.1, 0.15, 0.2]
    assert charts.nice_ticks(1211) == [0, 500, 1000, 1500]
    assert charts.nice_ticks(0) == [0, 1]


@given(st.floats(min_value=1e-6, max_value=1e9, allow_nan=False))
def test_nice_ticks_property(maximum):
    ticks = charts.nice_ticks(maximum)
    assert ticks[0] == 0 and ticks[-1] >= maximum * (1 - 1e-9)
    assert 2 <= len(ticks) <= 7


def test_sparkline_breaks_at_missing_days_and_nones():
    series = [
        ("2026-10-01", 10.0),
        ("2026-10-02", 20.0),
        ("2026-10-04", 30.0),  # 10-03 missing: a new run
        ("2026-10-05", None),
        ("2026-10-06", 15.0),
    ]
    spark = charts.sparkline(series, "2026-10-01", "2026-10-06", width=100, height=20, pad=0)
    assert spark.path.count("M") == 3
    # Zero-based up to the best day (30): 10 sits two thirds down, 20 one third down.
    assert spark.path.startswith("M0 13L20 7")  # whole pixels
    assert spark.path.endswith("M100 10l0 0")  # a lone point is a dot
    assert spark.last is not None and spark.last.x == 100
    # Dashed joins across the gaps: run ends to next run starts.
    assert spark.bridges == "M20 7L60 0M60 0L100 10"


def test_sparkline_small_dip_is_not_a_cliff():
    spark = charts.sparkline(
        [("2026-10-01", 147.0), ("2026-10-02", 142.0), ("2026-10-03", 145.0)],
        "2026-10-01",
        "2026-10-03",
        pad=0,
    )
    ys = [float(p.split()[1]) for p in spark.path[1:].split("L")]
    assert max(ys) - min(ys) <= 0.04 * spark.height


def test_sparkline_without_data_and_flat_series():
    assert charts.sparkline([], "2026-10-01", "2026-10-30").path == ""
    assert charts.sparkline([("2026-10-01", None)], "2026-10-01", "2026-10-30").last is None
    flat = charts.sparkline(
        [("2026-10-01", 5.0), ("2026-10-02", 5.0), ("2026-10-03", 5.0)],
        "2026-10-01",
        "2026-10-03",
        height=20,
        pad=0,
    )
    assert flat.path == "M0 0L60 0L120 0"  # at its best day all along: the top


def test_sparkline_ignores_days_outside_the_window():
    spark = charts.sparkline(
        [("2026-09-01", 999.0), ("2026-10-01", 1.0), ("2026-10-02", 2.0), ("2026-10-03", 3.0)],
        "2026-10-01",
        "2026-10-03",
    )
    assert spark.path.count("L") == 2
    # The day outside the window does not count towards a line either.
    few = charts.sparkline([("2026-09-01", 999.0), ("2026-10-02", 2.0)], "2026-10-01", "2026-10-03")
    assert few.note == "1 day of data"


def test_too_few_days_for_a_line_are_said_in_words():
    """Defect 12: one or two days in a 30-day window drew a lone dot (the two days 4 px
    apart under the last-day dot); fewer than SPARK_MIN_DAYS days say so instead."""
    window = ("2026-10-01", "2026-10-30")
    one = charts.sparkline([("2026-10-29", 70.0)], *window)
    two = charts.sparkline([("2026-10-29", 61.0), ("2026-10-30", 64.0)], *window)
    apart = charts.sparkline(
        [("2026-10-02", 61.0), ("2026-10-20", None), ("2026-10-30", 64.0)], *window
    )
    for spark, count in ((one, "1 day"), (two, "2 days"), (apart, "2 days")):
        assert spark.note == f"{count} of data"
        assert spark.path == "" and spark.last is None and spark.bridges == ""
    assert two.note_title == "Speed known on Oct 29 and Oct 30 only: a line needs 3 days"
    assert charts.SPARK_MIN_DAYS == 3
    # From SPARK_MIN_DAYS days on, a line: a path with at least one segment, no note.
    three = charts.sparkline(
        [("2026-10-28", 50.0), ("2026-10-29", 61.0), ("2026-10-30", 64.0)], *window
    )
    assert three.note == "" and three.path.count("L") == 2
    # Days apart still join: dashed bridges between the runs, so no dot stands alone.
    spread = charts.sparkline(
        [("2026-10-01", 50.0), ("2026-10-15", 61.0), ("2026-10-30", 64.0)], *window
    )
    assert spread.note == "" and spread.bridges.count("L") == 2
    # No data at all keeps its dashed "no data" rule (no path, no note).
    assert charts.sparkline([], *window).note == ""


def test_the_card_shows_the_note_in_the_sparklines_box():
    from flask import Flask, render_template_string

    app = Flask(__name__, template_folder="../../templates")
    window = ("2026-10-01", "2026-10-30")
    macro = '{% from "macros.html" import sparkline %}{{ sparkline(s, "M") }}'
    with app.app_context():
        note = render_template_string(macro, s=charts.sparkline([("2026-10-30", 64.0)], *window))
        line = render_template_string(
            macro, s=charts.sparkline([(f"2026-10-{d}", 60.0 + d) for d in (28, 29, 30)], *window)
        )
    assert note == (
        '<span class="spark spark-note" title="Speed known on Oct 30 only: a line needs 3 days">'
        "1 day of data</span>"
    )
    assert "<svg" not in note and "<circle" not in note
    assert line.startswith('<svg class="spark"') and 'class="spark-line" d="M' in line


def test_line_chart_points_titles_and_axes():
    chart = charts.chart(
        [("2026-10-01", 40.0), ("2026-10-02", None), ("2026-10-03", 80.0)],
        value_format=lambda v: f"{v:.1f} tok/s",
        tick_format=lambda v: f"{v:g}",
    )
    assert not chart.empty
    assert [p.title for p in chart.points] == ["Oct 1: 40.0 tok/s", "Oct 3: 80.0 tok/s"]
    assert chart.points[0].x < chart.points[1].x
    assert chart.points[1].y == chart.top  # 80 is the top tick
    assert [t.label for t in chart.y_ticks] == ["0", "20", "40", "60", "80"]
    assert chart.x_ticks[0].label == "Oct 1"
    assert chart.x_ticks[-1].label == "Oct 3"
    assert chart.paths[0].count("M") == 2  # the None day breaks the line


def test_bar_chart():
    chart = charts.chart(
        [("2026-10-01", 100), ("2026-10-02", 300)], kind="bar", value_format=lambda v: f"{v} req"
    )
    assert len(chart.bars) == 2 and chart.points == []
    tall, short = chart.bars[1], chart.bars[0]
    assert tall.height > short.height > 0
    assert tall.y + tall.height == chart.bottom
    assert tall.title == "Oct 2: 300 req"


def test_empty_and_single_day_charts():
    assert charts.chart([]).empty
    assert charts.chart([("2026-10-01", None)]).empty
    one = charts.chart([("2026-10-01", 5.0)])
    assert len(one.points) == 1 and len(one.x_ticks) == 1
    assert one.points[0].x == (one.left + one.right) / 2


def test_the_y_labels_margin_holds_the_widest_label_on_the_narrowest_screen():
    # Text is 12 CSS px at any width, the plot is in viewBox units: a 640-unit chart drawn
    # 270 px wide has 0.42 px per unit, so "0.06" (~25 px) needs ~78 units, not 50.
    px_per_unit = charts.NARROWEST_CHART_PX / 640
    margin = charts.y_label_margin(["0", "0.02", "0.04", "0.06"], 640)
    assert margin * px_per_unit >= charts.label_px("0.06") + 8
    # Short labels keep the usual margin; longer ones never shrink it.
    assert charts.y_label_margin(["0", "5"], 640) == charts.MIN_LEFT
    assert charts.y_label_margin(["1,000"], 640) > charts.y_label_margin(["100"], 640)


def test_charts_leave_room_for_their_y_labels():
    series = [("2026-11-01", 0.05), ("2026-11-02", 0.06)]
    line = charts.chart(series, width=640, tick_format=lambda v: f"{v:g}")
    assert line.left == charts.y_label_margin([t.label for t in line.y_ticks], 640) > 50
    assert line.points[0].x > line.left
