"""The web-pages source (fallback to the JSON API): chutes.ai's SvelteKit pages.

The catalogue comes from `/app`, the daily rows from each chute's stats page. A stats
page may carry every chute's rows, so a run harvests all of them and skips pages for
chutes it already has; at most BATCH_SIZE pages a run, resuming where the last run
stopped (SPEC §2 B).
"""

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from app.rows import CatalogueEntry, DailyRow
from app.scraping.sources import SourceError, SourceResult
from app.scraping.sources.devalue import DevalueError
from app.scraping.sources.http import Fetcher
from app.scraping.sources.sveltekit import data_json_values, extract_page_data
from app.scraping.stats import daily_row_from_raw

log = logging.getLogger(__name__)

CHUTE_KEYS = ("chute_id", "name", "standard_template")


def walk_dicts(values: Any) -> Iterator[dict]:
    """Every dict reachable from values, in document order, each once (hoisted data
    shares objects and may even cycle)."""
    seen: set[int] = set()
    stack = [iter((values,))]
    while stack:
        for item in stack[-1]:
            kind = type(item)
            if kind is str or kind is int or kind is float or item is None:
                continue  # the common leaves, checked cheaply first
            if isinstance(item, dict | list):
                if id(item) in seen:
                    continue
                seen.add(id(item))
                if isinstance(item, dict):
                    yield item
                    stack.append(iter(item.values()))
                else:
                    stack.append(iter(item))
                break
        else:
            stack.pop()


def _price(chute: dict, side: str) -> float | None:
    value: Any = chute.get("current_estimated_price")
    for key in ("per_million_tokens", side, "usd"):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _engine(chute: dict) -> str | None:
    image = chute.get("image")
    name = image.get("name") if isinstance(image, dict) else image
    if not isinstance(name, str):
        return None
    name = name.lower()
    # SGLang chutes carry standard_template "vllm" too; the image tells them apart.
    for engine in ("sglang", "vllm"):
        if name.startswith(engine):
            return engine
    return None


def catalogue_from_values(values: list[Any]) -> list[CatalogueEntry]:
    """The vllm-template chutes among decoded page data, first occurrence of each id."""
    entries: dict[str, CatalogueEntry] = {}
    for item in walk_dicts(values):
        if not all(key in item for key in CHUTE_KEYS) or item["standard_template"] != "vllm":
            continue
        chute_id, name = item["chute_id"], item["name"]
        if not isinstance(chute_id, str) or not chute_id or not isinstance(name, str):
            continue
        if chute_id not in entries:
            entries[chute_id] = CatalogueEntry(
                chute_id=chute_id,
                name=name,
                price_input=_price(item, "input"),
                price_output=_price(item, "output"),
                engine=_engine(item),
            )
    return list(entries.values())


def parse_catalogue(html: str) -> list[CatalogueEntry]:
    """The LLM chutes listed on the `/app` page (DevalueError if it has no data)."""
    return catalogue_from_values(extract_page_data(html))


def parse_stats_rows(values: list[Any]) -> list[DailyRow]:
    """Every cleaned daily row among decoded page data; one per (chute, day), first wins."""
    rows: dict[tuple[str, str], DailyRow] = {}
    for item in walk_dicts(values):
        if "average_tps" not in item or "chute_id" not in item or "date" not in item:
            continue
        day = item["date"]
        if isinstance(day, datetime | date):  # a `new Date(…)` rather than a string
            item = {**item, "date": day.isoformat()}
        row = daily_row_from_raw(item)
        if row is not None:
            rows.setdefault((row.chute_id, row.date), row)
    return list(rows.values())


def parse_stats_page(html: str) -> list[DailyRow]:
    """The daily rows in a stats page's embedded data (DevalueError if it has none)."""
    return parse_stats_rows(extract_page_data(html))


def parse_data_json(text: str) -> list[DailyRow]:
    """The daily rows in a `…/__data.json` answer (devalue stringify nodes)."""
    return parse_stats_rows(data_json_values(text))


def _page_values(fetcher: Fetcher, url: str, json_url: str, expected: str) -> tuple[list[Any], str]:
    """A page's decoded data and the URL it came from; the same route's __data.json is
    the fallback when the HTML holds no usable data. SourceError names both URLs."""
    html = fetcher.get_text(url)  # SourceError names the URL
    try:
        return extract_page_data(html), url
    except DevalueError as exc:
        try:
            return data_json_values(fetcher.get_text(json_url)), json_url
        except (SourceError, DevalueError) as json_exc:
            raise SourceError(
                f"{url}: {exc}; {json_url} failed too ({json_exc}); expected {expected}"
            ) from exc


def _fetch_catalogue(fetcher: Fetcher, web: str) -> list[CatalogueEntry]:
    url = f"{web}/app"
    values, url = _page_values(
        fetcher, url, f"{url}/__data.json", "SvelteKit page data listing the chutes"
    )
    catalogue = catalogue_from_values(values)
    if not catalogue:
        raise SourceError(
            f"{url}: no chutes with standard_template 'vllm' found in the page data, "
            "expected the catalogue of LLM chutes"
        )
    return catalogue


def _fetch_stats(fetcher: Fetcher, web: str, chute_id: str) -> list[DailyRow]:
    """One chute's stats page as rows; SourceError naming the URL when it yields none."""
    page = f"{web}/app/chute/{chute_id}"
    values, url = _page_values(
        fetcher, f"{page}?tab=stats", f"{page}/__data.json", "SvelteKit page data with daily rows"
    )
    rows = parse_stats_rows(values)
    if not rows:
        raise SourceError(
            f"{url}: no daily stats rows found, expected rows with chute_id, date, average_tps"
        )
    return rows


def fetch_pages(
    fetcher: Fetcher,
    config: Mapping[str, Any],
    *,
    offset: int,
    fetch_all: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SourceResult:
    """One run of the web-pages source: the catalogue, then a batch of stats pages.

    Raises SourceError when the catalogue fails or every page attempted failed.
    """
    web = str(config["WEB_URL"]).rstrip("/")
    catalogue = sorted(_fetch_catalogue(fetcher, web), key=lambda entry: entry.chute_id)
    ids = [entry.chute_id for entry in catalogue]
    count = len(ids)
    start = offset % count
    limit = count if fetch_all else max(0, int(config["BATCH_SIZE"]))
    total = min(limit, count)
    harvested: dict[tuple[str, str], DailyRow] = {}
    have: set[str] = set()
    errors: list[str] = []
    fetched = visited = 0
    for step in range(count):
        chute_id = ids[(start + step) % count]
        if chute_id in have:
            # Free: an earlier page this run carried this chute's rows.
            visited += 1
            continue
        if fetched >= limit:
            break
        visited += 1
        fetched += 1
        try:
            rows = _fetch_stats(fetcher, web, chute_id)
        except SourceError as exc:
            log.warning("skipping a stats page: %s", exc)
            errors.append(str(exc))
            rows = []
        for row in rows:
            # A later page's copy of a (chute, day) is fresher.
            harvested[(row.chute_id, row.date)] = row
            have.add(row.chute_id)
        if progress is not None:
            progress(fetched, total)
    if fetched and not harvested:
        raise SourceError(
            f"all {fetched} stats pages failed, first error: {errors[0]}"
            if errors
            else f"{fetched} stats pages gave no rows"
        )
    return SourceResult(
        source="html",
        catalogue=catalogue,
        rows=list(harvested.values()),
        refreshed=have,
        errors=errors,
        next_offset=offset if fetch_all else (offset + visited) % count,
    )
