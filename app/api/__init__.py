"""The read-only JSON/CSV API under /api (blueprint `api`)."""

from app.api import docs, events
from app.api.routes import bp

__all__ = ["bp", "docs", "events"]
