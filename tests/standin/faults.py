"""Fault knobs: how the stand-in misbehaves on matching paths."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Any

BODY_FAULTS = ("empty", "html", "truncated", "oversized", "no_script", "malformed")


@dataclass
class Fault:
    """How to misbehave on matching paths.

    status      answer with this status code (the body says so, JSON or HTML as usual);
    retry_after a `Retry-After` header value (with 429/503);
    delay       seconds to sleep before answering (timeouts);
    body        "empty" (the endpoint's natural empty answer, e.g. `[]` for stats),
                "html" (an HTML error page, status 200 unless `status`),
                "truncated" (the real body cut at `size` bytes, default half),
                "oversized" (`size` bytes generated lazily; `declare_length` sends a
                Content-Length), "no_script" (page without its data script),
                "malformed" (page whose devalue literal is cut off; JSON is truncated);
    times       apply to the first `times` matching requests only, then heal.
    """

    status: int | None = None
    retry_after: int | str | None = None
    delay: float = 0.0
    body: str | None = None
    size: int = 0
    declare_length: bool = True
    times: int | None = None

    def __post_init__(self) -> None:
        if self.body is not None and self.body not in BODY_FAULTS:
            raise ValueError(f"unknown body fault {self.body!r}; use one of {BODY_FAULTS}")


class Faults:
    """Fault rules by path pattern (fnmatch: "/app/chute/*", "*"); first live match wins."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()

    def add(self, pattern: str, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Add a rule (a Fault, or its fields as keywords); returns the Fault."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self._rules.append((pattern, fault))
        return fault

    def clear(self) -> None:
        """Remove every rule: the upstream behaves again."""
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> Fault | None:
        """The rule for this request, counting one use of it."""
        with self._lock:
            for pattern, fault in self._rules:
                if not fnmatch.fnmatchcase(path, pattern):
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None
