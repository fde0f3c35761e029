"""The board's rows: what each card and table row shows, in both views, from ranked models.

Display values are formatted here and in formatting.py, never in the page's JavaScript:
the JavaScript sorts on the raw values each row carries (`sort_values`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.methodology import (
    RANK_WINDOW_DAYS,
    UNRANKED_BUSY_WITHOUT_SPEED,
    UNRANKED_NO_SPEED,
    UNRANKED_NOT_LISTED,
    UNRANKED_TOO_LITTLE_TRAFFIC,
    response_seconds,
)
from app.ranking import SORTS
from app.web import formatting

TOKEN_CHOICES = (256, 1000, 4000)
# The board shows the ranked day's TPS, TTFT and requests (the latest day's when unranked),
# so it sorts on what it shows (SPEC §6: `?sort=tps` is the TPS shown); the API sorts on
# latest_* (app.ranking.SORTS).
BOARD_FIELDS = {"tps": "shown_tps", "ttft": "shown_ttft", "requests": "shown_requests"}
DEFAULT_TOKENS = 1000


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str | None  # the ?sort= its header sets; None: not sortable
    priority: int  # 1 always shown; 2 hidden on tablets; 3 hidden on phones
    numeric: bool = True

    @property
    def css_class(self) -> str:
        """The header's and the cells' class: `c-<key>`, plus `p<priority>` (board.css
        hides p2 on tablets, p3 on phones)."""
        return f"c-{self.key}" + (f" p{self.priority}" if self.priority > 1 else "")


COLUMNS = (
    Column("rank", "#", "rank", 1),
    Column("name", "Model", "name", 1, numeric=False),
    Column("tps", "TPS", "tps", 1),
    Column("band", "7-day range", None, 3),
    Column("ttft", "TTFT", "ttft", 2),
    Column("response", "Answer", None, 2),
    # Price, rate-limited share and the traffic behind the rank: every row, every width
    # (SPEC §6 "The decision at a glance"); a phone scrolls the table, not the page.
    Column("requests", "Requests", "requests", 1),
    Column("rate_limited", "Rate-ltd 24 h", "rate_limited", 1),
    Column("instances", "Instances", "instances", 3),
    Column("price_in", "$/1M in", "price_in", 3),
    Column("price_out", "$/1M out", "price_out", 1),
    Column("context", "Context", "context", 3),
)

# Sort keys with no column of their own: sorting by one adds its column after TPS, so
# every sort key is a column that is shown (SPEC §6).
SORT_COLUMNS = {
    "avg_7d": Column("avg_7d", "7-day avg", "avg_7d", 1),
    "avg_30d": Column("avg_30d", "30-day avg", "avg_30d", 1),
    "peak": Column("peak", "Peak", "peak", 1),
}


def columns_for(sort: str) -> tuple[Column, ...]:
    """The table's columns for this sort: COLUMNS, plus the sorted figure's own column;
    the sorted column is never hidden on small screens."""
    columns: tuple[Column, ...] = COLUMNS
    extra = SORT_COLUMNS.get(sort)
    if extra is not None:
        at = next(i for i, col in enumerate(COLUMNS) if col.key == "tps") + 1
        columns = (*COLUMNS[:at], extra, *COLUMNS[at:])
    return tuple(replace(col, priority=1) if col.sort == sort else col for col in columns)


# The card's big number for each sort: (field, formatter, unit).
BIG_NUMBER: dict[str, tuple[str, Callable, str]] = {
    "rank": ("shown_tps", formatting.tps, "tok/s"),
    "name": ("shown_tps", formatting.tps, "tok/s"),
    "tps": ("shown_tps", formatting.tps, "tok/s"),
    "avg_7d": ("avg_7d", formatting.tps, "tok/s · 7-day avg"),
    "avg_30d": ("avg_30d", formatting.tps, "tok/s · 30-day avg"),
    "peak": ("peak_tps", formatting.tps, "tok/s · 30-day peak"),
    "ttft": ("shown_ttft", formatting.seconds, "to first token"),
    "requests": ("shown_requests", formatting.compact, "requests"),
    "rate_limited": ("rate_limited_24h", formatting.share, "rate-limited · 24 h"),
    "instances": ("instances", formatting.count, "instances"),
    "price_in": ("price_input", formatting.price, "per 1M input tokens"),
    "price_out": ("price_output", formatting.price, "per 1M output tokens"),
    "context": ("context_length", formatting.tokens, "tokens of context"),
}


def seven_day_bands(series: dict[str, list], first_day: str) -> dict[str, tuple[float, float]]:
    """Per model, the lowest and highest daily TPS from `first_day` on (7-day min-max)."""
    bands = {}
    for chute_id, days in series.items():
        values = [v for d, v in days if d >= first_day and v is not None]
        if values:
            bands[chute_id] = (min(values), max(values))
    return bands


def shown_figures(model: Mapping[str, Any]) -> dict[str, Any]:
    """The TPS, TTFT and requests the board shows (and sorts on: BOARD_FIELDS): the
    ranked day's when the model is ranked, else its latest day's."""
    if model.get("rank") is not None:
        return {
            "shown_tps": model.get("rank_tps"),
            "shown_ttft": model.get("rank_ttft"),
            "shown_requests": model.get("rank_requests"),
        }
    return {
        "shown_tps": model.get("latest_tps"),
        "shown_ttft": model.get("latest_ttft"),
        "shown_requests": model.get("latest_requests"),
    }


def board_row(model: dict, *, sort: str, tokens: int, today: str, min_requests: int) -> dict:
    """The model (a copy from rank_models, updated in place: a 300-model page should not
    copy every row twice) plus what the board shows: the ranked day's figures when it has
    one, else its latest day's with the reason it is unranked.

    `low_sample` stays the model's (SPEC §5: about the latest_* figures); the card and
    the table flag it where they show those figures (`low_sample_shown`): a ranked row
    shows its ranked day, never low sample by definition, unless the card's big number
    is the latest day's TPS."""
    ranked = model.get("rank") is not None
    shown = shown_figures(model)
    tps, ttft = shown["shown_tps"], shown["shown_ttft"]
    day = model.get("rank_date") if ranked else model.get("latest_date")
    row = model
    row |= {
        **shown,
        "low_sample_shown": bool(model.get("low_sample"))
        and (not ranked or BIG_NUMBER[sort][0].startswith("latest_")),
        "shown_date": day,
        "today": day == today,
        "trend": formatting.trend(tps, model.get("avg_7d")),
        "response": response_seconds(ttft, tps, tokens),
        "unranked_text": None if ranked else sentence(unranked_text(model, min_requests)),
    }
    # Only figures the row has (a missing one sorts last); the name sorts on data-name.
    row["sort_values"] = {
        key: _raw(row.get(BOARD_FIELDS.get(key, field)))
        for key, (field, _) in SORTS.items()
        if key != "name" and row.get(BOARD_FIELDS.get(key, field)) is not None
    }
    field, format_value, unit = BIG_NUMBER[sort]
    row["big"] = {
        "value": format_value(row.get(field)),
        "unit": unit,
        "none": row.get(field) is None,
    }
    return row


def unranked_text(model: dict, min_requests: int) -> str | None:
    """Why a model shown by app.readmodel is unranked, in words (SPEC §5's reasons), for
    the board and the model page alike; None for a ranked model. Lower case: a phrase
    ("Not ranked: …" on the model page; sentence() for the card)."""
    reason = model.get("unranked_reason")
    day = formatting.short_day(model.get("unranked_day"))
    requests = formatting.count(model.get("unranked_requests") or 0)
    if reason == UNRANKED_NOT_LISTED:
        return "no longer listed on chutes.ai"
    if reason == UNRANKED_BUSY_WITHOUT_SPEED:
        return (
            f"chutes.ai reported no speed for its busy days ({requests} requests on {day},"
            f" the busiest of the last {RANK_WINDOW_DAYS})"
        )
    if reason == UNRANKED_TOO_LITTLE_TRAFFIC:
        return (
            f"too little traffic to rank: {requests} requests on {day}, its busiest day with"
            f" speed data in the last {RANK_WINDOW_DAYS}, fewer than {min_requests:,}"
        )
    if reason == UNRANKED_NO_SPEED:
        if model.get("latest_date") is None:
            return "no speed data yet"
        return (
            f"no speed data in the last {RANK_WINDOW_DAYS} days (last on"
            f" {formatting.short_day(model.get('latest_date'))})"
        )
    return None


def sentence(text: str | None) -> str | None:
    """A phrase as a sentence: its first letter capitalised, the rest as written (Jinja's
    `capitalize` lower-cases the rest: "sep 30")."""
    return text[:1].upper() + text[1:] if text else text


def _raw(value: object) -> str:
    """A sort value as the page carries it (a data-* attribute): 7 significant digits."""
    return value.casefold() if isinstance(value, str) else f"{value:.7g}"
