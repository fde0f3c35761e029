"""The web-pages source (fallback to the JSON API): chutes.ai's SvelteKit pages.

The catalogue comes from `/app`, the daily rows from each chute's stats page. A stats
page may carry every chute's rows, so a run harvests all of them and skips pages for
chutes it already has; at most BATCH_SIZE pages a run, resuming where the last run
stopped (SPEC §2 B).
"""

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from app.rows import CatalogueEntry, DailyRow
from app.scraping.inputs import clean_name, daily_row_from_raw, is_chute_id, number
from app.scraping.sources import SourceError, SourceResult
from app.scraping.sources.devalue import DevalueError
from app.scraping.sources.http import Fetcher
from app.scraping.sources.sveltekit import data_json_values, extract_page_data
from app.scraping.speeds.drift import field_gaps
from app.settings import Settings

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
    return number(value)


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


def catalogue_from_values(
    values: list[Any], errors: list[str] | None = None
) -> list[CatalogueEntry]:
    """The vllm-template chutes among decoded page data, first occurrence of each id.

    Chutes whose chute_id is not a chute id are skipped, each noted in `errors`.
    """
    entries: dict[str, CatalogueEntry] = {}
    for item in walk_dicts(values):
        if not all(key in item for key in CHUTE_KEYS) or item["standard_template"] != "vllm":
            continue
        chute_id, name = item["chute_id"], clean_name(item["name"])
        if not is_chute_id(chute_id):
            if errors is not None:
                errors.append(f"skipped a chute whose chute_id {chute_id!r:.60} is not a UUID")
            continue
        if name is None:
            continue
        if chute_id not in entries:
            entries[chute_id] = CatalogueEntry(
                chute_id=chute_id,
                name=name,
                price_input=_price(item, "input"),
                price_output=_price(item, "output"),
                engine=_engine(item),
                price_cache_read=_price(item, "input_cache_read"),
            )
    return list(entries.values())


def parse_catalogue(html: str) -> list[CatalogueEntry]:
    """The LLM chutes listed on the `/app` page (DevalueError if it has no data)."""
    return catalogue_from_values(extract_page_data(html))


# A dict is a daily row when it has these and at least one of ROW_FIGURES; keying on a
# figure rather than on `average_tps` alone lets a renamed speed field show up as drift.
ROW_KEYS = ("chute_id", "date")
ROW_FIGURES = ("average_tps", "average_ttft", "total_requests", "total_output_tokens")


def raw_stats_rows(values: list[Any]) -> list[dict]:
    """The dicts among decoded page data that are daily stats rows, as found."""
    return [
        item
        for item in walk_dicts(values)
        if all(key in item for key in ROW_KEYS) and any(key in item for key in ROW_FIGURES)
    ]


def clean_stats_rows(raw_rows: list[dict]) -> list[DailyRow]:
    """Cleaned daily rows, one per (chute, day), first wins."""
    rows: dict[tuple[str, str], DailyRow] = {}
    for item in raw_rows:
        day = item["date"]
        if isinstance(day, datetime | date):  # a `new Date(…)` rather than a string
            item = {**item, "date": day}
        row = daily_row_from_raw(item)
        if row is not None:
            rows.setdefault((row.chute_id, row.date), row)
    return list(rows.values())


def parse_stats_rows(values: list[Any]) -> list[DailyRow]:
    """Every cleaned daily row among decoded page data; one per (chute, day), first wins."""
    return clean_stats_rows(raw_stats_rows(values))


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
    except Exception as exc:  # any decoding failure: DevalueError, MemoryError, a bug
        try:
            return data_json_values(fetcher.get_text(json_url)), json_url
        except Exception as json_exc:
            raise SourceError(
                f"{url}: {_describe(exc)}; {json_url} failed too ({_describe(json_exc)});"
                f" expected {expected}"
            ) from exc


def _describe(exc: BaseException) -> str:
    """A decoding failure in one line; the type named when it is not a DevalueError."""
    if isinstance(exc, SourceError | DevalueError):
        return str(exc)
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _fetch_catalogue(fetcher: Fetcher, web: str, errors: list[str]) -> list[CatalogueEntry]:
    url = f"{web}/app"
    values, url = _page_values(
        fetcher, url, f"{url}/__data.json", "SvelteKit page data listing the chutes"
    )
    catalogue = catalogue_from_values(values, errors)
    if not catalogue:
        raise SourceError(
            f"{url}: no chutes with standard_template 'vllm' found in the page data, "
            "expected the catalogue of LLM chutes"
        )
    return catalogue


def _fetch_stats(fetcher: Fetcher, web: str, chute_id: str) -> tuple[list[DailyRow], list[dict]]:
    """One chute's stats page as cleaned and raw rows; SourceError naming the URL when
    it yields none."""
    page = f"{web}/app/chute/{chute_id}"
    values, url = _page_values(
        fetcher, f"{page}?tab=stats", f"{page}/__data.json", "SvelteKit page data with daily rows"
    )
    raw = raw_stats_rows(values)
    rows = clean_stats_rows(raw)
    if not rows:
        raise SourceError(
            f"{url}: no daily stats rows found, expected rows with chute_id, date, average_tps"
        )
    return rows, raw


def fetch_pages(
    fetcher: Fetcher,
    settings: Settings,
    *,
    offset: int,
    fetch_all: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SourceResult:
    """One run of the web-pages source: the catalogue, then a batch of stats pages.

    Raises SourceError when the catalogue fails. A page that fails in any way (HTTP,
    decoding, an exception of any kind) is that page's error: skipped, counted, and the
    batch goes on. When every page attempted failed the result holds no rows and says
    why (`failure`), but its next_offset still moves past them, so one stuck batch can
    never keep the later chutes from being fetched.
    """
    web = settings.web_url.rstrip("/")
    errors: list[str] = []
    catalogue = sorted(_fetch_catalogue(fetcher, web, errors), key=lambda entry: entry.chute_id)
    ids = [entry.chute_id for entry in catalogue]
    count = len(ids)
    start = offset % count
    limit = count if fetch_all else max(0, settings.batch_size)
    total = min(limit, count)
    harvested: dict[tuple[str, str], DailyRow] = {}
    # The raw rows behind `harvested`, one per (chute, day) as they are: every stats page
    # can carry every chute's rows, so keeping each page's copies would hold the whole
    # catalogue's history once per page (300 chutes x 31 days x 30 pages: ~270 MB).
    raw_rows: dict[tuple[str, str], dict] = {}
    have: set[str] = set()
    first_page_error: str | None = None
    fetched = visited = 0
    for step in range(count):
        chute_id = ids[(start + step) % count]
        if chute_id in have:
            # Free: an earlier page this run carried this chute's rows.
            visited += 1
            continue
        if fetched >= limit:
            break
        if fetcher.out_of_time():
            # RUN_BUDGET spent: the rest of the batch waits for the next run, which
            # starts where this one stopped (they are not counted as visited).
            errors.append(f"run time budget spent after {fetched} of {total} stats pages")
            break
        visited += 1
        fetched += 1
        try:
            rows, raw = _fetch_stats(fetcher, web, chute_id)
        except Exception as exc:  # SPEC §3: one page's failure, whatever it is
            reason = exc if isinstance(exc, SourceError) else f"{chute_id}: {_describe(exc)}"
            log.warning("skipping a stats page: %s", reason)
            errors.append(str(reason))
            first_page_error = first_page_error or str(reason)
            rows, raw = [], []
        for item in raw:
            raw_rows[(str(item.get("chute_id")), str(item.get("date")))] = item
        for row in rows:
            # A later page's copy of a (chute, day) is fresher.
            harvested[(row.chute_id, row.date)] = row
            have.add(row.chute_id)
        if progress is not None:
            progress(fetched, total)
    failure = None
    if fetched and not harvested:
        failure = (
            f"all {fetched} stats pages failed, first error: {first_page_error}"
            if first_page_error
            else f"{fetched} stats pages gave no rows"
        )
    known = set(ids)
    return SourceResult(
        source="html",
        catalogue=catalogue,
        rows=list(harvested.values()),
        refreshed=have,
        errors=errors,
        next_offset=offset if fetch_all else (offset + visited) % count,
        field_gaps=field_gaps(
            [raw for raw in raw_rows.values() if raw.get("chute_id") in known],
            [row for row in harvested.values() if row.chute_id in known],
        ),
        failure=failure,
    )
