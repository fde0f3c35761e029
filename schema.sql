-- Chutes TPS Leaderboard schema. Idempotent: `flask --app app init-db` may run any time.

-- One row per model ever seen in a catalogue; figures are NULL when there is no speed data.
CREATE TABLE IF NOT EXISTS models (
    chute_id        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    latest_tps      REAL,
    latest_ttft     REAL,
    latest_requests INTEGER,
    avg_7d          REAL,
    avg_30d         REAL,
    peak_tps        REAL,
    latest_date     TEXT,             -- UTC day, YYYY-MM-DD
    rank_tps        REAL,             -- the ranked day's figures (SPEC §5 "Rank")
    rank_ttft       REAL,
    rank_requests   INTEGER,
    rank_date       TEXT,             -- UTC day, YYYY-MM-DD; NULL: unranked
    scraped_at      TEXT,             -- UTC ISO-8601, when this model's rows were last fetched
    price_input     REAL,             -- USD per 1M prompt tokens
    price_output    REAL,             -- USD per 1M completion tokens
    context_length  INTEGER,
    engine          TEXT,             -- vllm / sglang
    quantization    TEXT,
    active          INTEGER NOT NULL DEFAULT 1,   -- 0 once it leaves the catalogue
    first_seen      TEXT,
    updated_at      TEXT,
    -- Capacity (SPEC §5), from the newest autoscaler snapshot; NULL until one is seen.
    instances        INTEGER,         -- active instances
    utilization_1h   REAL,            -- share 0-1
    rate_limited_1h  REAL,            -- share 0-1 of the last hour's requests refused
    rate_limited_24h REAL,            -- share 0-1 over the 24 h ending at capacity_at
    capacity_at      TEXT             -- UTC ISO-8601: the newest snapshot's time
);

-- Daily history, kept forever: upstream only shows a window.
CREATE TABLE IF NOT EXISTS daily_stats (
    chute_id      TEXT NOT NULL,
    date          TEXT NOT NULL,
    requests      INTEGER,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    tps           REAL,
    ttft          REAL,
    PRIMARY KEY (chute_id, date)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

-- One row per scrape run. status: ok, partial (some pages failed), failed, skipped.
CREATE TABLE IF NOT EXISTS scrape_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    source         TEXT,
    status         TEXT NOT NULL,
    models_updated INTEGER NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    message        TEXT
);

CREATE INDEX IF NOT EXISTS scrape_runs_status ON scrape_runs (status, id);

-- Autoscaler snapshots of catalogue models from /chutes/utilization (SPEC §2 C), one per
-- (chute, upstream timestamp). Pruned after 35 days; daily_capacity keeps what is shown.
-- No index on taken_at: reads and pruning go through the key, chute by chute (an index
-- would add ~70 % to ~0.5 M rows: 100 models, a snapshot each 10 min, 35 days).
CREATE TABLE IF NOT EXISTS capacity_snapshots (
    chute_id                 TEXT NOT NULL,
    taken_at                 TEXT NOT NULL,   -- UTC ISO-8601 with microseconds, fixed width
    utilization_1h           REAL,            -- share 0-1
    rate_limit_ratio_1h      REAL,            -- share 0-1 of the last hour's requests refused
    total_requests_1h        REAL,            -- floats upstream: rates scaled to the hour
    rate_limited_requests_1h REAL,
    instance_count           INTEGER,
    active_instance_count    INTEGER,
    PRIMARY KEY (chute_id, taken_at)
) WITHOUT ROWID;

-- Daily rate limiting, kept forever beside daily_stats: Σ rate_limited / Σ total requests
-- over the UTC day's snapshots (rate_limited NULL when the day saw no requests).
CREATE TABLE IF NOT EXISTS daily_capacity (
    chute_id              TEXT NOT NULL,
    date                  TEXT NOT NULL,
    snapshots             INTEGER NOT NULL,
    total_requests        REAL NOT NULL,
    rate_limited_requests REAL NOT NULL,
    rate_limited          REAL,
    PRIMARY KEY (chute_id, date)
) WITHOUT ROWID;
-- What changed, derived by the scraper in the same transaction as the data that caused it
-- (SPEC §6): kept forever. `key` makes each announcement happen once, whatever re-runs.
CREATE TABLE IF NOT EXISTS events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    chute_id TEXT,                    -- NULL for the site-wide first-scrape summary
    name     TEXT,
    at       TEXT NOT NULL,           -- UTC ISO-8601, the run that found it
    summary  TEXT NOT NULL,           -- one human line with the numbers
    detail   TEXT NOT NULL DEFAULT '{}',   -- JSON object: the numbers
    key      TEXT NOT NULL UNIQUE
);

CREATE INDEX IF NOT EXISTS events_by_model ON events (chute_id, id);

-- Price history (SPEC §4): USD per 1M tokens, a new row only when a catalogue price differs
-- from the model's newest row. `since` is the run that first saw it (UTC ISO-8601, the
-- scraper's clock); a database upgraded to this table starts its history at that run.
CREATE TABLE IF NOT EXISTS model_prices (
    chute_id   TEXT NOT NULL,
    since      TEXT NOT NULL,
    prompt     REAL,             -- input tokens
    completion REAL,             -- output tokens
    cache_read REAL,             -- cached input tokens
    PRIMARY KEY (chute_id, since)
) WITHOUT ROWID;
-- Own probes (SPEC §2 D): one row per probe, kept forever (~15 models x 48 a day).
-- Never holds the key, a header or a body: only what a client saw.
CREATE TABLE IF NOT EXISTS probe_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,      -- ok, partial, failed, key_refused, skipped, budget
    probes      INTEGER NOT NULL DEFAULT 0,
    message     TEXT
);

CREATE TABLE IF NOT EXISTS probes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id           INTEGER NOT NULL REFERENCES probe_runs (id),
    chute_id         TEXT NOT NULL,
    at               TEXT NOT NULL,   -- UTC ISO-8601, when the request was sent
    outcome          TEXT NOT NULL,   -- ok, rate_limited, http_error, timeout, bad_stream
    http_status      INTEGER,
    ttft_s           REAL,
    tps              REAL,
    output_tokens    INTEGER,
    tokens_estimated INTEGER NOT NULL DEFAULT 0,
    total_s          REAL,
    detail           TEXT NOT NULL DEFAULT ''
);

CREATE INDEX IF NOT EXISTS probes_by_model ON probes (chute_id, at);
CREATE INDEX IF NOT EXISTS probes_by_time ON probes (at);
