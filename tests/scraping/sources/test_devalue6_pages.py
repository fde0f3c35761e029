"""Issue 17 item 10: pages serialised by devalue 6 decode where they are served.

devalue 6's `uneval` hoists repeated values as `(function(){let a=…;…;return …}())`. A
decoder that only knows devalue 5's `(function(a){…}({}))` fails on such a page, and the
run survives only by fetching the same route again as `__data.json`: twice the requests
against a rate-limited upstream. The real scraper against the loopback stand-in.
"""

import pytest

from tests.helpers import scrape
from tests.standin import Dataset, serve
from tests.standin.app import UpstreamApp


@pytest.mark.parametrize("form", ["hoisted", "hoisted6"])
def test_a_pages_run_decodes_each_page_once(db_path, form):
    upstream = UpstreamApp(Dataset.synthetic(5, days=31, seed=6), page_form=form)
    with serve(upstream) as base:
        outcome = scrape(db_path, base, "html", BATCH_SIZE=50)
    assert outcome.status in ("ok", "partial"), outcome.message
    pages = [path for path in upstream.requests if path.startswith("/app")]
    assert pages and not [path for path in pages if path.endswith("__data.json")], pages
    assert all(upstream.requests[path] == 1 for path in pages), upstream.requests
    assert outcome.models_updated >= 3
