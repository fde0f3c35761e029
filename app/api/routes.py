"""The read-only JSON/CSV API under /api (SPEC §7). Only GET and HEAD are routed."""

import sqlite3

from flask import Blueprint, Response, abort, current_app, request

from app import clock, upstream
from app.api.examples import documented
from app.api.health import health_payload, unavailable_payload
from app.api.params import ListParams, parse_list_params
from app.api.serialise import csv_body, history_object, model_object, price_object, probe_object
from app.db import capacity as db_capacity
from app.db import connection, flaskdb
from app.db import files as db_files
from app.db import models as model_store
from app.db import prices as price_store
from app.db import probes as probe_store
from app.db import runs as run_log
from app.plumbing.bodies import Body, cached_body, conditional_response, json_body, make_body
from app.plumbing.cache import cache, data_version, query_key
from app.plumbing.errors import UNAVAILABLE, log_database_error
from app.ranking import filter_models
from app.readmodel import (
    events_as_shown,
    lineage_as_shown,
    model_as_shown,
    models_as_shown,
    probes_on,
    recent_probes,
    with_lineage,
)

bp = Blueprint("api", __name__, url_prefix="/api")

JSON = "application/json"
CSV_FILENAME = "chutes-tps-leaderboard.csv"
# Health is polled by monitors and must notice failed runs, which don't bump the
# data version: its facts are shared per version but only for a few seconds.
HEALTH_FACTS_SECONDS = 10
# A model's events in its detail object, newest first (a model has a handful a year).
MODEL_EVENTS = 500


def _get(rule: str):
    # No automatic OPTIONS: anything but GET/HEAD gets a 405.
    return bp.get(rule, provide_automatic_options=False)


def last_good_finished(conn) -> str | None:
    run = run_log.last_run(conn, good_only=True)
    return run["finished_at"] if run else None


def _table_body(params: ListParams, fmt: str) -> Body:
    conn = flaskdb.get_db()
    # Filter after ranking so a search never renumbers the ranks.
    shown = models_as_shown(
        conn,
        min_requests=params.min_requests or int(current_app.config["MIN_REQUESTS"]),
        sort=params.sort,
        order=params.order,
    )
    rows = filter_models(shown, params.q)[: params.limit]
    rows = with_lineage(rows, lineage_as_shown(conn, current_app.config["LINEAGE"]))
    objects = [model_object(m) for m in rows]
    if fmt == "csv":
        return make_body(csv_body(objects), "text/csv", last_good_finished(conn))
    return make_body(json_body(objects), JSON, last_good_finished(conn))


def _model_body(chute_id: str) -> Body:
    conn = flaskdb.get_db()
    # Inactive models are not ranked but their pages and history stay reachable.
    model = model_as_shown(conn, chute_id, min_requests=int(current_app.config["MIN_REQUESTS"]))
    if model is None:
        abort(404, description="No model with this chute_id.")
    obj = model_object(
        {**model, **lineage_as_shown(conn, current_app.config["LINEAGE"]).of(chute_id)}
    )
    obj["history"] = [history_object(row) for row in model_store.model_history(conn, chute_id)]
    obj["events"] = events_as_shown(conn, MODEL_EVENTS, chute_id)
    obj["prices"] = [price_object(row) for row in price_store.price_history(conn, chute_id)]
    return make_body(json_body(obj), JSON, last_good_finished(conn))


@_get("/models")
def models() -> Response:
    params = parse_list_params(
        request.args, min_requests_floor=int(current_app.config["MIN_REQUESTS"])
    )
    entry = cached_body(f"models.json?{params.cache_key}", lambda: _table_body(params, "json"))
    return conditional_response(entry)


@_get("/models.csv")
def models_csv() -> Response:
    params = parse_list_params(
        request.args, min_requests_floor=int(current_app.config["MIN_REQUESTS"])
    )
    entry = cached_body(f"models.csv?{params.cache_key}", lambda: _table_body(params, "csv"))
    response = conditional_response(entry)
    response.headers["Content-Disposition"] = f'inline; filename="{CSV_FILENAME}"'
    return response


@_get("/models/<chute_id:chute_id>")
def model(chute_id: str) -> Response:
    return conditional_response(cached_body(f"model/{chute_id}", lambda: _model_body(chute_id)))


def _probes_body(chute_id: str) -> Body:
    conn = flaskdb.get_db()
    probes = recent_probes(conn)
    if not probes:
        abort(404, description="Probes are off on this site.")
    if model_store.get_model(conn, chute_id) is None:
        abort(404, description="No model with this chute_id.")
    objects = [probe_object(p) for p in probes if p["chute_id"] == chute_id]
    return make_body(json_body(objects), JSON, last_good_finished(conn))


@_get("/models/<chute_id:chute_id>/probes")
def model_probes(chute_id: str) -> Response:
    """The raw probes of the last 7 days, newest first (404 when probes are off)."""
    return conditional_response(
        cached_body(f"model/{chute_id}/probes", lambda: _probes_body(chute_id))
    )


def _health_facts() -> dict:
    key = f"api-health:{data_version()}"
    facts = cache.get(key)
    if facts is None:
        conn = flaskdb.get_db()
        # Pages read tables health would not: a damaged page there must still show here.
        # quick_check reads every page (milliseconds for this small file), at most once
        # per HEALTH_FACTS_SECONDS per worker.
        connection.check_readable(conn)
        active = model_store.list_models(conn)
        facts = {
            "models": len(active),
            "models_with_data": sum(m["latest_tps"] is not None for m in active),
            "last_run": run_log.last_run(conn),
            "last_good_run": run_log.last_run(conn, good_only=True),
            "capacity_at": db_capacity.newest_capacity_at(conn),
            "upstream_changed_at": run_log.get_meta(conn, upstream.CHANGED_AT_KEY),
        }
        cache.set(key, facts, timeout=HEALTH_FACTS_SECONDS)
    return facts


def _run_status() -> dict | None:
    """The scraper's runtime status line (read on every call: one small file)."""
    config = current_app.config
    return db_files.read_status(db_files.status_path(config["DATABASE"], config["STATUS_FILE"]))


def _recorded_at(run: dict | None) -> str | None:
    return (run.get("finished_at") or run.get("started_at")) if run else None


def _probe_health() -> str | dict:
    """ "off", or the last probe run's time and outcome (SPEC §7)."""
    try:
        conn = flaskdb.get_db()
        if not probes_on(conn):
            return "off"
        run = probe_store.last_run(conn)
    except sqlite3.Error:
        return "off"
    if run is None:
        return "off"
    return {"last_run_at": run["finished_at"] or run["started_at"], "status": run["status"]}


@_get("/health")
def health() -> Response:
    interval = int(current_app.config["SCRAPE_INTERVAL"])
    capacity_stale_after = int(current_app.config["CAPACITY_STALE_AFTER"])
    frozen_after = int(current_app.config["UPSTREAM_FROZEN_AFTER"])
    run_status = _run_status()
    try:
        facts = _health_facts()
        payload = health_payload(
            facts,
            now=clock.now(),
            scrape_interval=interval,
            capacity_stale_after=capacity_stale_after,
            failure=db_files.unrecorded_failure(run_status, _recorded_at(facts["last_run"])),
            upstream_frozen_after=frozen_after,
        )
    except sqlite3.DatabaseError as exc:
        log_database_error(exc)
        payload = unavailable_payload(
            scrape_interval=interval,
            error=UNAVAILABLE,
            capacity_stale_after=capacity_stale_after,
            failure=db_files.unrecorded_failure(run_status, None),
            upstream_frozen_after=frozen_after,
        )
    payload["probes"] = _probe_health()
    status = 200 if payload["status"] == "ok" else 503
    response = Response(json_body(payload), status, mimetype=JSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


@_get("/openapi.json")
def openapi() -> Response:
    # Its examples hold this data version's answers and curl lines with this site's origin.
    origin = request.host_url
    return conditional_response(
        cached_body(
            "openapi.json?" + query_key([("host", origin)]),
            lambda: make_body(json_body(documented(origin)), JSON, None),
        )
    )
