"""Outbound streamed reads, shared by the scraper and the prober (no Flask here)."""

import socket
from typing import Any


def response_socket(raw: Any) -> socket.socket | None:
    """The socket under a streamed urllib3 response, or None.

    While the connection belongs to the pool it is `raw.connection.sock`. A response the
    server will close ("Connection: close", as many servers send on a stream) is no longer
    tied to a pool connection; its socket is still under http.client's file object.
    """
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is None:
        buffered = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's reader
        sock = getattr(getattr(buffered, "raw", None), "_sock", None)  # its socket.SocketIO
    return sock if isinstance(sock, socket.socket) else None


def limit_socket_wait(raw: Any, seconds: float) -> None:
    """Make the next socket read of a streamed urllib3 response wait at most `seconds`."""
    sock = response_socket(raw)
    if sock is not None:
        sock.settimeout(max(0.001, seconds))
