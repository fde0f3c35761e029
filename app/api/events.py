"""GET /api/events: the feed's events as JSON, newest first (SPEC §7)."""

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Response, request
from werkzeug.datastructures import MultiDict

from app.api.params import DEFAULT_EVENTS, MAX_EVENTS, parse_limit, single_value
from app.api.routes import JSON, bp, last_good_finished
from app.db import flaskdb
from app.plumbing.bodies import Body, cached_body, conditional_response, json_body, make_body
from app.plumbing.cache import query_key
from app.plumbing.converters import MAX_CHUTE_ID_LENGTH
from app.readmodel import events_as_shown


@dataclass(frozen=True)
class EventParams:
    limit: int = DEFAULT_EVENTS
    chute_id: str | None = None

    @property
    def cache_key(self) -> str:
        """The normalised parameters, percent-encoded like every cache key (app.plumbing.cache)."""
        return query_key([("limit", str(self.limit)), ("chute_id", self.chute_id or "")])


def parse_event_params(args: Mapping[str, str]) -> EventParams:
    """Validated limit (1..MAX_EVENTS) and chute_id; raises ParamError naming the parameter."""
    if not isinstance(args, MultiDict):
        args = MultiDict(args)
    limit = parse_limit(args, MAX_EVENTS)
    chute_id = single_value(args, "chute_id", MAX_CHUTE_ID_LENGTH)
    return EventParams(limit=limit or DEFAULT_EVENTS, chute_id=chute_id or None)


def _events_body(params: EventParams) -> Body:
    conn = flaskdb.get_db()
    events = events_as_shown(conn, params.limit, params.chute_id)
    return make_body(json_body(events), JSON, last_good_finished(conn))


@bp.get("/events", provide_automatic_options=False)
def events() -> Response:
    params = parse_event_params(request.args)
    return conditional_response(
        cached_body(f"events?{params.cache_key}", lambda: _events_body(params))
    )
