"""What the pages show of our own probes (SPEC §6): the model page's strip charts of every
probe of the last 7 days, failures by kind, the gap to chutes.ai's reported speed. Pure
apart from the one read; the figures themselves come from app.probe_figures."""

from datetime import datetime, timedelta
from typing import Any

from app.clock import parse_utc
from app.probe_figures import failures_by_kind, gap_to_reported
from app.readmodel import PROBE_SHOWN_DAYS

WIDTH, HEIGHT = 600.0, 90.0


def strip(probes: list[dict], field: str, now: datetime) -> dict[str, Any]:
    """One dot per ok probe with `field`: x across the 7 days ending now, y from zero
    (bottom) to the highest value (top), in SVG units, so equal speeds sit level; title
    for a tooltip; `top` (the highest value) and `since` (the axis' start) to label it."""
    start = now - timedelta(days=PROBE_SHOWN_DAYS)
    points: list[tuple[datetime, float]] = []
    for p in probes:
        at = parse_utc(p["at"])
        if p["outcome"] == "ok" and p.get(field) is not None and at is not None:
            points.append((at, float(p[field])))
    if not points:
        return {"points": [], "top": None, "since": start.isoformat()}
    top = max(v for _, v in points) or 1.0
    total = PROBE_SHOWN_DAYS * 86400
    return {
        "points": [
            {
                "x": round(4 + (WIDTH - 8) * max(0.0, (at - start).total_seconds()) / total, 1),
                "y": round(HEIGHT - 6 - (HEIGHT - 12) * v / top, 1),
                "title": f"{at:%Y-%m-%d %H:%M} UTC: {v:.2f}",
            }
            for at, v in points
        ],
        "top": top,
        "since": start.isoformat(),
    }


def probe_section(model: dict, probes: list[dict], now: datetime) -> dict[str, Any]:
    """The model page's probe section, or {} when probes are off (no field on the model)."""
    if "probe_at" not in model:
        return {}
    reported = model.get("rank_tps") or model.get("latest_tps")
    return {
        "ttft": strip(probes, "ttft_s", now),
        "tps": strip(probes, "tps", now),
        "failures": failures_by_kind(probes),
        "gap": gap_to_reported(model.get("probe_tps_p50_7d"), reported),
        "count": len(probes),
        "width": WIDTH,
        "height": HEIGHT,
    }
