"""The JSON API source: the /v1/models catalogue joined with /invocations/stats/llm."""

from datetime import date, timedelta

from app import clock
from app.rows import CatalogueEntry, DailyRow
from app.scraping.inputs import clean_name, daily_row_from_raw, is_chute_id, number, positive_int
from app.scraping.sources import SourceError, SourceResult
from app.scraping.sources.http import Fetcher
from app.scraping.speeds.drift import field_gaps
from app.settings import Settings


def parse_catalogue(
    payload: object, url: str, errors: list[str] | None = None
) -> list[CatalogueEntry]:
    """Catalogue entries from a /v1/models answer; SourceError if it holds none.

    Entries whose chute_id is not a chute id are skipped, each noted in `errors`.
    """
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise SourceError(f"{url}: expected an object with a 'data' list of models")
    entries: dict[str, CatalogueEntry] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        chute_id, name = item.get("chute_id"), clean_name(item.get("id"))
        if not is_chute_id(chute_id):
            if errors is not None:
                errors.append(
                    f"{url}: skipped a model whose chute_id {chute_id!r:.60} isn't a UUID"
                )
            continue
        if name is None:
            continue
        pricing = item.get("pricing")
        if not isinstance(pricing, dict):
            pricing = {}
        engine, quantization = item.get("owned_by"), item.get("quantization")
        entries[chute_id] = CatalogueEntry(
            chute_id=chute_id,
            name=name,
            price_input=number(pricing.get("prompt")),
            price_output=number(pricing.get("completion")),
            context_length=positive_int(item.get("context_length"))
            or positive_int(item.get("max_model_len")),
            engine=engine if isinstance(engine, str) else None,
            quantization=quantization if isinstance(quantization, str) else None,
            price_cache_read=number(pricing.get("input_cache_read")),
        )
    if not entries:
        raise SourceError(f"{url}: the model list is empty, expected at least one model")
    return list(entries.values())


def parse_stats(payload: object, url: str) -> list[DailyRow]:
    """Daily rows from a stats answer; `[]` is upstream's cold cache, so a failure."""
    if not isinstance(payload, list):
        raise SourceError(f"{url}: expected a JSON list of daily rows")
    if not payload:
        raise SourceError(f"{url}: returned [] (upstream cache cold?), expected daily rows")
    rows = [daily_row_from_raw(raw) for raw in payload if isinstance(raw, dict)]
    return [row for row in rows if row is not None]


# The first scrape into an empty database asks for a year of history (SPEC §10), so a
# fresh install shows full charts at once, in month-sized requests: one answer for a
# year of a few hundred models would be tens of MB, and one month failing loses one month.
BACKFILL_DAYS = 365
BACKFILL_REQUEST_DAYS = 31


def fetch_api(
    fetcher: Fetcher, settings: Settings, today: date, *, backfill: bool = False
) -> SourceResult:
    """Both requests of a run: the catalogue, then the last STATS_DAYS days plus today.

    With `backfill` (the first run into an empty database), then the months before that,
    newest first, back to BACKFILL_DAYS ago, while the run's budget leaves a request's
    worth of time for what the run does after them; see backfill_history."""
    models_url = f"{settings.llm_url.rstrip('/')}/v1/models"
    errors: list[str] = []
    catalogue = parse_catalogue(fetcher.get_json(models_url), models_url, errors)
    stats_url = f"{settings.api_url.rstrip('/')}/invocations/stats/llm"
    start = today - timedelta(days=settings.stats_days)
    params = {"start_date": start.isoformat(), "end_date": today.isoformat()}
    payload = fetcher.get_json(stats_url, params)
    rows = parse_stats(payload, stats_url)
    known = {entry.chute_id for entry in catalogue}
    ranked_rows = [row for row in rows if row.chute_id in known]
    ranked_raw = [raw for raw in payload if isinstance(raw, dict) and raw.get("chute_id") in known]
    if not ranked_rows:
        raise SourceError(
            f"{stats_url}: {len(rows)} rows but none for the {len(known)} catalogue models"
        )
    # Upstream's field gaps (drift) are judged on the current answer alone.
    gaps = field_gaps(ranked_raw, ranked_rows)
    if backfill:
        older = backfill_history(fetcher, stats_url, start, today, errors)
        ranked_rows += [row for row in older if row.chute_id in known]
    return SourceResult(
        source="api",
        catalogue=catalogue,
        rows=ranked_rows,
        refreshed={row.chute_id for row in ranked_rows},
        errors=errors,
        field_gaps=gaps,
    )


def backfill_windows(before: date, today: date) -> list[tuple[date, date]]:
    """The month-sized (start, end) windows, newest first, from the day before `before`
    back to BACKFILL_DAYS before `today` (inclusive, UTC)."""
    oldest = today - timedelta(days=BACKFILL_DAYS)
    windows = []
    end = before - timedelta(days=1)
    while end >= oldest:
        start = max(oldest, end - timedelta(days=BACKFILL_REQUEST_DAYS - 1))
        windows.append((start, end))
        end = start - timedelta(days=1)
    return windows


def backfill_history(
    fetcher: Fetcher, stats_url: str, before: date, today: date, errors: list[str]
) -> list[DailyRow]:
    """The older months' rows. Stops at the first month upstream has no row for (its
    history ends there: no error), or whose request fails, or when the run's budget has less than
    one request's deadline left (both noted in `errors`: the run is partial, the months
    fetched are kept)."""
    rows: list[DailyRow] = []
    for start, end in backfill_windows(before, today):
        if fetcher.deadline - clock.monotonic() < fetcher.request_budget:
            errors.append(
                f"history backfill stopped before {end.isoformat()}: the run's budget"
                " (RUN_BUDGET) is nearly spent; older days are not fetched"
            )
            break
        params = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        try:
            payload = fetcher.get_json(stats_url, params)
        except SourceError as exc:
            errors.append(f"history backfill stopped before {end.isoformat()}: {exc}")
            break
        if payload == []:
            break
        try:
            answer = parse_stats(payload, stats_url)
        except SourceError as exc:
            errors.append(f"history backfill stopped before {end.isoformat()}: {exc}")
            break
        # Only the days asked for: an answer without any is where upstream's history ends.
        month = [row for row in answer if start.isoformat() <= row.date <= end.isoformat()]
        if not month:
            break
        rows += month
    return rows
