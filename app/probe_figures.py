"""Probe figures (SPEC §5), pure: per model over the 24 h and the 7 d ending now.

probe_n (all probes), probe_ok_share (ok / all, leaving out probes whose key was refused:
those say nothing of the model), and from the ok probes probe_tps_p50, probe_tps_p10 (the
slow tail), probe_ttft_p50, probe_ttft_p90. Percentiles interpolate linearly between the
closest ranks (numpy's default, "type 7"); one needs MIN_PROBES_FOR_PERCENTILE ok probes
in its window, else it is None and the count tells why.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

MIN_PROBES_FOR_PERCENTILE = 5
WINDOWS = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)))
KEY_REFUSED_STATUSES = (401, 403)
FIGURES = ("n", "ok_share", "tps_p50", "tps_p10", "ttft_p50", "ttft_p90")
# The model object's probe fields, in order (SPEC §7).
PROBE_FIELDS = (
    *(f"probe_{name}_{window}" for window, _ in WINDOWS for name in FIGURES),
    "probe_at",
)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), type 7; None below MIN_PROBES_FOR_PERCENTILE values."""
    if len(values) < MIN_PROBES_FOR_PERCENTILE:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def window_figures(probes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The six figures of one model's probes in one window."""
    counted = [p for p in probes if p.get("http_status") not in KEY_REFUSED_STATUSES]
    ok = [p for p in counted if p["outcome"] == "ok"]
    tps = [float(p["tps"]) for p in ok if p.get("tps") is not None]
    ttft = [float(p["ttft_s"]) for p in ok if p.get("ttft_s") is not None]
    return {
        "n": len(counted),
        "ok_share": len(ok) / len(counted) if counted else None,
        "tps_p50": percentile(tps, 50),
        "tps_p10": percentile(tps, 10),
        "ttft_p50": percentile(ttft, 50),
        "ttft_p90": percentile(ttft, 90),
    }


def model_figures(probes: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    """Every probe field of one model (PROBE_FIELDS) from its probes of the last 7 days
    (each with `at` UTC ISO-8601)."""
    out: dict[str, Any] = {}
    for window, span in WINDOWS:
        since = (now - span).isoformat(timespec="milliseconds")
        figures = window_figures(p for p in probes if str(p["at"]) >= since)
        out.update({f"probe_{name}_{window}": figures[name] for name in FIGURES})
    out["probe_at"] = max((str(p["at"]) for p in probes), default=None)
    return out


def failures_by_kind(probes: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many probes ended in each outcome other than ok."""
    counts: dict[str, int] = {}
    for p in probes:
        if p["outcome"] != "ok":
            counts[p["outcome"]] = counts.get(p["outcome"], 0) + 1
    return counts


def gap_to_reported(tps_p50: float | None, reported_tps: float | None) -> float | None:
    """Our median TPS against chutes.ai's reported one, as a share (-0.2: 20 % slower)."""
    if tps_p50 is None or not reported_tps:
        return None
    return tps_p50 / reported_tps - 1
