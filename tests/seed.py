"""Put known models and daily rows into a test database through the real write path."""

from datetime import UTC, date, datetime, timedelta

from app.db import connection
from app.db import files as db_files
from app.db import write as db_write
from app.rows import NO_FIGURES, CatalogueEntry, DailyRow
from app.scraping.speeds.stats import figures_by_model


def days_ago(n: int, today: date | None = None) -> str:
    return ((today or datetime.now(UTC).date()) - timedelta(days=n)).isoformat()


def seed(
    db_path: str,
    catalogue: list[CatalogueEntry],
    rows: list[DailyRow],
    *,
    min_requests: int = 100,
    source: str = "api",
) -> int:
    """Store one complete scrape of these models and rows; returns the run id."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn = connection.connect(db_path)
    try:
        known = {entry.chute_id for entry in catalogue}
        kept = [row for row in rows if row.chute_id in known]
        figures = figures_by_model(kept, min_requests, days_ago(0))
        for entry in catalogue:
            figures.setdefault(entry.chute_id, NO_FIGURES)
        run_id = db_write.store_scrape(
            conn,
            db_write.ScrapeWrite(
                run={
                    "started_at": now,
                    "finished_at": now,
                    "source": source,
                    "status": "ok",
                    "models_updated": len(catalogue),
                    "errors": 0,
                    "message": "seeded by tests",
                },
                catalogue=catalogue,
                rows=kept,
                figures=figures,
                refreshed=known,
                next_offset=None,
            ),
        )
    finally:
        conn.close()
    db_files.bump_data_version(db_path, run_id)
    return run_id


def simple_model(chute_id: str, name: str, tps_by_day: dict[int, tuple[float | None, int]]):
    """A catalogue entry plus rows: {days_ago: (tps, requests)}."""
    entry = CatalogueEntry(
        chute_id=chute_id,
        name=name,
        price_input=0.1,
        price_output=0.4,
        context_length=32768,
        engine="vllm",
    )
    rows = [
        DailyRow(
            chute_id=chute_id,
            date=days_ago(n),
            name=name,
            requests=req,
            input_tokens=req * 1000,
            output_tokens=req * 200,
            tps=tps,
            ttft=None if tps is None else round(10 / tps, 3),
        )
        for n, (tps, req) in tps_by_day.items()
    ]
    return entry, rows
