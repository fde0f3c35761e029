"""Request input that is not what a page or the API expects: never a 500 (issue 20, item 3).

`"²".isdigit()` is True and `int("²")` raises; `int()` of 4,301 digits raises too (Python's
integer string limit). Pages fall back to the default; the API answers 400 naming the
parameter.
"""

import pytest

from tests.seed import seed, simple_model

# Superscript two, Arabic-Indic 1000, full-width 1000 (all isdigit()), then ASCII near-misses.
HOSTILE = [
    "²",
    "\u0661\u0660\u0660\u0660",
    "\uff11\uff10\uff10\uff10",
    "4" * 4301,
    "1" * 5000,
    " 1000",
    "+1000",
    "1_000",
    "1000.0",
]


@pytest.fixture
def board(db_path):
    entry, rows = simple_model("mid", "Mid Model", {0: (90.0, 500)})
    seed(db_path, [entry], rows)
    return db_path


@pytest.mark.parametrize("tokens", HOSTILE)
def test_board_falls_back_on_any_tokens_that_is_not_a_choice(client, board, tokens):
    for extra in ({}, {"fragment": "board"}, {"view": "table"}):
        response = client.get("/", query_string={"tokens": tokens, **extra})
        assert response.status_code == 200, (extra, tokens[:10])
        assert "1K tok" in response.text or "1K-tok answer" in response.text


def test_board_still_takes_each_choice(client, board):
    for tokens, label in ((256, "256 tok"), (1000, "1K tok"), (4000, "4K tok")):
        response = client.get("/", query_string={"tokens": str(tokens)})
        assert response.status_code == 200
        assert label in response.text


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("path", ["/api/models", "/api/models.csv", "/api/events"])
def test_api_answers_400_naming_limit(client, board, path, value):
    response = client.get(path, query_string={"limit": value})
    assert response.status_code == 400, (path, value[:10])
    body = response.get_json()
    assert "limit" in body["error"]
