"""`/api/models?min_requests=` (SPEC §7): ranks recomputed among the models whose ranked
day has at least that many requests; an invalid value is a 400 naming it."""

import pytest

from tests.web.test_views import seed_board


@pytest.fixture
def board(db_path):
    seed_board(db_path)
    return db_path


def ranks(response) -> dict[str, int | None]:
    return {m["chute_id"]: m["rank"] for m in response.get_json()}


def test_min_requests_recomputes_ranks(client, board):
    assert ranks(client.get("/api/models"))["slow"] == 3
    raised = client.get("/api/models?min_requests=1000")
    assert raised.status_code == 200
    got = ranks(raised)
    assert got["slow"] is None and got["fast"] == 1 and got["mid"] == 2
    # Its own cache entry: the default answer is unchanged afterwards.
    assert ranks(client.get("/api/models"))["slow"] == 3
    csv = client.get("/api/models.csv?min_requests=1000")
    assert csv.status_code == 200


def test_min_requests_with_search_keeps_the_recomputed_ranks(client, board):
    got = client.get("/api/models?min_requests=1000&q=slow").get_json()
    assert [(m["chute_id"], m["rank"]) for m in got] == [("slow", None)]


@pytest.mark.parametrize(
    "value", ["abc", "99", "0", "-5", "²", "1" * 30, "1000000001", "1.5", " 200"]
)
@pytest.mark.parametrize("path", ["/api/models", "/api/models.csv"])
def test_invalid_min_requests_is_a_400_naming_it(client, board, path, value):
    response = client.get(path, query_string={"min_requests": value})
    assert response.status_code == 400
    body = response.get_json()
    assert "min_requests" in body["error"]
    assert body.get("parameter") == "min_requests"


def test_min_requests_given_twice_is_a_400(client, board):
    response = client.get("/api/models?min_requests=200&min_requests=300")
    assert response.status_code == 400


def test_openapi_documents_min_requests(client):
    doc = client.get("/api/openapi.json").get_json()
    names = [p["name"] for p in doc["paths"]["/api/models"]["get"]["parameters"]]
    assert "min_requests" in names
