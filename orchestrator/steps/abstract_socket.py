"""A Unix socket in Linux's abstract namespace, served on a thread: no file behind it, nothing left
after a kill, no path length to outgrow. The secret channel and the tools' handshake both use it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


def listen(name: str, backlog: int = 64) -> socket.socket:
    """A listening socket at abstract address ``name`` that wakes every 0.2 s to look for a close."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + name)
    server.listen(backlog)
    server.settimeout(0.2)
    return server


def serve(server: socket.socket, closed: threading.Event, answer: Callable[[socket.socket], None]) -> None:
    """Accept connections one by one and ``answer`` each, until ``closed`` is set or the socket shuts."""
    while not closed.is_set():
        try:
            connection, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with connection:
            answer(connection)
