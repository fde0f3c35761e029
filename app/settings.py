"""The settings: defaults, then LEADERBOARD_* environment variables, then overrides,
coerced once into one typed object (SPEC §9).

No Flask here: the scraper and the prober read the settings without loading the web app.
`create_app` copies them into `app.config` (upper-case keys, as documented), so Flask,
flask-caching and the templates see the same, already coerced, values.
"""

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Self

from app.lineage import NO_OVERRIDES, LineageOverrides

ENV_PREFIX = "LEADERBOARD_"
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = ("auto", "api", "html")


class SettingsError(ValueError):
    """A setting with a value of the wrong kind; the message names the key."""


@dataclass(frozen=True)
class Settings:
    """Every setting, by its documented key in lower case (`MIN_REQUESTS` -> min_requests).

    The README's configuration table lists exactly these fields (a test keeps them equal).
    """

    # SQLite file; a relative path is resolved against the project root.
    database: str = "instance/leaderboard.sqlite3"
    # The runtime status file: every scrape writes its outcome there, so a failure the
    # database cannot take (read-only, full, missing) still reaches /api/health at once.
    # Empty: `<DATABASE>.last-run.json` beside the database (dev); the deploy sets
    # /run/chutes-leaderboard/last-run.json. A relative path is resolved like DATABASE.
    status_file: str = ""
    # Where the speeds come from: one of SOURCES (auto: the API, then the web pages); a
    # run with another value fails, recorded, naming it.
    source: str = "auto"
    api_url: str = "https://api.chutes.ai"
    llm_url: str = "https://llm.chutes.ai"
    web_url: str = "https://chutes.ai"
    # Web pages fetched per run (the fallback source).
    batch_size: int = 25
    # Seconds between the end of one request and the next to the same host.
    request_delay: float = 0.2
    # Read and connect timeouts of one attempt, in seconds.
    http_timeout: float = 30.0
    http_connect_timeout: float = 10.0
    # Retries per request on connection errors, 429 and 5xx (urllib3 Retry), and its
    # backoff factor.
    http_retries: int = 3
    http_backoff: float = 1.0
    # A Retry-After longer than this (seconds) is not waited for: the request fails.
    http_max_retry_after: float = 30.0
    # Response size cap in bytes.
    http_max_bytes: int = 32 * 1024 * 1024
    # Hard limit of one request: its retries, their waits and its whole body (seconds).
    http_request_deadline: float = 60.0
    # Hard limit of one scrape run, requests in flight included (seconds).
    run_budget: float = 300.0
    # How long a second scrape waits for the first before it exits saying so (seconds).
    lock_wait: float = 15.0
    # Days of history asked of the stats API each run (plus today).
    stats_days: int = 30
    # Seconds between scrapes; the data counts as stale after twice this.
    scrape_interval: int = 600
    # Capacity is stale when its newest snapshot (upstream's clock) is older than this
    # many seconds; upstream's snapshot cadence is unknown, so the margin is wide.
    capacity_stale_after: int = 3600
    # chutes.ai's figures are "frozen" when no run has seen its stats answer change for
    # this many seconds while runs succeed (its cache never expires: SPEC §5).
    upstream_frozen_after: int = 3600
    # A day below this many requests is a low sample, never a peak and never ranks.
    min_requests: int = 100
    # The board renders at most this many models per view (SPEC §6 "Scale"): ranked
    # first, with "show all N" linking the paginated view (`?page=`).
    board_limit: int = 100
    # flask-caching's backend: SimpleCache bounded in bytes (app/plumbing/cache_backend.py).
    # A worker is a ~45 MB process and SPEC §8 caps it at ~80 MB whatever the traffic, so
    # the responses it keeps may total CACHE_MAX_BYTES.
    cache_type: str = "app.plumbing.cache_backend.BoundedSimpleCache"
    cache_max_bytes: int = 24 * 1024 * 1024
    cache_threshold: int = 500
    cache_default_timeout: int = 300
    # Trusted proxies in front of gunicorn (nginx); 0 disables ProxyFix.
    proxy_hops: int = 1
    # Replay cached answers in front of Flask (app/plumbing/hotpath.py).
    hot_path: bool = True
    # Show the "Demo data" banner (make demo).
    demo: bool = False
    # Own probes (SPEC §2 D): off unless PROBE_KEY_FILE names a readable key file (under
    # systemd the credential $CREDENTIALS_DIRECTORY/probe-key is used when this is unset).
    probe_key_file: str = ""
    probe_max_tokens: int = 256
    # Output tokens per UTC day across every probe; a run that would pass it stops.
    probe_daily_tokens: int = 300000
    # Seconds to the first token, and for the whole answer.
    probe_ttft_timeout: float = 60.0
    probe_timeout: float = 180.0
    # Where the probes run from, free text shown on the methodology page.
    probe_location: str = ""
    probe_prompt: str = (
        "Write a long, plain, detailed essay about the history of rivers and how people"
        " have used them. Do not stop early."
    )
    user_agent: str = (
        "chutes-tps-leaderboard/1.0 (+https://github.com/chutes-tps-leaderboard/leaderboard)"
    )
    # Lineage overrides (SPEC §5): a JSON object of old chute_id -> new chute_id, beside
    # the `-TEE` name rule; a null new one unlinks the old (app/lineage.py).
    lineage: LineageOverrides = NO_OVERRIDES

    @classmethod
    def documented_keys(cls) -> tuple[str, ...]:
        """The documented keys, upper case, in declaration order."""
        return tuple(f.name.upper() for f in fields(cls))

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Self:
        """Defaults, then LEADERBOARD_* variables of `environ` (os.environ by default),
        then `overrides` (upper-case keys; keys that are no setting are ignored here)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for key in cls.documented_keys():
            if ENV_PREFIX + key in environ:
                values[key] = _from_env(environ[ENV_PREFIX + key])
        values.update({k: v for k, v in (overrides or {}).items() if k in cls.documented_keys()})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Self:
        """Settings from upper-case keys (a Flask config will do); missing keys take their
        defaults, other keys are ignored, every value is coerced to its field's type."""
        kinds = {f.name: f.type for f in fields(cls)}
        given = {
            key.lower(): _coerce(key, values[key], kinds[key.lower()])
            for key in cls.documented_keys()
            if key in values
        }
        settings = cls(**given)
        if not os.path.isabs(settings.database):
            settings = dataclasses.replace(
                settings, database=os.path.join(PROJECT_ROOT, settings.database)
            )
        if settings.status_file and not os.path.isabs(settings.status_file):
            settings = dataclasses.replace(
                settings, status_file=os.path.join(PROJECT_ROOT, settings.status_file)
            )
        return settings

    def as_config(self) -> dict[str, Any]:
        """The settings as Flask config keys."""
        return {f.name.upper(): getattr(self, f.name) for f in fields(self)}

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


def _from_env(text: str) -> Any:
    """As Flask's from_prefixed_env reads a value: JSON if it parses, else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _coerce(key: str, value: Any, kind: Any) -> Any:
    """`value` as `kind` (bool, int, float or str), or SettingsError naming the key."""
    if kind in (LineageOverrides, "LineageOverrides"):
        try:
            return LineageOverrides.parse(value)
        except ValueError as exc:
            raise SettingsError(f"{key}: {exc}, got {value!r:.200}") from None
    try:
        if kind in (bool, "bool"):
            return _as_bool(value)
        if kind in (int, "int"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind in (float, "float"):
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        name = getattr(kind, "__name__", kind)
        raise SettingsError(f"{key}: expected {name}, got {value!r}") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)
