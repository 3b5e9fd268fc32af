"""Logging for the command line: one logger tree (``logius_migrate``), a stderr handler whose level
follows -v/-q, and a rotated log file that keeps everything (and every traceback) under
``$LOGIUS_MIGRATE_HOME``, else ``$XDG_CACHE_HOME/logius-migrate``, else ``~/.cache/logius-migrate``.
Every record is redacted before it is written, once a session knows the secrets."""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Callable
from pathlib import Path

LOGGER = "logius_migrate"
MAX_BYTES, BACKUPS = 1_000_000, 5


def log_dir() -> Path:
    home = os.environ.get("LOGIUS_MIGRATE_HOME")
    if home:
        return Path(home)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "logius-migrate"


def log_path() -> Path:
    return log_dir() / "logius-migrate.log"


class _Redacting(logging.Filter):
    """Passes every record through the session's redactor (set once the secrets are known)."""

    redact: Callable[[str], str] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.redact is not None:
            record.msg = self.redact(record.getMessage())
            record.args = None
        return True


REDACTING = _Redacting()


def configure(verbosity: int) -> None:
    """``verbosity``: -1 quiet (errors only), 0 warnings, 1 info (-v), 2 debug (-vv, with Ansible's
    output). The file always gets debug; it rotates at 1 MB, five files kept."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    stderr = logging.StreamHandler()
    stderr.setLevel({-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG))
    stderr.setFormatter(logging.Formatter("%(message)s"))
    stderr.addFilter(REDACTING)
    logger.addHandler(stderr)
    try:
        log_dir().mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(log_path(), maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                        encoding="utf-8", delay=True)
    except OSError:
        return  # no log folder to be had: stderr only
    rotating.setLevel(logging.DEBUG)
    rotating.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    rotating.addFilter(REDACTING)
    logger.addHandler(rotating)


def redact_with(redact: Callable[[str], str]) -> None:
    REDACTING.redact = redact
