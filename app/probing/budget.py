"""The daily token budget (SPEC §2 D), pure: PROBE_DAILY_TOKENS output tokens per UTC
day across every probe of every run. A probe is started only when even its worst case
(max_tokens) still fits; a run that reaches the line probes nothing more."""


def may_probe(used_today: int, max_tokens: int, daily_tokens: int) -> bool:
    """True when one more probe of up to `max_tokens` keeps the day within budget."""
    return used_today + max_tokens <= daily_tokens


def probes_per_day(daily_tokens: int, max_tokens: int) -> int:
    """How many probes a day's budget allows at worst (each runs to max_tokens)."""
    return daily_tokens // max_tokens if max_tokens > 0 else 0
