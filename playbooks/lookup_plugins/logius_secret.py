"""lookup('logius_secret', NAME): a secret variable served by logius-migrate for this run only.

logius-migrate passes secrets to a playbook through an abstract Unix socket, never through a file,
the command line or the environment (see orchestrator/steps/secret_channel.py). The socket's name
and the run's token arrive as the ordinary variables logius_secret_socket and logius_secret_token.
"""

from __future__ import annotations

import json
import socket

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = """
name: logius_secret
short_description: a secret variable served by logius-migrate for this run
description: Reads the named secret variable from the run's secret channel (an abstract Unix socket).
options:
  _terms:
    description: names of secret variables
    required: true
"""


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        address = variables.get("logius_secret_socket")
        token = variables.get("logius_secret_token")
        if not address or not token:
            raise AnsibleError("logius_secret: no secret channel (run this playbook through logius-migrate)")
        return [self._ask(str(address), str(token), str(name)) for name in terms]

    @staticmethod
    def _ask(address, token, name):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(10)
            try:
                connection.connect("\0" + address)
                connection.sendall(json.dumps({"token": token, "name": name}).encode() + b"\n")
                reply = json.loads(connection.makefile("r").readline() or "{}")
            except (OSError, ValueError) as exc:
                raise AnsibleError(f"logius_secret: the secret channel did not answer ({exc})") from None
        if "error" in reply:
            raise AnsibleError(f"logius_secret: {reply['error']}")
        return reply["value"]
