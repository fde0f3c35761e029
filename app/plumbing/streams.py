"""Outbound streamed reads, shared by the scraper and the prober (no Flask here)."""

from typing import Any


def limit_socket_wait(raw: Any, seconds: float) -> None:
    """Make the next socket read of a streamed urllib3 response wait at most `seconds`."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(0.001, seconds))
