"""The response cache: keys that no crafted query string can share or poison, and a cache
bounded in bytes (issue 12's attack run found both)."""

from urllib.parse import urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.api.params import ListParams
from app.plumbing.cache import cache, versioned_key
from app.plumbing.cache_backend import BoundedSimpleCache
from tests.conftest import new_app
from tests.seed import seed, simple_model

# --- 3. cache keys ------------------------------------------------------------------------

# Biased towards the characters that delimit a query string.
TEXT = st.text(
    st.one_of(st.sampled_from("&=%+ ;?#a"), st.characters(blacklist_categories=("Cs",))),
    max_size=12,
)
PAIRS = st.lists(st.tuples(TEXT.filter(bool), TEXT), max_size=4)


def page_key(app, query_string: str) -> str:
    with app.test_request_context("/", query_string=query_string):
        return versioned_key("page")


def test_escaped_ampersand_is_not_a_second_parameter(app) -> None:
    assert page_key(app, "q=mistral%26sort%3Dname") != page_key(app, "q=mistral&sort=name")
    # Same parameters in another order: the same page, the same entry.
    assert page_key(app, "sort=name&q=mistral") == page_key(app, "q=mistral&sort=name")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=PAIRS, b=PAIRS)
@example(a=[("q", "mistral&sort=name")], b=[("q", "mistral"), ("sort", "name")])
def test_different_query_strings_never_share_a_key(app, a, b) -> None:
    same_args = sorted(a) == sorted(b)
    assert (page_key(app, urlencode(a)) == page_key(app, urlencode(b))) == same_args


@settings(max_examples=300, deadline=None)
@given(
    a=st.tuples(st.sampled_from(["tps", "name"]), TEXT, st.sampled_from([None, 1, 10])),
    b=st.tuples(st.sampled_from(["tps", "name"]), TEXT, st.sampled_from([None, 1, 10])),
)
def test_api_parameters_never_share_a_key(a, b) -> None:
    first = ListParams(sort=a[0], q=a[1], limit=a[2])
    second = ListParams(sort=b[0], q=b[1], limit=b[2])
    assert (first.cache_key == second.cache_key) == (first == second)


def test_crafted_query_does_not_poison_the_clean_url(client, db_path) -> None:
    seed_board(db_path)
    crafted = client.get("/?q=model%26sort%3Dname")
    assert crafted.status_code == 200
    clean = client.get("/?q=model&sort=name")
    assert b'<option value="name" selected>' in clean.data
    assert clean.data != crafted.data


# --- 5. the response cache is bounded in bytes ------------------------------------------


def stored_bytes(app) -> int:
    """What the cache holds, pickled values included (SimpleCache's layout)."""
    backend = app.extensions["cache"][cache]
    return sum(len(key) + len(value) for key, (_, value) in backend._cache.items())


def test_bounded_cache_evicts_oldest_by_bytes() -> None:
    store = BoundedSimpleCache(max_bytes=100_000, threshold=1000)
    for i in range(50):
        assert store.set(f"k{i}", b"x" * 10_000)
    assert store.total_bytes <= 100_000
    assert store.get("k49") is not None and store.get("k0") is None
    held = [k for k in (f"k{i}" for i in range(50)) if store.has(k)]
    assert held == [f"k{i}" for i in range(50 - len(held), 50)]  # the newest, contiguous
    # Replacing an entry does not count it twice; deleting gives its bytes back.
    total = store.total_bytes
    store.set("k49", b"x" * 10_000)
    assert store.total_bytes == total
    store.delete("k49")
    assert store.total_bytes < total
    # A value bigger than the whole budget is not kept (it would evict everything).
    assert store.set("huge", b"x" * 200_000) is False and store.get("huge") is None
    store.clear()
    assert store.total_bytes == 0 and store.get("k48") is None


def test_a_flood_of_distinct_searches_stays_within_the_byte_budget(db_path) -> None:
    seed_board(db_path, models=60)
    budget = 400_000
    app = new_app({"DATABASE": db_path, "CACHE_MAX_BYTES": budget})
    client = app.test_client()
    page = len(client.get("/").data)
    assert page * 10 > budget  # the flood below would hold ~100 pages unbounded
    for i in range(100):
        assert client.get(f"/?q=flood{i}").status_code == 200
        assert client.get(f"/api/models?q=flood{i}").status_code == 200
    assert stored_bytes(app) <= budget
    # Still a cache: a repeated request is a hit.
    assert client.get("/?q=flood99").data == client.get("/?q=flood99").data


def test_default_cache_is_bounded(app) -> None:
    backend = app.extensions["cache"][cache]
    assert isinstance(backend, BoundedSimpleCache)
    assert backend.max_bytes == app.config["CACHE_MAX_BYTES"] <= 32 * 1024 * 1024


# --- helpers -------------------------------------------------------------------------------


def seed_board(db_path: str, models: int = 5) -> None:
    pairs = [
        simple_model(f"chute-{i}", f"org/model-{i}", {1: (150.0 - i, 5000), 2: (140.0 - i, 4000)})
        for i in range(models)
    ]
    seed(db_path, [e for e, _ in pairs], [r for _, rs in pairs for r in rs])
