"""Every value from upstream, checked before anything is stored: ids, names, dates and
timestamps, numbers, whole daily rows. Pure. Every source cleans with these.

Upstream text ends up in URLs (`/models/<chute_id>`), HTML and feeds, so it is held to
the shapes chutes.ai really uses (FORMATS.md) instead of being trusted as it comes; a
number that is missing, not a JSON number, not finite or out of range is no data (None).
"""

import math
import re
import sys
import unicodedata
from datetime import UTC, date, datetime
from typing import TypeGuard

from app.rows import DailyRow

# chutes.ai's chute ids are UUIDs in canonical lowercase form (every fixture's ids are
# uuid5 values); anything else, e.g. `../../api/health`, is not a chute id.
_CHUTE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")

# A UTC day as the API writes it, or a full ISO-8601 timestamp (page data may carry one):
# `YYYY-MM-DD`, optionally `THH:MM[:SS[.ffffff]]` and `Z` or `±HH:MM`. Week dates
# (`2026-W40-4`), ordinal dates and trailing junk are not what upstream sends.
_ISO_DAY_OR_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?\Z",
    re.ASCII,
)

# Characters that change how surrounding text is shown without being text themselves:
# bidi embeddings/overrides/isolates and marks (U+202E can make a name read backwards).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
MAX_NAME_LENGTH = 200


def is_chute_id(value: object) -> TypeGuard[str]:
    """True for a chute id in the shape chutes.ai uses (a lowercase UUID)."""
    return isinstance(value, str) and _CHUTE_ID.match(value) is not None


def clean_name(value: object) -> str | None:
    """A model name without control characters (NUL included) or bidi overrides.

    Returns None when nothing printable is left.
    """
    if not isinstance(value, str):
        return None
    # Printable ASCII, the common case, is checked in C: every day's row repeats its
    # chute's name, and a per-character scan of each was most of a page's parse time.
    kept = value if value.isascii() and value.isprintable() else _without_controls(value)
    kept = kept.strip()[:MAX_NAME_LENGTH]
    return kept or None


def _without_controls(value: str) -> str:
    return "".join(
        char
        for char in value
        if char not in _BIDI_CONTROLS and unicodedata.category(char) not in ("Cc", "Cs")
    )


def utc_day(value: object) -> str | None:
    """The UTC calendar day (YYYY-MM-DD) of an upstream date or timestamp, else None.

    A bare day is taken as it is (FORMATS: `date` is a UTC day). A timestamp with an
    offset is converted to UTC first (`2026-10-01T23:30:00-05:00` is 2026-10-02); a naive
    one is UTC (as every upstream timestamp is).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat()
    elif isinstance(value, str) and _ISO_DAY_OR_TIME.match(value):
        try:
            if len(value) == 10:
                return date.fromisoformat(value).isoformat()
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 shifted past the calendar
            return None
    return moment.date().isoformat()


def utc_timestamp(value: object) -> str | None:
    """Upstream's naive UTC timestamp ("2026-02-18T05:48:08.568123", microseconds optional)
    as fixed-width UTC ISO-8601 with microseconds; an explicit offset is converted."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


# Speeds beyond these are upstream glitches, not measurements: stored as no data.
MAX_PLAUSIBLE_TPS = 100_000.0
MAX_PLAUSIBLE_TTFT = 3_600.0
MAX_PLAUSIBLE_COUNT = 10**15


def number(value: object, low: float = 0.0, high: float = math.inf) -> float | None:
    """A JSON number (int or float, not bool, not text) that is finite and within
    [low, high], as a float; else None."""
    # Text such as "55.12" is not read as a number: FORMATS says the figures are JSON
    # numbers, so text is a change of format upstream (for speeds: drift, see
    # app.scraping.speeds.drift), never something to parse.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    if not math.isfinite(result) or result < low or result > high:
        return None
    return result


def clean_speed(value: object, limit: float = MAX_PLAUSIBLE_TPS) -> float | None:
    """A positive, finite, plausible number, else None (0/null/NaN/negative = no data).

    The row gets no speed, a stored one is kept (the daily upsert coalesces)."""
    result = number(value, 0.0, limit)
    return result if result else None


def clean_count(value: object, limit: float = MAX_PLAUSIBLE_COUNT) -> int | None:
    """A non-negative whole count up to `limit`, else None."""
    result = number(value, 0.0, limit)
    return int(result) if result is not None and result.is_integer() else None


def positive_int(value: object) -> int | None:
    """A JSON integer above 0 (context lengths), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def daily_row_from_raw(raw: dict) -> DailyRow | None:
    """Clean one upstream row (JSON API or page data); None when unusable."""
    chute_id = raw.get("chute_id")
    day = utc_day(raw.get("date"))
    if not is_chute_id(chute_id) or day is None:
        return None
    name = clean_name(raw.get("name"))
    # Interned: a first run's year holds ~100,000 rows of a few hundred chutes and days.
    return DailyRow(
        chute_id=sys.intern(chute_id),
        date=sys.intern(day),
        name=None if name is None else sys.intern(name),
        requests=clean_count(raw.get("total_requests")),
        input_tokens=clean_count(raw.get("total_input_tokens")),
        output_tokens=clean_count(raw.get("total_output_tokens")),
        tps=clean_speed(raw.get("average_tps")),
        ttft=clean_speed(raw.get("average_ttft"), MAX_PLAUSIBLE_TTFT),
    )
