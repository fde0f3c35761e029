"""The stand-in's `GET /chutes/utilization`: the real 2026-02-18 sample, its chute ids
mapped onto the stand-in's catalogue, served as a new snapshot on every request.

Time is a control: `taken_at` is the next answer's timestamp (None: the real clock at
each request) and `step` advances it after each answer, so successive scrape runs see
snapshots hours or days apart. With `vary`, each answer's counts move deterministically
(answer 0 is always the sample verbatim), so daily charts are not flat.
"""

from __future__ import annotations

import copy
import json
import pathlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "chutes" / "utilization.json"
SAMPLE_TIME = datetime(2026, 2, 18, 5, 48, 8, 568123)

# The fixture catalogue's models get the sample objects that make the point: a fast
# model can be nearly unavailable (gpt-oss-20b's 95 %, DeepSeek-V3.2-TEE's 48 %).
FIXTURE_MAPPING = {
    "42ee92ba-a537-5a73-8741-876067750db7": "52bebe99-e55f-5bee-a386-b293b6e762c5",  # gemma
    "b048fe26-0352-5c46-acf7-335e527e7f3d": "398651e1-5f85-5e50-a513-7c5324e8e839",  # GLM-5.1
    "ac059e33-eb27-541c-b9a9-24b214036475": "0d7184a2-32a3-53e0-9607-058c37edaab5",  # Qwen3
    "7725a31d-28df-5bb7-9d29-c23b49df5472": "bf339be1-5937-5bba-911b-a1010839c465",  # Nemo
}


def sample() -> list[dict[str, Any]]:
    """The 13 real snapshot objects, verbatim."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def naive_timestamp(moment: datetime) -> str:
    """Upstream's format: naive UTC ISO with microseconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def templates_for(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One sample object per catalogue model (fixture ids as FIXTURE_MAPPING says, the
    others cycling through the named public objects), then the sample's other objects
    (private chutes, LTX-2, …) under their own ids: they are not in the catalogue."""
    objects = sample()
    by_id = {obj["chute_id"]: obj for obj in objects}
    public = [obj for obj in objects if obj["name"] != "[private chute]" and "/" in obj["name"]]
    used: set[str] = set()
    answer = []
    for index, model in enumerate(models):
        source_id = FIXTURE_MAPPING.get(model["chute_id"])
        source = by_id[source_id] if source_id else public[index % len(public)]
        used.add(source["chute_id"])
        answer.append({**copy.deepcopy(source), "chute_id": model["chute_id"], "name": model["id"]})
    answer += [copy.deepcopy(obj) for obj in objects if obj["chute_id"] not in used]
    return answer


def varied(obj: dict[str, Any], answer: int, index: int) -> dict[str, Any]:
    """The object's 1-hour counts moved for answer number `answer` (0: unchanged)."""
    if answer == 0:
        return obj
    total = obj["total_requests_1h"] * (0.8 + 0.1 * ((answer + index) % 5))
    base_share = obj["rate_limit_ratio_1h"]
    share = min(1.0, base_share * (0.4 + 0.3 * ((answer * 7 + index * 3) % 5)))
    limited = total * share
    instances = max(0, obj["active_instance_count"] + (answer + index) % 3 - 1)
    return {
        **obj,
        "total_requests_1h": total,
        "completed_requests_1h": total - limited,
        "rate_limited_requests_1h": limited,
        "rate_limit_ratio_1h": share,
        "utilization_1h": min(1.0, obj["utilization_1h"] * (0.7 + 0.15 * (answer % 4))),
        "active_instance_count": instances,
        "instance_count": max(instances, obj["instance_count"]),
    }


class UtilizationFeed:
    """The snapshots `/chutes/utilization` answers, one new snapshot per request."""

    def __init__(
        self,
        taken_at: datetime | None = None,
        step: timedelta | None = None,
        *,
        vary: bool = False,
    ) -> None:
        self.taken_at = taken_at
        self.step = step
        self.vary = vary
        self.served: list[list[dict[str, Any]]] = []  # every answer, for tests to check
        self._lock = threading.Lock()

    def answer(self, models: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The next snapshot of every chute: all share one timestamp, as upstream's do."""
        with self._lock:
            moment = self.taken_at or datetime.now(UTC)
            if self.taken_at is not None and self.step is not None:
                self.taken_at = self.taken_at + self.step
            number = len(self.served)
            objects = templates_for(models)
            if self.vary:
                objects = [varied(obj, number, i) for i, obj in enumerate(objects)]
            stamp = naive_timestamp(moment)
            answer = [{**obj, "timestamp": stamp} for obj in objects]
            self.served.append(answer)
            return answer
