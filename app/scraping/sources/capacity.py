"""The capacity source: GET {API_URL}/chutes/utilization, each chute's latest autoscaler
snapshot (SPEC §2 C). One request a run, whatever the speed source; parsed defensively.

A separate upstream from the speeds: its failure is reported as a SourceError for the
run to record, never allowed to fail the speed scrape.
"""

from app.rows import CapacitySnapshot
from app.scraping.inputs import clean_count, number, utc_timestamp
from app.scraping.sources import SourceError
from app.scraping.sources.http import Fetcher
from app.settings import Settings

# Upstream counts instances in the tens; anything past this is a glitch, not a count.
MAX_PLAUSIBLE_INSTANCES = 100_000
MAX_PLAUSIBLE_REQUESTS = 1e12


def utilization_url(settings: Settings) -> str:
    return f"{settings.api_url.rstrip('/')}/chutes/utilization"


def snapshot_from_raw(raw: object) -> CapacitySnapshot | None:
    """One cleaned snapshot, or None when it has no chute_id or no usable timestamp."""
    if not isinstance(raw, dict):
        return None
    chute_id, taken_at = raw.get("chute_id"), utc_timestamp(raw.get("timestamp"))
    if not isinstance(chute_id, str) or not chute_id or taken_at is None:
        return None
    total = number(raw.get("total_requests_1h"), 0.0, MAX_PLAUSIBLE_REQUESTS)
    limited = number(raw.get("rate_limited_requests_1h"), 0.0, MAX_PLAUSIBLE_REQUESTS)
    if total is not None and limited is not None and limited > total:
        total = limited = None  # more refused than asked: the pair is inconsistent
    return CapacitySnapshot(
        chute_id=chute_id,
        taken_at=taken_at,
        utilization_1h=number(raw.get("utilization_1h"), 0.0, 1.0),
        rate_limit_ratio_1h=number(raw.get("rate_limit_ratio_1h"), 0.0, 1.0),
        total_requests_1h=total,
        rate_limited_requests_1h=limited,
        instance_count=clean_count(raw.get("instance_count"), MAX_PLAUSIBLE_INSTANCES),
        active_instance_count=clean_count(
            raw.get("active_instance_count"), MAX_PLAUSIBLE_INSTANCES
        ),
    )


def parse_utilization(payload: object, url: str) -> list[CapacitySnapshot]:
    """Snapshots from an answer; `[]` or nothing usable is a failure, never "no capacity"."""
    if not isinstance(payload, list):
        raise SourceError(f"{url}: expected a JSON list of chute snapshots")
    if not payload:
        raise SourceError(f"{url}: returned [] (upstream cache cold?), expected snapshots")
    snapshots = {}
    for raw in payload:
        snapshot = snapshot_from_raw(raw)
        if snapshot is not None:
            snapshots[(snapshot.chute_id, snapshot.taken_at)] = snapshot
    if not snapshots:
        raise SourceError(f"{url}: {len(payload)} entries but none with a chute_id and a timestamp")
    return list(snapshots.values())


def fetch_capacity(fetcher: Fetcher, settings: Settings) -> list[CapacitySnapshot]:
    """The run's one capacity request; SourceError on any failure."""
    url = utilization_url(settings)
    return parse_utilization(fetcher.get_json(url), url)
