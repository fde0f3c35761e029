"""The board's order of every model, kept once per data version per worker (SPEC §6
"Scale": the ranked list is cached once per data version).

Ranking 10,000 models (their rank-window rows read, every rank field computed) costs a
few hundred milliseconds; the board shows at most BOARD_LIMIT of them. So the ranked,
sorted list and everything the board derives from all models (speed-rank positions,
groups, hero figures, the search's casefolded names) is computed once for a
(database, data version, UTC day, min_requests, sort, order) and kept in a small bounded
memo; a request then only filters, slices and formats its page. Two levels: the
ranking per (database, data version, day, min_requests), the heavy part, and per
ranking its (sort, order) views, sorted from it and sharing its models (each equals
models_as_shown with that sort, ties included). The models handed out are read-only
views (MappingProxyType): the board copies the page's rows before it adds to them.
"""

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from app.db import files as db_files
from app.ranking import hero_figures, sort_models
from app.readmodel import models_ranked
from app.web import table

CATALOGUES_KEPT = 1
# (sort, order) views kept per ranking: each holds references to the ranking's models
# (~1 MB at 10,000 models: its tuples and positions), not copies.
ORDERS_KEPT = 16
RANKED, UNRANKED, NO_DATA = "ranked", "unranked", "no_data"

Model = Mapping[str, Any]


@dataclass(frozen=True)
class BoardOrder:
    """Every active model as the board orders it, and the figures of all of them."""

    models: tuple[Model, ...]  # models_as_shown, in the requested sort (unfiltered)
    ordered: tuple[Model, ...]  # the board's order: ranked, unranked, no speed data
    groups: tuple[str, ...]  # RANKED / UNRANKED / NO_DATA of each of `ordered`
    position: Mapping[str, int]  # the speed-rank order's place of every model
    names: tuple[tuple[str, str, str], ...]  # (chute_id, name, chute_id) casefolded
    hero: Mapping[str, Any]
    peak_model: Model | None
    leader: str | None

    def matches(self, query: str) -> frozenset[str]:
        """The chute_ids whose name or chute_id contains every word of `query`
        (case-insensitive): app.ranking.filter_models on the kept casefolded names."""
        words = query.casefold().split()
        return frozenset(
            chute_id
            for chute_id, name, folded_id in self.names
            if all(w in name or w in folded_id for w in words)
        )


class BoundedMemo:
    """A least-recently-used map of at most `size` entries; safe across threads (two
    threads may compute the same entry at once: the last one stored wins, both right).
    A miss evicts before it computes, so a full memo never holds `size` entries beside
    the new one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            while len(self._entries) >= self.size:
                self._entries.popitem(last=False)
        value = make()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class Catalogue:
    """One ranking of every active model (one min_requests, one day, one data version)
    in the catalogue's order, kept privately, and the board orders sorted from it."""

    ranked: list[dict]
    names: tuple[tuple[str, str, str], ...]
    orders: BoundedMemo


# A ranking holds every model (~25 MB at 10,000), so a worker keeps one: that of the
# min_requests last asked for (the default, nearly always). Another min_requests
# replaces it, dropped first, so a worker never holds two (SPEC §6: peak <= 80 MB);
# every (sort, order) view shares it.
CATALOGUES = BoundedMemo(CATALOGUES_KEPT)


def board_order(
    conn: sqlite3.Connection,
    database: str,
    *,
    min_requests: int,
    sort: str,
    order: str | None,
    today: str,
) -> BoardOrder:
    """The board's order for this data version, from the memo when it has it. Before the
    first scrape (no version file) nothing names the data, so nothing is kept."""

    def make() -> Catalogue:
        ranked = models_ranked(conn, min_requests=min_requests, today=today)
        names = tuple(
            (m["chute_id"], m["name"].casefold(), m["chute_id"].casefold()) for m in ranked
        )
        return Catalogue(ranked=ranked, names=names, orders=BoundedMemo(ORDERS_KEPT))

    def sorted_order(catalogue: Catalogue) -> BoardOrder:
        return catalogue.orders.get(
            (sort, order),
            lambda: build_order(
                sort_models(catalogue.ranked, sort, order),
                names=catalogue.names,
                sort=sort,
                order=order,
            ),
        )

    version = db_files.data_version(database)
    if version == db_files.NO_VERSION:
        return sorted_order(make())
    return sorted_order(CATALOGUES.get((database, version, today, min_requests), make))


def build_order(
    ranked: list[dict], *, names: tuple[tuple[str, str, str], ...], sort: str, order: str | None
) -> BoardOrder:
    """Pure: the board's order of `ranked` (models_as_shown in `sort` order).
    Models with speed data follow `sort` (on the figure the board shows for tps, ttft
    and requests: table.BOARD_FIELDS), ranked ones first, then the unranked; then those
    without speed data."""
    models = tuple(MappingProxyType(m) for m in ranked)
    with_speed = [m for m in models if m.get("latest_tps") is not None]
    no_data = [m for m in models if m.get("latest_tps") is None]
    if sort in table.BOARD_FIELDS:
        field = table.BOARD_FIELDS[sort]
        keyed = [
            {"name": m["name"], field: table.shown_figures(m)[field], "m": m} for m in with_speed
        ]
        with_speed = [k["m"] for k in sort_models(keyed, sort, order, field=field)]
    ranked_first = [m for m in with_speed if m.get("rank")]
    unranked = [m for m in with_speed if not m.get("rank")]
    ordered = (*ranked_first, *unranked, *no_data)
    groups = (RANKED,) * len(ranked_first) + (UNRANKED,) * len(unranked)
    groups += (NO_DATA,) * len(no_data)
    with_peak = [m for m in models if m.get("peak_tps") is not None]
    return BoardOrder(
        models=models,
        ordered=ordered,
        groups=groups,
        position={m["chute_id"]: i for i, m in enumerate(sort_models(ranked, "rank"), start=1)},
        names=names,
        hero=MappingProxyType(hero_figures(ranked)),
        peak_model=max(with_peak, key=lambda m: m["peak_tps"]) if with_peak else None,
        leader=next((m["chute_id"] for m in models if m.get("rank") == 1), None),
    )
