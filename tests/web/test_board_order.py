"""The board's ranked list kept per data version per worker (app.web.board_order, SPEC §6
"Scale"): bounded, equal to models_as_shown for every sort, read-only, and never stale
after a scrape's new data version."""

from types import MappingProxyType

import pytest

from app.clock import today_utc
from app.db import connection
from app.ranking import ORDERS, SORTS
from app.readmodel import models_as_shown
from app.web import board_order
from app.web.board_order import BoundedMemo
from tests.seed import seed, simple_model


def seed_models(db_path: str, names: list[str], tps: float = 50.0) -> None:
    catalogue, rows = [], []
    for i, name in enumerate(names):
        # Equal figures and equal names (casefolded) on purpose: ties follow the
        # catalogue's order, which every sort of the kept ranking must keep.
        entry, model_rows = simple_model(
            f"chute-{i:03d}", name, dict.fromkeys(range(8), (tps + i % 3, 500 + 100 * (i % 2)))
        )
        catalogue.append(entry)
        rows += model_rows
    seed(db_path, catalogue, rows)


def test_memo_keeps_at_most_its_size_and_evicts_before_it_computes():
    memo = BoundedMemo(2)
    made: list[tuple[str, int]] = []

    def maker(key: str):
        def make() -> str:
            made.append((key, len(memo._entries)))
            return key.upper()

        return make

    assert memo.get("a", maker("a")) == "A"
    assert memo.get("b", maker("b")) == "B"
    assert memo.get("a", maker("a")) == "A"  # kept: not made again, now most recent
    assert memo.get("c", maker("c")) == "C"  # evicts b, the least recently used
    assert memo.get("a", maker("a")) == "A"
    assert memo.get("b", maker("b")) == "B"
    # Each miss ran with fewer than `size` entries held: the new one never sits beside two.
    assert made == [("a", 0), ("b", 1), ("c", 1), ("b", 1)]


def test_every_sort_of_the_kept_ranking_equals_models_as_shown(db_path):
    seed_models(db_path, ["Alpha", "alpha", "Beta", "beta", "Gamma", "ALPHA", "Delta"])
    today = today_utc()
    conn = connection.connect(db_path)
    try:
        for sort in SORTS:
            for order in (None, *ORDERS):
                kept = board_order.board_order(
                    conn, db_path, min_requests=100, sort=sort, order=order, today=today
                )
                fresh = models_as_shown(conn, min_requests=100, sort=sort, order=order, today=today)
                assert [dict(m) for m in kept.models] == fresh, (sort, order)
                assert all(isinstance(m, MappingProxyType) for m in kept.models)
    finally:
        conn.close()


def test_kept_models_are_read_only(db_path):
    seed_models(db_path, ["Alpha", "Beta"])
    conn = connection.connect(db_path)
    try:
        kept = board_order.board_order(
            conn, db_path, min_requests=100, sort="rank", order=None, today=today_utc()
        )
    finally:
        conn.close()
    with pytest.raises(TypeError):
        kept.models[0]["rank"] = 99  # type: ignore[index]


def test_a_new_data_version_is_shown_at_once(make_app, db_path):
    seed_models(db_path, ["Alpha-Old"])
    client = make_app(CACHE_TYPE="NullCache").test_client()
    assert "Alpha-Old" in client.get("/").get_data(as_text=True)
    seed_models(db_path, ["Alpha-Old", "Zeta-New"])  # a scrape: a new data version
    body = client.get("/").get_data(as_text=True)
    assert "Zeta-New" in body


def test_the_page_rows_do_not_change_the_kept_ranking(make_app, db_path):
    """The board formats copies of its page's rows: a later request sees the ranking as
    it was ranked, whatever an earlier one added to its rows."""
    seed_models(db_path, ["Alpha", "Beta", "Gamma"])
    client = make_app(CACHE_TYPE="NullCache").test_client()
    first = client.get("/?sort=tps&view=table").get_data(as_text=True)
    client.get("/?sort=ttft&tokens=4000").get_data(as_text=True)
    assert client.get("/?sort=tps&view=table").get_data(as_text=True) == first
