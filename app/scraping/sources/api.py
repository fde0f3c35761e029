"""The JSON API source: the /v1/models catalogue joined with /invocations/stats/llm."""

from datetime import date, timedelta

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


def fetch_api(fetcher: Fetcher, settings: Settings, today: date) -> SourceResult:
    """Both requests of a run: the catalogue, then the last STATS_DAYS days plus today."""
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
    return SourceResult(
        source="api",
        catalogue=catalogue,
        rows=ranked_rows,
        refreshed={row.chute_id for row in ranked_rows},
        errors=errors,
        field_gaps=field_gaps(ranked_raw, ranked_rows),
    )
