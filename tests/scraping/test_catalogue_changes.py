"""Catalogue changes: renamed, departed and returning models keep their history, through
the real scraper against the chutes.ai stand-in (tests/standin/) and the site after it.
"""

import re
from datetime import UTC, datetime
from functools import partial

import pytest

from tests import helpers
from tests.conftest import new_app
from tests.helpers import FAST_BOUNDED, edited, history, ids_with_rows, model_row
from tests.standin import Dataset, make_upstream_app, serve

TODAY = datetime.now(UTC).date()
# Scrapes in these tests must be quick: no politeness delay, few and short retries.
scrape = partial(helpers.scrape, fast=FAST_BOUNDED)


BASE_DATASET = Dataset.synthetic(12, today=TODAY, seed=11)


# --- data drift: renames, departures, returns ---------------------------------------------


def site_listing(db_path: str) -> tuple[list[str], str]:
    """The chute_ids /api/models lists and the HTML of /, as a fresh worker serves them."""
    client = new_app({"DATABASE": db_path}).test_client()
    listed = [m["chute_id"] for m in client.get("/api/models").get_json()]
    return listed, client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("source", ["api", "html"])
def test_renamed_departed_and_returning_models_keep_their_history(db_path, source):
    """Rename, leave, return: one row per chute_id, its history never lost."""
    renamed_id, gone_id = ids_with_rows(BASE_DATASET)[:2]
    new_name = "acme/Renamed-Model-9000B-TEE"
    upstream_app = make_upstream_app(BASE_DATASET)
    options = {"BATCH_SIZE": 50}
    with serve(upstream_app) as base:
        assert scrape(db_path, base, source, **options).status == "ok"
        renamed_history = history(db_path, renamed_id)
        gone_history = history(db_path, gone_id)
        gone_before = model_row(db_path, gone_id)
        assert renamed_history and gone_history

        # Upstream renames one model (same chute_id) and drops another.
        upstream_app.dataset = edited(BASE_DATASET, rename={renamed_id: new_name}, drop={gone_id})
        assert scrape(db_path, base, source, **options).status == "ok"

        renamed = model_row(db_path, renamed_id)
        assert renamed["name"] == new_name and renamed["active"] == 1
        assert history(db_path, renamed_id) == renamed_history
        gone = model_row(db_path, gone_id)
        assert gone["active"] == 0
        assert history(db_path, gone_id) == gone_history
        assert gone["latest_tps"] == gone_before["latest_tps"]
        listed, page = site_listing(db_path)
        assert renamed_id in listed and gone_id not in listed
        assert new_name in page and gone_id not in page
        assert re.search(re.escape(gone_before["name"]), page) is None
        client = new_app({"DATABASE": db_path}).test_client()
        detail = client.get(f"/api/models/{gone_id}").get_json()
        assert detail["active"] is False and detail["rank"] is None
        assert len(detail["history"]) == len(gone_history)

        # It comes back: active again, whole history, listed again.
        upstream_app.dataset = edited(BASE_DATASET, rename={renamed_id: new_name})
        assert scrape(db_path, base, source, **options).status == "ok"

    back = model_row(db_path, gone_id)
    assert back["active"] == 1 and back["name"] == gone_before["name"]
    assert history(db_path, gone_id) == gone_history
    listed, page = site_listing(db_path)
    assert gone_id in listed and renamed_id in listed
    assert len(listed) == len(BASE_DATASET.models)
