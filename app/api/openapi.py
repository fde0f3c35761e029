"""The OpenAPI 3.1 description of /api, built from the same constants the code checks."""

from functools import cache
from typing import Any

from app.api.params import DEFAULT_EVENTS, MAX_EVENTS, MAX_LIMIT, MAX_QUERY_LENGTH
from app.api.serialise import HISTORY_FIELDS, MODEL_FIELDS, PROBE_OBJECT_FIELDS
from app.methodology import (
    EVENT_KINDS,
    FIRST_SCRAPE,
    MAX_MIN_REQUESTS,
    OFTEN_RATE_LIMITED_SHARE,
    RANK_WINDOW_DAYS,
    SPEED_CHANGE_THRESHOLD,
    SPEED_CHANGE_WINDOW_DAYS,
    UNRANKED_BUSY_WITHOUT_SPEED,
    UNRANKED_NO_SPEED,
    UNRANKED_NOT_LISTED,
    UNRANKED_REASONS,
    UNRANKED_TOO_LITTLE_TRAFFIC,
    percent,
)
from app.plumbing.converters import MAX_CHUTE_ID_LENGTH
from app.probe_figures import PROBE_FIELDS
from app.ranking import DEFAULT_SORT, ORDERS, SORTS
from app.readmodel import EVENT_FIELDS
from app.settings import Settings

# The path parameter of every /api/models/{chute_id}... path.
CHUTE_ID_PARAMETER = {
    "name": "chute_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_CHUTE_ID_LENGTH},
}


def _nullable(kind: str, **extra: Any) -> dict:
    return {"type": [kind, "null"], **extra}


LINEAGE_RULE = (
    "chutes.ai moves models to new chutes (Qwen/Qwen3-32B -> Qwen/Qwen3-32B-TEE, a new"
    " chute_id) whose history starts at zero. A model's predecessor is a model no longer in"
    " the catalogue whose name equals this one's with a trailing -TEE removed"
    " (case-insensitive), or one the LINEAGE setting (old chute_id -> new) names. Figures"
    " stay per chute: the predecessor's history is at /api/models/<its chute_id>."
)
LINEAGE_PROPERTIES: dict[str, dict] = {
    "predecessors": {
        "type": "array",
        "items": {"type": "string"},
        "description": (
            "chute_ids of the chutes this model moved from, oldest first; [] when none. "
            + LINEAGE_RULE
            + " In the CSV: space-separated."
        ),
    },
    "successor": _nullable(
        "string",
        description="chute_id of the chute this model moved to, or null. " + LINEAGE_RULE,
    ),
}
PRICE_ROW_SCHEMA = {
    "type": "object",
    "required": ["since", "prompt", "completion", "cache_read"],
    "description": (
        "One row of the price history: the catalogue's prices from `since` (UTC ISO-8601,"
        " the scrape that first saw them) on, USD per 1M tokens; a new row only when a price"
        " differs from the newest one (each change is a price_change event). A price"
        " unknown to that scrape is null in the model's first row and carried over after it."
    ),
    "properties": {
        "since": {"type": "string", "format": "date-time"},
        "prompt": _nullable("number", minimum=0, description="USD per 1M input tokens."),
        "completion": _nullable("number", minimum=0, description="USD per 1M output tokens."),
        "cache_read": _nullable("number", minimum=0, description="USD per 1M cached input tokens."),
    },
}

MODEL_PROPERTIES: dict[str, dict] = {
    "rank": _nullable(
        "integer",
        minimum=1,
        description=(
            "Speed rank by rank_tps (1 = fastest, ties by more requests, then name),"
            " whatever the sort or search; null when unranked (no ranked day: see"
            " unranked_reason). Like every rank field, computed when read against the"
            " current UTC day: rank, rank_tps, rank_ttft, rank_requests, rank_date and"
            " e2e_1k_s are all set or all null."
        ),
    ),
    "chute_id": {"type": "string"},
    "name": {"type": "string"},
    "latest_tps": _nullable("number", description="Output tokens/s on latest_date."),
    "latest_ttft": _nullable("number", description="Time to first token (s) on latest_date."),
    "latest_requests": _nullable("integer", minimum=0),
    "avg_7d": _nullable("number", description="Request-weighted mean TPS, 7 days."),
    "avg_30d": _nullable("number", description="Request-weighted mean TPS, 30 days."),
    "peak_tps": _nullable("number", description="Best daily TPS in 30 days (enough requests)."),
    "latest_date": _nullable("string", format="date", description="Latest UTC day with TPS."),
    "scraped_at": _nullable("string", description="When this model's rows were fetched."),
    "rank_tps": _nullable(
        "number",
        description=(
            f"Output tokens/s on the ranked day: the newest UTC day within the"
            f" {RANK_WINDOW_DAYS} ending today (UTC, when read) with known TPS and at least"
            " MIN_REQUESTS requests; null when unranked or no longer listed."
        ),
    ),
    "rank_ttft": _nullable("number", description="Time to first token (s) on the ranked day."),
    "rank_requests": _nullable("integer", minimum=0, description="Requests on the ranked day."),
    "rank_date": _nullable("string", format="date", description="The ranked day (UTC)."),
    "e2e_1k_s": _nullable(
        "number",
        description=(
            "Seconds for a 1,000-token answer on the ranked day: rank_ttft + 1000 / rank_tps."
        ),
    ),
    "unranked_reason": _nullable(
        "string",
        enum=[*UNRANKED_REASONS, None],
        description=(
            "Why rank is null (null when ranked): "
            f"{UNRANKED_NO_SPEED}: no day with speed data in the {RANK_WINDOW_DAYS} UTC days"
            f" ending today; {UNRANKED_TOO_LITTLE_TRAFFIC}: speed data only on days with"
            f" fewer than MIN_REQUESTS requests; {UNRANKED_BUSY_WITHOUT_SPEED}: days with"
            " enough requests but chutes.ai reported no speed for them;"
            f" {UNRANKED_NOT_LISTED}: no longer in the catalogue (no rank fields at all)."
        ),
    ),
    "low_sample": {
        "type": "boolean",
        "description": (
            "The latest_* figures rest on a thin day: latest_date (the newest day with"
            " TPS) had fewer than MIN_REQUESTS requests. About latest_* only: the ranked"
            " day (rank_*) has at least MIN_REQUESTS requests by definition. False when"
            " there is no TPS data."
        ),
    },
    "partial_day": {"type": "boolean", "description": "latest_date is today (UTC)."},
    "price_input": _nullable("number", description="USD per 1M prompt tokens."),
    "price_output": _nullable("number", description="USD per 1M completion tokens."),
    "context_length": _nullable("integer"),
    "engine": _nullable("string"),
    "quantization": _nullable("string"),
    "active": {"type": "boolean", "description": "Still in the chutes.ai catalogue."},
    "instances": _nullable(
        "integer",
        minimum=0,
        description="Active instances in the newest autoscaler snapshot (at capacity_at).",
    ),
    "utilization_1h": _nullable(
        "number",
        minimum=0,
        maximum=1,
        description="Share 0-1: mean busy share of the instances over the hour before capacity_at.",
    ),
    "rate_limited_1h": _nullable(
        "number",
        minimum=0,
        maximum=1,
        description="Share 0-1 of the requests refused (rate-limited) in the hour before"
        " capacity_at.",
    ),
    "rate_limited_24h": _nullable(
        "number",
        minimum=0,
        maximum=1,
        description=(
            "Share 0-1 of requests refused over the 24 h ending at capacity_at: sum of the"
            " snapshots' rate-limited 1-hour counts / sum of their total 1-hour counts; null"
            " when no requests were seen. A share of requests refused, not an uptime."
        ),
    ),
    "often_rate_limited": {
        "type": "boolean",
        "description": f"rate_limited_24h is at least {OFTEN_RATE_LIMITED_SHARE}.",
    },
    "capacity_at": _nullable(
        "string",
        format="date-time",
        description="UTC ISO-8601 time of the newest autoscaler snapshot (upstream's clock).",
    ),
    **LINEAGE_PROPERTIES,
}
assert tuple(MODEL_PROPERTIES) == MODEL_FIELDS, "keep the documented fields in step"

# Own probes (SPEC §5, §7): present only when probes are on, so never required.
PROBE_PROPERTIES: dict[str, dict] = {
    **{
        field: _nullable(
            "integer" if "_n_" in field else "number",
            description=(
                "Own probes (one client, one place; present only when probes are on):"
                f" {field.removeprefix('probe_')} over the window its suffix names."
                " Percentiles need at least 5 ok probes, else null."
            ),
        )
        for field in PROBE_FIELDS
        if field != "probe_at"
    },
    "probe_at": _nullable("string", format="date-time", description="The newest probe."),
}
PROBE_SCHEMA = {
    "type": "object",
    "required": list(PROBE_OBJECT_FIELDS),
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "outcome": {
            "type": "string",
            "enum": ["ok", "rate_limited", "http_error", "timeout", "bad_stream"],
        },
        "http_status": _nullable("integer"),
        "ttft_s": _nullable("number"),
        "tps": _nullable("number"),
        "output_tokens": _nullable("integer"),
        "total_s": _nullable("number"),
    },
}

RUN_SCHEMA = {
    "type": ["object", "null"],
    "required": ["id", "started_at", "finished_at", "source", "status"],
    "properties": {
        "id": {"type": "integer"},
        "started_at": {"type": "string"},
        "finished_at": _nullable("string"),
        "source": _nullable("string"),
        "status": {"type": "string", "enum": ["ok", "partial", "failed", "skipped"]},
        "models_updated": {"type": "integer"},
        "errors": {"type": "integer"},
        "message": _nullable("string"),
    },
}

EVENT_SCHEMA = {
    "type": "object",
    "required": list(EVENT_FIELDS),
    "properties": {
        "id": {"type": "integer", "description": "Stable; higher is newer."},
        "kind": {
            "type": "string",
            "enum": list(EVENT_KINDS),
            "description": (
                f"{FIRST_SCRAPE}: the first scrape (chute_id null). speed_change: the"
                f" request-weighted TPS of the {SPEED_CHANGE_WINDOW_DAYS} complete UTC days"
                f" ending yesterday differs by {percent(SPEED_CHANGE_THRESHOLD)}% or more from"
                f" the {SPEED_CHANGE_WINDOW_DAYS} before (both with at least"
                f" {SPEED_CHANGE_WINDOW_DAYS} x MIN_REQUESTS requests); one per episode (a run"
                " of days on one side of the line, one direction): upstream revising its"
                " numbers so the episode's first day moves does not announce it again, and"
                f" at most one per model and direction in {SPEED_CHANGE_WINDOW_DAYS} days"
                " unless the direction flips. rate_limited /"
                f" rate_limited_cleared: rate_limited_24h crossed {OFTEN_RATE_LIMITED_SHARE}."
                " price_change: a catalogue price (prompt, completion or cache-read, USD per"
                " 1M tokens) differs from the model's newest price row, any amount; detail:"
                " changed (the prices that moved), before, after, since."
                " probe_failing / probe_recovered (own probes on only): a model's last 3"
                " probes all failed / its next ok probe."
            ),
        },
        "chute_id": _nullable("string"),
        "name": _nullable("string", description="The model's name when it happened."),
        "at": {"type": "string", "format": "date-time", "description": "UTC, when found."},
        "summary": {"type": "string", "description": "One human line with the numbers."},
        "detail": {"type": "object", "description": "The numbers (tok/s, shares 0-1)."},
    },
}
EVENT_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "At most this many events, newest first.",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_EVENTS,
            "default": DEFAULT_EVENTS,
        },
    },
    {
        "name": "chute_id",
        "in": "query",
        "required": False,
        "description": "Only this model's events.",
        "schema": {"type": "string", "maxLength": MAX_CHUTE_ID_LENGTH},
    },
]

LIST_PARAMETERS = [
    {
        "name": "sort",
        "in": "query",
        "required": False,
        "description": "Sort key. Models without the figure are always last.",
        "schema": {"type": "string", "enum": list(SORTS), "default": DEFAULT_SORT},
    },
    {
        "name": "order",
        "in": "query",
        "required": False,
        "description": "Direction; defaults to the key's natural one (ttft and name: asc).",
        "schema": {"type": "string", "enum": list(ORDERS)},
    },
    {
        "name": "q",
        "in": "query",
        "required": False,
        "description": "Search words matched in name or chute_id; filters, keeps ranks.",
        "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "At most this many models (after q).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    },
    {
        "name": "min_requests",
        "in": "query",
        "required": False,
        "description": (
            "Raise the ranking gate: ranks are recomputed among the models whose ranked day"
            " has at least this many requests (the others unranked). At least MIN_REQUESTS,"
            " its default."
        ),
        # The documented floor is MIN_REQUESTS's default; a site configured otherwise
        # answers 400 below its own (the error names it).
        "schema": {
            "type": "integer",
            "minimum": Settings.min_requests,
            "maximum": MAX_MIN_REQUESTS,
        },
    },
]

VALIDATOR_HEADERS = {
    "ETag": {"schema": {"type": "string"}},
    "Last-Modified": {"schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, content: dict) -> dict:
    return {"description": description, "headers": VALIDATOR_HEADERS, "content": content}


def _json_of(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


NOT_MODIFIED = {"description": "Not modified (If-None-Match / If-Modified-Since matched)."}


@cache
def document() -> dict:
    """The whole OpenAPI document (built once)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chutes TPS Leaderboard API",
            "version": "1.0.0",
            "description": (
                "Read-only speed figures of the LLMs on chutes.ai, refreshed every 10"
                " minutes. Unknown query parameters are ignored; known ones are validated"
                " strictly (400 naming the parameter)."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/models": {
                "get": {
                    "operationId": "listModels",
                    "summary": "The leaderboard (by latest TPS, no-data last, by default).",
                    "parameters": LIST_PARAMETERS,
                    "responses": {
                        "200": _ok(
                            "Ranked models.",
                            _json_of(
                                {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}
                            ),
                        ),
                        "304": NOT_MODIFIED,
                        "400": _error("An invalid query parameter (named in the body)."),
                    },
                }
            },
            "/api/models.csv": {
                "get": {
                    "operationId": "listModelsCsv",
                    "summary": "The same table as /api/models, as CSV with a header row.",
                    "parameters": LIST_PARAMETERS,
                    "responses": {
                        "200": _ok("CSV table.", {"text/csv": {"schema": {"type": "string"}}}),
                        "304": NOT_MODIFIED,
                        "400": _error("An invalid query parameter (named in the body)."),
                    },
                }
            },
            "/api/models/{chute_id}": {
                "get": {
                    "operationId": "getModel",
                    "summary": (
                        "One model with its daily history (oldest day first), events and"
                        " price history (prices, oldest first)."
                    ),
                    "parameters": [CHUTE_ID_PARAMETER],
                    "responses": {
                        "200": _ok(
                            "The model.", _json_of({"$ref": "#/components/schemas/ModelDetail"})
                        ),
                        "304": NOT_MODIFIED,
                        "404": _error("No model with this chute_id."),
                    },
                }
            },
            "/api/models/{chute_id}/probes": {
                "get": {
                    "operationId": "getModelProbes",
                    "summary": "The model's own probes of the last 7 days, newest first.",
                    "parameters": [CHUTE_ID_PARAMETER],
                    "responses": {
                        "200": _ok(
                            "The probes.",
                            _json_of(
                                {"type": "array", "items": {"$ref": "#/components/schemas/Probe"}}
                            ),
                        ),
                        "304": NOT_MODIFIED,
                        "404": _error("Probes are off, or no model with this chute_id."),
                    },
                }
            },
            "/api/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "What changed (the Atom feed's events), newest first.",
                    "parameters": EVENT_PARAMETERS,
                    "responses": {
                        "200": _ok(
                            "Events.",
                            _json_of(
                                {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
                            ),
                        ),
                        "304": NOT_MODIFIED,
                        "400": _error("An invalid query parameter (named in the body)."),
                    },
                }
            },
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Data freshness for monitors: 503 when stale, empty or failing.",
                    "responses": {
                        "200": {
                            "description": "Fresh data.",
                            "content": _json_of({"$ref": "#/components/schemas/Health"}),
                        },
                        "503": {
                            "description": "Stale (no good scrape for 2 intervals), empty,"
                            " failing (the newest scrape failed and the database could not"
                            " record it), or unavailable (the database cannot be read).",
                            "content": _json_of({"$ref": "#/components/schemas/Health"}),
                        },
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": _ok("OpenAPI 3.1 document.", _json_of({"type": "object"})),
                        "304": NOT_MODIFIED,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Model": {
                    "type": "object",
                    "required": list(MODEL_FIELDS),
                    "properties": {**MODEL_PROPERTIES, **PROBE_PROPERTIES},
                },
                "DailyRow": {
                    "type": "object",
                    "required": list(HISTORY_FIELDS),
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "requests": _nullable("integer", minimum=0),
                        "input_tokens": _nullable("integer", minimum=0),
                        "output_tokens": _nullable("integer", minimum=0),
                        "tps": _nullable("number"),
                        "ttft": _nullable("number"),
                        "rate_limited": _nullable(
                            "number",
                            minimum=0,
                            maximum=1,
                            description=(
                                "Share 0-1 of requests refused over the UTC day's capacity"
                                " snapshots; null without snapshots or requests."
                            ),
                        ),
                    },
                },
                "ModelDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Model"},
                        {
                            "type": "object",
                            "required": ["history", "events", "prices"],
                            "properties": {
                                "prices": {
                                    "type": "array",
                                    "description": "The price history, oldest first.",
                                    "items": {"$ref": "#/components/schemas/PriceRow"},
                                },
                                "history": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/DailyRow"},
                                },
                                "events": {
                                    "type": "array",
                                    "description": "The model's events, newest first.",
                                    "items": {"$ref": "#/components/schemas/Event"},
                                },
                            },
                        },
                    ]
                },
                "PriceRow": PRICE_ROW_SCHEMA,
                "Event": EVENT_SCHEMA,
                "Probe": PROBE_SCHEMA,
                "Run": RUN_SCHEMA,
                "Health": {
                    "type": "object",
                    "required": [
                        "status",
                        "models",
                        "models_with_data",
                        "last_run",
                        "last_good_run",
                        "stale_after_seconds",
                        "upstream_changed_at",
                        "upstream_frozen",
                        "upstream_frozen_after_seconds",
                        "capacity",
                        "probes",
                    ],
                    "properties": {
                        "probes": {
                            "description": (
                                '"off", or the last probe run\'s time and status (own probes).'
                            ),
                            "oneOf": [
                                {"type": "string", "const": "off"},
                                {
                                    "type": "object",
                                    "properties": {
                                        "last_run_at": {"type": "string"},
                                        "status": {"type": "string"},
                                    },
                                },
                            ],
                        },
                        "status": {
                            "type": "string",
                            "enum": ["ok", "stale", "empty", "failing", "unavailable"],
                        },
                        # Only with `unavailable` or `failing`: a short reason; with
                        # `unavailable` also the error text the other endpoints answer with.
                        "reason": {"type": "string"},
                        "error": {"type": "string"},
                        "failing": {
                            "type": "object",
                            "description": (
                                "Only when the newest scrape failed and the database could not"
                                " record it (disk full, read-only, missing, corrupt), read from"
                                " the scraper's runtime status file: since when (the first of"
                                " such failures in a row), the newest one's time, the public"
                                " reason, and both in one line (`failing since 21:31 UTC:"
                                " database or disk is full`)."
                            ),
                            "required": ["since", "at", "message", "summary"],
                            "properties": {
                                "since": {"type": "string", "format": "date-time"},
                                "at": {"type": "string", "format": "date-time"},
                                "message": {"type": "string"},
                                "summary": {"type": "string"},
                            },
                        },
                        "models": {"type": "integer", "minimum": 0},
                        "models_with_data": {"type": "integer", "minimum": 0},
                        "last_run": {"$ref": "#/components/schemas/Run"},
                        "last_good_run": {"$ref": "#/components/schemas/Run"},
                        "stale_after_seconds": {"type": "integer"},
                        "upstream_changed_at": _nullable(
                            "string",
                            format="date-time",
                            description=(
                                "When a scrape last saw chutes.ai's stats answer change (a"
                                " fingerprint of its rows for yesterday and today, UTC)."
                                " chutes.ai serves its stats from a cache that never expires"
                                " and refreshes it every ~10 minutes, so a stopped upstream"
                                " looks fresh; null before the first scrape."
                            ),
                        ),
                        "upstream_frozen": {
                            "type": "boolean",
                            "description": (
                                "True when scrapes succeed (status ok) but"
                                " `upstream_changed_at` is older than"
                                " `upstream_frozen_after_seconds`: chutes.ai's figures have"
                                " stopped moving. Reported, not a 503: this service is fine."
                            ),
                        },
                        "upstream_frozen_after_seconds": {"type": "integer"},
                        "capacity": {
                            "type": "object",
                            "description": (
                                "Capacity's own freshness (newest autoscaler snapshot). Its"
                                " staleness alone does not make this endpoint answer 503."
                            ),
                            "required": ["status", "stale", "capacity_at", "stale_after_seconds"],
                            "properties": {
                                "status": {
                                    "type": "string",
                                    "enum": ["ok", "stale", "empty", "unavailable"],
                                },
                                "stale": {"type": "boolean"},
                                "capacity_at": _nullable("string", format="date-time"),
                                "stale_after_seconds": {"type": "integer"},
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {
                        "error": {"type": "string"},
                        "status": {"type": "integer"},
                        "parameter": {
                            "type": "string",
                            "enum": ["sort", "order", "q", "limit", "min_requests", "chute_id"],
                        },
                    },
                },
            }
        },
    }
