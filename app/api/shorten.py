"""Real API answers cut to a readable length for the examples of /api (pure: plain data in,
plain data out). Every array keeps its first `items` entries, a CSV its header and first
`items` records, an object only the keys asked for; each cut is said in a note."""

import csv
from collections.abc import Iterable
from typing import Any

SHOWN_ITEMS = 2


def _of(path: str) -> str:
    return f" of {path}" if path else ""


def shorten(value: Any, items: int = SHOWN_ITEMS, path: str = "") -> tuple[Any, list[str]]:
    """`value` with every array (at any depth) cut to its first `items` entries, and one
    note per cut ("the first 2 of 31 items of history")."""
    notes: list[str] = []
    if isinstance(value, list):
        kept = []
        for index, item in enumerate(value[:items]):
            short, inner = shorten(item, items, f"{path}[{index}]")
            kept.append(short)
            notes += inner
        if len(value) > items:
            notes.insert(0, f"the first {items} of {len(value)} items{_of(path)}")
        return kept, notes
    if isinstance(value, dict):
        kept_object = {}
        for key, item in value.items():
            kept_object[key], inner = shorten(item, items, f"{path}.{key}" if path else key)
            notes += inner
        return kept_object, notes
    return value, notes


def only_keys(value: dict, keys: Iterable[str]) -> tuple[dict, list[str]]:
    """The object with only `keys` (in its own order), and a note naming the rest."""
    wanted = set(keys)
    kept = {key: item for key, item in value.items() if key in wanted}
    left = [key for key in value if key not in wanted]
    notes = [f"{', '.join(left)} left out (/api shows them)"] if left else []
    return kept, notes


def shorten_csv(text: str, items: int = SHOWN_ITEMS) -> tuple[str, list[str]]:
    """The header and the first `items` records of a CSV text, cut where a record ends (a
    quoted cell may hold a line break), and a note when records were left out."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    ends = [reader.line_num for _record in reader]  # the line each record ends on
    rows = len(ends) - 1  # after the header
    if rows <= items:
        return text, []
    return "".join(lines[: ends[items]]), [f"the header and the first {items} of {rows} rows"]
