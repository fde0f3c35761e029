"""Upstream drift: an answer in which no row carries a figure that used to come. Pure.

A stats answer whose rows all lack usable speeds (a field renamed, numbers sent as text,
every `average_tps` 0) parses into rows of "no data". Stored as news, it would erase
every model's figures; SPEC §3 calls it drift instead: the run fails naming the field.
Drift is about speed: a gap in TTFT or in the counts beside usable TPS stores what the
answer has and makes the run partial. This module only describes the gaps; what a gap
makes of the run is the run's decision (app.scraping.run), since only it reads the
database.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from app.rows import DailyRow

# Upstream field -> the DailyRow attribute (and daily_stats column) it fills.
WATCHED_FIELDS: dict[str, str] = {
    "average_tps": "tps",
    "average_ttft": "ttft",
    "total_requests": "requests",
}


def field_gaps(raw_rows: Iterable[Mapping[str, Any]], rows: Iterable[DailyRow]) -> dict[str, str]:
    """Column -> why no row has it, for each watched field that no cleaned row carries.

    `raw_rows` are the upstream rows as received, `rows` what cleaning made of them.
    Empty when every watched field is usable in at least one row (or there are no rows).
    """
    raw = [row for row in raw_rows if isinstance(row, Mapping)]
    cleaned = list(rows)
    if not raw or not cleaned:
        return {}
    gaps = {}
    for field, column in WATCHED_FIELDS.items():
        if any(getattr(row, column) is not None for row in cleaned):
            continue
        gaps[column] = _explain(field, raw)
    return gaps


def _explain(field: str, raw: list[Mapping[str, Any]]) -> str:
    """One line saying what happened to `field` across the answer's rows."""
    present = [row[field] for row in raw if field in row]
    if not present:
        keys = sorted({key for row in raw for key in row if isinstance(key, str)})
        return (
            f"field {field!r} is missing from all {len(raw)} rows"
            f" (row keys now: {', '.join(keys[:12])})"
        )
    texts = [value for value in present if isinstance(value, str)]
    if texts:
        # FORMATS: these fields are JSON numbers (or 0/null for no data). Text is a
        # change of format, not a number to guess at, so it is never parsed.
        return (
            f"field {field!r} arrived as text in {len(texts)} of {len(raw)} rows"
            f" (e.g. {texts[0][:20]!r}); a JSON number was expected"
        )
    if all(value is None or value == 0 for value in present):
        return f"field {field!r} is 0 or null in all {len(raw)} rows"
    sample = ", ".join(repr(value)[:20] for value in present[:3])
    return f"field {field!r} has no usable value in any of {len(raw)} rows (e.g. {sample})"
