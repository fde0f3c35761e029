"""The JSON API source: the /v1/models catalogue joined with /invocations/stats/llm."""

import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from app.rows import CatalogueEntry, DailyRow
from app.scraping.inputs import clean_name, is_chute_id
from app.scraping.sources import SourceError, SourceResult
from app.scraping.sources.http import Fetcher
from app.scraping.speeds.drift import field_gaps
from app.scraping.speeds.stats import daily_row_from_raw
from app.settings import Settings


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


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
        pricing = item.get("pricing") if isinstance(item.get("pricing"), dict) else {}
        engine, quantization = item.get("owned_by"), item.get("quantization")
        entries[chute_id] = CatalogueEntry(
            chute_id=chute_id,
            name=name,
            price_input=_number(pricing.get("prompt")),
            price_output=_number(pricing.get("completion")),
            context_length=_positive_int(item.get("context_length"))
            or _positive_int(item.get("max_model_len")),
            engine=engine if isinstance(engine, str) else None,
            quantization=quantization if isinstance(quantization, str) else None,
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


def _get_json(fetcher: Fetcher, url: str, params: Mapping[str, str] | None = None) -> Any:
    body = fetcher.get_bytes(url, params)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SourceError(f"{url}: answer is not valid JSON ({exc})") from exc


def fetch_api(fetcher: Fetcher, settings: Settings, today: date) -> SourceResult:
    """Both requests of a run: the catalogue, then the last STATS_DAYS days plus today."""
    models_url = f"{settings.llm_url.rstrip('/')}/v1/models"
    errors: list[str] = []
    catalogue = parse_catalogue(_get_json(fetcher, models_url), models_url, errors)
    stats_url = f"{settings.api_url.rstrip('/')}/invocations/stats/llm"
    start = today - timedelta(days=settings.stats_days)
    params = {"start_date": start.isoformat(), "end_date": today.isoformat()}
    payload = _get_json(fetcher, stats_url, params)
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
