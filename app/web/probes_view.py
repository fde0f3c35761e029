"""What the pages show of our own probes (SPEC §6): the model page's charts of every probe
of the last 7 days, failures by kind, the gap to chutes.ai's reported speed. Pure; the
figures themselves come from app.probe_figures."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from app.clock import parse_utc
from app.probe_figures import failures_by_kind, gap_to_reported
from app.readmodel import PROBE_SHOWN_DAYS
from app.web import formatting
from app.web.charts import (
    Chart,
    Point,
    Tick,
    nice_ticks,
    plot_edges,
    tick_label,
    y_label_margin,
)

# The model page's chart size (app/web/charts.py), so the strips read like its other charts.
WIDTH, HEIGHT = 400, 200


def strip(
    probes: list[dict], field: str, now: datetime, value_format: Callable[[float], str]
) -> Chart:
    """Every ok probe with `field` as a dot over the 7 days ending now: x is the probe's
    time, y from zero, with the site's axes (a tick a day boundary, labelled by date)."""
    start = now - timedelta(days=PROBE_SHOWN_DAYS)
    top, right, bottom = plot_edges(WIDTH, HEIGHT)
    points: list[tuple[datetime, float]] = []
    for p in probes:
        at = parse_utc(p["at"])
        if p["outcome"] == "ok" and p.get(field) is not None and at is not None:
            points.append((at, float(p[field])))
    ticks = nice_ticks(max((v for _, v in points), default=0.0))
    labels = [tick_label(t) for t in ticks]
    left = y_label_margin(labels, WIDTH)
    if not points:
        return Chart(WIDTH, HEIGHT, left, top, right, bottom)
    total = PROBE_SHOWN_DAYS * 86400

    def x_of(at: datetime) -> float:
        return left + 4 + (right - left - 8) * max(0.0, (at - start).total_seconds()) / total

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    # Four dates evenly across the window, its two ends included (the axes macro aligns
    # the first label to the left edge and the last to the right), as the daily charts.
    days = [start + (now - start) * i / 3 for i in range(4)]
    return Chart(
        WIDTH,
        HEIGHT,
        left,
        top,
        right,
        bottom,
        points=[
            Point(x_of(at), y_of(v), f"{formatting.utc_time(at.isoformat())}: {value_format(v)}")
            for at, v in points
        ],
        y_ticks=[Tick(y_of(t), label) for t, label in zip(ticks, labels, strict=True)],
        x_ticks=[Tick(x_of(day), f"{day:%b} {day.day}") for day in days],
    )


def probe_section(model: dict, probes: list[dict], now: datetime) -> dict[str, Any]:
    """The model page's probe section, or {} when probes are off (no field on the model)."""
    if "probe_at" not in model:
        return {}
    reported = model.get("rank_tps") or model.get("latest_tps")
    return {
        "ttft": strip(probes, "ttft_s", now, formatting.seconds),
        "tps": strip(probes, "tps", now, lambda v: f"{formatting.tps(v)} tok/s"),
        "failures": failures_by_kind(probes),
        "gap": gap_to_reported(model.get("probe_tps_p50_7d"), reported),
        "count": len(probes),
    }
