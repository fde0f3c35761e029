"""Configuration defaults. Every key can be overridden with a LEADERBOARD_ env var."""

DEFAULTS: dict[str, object] = {
    # Relative paths are resolved against the project root (where `make dev` runs).
    "DATABASE": "instance/leaderboard.sqlite3",
    "SOURCE": "auto",
    "API_URL": "https://api.chutes.ai",
    "LLM_URL": "https://llm.chutes.ai",
    "WEB_URL": "https://chutes.ai",
    "BATCH_SIZE": 25,
    "REQUEST_DELAY": 0.2,
    "HTTP_TIMEOUT": 30,
    "HTTP_CONNECT_TIMEOUT": 10,
    # Retries per request on connection errors, 429 and 5xx (urllib3 Retry).
    "HTTP_RETRIES": 3,
    "HTTP_BACKOFF": 1.0,
    # A Retry-After longer than this (seconds) is not waited for: the request fails.
    "HTTP_MAX_RETRY_AFTER": 30,
    "HTTP_MAX_BYTES": 32 * 1024 * 1024,
    # Hard wall-clock deadline of one request: its retries, their waits and its whole
    # body (a response trickling in is cut off), in seconds.
    "HTTP_REQUEST_DEADLINE": 60,
    # Hard wall-clock budget of one scrape run, requests in flight included (seconds).
    "RUN_BUDGET": 300,
    # How long a second scrape waits for the first before it exits saying so.
    "LOCK_WAIT": 15,
    "STATS_DAYS": 30,
    "SCRAPE_INTERVAL": 600,
    # Capacity is stale when its newest snapshot (upstream's clock) is older than this
    # many seconds; upstream's snapshot cadence is unknown, so the margin is wide.
    "CAPACITY_STALE_AFTER": 3600,
    "MIN_REQUESTS": 100,
    # SimpleCache bounded in bytes (app/plumbing/cache_backend.py): a worker is a ~45 MB process,
    # and SPEC §8 caps it at ~80 MB whatever the traffic, so the responses it keeps may
    # total 24 MB. A flood of distinct ?q= then only evicts older pages.
    "CACHE_TYPE": "app.plumbing.cache_backend.BoundedSimpleCache",
    "CACHE_MAX_BYTES": 24 * 1024 * 1024,
    "CACHE_DEFAULT_TIMEOUT": 300,
    # Number of trusted proxies in front of gunicorn (nginx); 0 disables ProxyFix.
    "PROXY_HOPS": 1,
    "DEMO": False,
    "USER_AGENT": (
        "chutes-tps-leaderboard/1.0 (+https://github.com/chutes-tps-leaderboard/leaderboard)"
    ),
}

SOURCES = ("auto", "api", "html")
