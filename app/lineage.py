"""Model lineage (SPEC §5): which chute a model moved from, and to. Pure: no I/O.

chutes.ai moves models to new chutes (`Qwen/Qwen3-32B` -> `Qwen/Qwen3-32B-TEE`, a new
chute_id), and the new chute starts with no history. A model's *predecessor* is a model no
longer in the catalogue whose name equals this one's with a trailing `-TEE` removed
(case-insensitive), or one the `LINEAGE` setting (old chute_id -> new) names. Figures stay
per chute (other hardware, other numbers): lineage only links the two, it merges nothing.

Computed when read from the catalogue rows (nothing is stored), so a LINEAGE edit or a
model leaving the catalogue shows on the next page view.
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

TEE_SUFFIX = "-tee"


class LineageOverrides(Mapping[str, str | None]):
    """The LINEAGE setting: old chute_id -> new chute_id, read-only and hashable (a
    Settings field). A new chute_id of null (or "") unlinks the old one: the name rule
    does not apply to it."""

    def __init__(self, pairs: Mapping[str, str | None] | None = None) -> None:
        self._pairs: dict[str, str | None] = dict(pairs or {})

    @classmethod
    def parse(cls, value: Any) -> "LineageOverrides":
        """A mapping, or its JSON text (as LEADERBOARD_LINEAGE holds it); ValueError when it
        is not an object of chute_id strings to chute_id strings (or null)."""
        if isinstance(value, LineageOverrides):
            return value
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                raise ValueError("not JSON: expected an object of old chute_id to new") from None
        if not isinstance(value, Mapping):
            raise ValueError("expected an object of old chute_id to new chute_id")
        pairs: dict[str, str | None] = {}
        for old, new in value.items():
            if not isinstance(old, str) or not old.strip():
                raise ValueError(f"{old!r} is not a chute_id")
            if new is not None and not isinstance(new, str):
                raise ValueError(f"{old}: {new!r} is not a chute_id")
            new = new.strip() if new else None
            if new == old.strip():
                raise ValueError(f"{old}: a model cannot succeed itself")
            pairs[old.strip()] = new or None
        return cls(pairs)

    def __getitem__(self, key: str) -> str | None:
        return self._pairs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __hash__(self) -> int:
        return hash(frozenset(self._pairs.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __str__(self) -> str:
        # As the README writes the default and LEADERBOARD_LINEAGE takes a value: JSON.
        return json.dumps(self._pairs, sort_keys=True)

    def __repr__(self) -> str:
        return f"LineageOverrides({self._pairs!r})"


NO_OVERRIDES = LineageOverrides()


@dataclass(frozen=True)
class Listed:
    """A catalogue row as lineage reads it."""

    chute_id: str
    name: str
    active: bool
    first_seen: str | None = None


@dataclass(frozen=True)
class Lineage:
    """Who succeeded whom: old chute_id -> new, and new -> its predecessors (oldest first)."""

    successor: Mapping[str, str] = field(default_factory=dict)
    predecessors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def of(self, chute_id: str) -> dict[str, Any]:
        """The API's two fields for one model."""
        return {
            "predecessors": list(self.predecessors.get(chute_id, ())),
            "successor": self.successor.get(chute_id),
        }


def without_tee(name: str) -> str:
    """The name with one trailing `-TEE` removed (any case), case-folded."""
    folded = name.casefold()
    return folded[: -len(TEE_SUFFIX)] if folded.endswith(TEE_SUFFIX) else folded


def link(models: Iterable[Listed], overrides: Mapping[str, str | None] | None = None) -> Lineage:
    """Lineage over the catalogue rows: LINEAGE's links first, then the name rule.

    An old chute has at most one successor: by the name rule, the listed one among its
    candidates, then the newest first seen, then the lowest chute_id (deterministic). A
    link that would close a loop (two departed chutes of one name; a LINEAGE cycle) is
    left out. Overrides naming a chute_id that was never seen are ignored.
    """
    models = list(models)
    by_id = {m.chute_id: m for m in models}
    overrides = overrides or {}
    successor: dict[str, str] = {}

    def add(old: str, new: str) -> None:
        if old in successor or old == new:
            return
        step: str | None = new
        while step is not None:  # following new's successors must not lead back to old
            if step == old:
                return
            step = successor.get(step)
        successor[old] = new

    for old_id, new_id in sorted(overrides.items()):
        if old_id in by_id and new_id is not None and new_id in by_id:
            add(old_id, new_id)
    by_stem: dict[str, list[Listed]] = {}
    for m in models:
        by_stem.setdefault(without_tee(m.name), []).append(m)
    departed = sorted(
        (m for m in models if not m.active and m.chute_id not in overrides),
        key=lambda m: (m.first_seen or "", m.chute_id),
    )
    for gone in departed:
        # A candidate's stem is gone's name: gone's name is the candidate's minus `-TEE`.
        candidates = [
            m for m in by_stem.get(gone.name.casefold(), []) if m.chute_id != gone.chute_id
        ]
        candidates.sort(key=lambda m: (not m.active, _desc(m.first_seen), m.chute_id))
        for candidate in candidates:
            add(gone.chute_id, candidate.chute_id)
            if gone.chute_id in successor:
                break
    predecessors: dict[str, list[str]] = {}
    for old_id in sorted(successor, key=lambda cid: (by_id[cid].first_seen or "", cid)):
        predecessors.setdefault(successor[old_id], []).append(old_id)
    return Lineage(successor, {new: tuple(olds) for new, olds in predecessors.items()})


def _desc(text: str | None) -> tuple[int, ...]:
    # Sorts ISO times newest first (an unknown one last) inside an ascending sort key.
    return tuple(-ord(c) for c in text) if text else (1,)
