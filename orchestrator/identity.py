"""Who does a thing, by one rule for every command that records a person: ``--by NAME``, else
``$LOGIUS_MIGRATE_OPERATOR``, else the login name of the user this process runs as (read from the
user database, so it is there with ``$USER`` and ``$LOGNAME`` unset: never "unknown"). A run's
owner adds the host and the process: ``NAME@HOST:PID``."""

from __future__ import annotations

import os
import socket

OPERATOR_ENV = "LOGIUS_MIGRATE_OPERATOR"


def login_name() -> str:
    """The name of the user this process runs as; its uid where the user database has none."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid-{os.getuid()}"


def person(by: str | None = None) -> str:
    """``by``, else $LOGIUS_MIGRATE_OPERATOR, else the login name."""
    return (by or "").strip() or os.environ.get(OPERATOR_ENV, "").strip() or login_name()


def owner(by: str | None = None) -> str:
    """The person, this host and this process: what a run, a lease and a rollback record."""
    return f"{person(by)}@{socket.gethostname()}:{os.getpid()}"
