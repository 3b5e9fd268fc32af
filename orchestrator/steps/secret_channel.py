"""Handing secrets to Ansible without writing them anywhere: an abstract Unix socket.

An abstract socket (Linux) has no file behind it: nothing on disk, nothing left after a kill. The
playbooks read a secret variable with ``lookup('logius_secret', NAME)`` (the lookup plugin in
``playbooks/lookup_plugins/``), which connects, proves it is this user's process (the kernel's
peer credentials) holding this run's token, and gets the value. The channel lives as long as
the playbook run; afterwards the address answers nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import struct
import threading
from typing import Any

from orchestrator.steps import abstract_socket


class SecretChannel:
    """Serves ``values`` (name -> JSON-able value) to lookups from this user's processes that
    present the token, until closed. Use as a context manager."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self.token = secrets.token_hex(16)
        self.address = f"logius-migrate-{os.getpid()}-{secrets.token_hex(8)}"
        self._server = abstract_socket.listen(self.address)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=abstract_socket.serve, name="secret-channel", daemon=True,
                                        args=(self._server, self._closed, self._answer))
        self._thread.start()

    def variables(self) -> dict[str, str]:
        """The (non-secret) variables the playbook needs to reach the channel."""
        return {"logius_secret_socket": self.address, "logius_secret_token": self.token}

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", credentials)
        try:
            request = json.loads(connection.makefile("r").readline() or "{}")
        except (OSError, ValueError):
            return
        if uid != os.getuid() or not secrets.compare_digest(str(request.get("token", "")), self.token):
            reply: dict[str, Any] = {"error": "refused"}
        elif request.get("name") not in self._values:
            reply = {"error": f"no secret variable named {request.get('name')!r}"}
        else:
            reply = {"value": self._values[request["name"]]}
        try:
            connection.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass

    def close(self) -> None:
        self._closed.set()
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept at once
        except OSError:
            pass
        self._server.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> SecretChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
