"""Pure display formatting: numbers and times in, short strings out. "—" means no data."""

import math
from collections.abc import Callable
from datetime import date
from typing import TypeGuard

from markupsafe import Markup, escape

from app.clock import parse_utc

NO_DATA = "—"


def _is_number(value: object) -> TypeGuard[float]:
    # bool is an int to Python, never a number here; int passes as a float (PEP 484).
    return isinstance(value, int | float) and not isinstance(value, bool)


def tps(value: float | None) -> str:
    """Tokens per second with one decimal: 1234.56 -> "1,234.6"."""
    return f"{value:,.1f}" if _is_number(value) else NO_DATA


def seconds(value: float | None) -> str:
    """A duration in seconds: 0.953 -> "0.95 s", 12.3 -> "12.3 s"."""
    if not _is_number(value):
        return NO_DATA
    return f"{value:.2f} s" if value < 10 else f"{value:,.1f} s"


def count(value: float | None) -> str:
    """A whole count with thousands separators: 52113 -> "52,113"."""
    return f"{int(value):,}" if _is_number(value) else NO_DATA


def compact(value: float | None) -> str:
    """A count for tight spaces: 950 -> "950", 52113 -> "52.1K", 3.2e6 -> "3.2M"."""
    if not _is_number(value):
        return NO_DATA
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        # The 0.99995 makes 999_950 "1M" rather than "1000K".
        if abs(value) >= limit * 0.99995:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{int(value):,}"


def price(value: float | None) -> str:
    """USD per 1M tokens, always 3 significant digits (SPEC §6: one rule of precision):
    0.1 -> "$0.100", 0.2165 -> "$0.217", 0.07 -> "$0.0700", 12.345 -> "$12.3", 0 -> "free"."""
    if not _is_number(value) or value < 0:
        return NO_DATA
    if value == 0:
        return "free"
    if value >= 100:
        return f"${value:,.0f}"
    decimals = 2 - math.floor(math.log10(value))
    # Rounding can add a digit (0.9996 -> 1.000): count the digits of the rounded value.
    rounded = round(value, decimals)
    decimals = max(0, 2 - math.floor(math.log10(rounded)))
    return f"${rounded:,.{decimals}f}"


def share(value: float | None) -> str:
    """A share 0-1 as a percentage: 0.952 -> "95 %", 0.0097 -> "1.0 %", 0 -> "0 %"."""
    if not _is_number(value):
        return NO_DATA
    percent = value * 100
    if percent == 0 or percent >= 10:
        return f"{percent:.0f} %"
    return f"{percent:.1f} %"


def utc_time(text: str | None) -> str:
    """A timestamp for people: "2026-10-03 14:05 UTC"."""
    moment = parse_utc(text)
    return NO_DATA if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def iso_utc(text: str | None) -> str:
    """A timestamp for machines (<time datetime>): "2026-10-03T14:05:00Z"."""
    moment = parse_utc(text)
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def short_day(text: str | None) -> str:
    """A UTC day for chart labels: "2026-10-03" -> "Oct 3"."""
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return NO_DATA
    return f"{day:%b} {day.day}"


def clock_time(text: str | None) -> str:
    """The time of day of a timestamp: "21:31 UTC" (the navbar's "Data as of")."""
    moment = parse_utc(text)
    return NO_DATA if moment is None else moment.strftime("%H:%M UTC")


def trend(value: float | None, reference: float | None) -> str:
    """Change in percent against a reference: (103, 100) -> "+3 %"; falls get a minus sign."""
    if not (_is_number(value) and _is_number(reference)) or not reference:
        return ""
    change = round((value / reference - 1) * 100)
    if change == 0:
        return "±0 %"
    return f"+{change} %" if change > 0 else f"\u2212{-change} %"


def band(low: float | None, high: float | None) -> str:
    """A min-max range of TPS: (142.04, 151.3) -> "142" en dash "151"; one value -> "142"."""
    if not (_is_number(low) and _is_number(high)):
        return NO_DATA
    if round(low) == round(high):
        return f"{low:,.0f}"
    return f"{low:,.0f}\u2013{high:,.0f}"


def tokens(value: int | None) -> str:
    """A context length: 131072 -> "131K", 32768 -> "33K", 8000 -> "8K"."""
    if not _is_number(value) or value <= 0:
        return NO_DATA
    if value >= 999_500:
        return f"{value / 1e6:.1f}".rstrip("0").rstrip(".") + "M"
    return f"{value / 1000:.0f}K" if value >= 1000 else f"{int(value)}"


def ago(seconds_elapsed: float) -> str:
    """A rough age: 42 -> "just now", 600 -> "10 min ago", 7200 -> "2 h ago"."""
    if seconds_elapsed < 60:
        return "just now"
    return f"{age(seconds_elapsed)} ago"


def age(seconds_elapsed: float) -> str:
    """A rough duration: 42 -> "under a minute", 600 -> "10 min", 7200 -> "2 h"."""
    if seconds_elapsed < 60:
        return "under a minute"
    minutes = int(seconds_elapsed // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def breakable(name: str) -> Markup:
    """A model id that may wrap after its "/" and "-" (never inside a word), escaped:
    "org/Model-7B" reads whole on two lines instead of being cut to "org/Mod…"."""
    text = str(escape(name)).replace("/", "/<wbr>").replace("-", "-<wbr>")
    return Markup(text)


# Registered as Jinja filters by app.web.blueprint.
FILTERS: dict[str, Callable[..., str]] = {
    "tps": tps,
    "seconds": seconds,
    "count": count,
    "compact": compact,
    "price": price,
    "share": share,
    "utc_time": utc_time,
    "iso_utc": iso_utc,
    "short_day": short_day,
    "clock_time": clock_time,
    "trend": trend,
    "tokens": tokens,
    "band": band,
    "breakable": breakable,
}
