"""One probe run (SPEC §2 D): every active catalogue model once, in random order, one at a
time REQUEST_DELAY apart, within the daily token budget and RUN_BUDGET; stored with its
probe_runs row in one transaction, then a new data version (app.db.files) so the site
shows them at once. Never raises; exit codes like scrape.py."""

import fcntl
import logging
import os
import random
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from app import clock
from app.db import connection
from app.db import events as event_store
from app.db import files as db_files
from app.db import models as model_store
from app.db import probes as probe_store
from app.methodology import PROBE_FAILING_AFTER
from app.probing.budget import may_probe
from app.probing.client import ProbeClient
from app.probing.events import probe_events
from app.probing.measure import ProbeResult
from app.settings import Settings

log = logging.getLogger(__name__)

OFF_LINE = "probes are off (no PROBE_KEY_FILE)"
VERSION_FAILED = "the new data version could not be written"
CREDENTIAL = "probe-key"


@dataclass
class ProbeOutcome:
    status: str  # off, ok, budget, key_refused, skipped, failed
    message: str
    probes: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.status in ("failed", "key_refused") else 0


class KeyError_(Exception):
    """The key file is named but cannot be read (the message names the path only)."""


def key_path(settings: Settings, environ: dict[str, str] | None = None) -> str | None:
    """PROBE_KEY_FILE, else systemd's credential, else None (probes off)."""
    env = os.environ if environ is None else environ
    if settings.probe_key_file:
        return settings.probe_key_file
    # systemd sets CREDENTIALS_DIRECTORY only for a unit with LoadCredential= (the probe
    # unit's is the key): a credential it names but the run cannot read is an error to
    # report (read_key), never "probes are off".
    directory = env.get("CREDENTIALS_DIRECTORY")
    if directory:
        return os.path.join(directory, CREDENTIAL)
    return None


def read_key(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            key = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyError_(f"cannot read the probe key file {path} ({type(exc).__name__})") from None
    if not key:
        raise KeyError_(f"the probe key file {path} is empty")
    return key


def lock_path(database: str) -> str:
    return database + ".probe.lock"


@contextmanager
def probe_lock(database: str) -> Iterator[bool]:
    """The prober's own lock (a scrape may run meanwhile): False when another probe run
    holds it; this one then exits at once."""
    with open(lock_path(database), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_probes(
    settings: Settings,
    *,
    model: str | None = None,
    shuffle: Callable[[list[Any]], None] = random.shuffle,
) -> ProbeOutcome:
    path = key_path(settings)
    if path is None:
        return ProbeOutcome("off", OFF_LINE)
    try:
        key = read_key(path)
    except KeyError_ as exc:
        return ProbeOutcome("failed", str(exc))
    started_at = _now()
    try:
        connection.upgrade_db(settings.database)
        with probe_lock(settings.database) as acquired:
            if not acquired:
                return ProbeOutcome("skipped", "another probe run is running; this one exits")
            return _locked(settings, key, model, started_at, shuffle)
    except (sqlite3.Error, OSError) as exc:
        return ProbeOutcome("failed", f"database error ({type(exc).__name__}): {exc}")


def _locked(
    settings: Settings,
    key: str,
    model: str | None,
    started_at: str,
    shuffle: Callable[[list[Any]], None],
) -> ProbeOutcome:
    conn = connection.connect(settings.database, create=False)
    client = ProbeClient(settings, key)
    try:
        models = [m for m in model_store.list_models(conn) if m.get("name")]
        if model is not None:
            models = [m for m in models if model in (m["name"], m["chute_id"])]
            if not models:
                message = f"no active model named {model!r}"
                failed = probe_store.record_run(
                    conn, started_at=started_at, status="failed", message=message
                )
                if not _bump_version(settings.database, failed):
                    message = f"{message}; {VERSION_FAILED}"
                return ProbeOutcome("failed", message)
        shuffle(models)
        run_id = probe_store.start_run(conn, started_at)
        day_start = clock.now().date().isoformat()
        used = probe_store.tokens_since(conn, day_start)
        deadline = clock.monotonic() + settings.run_budget
        rows: list[dict[str, Any]] = []
        status, why = "ok", ""
        for index, entry in enumerate(models):
            if not may_probe(used, settings.probe_max_tokens, settings.probe_daily_tokens):
                status = "budget"
                why = (
                    f"; daily budget of {settings.probe_daily_tokens} tokens reached"
                    f" ({used} used today): {len(models) - index} models not probed"
                )
                break
            if clock.monotonic() >= deadline:
                status = "partial"
                why = f"; RUN_BUDGET spent: {len(models) - index} models not probed"
                break
            if index:
                clock.sleep(settings.request_delay)
            at = _now()
            result = client.probe(entry["name"])
            used += result.tokens_spent
            rows.append(_row(entry["chute_id"], at, result))
            log.info("probe %s: %s %s", entry["name"], result.outcome, _figures(result))
            if result.key_refused:
                status = "key_refused"
                why = f"; probe key refused (HTTP {result.http_status}): run stopped"
                break
        ok = sum(1 for row in rows if row["outcome"] == "ok")
        message = f"{len(rows)} probes, {ok} ok{why}"
        finished_at = _now()
        names = {m["chute_id"]: m["name"] for m in models}

        def derive(conn: sqlite3.Connection) -> None:
            # Inside the run's transaction: the events and the probes that caused them
            # are stored together.
            open_ = {
                cid
                for cid, (kind, _id) in event_store.last_of_family(conn, "probe").items()
                if kind == "probe_failing"
            }
            latest = {
                row["chute_id"]: probe_store.latest_probes(
                    conn, row["chute_id"], PROBE_FAILING_AFTER
                )
                for row in rows
            }
            for event in event_store.insert_events(
                conn, probe_events(latest, names, open_), finished_at
            ):
                log.info("event %s: %s", event.kind, event.summary)

        probe_store.store_run(
            conn,
            run_id,
            rows,
            finished_at=finished_at,
            status=status,
            message=message,
            derive=derive,
        )
        if not _bump_version(settings.database, run_id):
            return ProbeOutcome("failed", f"{message}; {VERSION_FAILED}", len(rows))
        return ProbeOutcome(status, message, len(rows))
    finally:
        client.close()
        conn.close()


def _bump_version(database: str, run_id: int) -> bool:
    """After the run's commit: a new data version, so cached pages show its probes at once
    (app.db.files); False when the file could not be written (the run then fails)."""
    try:
        db_files.bump_probe_version(database, run_id)
    except OSError as exc:
        log.error(
            "could not write the data version %s: %s", db_files.probe_version_path(database), exc
        )
        return False
    return True


def _row(chute_id: str, at: str, result: ProbeResult) -> dict[str, Any]:
    row = asdict(result)
    row["tokens_estimated"] = int(result.tokens_estimated)
    return {"chute_id": chute_id, "at": at, **row}


def _figures(result: ProbeResult) -> str:
    if result.outcome != "ok":
        return result.detail
    tps = f"{result.tps:.1f} tok/s" if result.tps is not None else "no tps"
    return f"ttft {result.ttft_s:.2f} s, {tps}, {result.output_tokens} tokens"


def _now() -> str:
    return clock.now().isoformat(timespec="milliseconds")
