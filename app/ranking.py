"""Pure ranking: model rows in, the sorted, ranked, filtered leaderboard out."""

from collections.abc import Iterable

from app.clock import today_utc

# sort name -> (model field, highest first?)
SORTS: dict[str, tuple[str, bool]] = {
    "tps": ("latest_tps", True),
    "avg_7d": ("avg_7d", True),
    "avg_30d": ("avg_30d", True),
    "ttft": ("latest_ttft", False),
    "requests": ("latest_requests", True),
    "name": ("name", False),
    "peak": ("peak_tps", True),
}
DEFAULT_SORT = "tps"
ORDERS = ("asc", "desc")


def sort_models(
    models: Iterable[dict], sort: str = DEFAULT_SORT, order: str | None = None
) -> list[dict]:
    """Sort by a SORTS key; models without that figure always go last."""
    field, descending = SORTS[sort]
    if order is not None:
        descending = order == "desc"
    with_value = [m for m in models if m.get(field) is not None]
    without = [m for m in models if m.get(field) is None]

    def value(model: dict) -> object:
        return model[field].casefold() if field == "name" else model[field]

    with_value.sort(key=lambda m: m["name"].casefold())
    with_value.sort(key=value, reverse=descending)
    without.sort(key=lambda m: m["name"].casefold())
    return with_value + without


def rank_models(
    models: Iterable[dict],
    *,
    min_requests: int,
    sort: str = DEFAULT_SORT,
    order: str | None = None,
    today: str | None = None,
) -> list[dict]:
    """Copies of the models in sorted order with rank, low_sample and partial_day.

    Ranks number the full sorted list (1, 2, 3, …); a model without the sorted figure
    has rank None. Filter afterwards, so searching never renumbers.
    """
    today = today or today_utc()
    field = SORTS[sort][0]
    ranked = []
    position = 0
    for model in sort_models(models, sort, order):
        has_value = model.get(field) is not None
        position += has_value
        requests = model.get("latest_requests")
        ranked.append(
            {
                **model,
                "rank": position if has_value else None,
                "low_sample": model.get("latest_tps") is not None
                and (requests or 0) < min_requests,
                "partial_day": model.get("latest_date") == today,
            }
        )
    return ranked


def filter_models(models: Iterable[dict], query: str | None) -> list[dict]:
    """Models whose name or chute_id contains every word of the query (case-insensitive)."""
    words = (query or "").casefold().split()
    if not words:
        return list(models)
    return [
        m
        for m in models
        if all(w in m["name"].casefold() or w in m["chute_id"].casefold() for w in words)
    ]


def hero_figures(models: Iterable[dict]) -> dict:
    """Total models, request-weighted average latest TPS, and the best peak TPS."""
    models = list(models)
    weighted = total = 0.0
    for m in models:
        if m.get("latest_tps") is not None and m.get("latest_requests"):
            weighted += m["latest_tps"] * m["latest_requests"]
            total += m["latest_requests"]
    peaks = [m["peak_tps"] for m in models if m.get("peak_tps") is not None]
    tps = [m["latest_tps"] for m in models if m.get("latest_tps") is not None]
    return {
        "total_models": len(models),
        "average_tps": weighted / total if total else None,
        "peak_tps": max(peaks) if peaks else (max(tps) if tps else None),
    }
