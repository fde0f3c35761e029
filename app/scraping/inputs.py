"""Identifiers, names and dates from upstream, checked before anything is stored. Pure.

Upstream text ends up in URLs (`/models/<chute_id>`), HTML and feeds, so it is held to
the shapes chutes.ai really uses (FORMATS.md) instead of being trusted as it comes.
"""

import re
import unicodedata
from datetime import UTC, date, datetime

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


def is_chute_id(value: object) -> bool:
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
