"""Query-parameter validation for the list endpoints: strict values, clear 400s."""

from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from app.methodology import MAX_MIN_REQUESTS
from app.plumbing.cache import query_key
from app.ranking import DEFAULT_SORT, ORDERS, SORTS

MAX_LIMIT = 1000
# /api/events: how many events by default, and at most.
DEFAULT_EVENTS = 50
MAX_EVENTS = 500
MAX_QUERY_LENGTH = 200
# Longest value accepted for the other parameters (all short words or numbers).
MAX_VALUE_LENGTH = 20
PARAMETERS = ("sort", "order", "q", "limit", "min_requests")


class ParamError(BadRequest):
    """A 400 that names the offending query parameter (errors.py puts it in the JSON)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(description=message)
        self.parameter = parameter


@dataclass(frozen=True)
class ListParams:
    sort: str = DEFAULT_SORT
    order: str | None = None
    q: str = ""
    limit: int | None = None
    # None: the configured MIN_REQUESTS (SPEC §7).
    min_requests: int | None = None

    @property
    def cache_key(self) -> str:
        """The normalised parameters: equivalent queries share one cache entry, and
        unknown parameters (ignored) cannot multiply entries."""
        return query_key(
            [
                ("sort", self.sort),
                ("order", self.order or ""),
                ("q", self.q),
                ("limit", str(self.limit or "")),
                ("min_requests", str(self.min_requests or "")),
            ]
        )


def _single(args: MultiDict, name: str, max_length: int) -> str | None:
    values = args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ParamError(name, f"Parameter '{name}' may be given only once.")
    if len(values[0]) > max_length:
        raise ParamError(name, f"Parameter '{name}' is longer than {max_length} characters.")
    return values[0]


def parse_limit(args: MultiDict, maximum: int) -> int | None:
    """`limit` as a whole number from 1 to `maximum`, None when absent; raises ParamError."""
    text = _single(args, "limit", MAX_VALUE_LENGTH)
    if text is None:
        return None
    # Digits only: int() alone would also take " 5", "+5" and "1_0".
    if not (text.isascii() and text.isdigit()) or not (1 <= int(text) <= maximum):
        raise ParamError("limit", f"Parameter 'limit' must be a whole number from 1 to {maximum}.")
    return int(text)


def parse_min_requests(args: MultiDict, floor: int) -> int | None:
    """`min_requests` as a whole number from `floor` (the configured MIN_REQUESTS: the
    gate can be raised, never lowered) to MAX_MIN_REQUESTS, None when absent; raises
    ParamError."""
    text = _single(args, "min_requests", MAX_VALUE_LENGTH)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or not (floor <= int(text) <= MAX_MIN_REQUESTS):
        raise ParamError(
            "min_requests",
            f"Parameter 'min_requests' must be a whole number from {floor:,} to"
            f" {MAX_MIN_REQUESTS:,}.",
        )
    return int(text)


def single_value(args: MultiDict, name: str, max_length: int) -> str | None:
    """The one value of parameter `name` (None when absent); raises ParamError."""
    return _single(args, name, max_length)


def parse_list_params(args: Mapping[str, str], *, min_requests_floor: int = 1) -> ListParams:
    """Validated sort/order/q/limit/min_requests; raises ParamError. Unknown parameters are ignored,
    so cache busters and tracking tags (utm_*) don't break shared links."""
    if not isinstance(args, MultiDict):
        args = MultiDict(args)
    sort = _single(args, "sort", MAX_VALUE_LENGTH)
    if sort is not None and sort not in SORTS:
        raise ParamError("sort", f"Parameter 'sort' must be one of: {', '.join(SORTS)}.")
    order = _single(args, "order", MAX_VALUE_LENGTH)
    if order is not None and order not in ORDERS:
        raise ParamError("order", f"Parameter 'order' must be one of: {', '.join(ORDERS)}.")
    q = _single(args, "q", MAX_QUERY_LENGTH)
    limit = parse_limit(args, MAX_LIMIT)
    min_requests = parse_min_requests(args, min_requests_floor)
    return ListParams(
        sort=sort or DEFAULT_SORT,
        order=order,
        # filter_models casefolds and splits on whitespace, so this is the same search.
        q=" ".join((q or "").casefold().split()),
        limit=limit,
        min_requests=min_requests,
    )
