"""What a CDN in front may do with the answers (SPEC §11, README "Scaling"): cacheable
pages and API bodies say how long they are fresh, how long a stale copy may be served
while revalidating, and while the origin fails; health is never served from a cache."""

import pytest
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

from app.plumbing.bodies import DATA_CACHE_CONTROL, PAGE_CACHE_CONTROL


@pytest.mark.parametrize(
    ("path", "max_age"),
    [("/", 60), ("/api/models", 300), ("/api/models.csv", 300), ("/badge/nope.svg", 300)],
)
def test_cacheable_answers_allow_a_cdn_to_serve_stale(client, path, max_age) -> None:
    response = client.get(path)
    assert response.status_code in {200, 404}  # an unknown badge is a grey 404
    values = response.headers.get_all("Cache-Control")
    assert len(values) == 1, values  # once
    header = parse_cache_control_header(values[0], cls=ResponseCacheControl)
    assert header.public and header.max_age == max_age
    assert header.get("stale-while-revalidate") == "600"
    assert header.get("stale-if-error") == "86400"
    assert values[0] in {DATA_CACHE_CONTROL, PAGE_CACHE_CONTROL}


def test_health_is_never_cached_by_a_cdn(client) -> None:
    response = client.get("/api/health")
    assert response.headers.get_all("Cache-Control") == ["no-cache"]
