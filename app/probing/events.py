"""probe_failing / probe_recovered (SPEC §7), pure: from each model's latest probes and
whether a failing episode is open (its newest probe event is probe_failing)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.methodology import PROBE_FAILING_AFTER


@dataclass(frozen=True)
class ProbeEvent:
    kind: str
    chute_id: str
    name: str
    summary: str
    key: str
    detail: dict[str, Any] = field(default_factory=dict)


def probe_events(
    latest: Mapping[str, Sequence[Mapping[str, Any]]],
    names: Mapping[str, str],
    failing_open: set[str],
) -> list[ProbeEvent]:
    """`latest`: each model's newest probes, newest first (`at`, `outcome`). A model
    whose last PROBE_FAILING_AFTER all failed, with no open episode, starts one; a model
    with an open episode whose newest probe is ok ends it. Keys name the probe that
    decided, so re-deriving never announces twice."""
    events = []
    for chute_id, probes in latest.items():
        if not probes:
            continue
        name = names.get(chute_id, chute_id)
        newest = probes[0]
        if chute_id in failing_open:
            if newest["outcome"] == "ok":
                events.append(
                    ProbeEvent(
                        "probe_recovered",
                        chute_id,
                        name,
                        f"{name}: our probes succeed again",
                        f"probe_recovered:{chute_id}:{newest['at']}",
                        {"at": newest["at"]},
                    )
                )
            continue
        last = probes[:PROBE_FAILING_AFTER]
        if len(last) == PROBE_FAILING_AFTER and all(p["outcome"] != "ok" for p in last):
            outcomes = [p["outcome"] for p in last]
            events.append(
                ProbeEvent(
                    "probe_failing",
                    chute_id,
                    name,
                    f"{name}: our last {PROBE_FAILING_AFTER} probes failed ({', '.join(outcomes)})",
                    f"probe_failing:{chute_id}:{newest['at']}",
                    {"outcomes": outcomes},
                )
            )
    return events
