"""A faithful local stand-in for chutes.ai: the JSON API, the LLM API and the SvelteKit pages.

One werkzeug WSGI app answers for all three hosts (`API_URL`, `LLM_URL`, `WEB_URL` can all
point at it):

- `GET /v1/models`, `GET /invocations/stats/llm`, `GET /chutes/`, `GET /chutes/utilization`
  (JSON, like the real API);
- `GET /app`, `GET /app/chute/<chute_id>?tab=stats` (SvelteKit HTML with devalue data) and
  their `__data.json` twins (devalue `stringify` JSON).

Used by the tests, `make demo` and the benchmark. The encoders `devalue_uneval` and
`devalue_stringify` follow devalue's own source rule for rule, so the pages are what the
real serializer would print (checked byte for byte against the fixtures in
`tests/fixtures/chutes/`). Fault knobs (`UpstreamApp.faults`) imitate a misbehaving upstream.

Modules: `encoders` (devalue's `uneval` and `stringify`, JavaScript numbers), `datasets`
(Dataset, make_model_entry/make_chute/make_row, synthetic models), `pages` (SvelteKit
documents), `faults` (Fault, Faults), `app` (UpstreamApp, install, serve, config_for),
`capacity` (`/chutes/utilization`), `cli` (`__main__`). The public names are here too.

CLI: `python -m tests.standin --port 8765 [--synthetic N] [--no-fixtures]
[--page-form inline|hoisted|streamed|legacy] [--shift-to-today] [--faster-last-week N]
[--snapshots-from ISO --snapshot-step S --vary-capacity]` (the capacity snapshots' clock:
see `tests/standin/capacity.py`).
"""

from tests.standin.app import (
    RequestRecord,
    UpstreamApp,
    config_for,
    install,
    make_upstream_app,
    serve,
)
from tests.standin.capacity import UtilizationFeed, naive_timestamp
from tests.standin.datasets import (
    FIXTURE_NEWEST_DAY,
    FIXTURES,
    ROW_KEYS,
    Dataset,
    make_chute,
    make_model_entry,
    make_row,
    moved_to_new_chute,
    repriced,
    with_faster_week,
)
from tests.standin.encoders import (
    HOLE,
    UNDEFINED,
    devalue_string,
    devalue_stringify,
    devalue_uneval,
    js_number,
)
from tests.standin.faults import BODY_FAULTS, Fault, Faults
from tests.standin.pages import (
    KIT_GLOBAL,
    PAGE_FORMS,
    render_app_page,
    render_data_json,
    render_page,
    render_stats_page,
)

__all__ = [
    "BODY_FAULTS",
    "FIXTURES",
    "FIXTURE_NEWEST_DAY",
    "HOLE",
    "KIT_GLOBAL",
    "PAGE_FORMS",
    "ROW_KEYS",
    "UNDEFINED",
    "Dataset",
    "Fault",
    "Faults",
    "RequestRecord",
    "UpstreamApp",
    "UtilizationFeed",
    "config_for",
    "devalue_string",
    "devalue_stringify",
    "devalue_uneval",
    "install",
    "js_number",
    "make_chute",
    "make_model_entry",
    "make_row",
    "make_upstream_app",
    "moved_to_new_chute",
    "naive_timestamp",
    "render_app_page",
    "render_data_json",
    "render_page",
    "render_stats_page",
    "repriced",
    "serve",
    "with_faster_week",
]
