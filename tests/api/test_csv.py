"""The CSV export's formula guard: it sees through leading blanks, and leaves names alone."""

import csv
import io

import pytest

from app.api.serialise import csv_cell
from tests.seed import seed, simple_model

# --- 8. the CSV guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [" =HYPERLINK(1)", "  +SUM(A1)", "\u00a0-2+3", "\t@cmd", "\u200b=1+1", "\n=1", " \t =x"],
)
def test_csv_guard_sees_through_leading_blanks(name) -> None:
    assert csv_cell(name) == "'" + name


@pytest.mark.parametrize("name", ["Qwen/Qwen3-32B", "deepseek-ai/DeepSeek-V3", "a = b", "x-1"])
def test_csv_guard_leaves_names_alone(name) -> None:
    assert csv_cell(name) == name


def test_csv_export_guards_blank_prefixed_formulas(client, db_path) -> None:
    entry, rows = simple_model("sneaky", " =HYPERLINK(1)", {1: (50.0, 500)})
    seed(db_path, [entry], rows)
    text = client.get("/api/models.csv").get_data(as_text=True)
    assert next(csv.DictReader(io.StringIO(text)))["name"] == "' =HYPERLINK(1)"
