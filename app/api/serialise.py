"""Model rows to API objects, and API objects to compact JSON or CSV bytes."""

import csv
import io
import math
import re
from collections.abc import Iterable
from typing import Any

from app.probe_figures import PROBE_FIELDS

# The order of keys in every model object and of columns in the CSV.
MODEL_FIELDS = (
    "rank",
    "chute_id",
    "name",
    "latest_tps",
    "latest_ttft",
    "latest_requests",
    "avg_7d",
    "avg_30d",
    "peak_tps",
    "latest_date",
    "scraped_at",
    "rank_tps",
    "rank_ttft",
    "rank_requests",
    "rank_date",
    "e2e_1k_s",
    "unranked_reason",
    "low_sample",
    "partial_day",
    "price_input",
    "price_output",
    "context_length",
    "engine",
    "quantization",
    "active",
    "instances",
    "utilization_1h",
    "rate_limited_1h",
    "rate_limited_24h",
    "often_rate_limited",
    "capacity_at",
    # Lineage (SPEC §5): the chutes this model moved from, and the one it moved to.
    "predecessors",
    "successor",
)
HISTORY_FIELDS = (
    "date",
    "requests",
    "input_tokens",
    "output_tokens",
    "tps",
    "ttft",
    "rate_limited",
)

# A spreadsheet runs a cell starting with these as a formula (CSV injection), also
# after leading blanks (Excel and LibreOffice skip them), and a cell starting with a
# tab or line break can smuggle one into the next field on import.
# `\s` is Unicode whitespace (no-break spaces too); the zero-width characters are not
# whitespace to Python but are invisible to a reader as well.
FORMULA = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]*[=+\-@]")
CONTROL_PREFIXES = ("\t", "\r", "\n")


def _finite(value: Any) -> Any:
    # NaN/Infinity are not JSON; the scraper stores none, but one must not break the API.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def model_object(model: dict) -> dict:
    """A ranked model row as the API shows it (see MODEL_FIELDS)."""
    obj = {field: _finite(model.get(field)) for field in MODEL_FIELDS}
    obj["active"] = bool(model.get("active", 1))
    obj["low_sample"] = bool(obj["low_sample"])
    obj["partial_day"] = bool(obj["partial_day"])
    obj["often_rate_limited"] = bool(obj["often_rate_limited"])
    obj["predecessors"] = list(model.get("predecessors") or ())
    # With probes on (app.readmodel.with_probe_figures) the probe fields follow; off,
    # they are absent, not null (SPEC §7).
    if "probe_at" in model:
        obj.update({field: _finite(model.get(field)) for field in PROBE_FIELDS})
    return obj


# A price row of /api/models/<chute_id>'s `prices` (app.prices.PRICE_FIELDS after since).
PRICE_ROW_FIELDS = ("since", "prompt", "completion", "cache_read")


def price_object(row: dict) -> dict:
    return {field: _finite(row.get(field)) for field in PRICE_ROW_FIELDS}


# A raw probe in /api/models/<chute_id>/probes (SPEC §7).
PROBE_OBJECT_FIELDS = ("at", "outcome", "http_status", "ttft_s", "tps", "output_tokens", "total_s")


def probe_object(probe: dict) -> dict:
    return {field: _finite(probe.get(field)) for field in PROBE_OBJECT_FIELDS}


def history_object(row: dict) -> dict:
    return {field: _finite(row.get(field)) for field in HISTORY_FIELDS}


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet evaluate this cell (see FORMULA)?"""
    return text.startswith(CONTROL_PREFIXES) or FORMULA.match(text) is not None


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):  # predecessors: chute_ids, space-separated
        return " ".join(csv_cell(item) for item in value)
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return str(value)


def csv_body(models: Iterable[dict]) -> bytes:
    """The model objects as CSV with a header row (RFC 4180 line endings)."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows = list(models)
    # Probe columns only when probes are on (the objects carry them).
    fields = MODEL_FIELDS + (PROBE_FIELDS if rows and "probe_at" in rows[0] else ())
    writer.writerow(fields)
    for model in rows:
        writer.writerow(csv_cell(model[field]) for field in fields)
    return out.getvalue().encode()
