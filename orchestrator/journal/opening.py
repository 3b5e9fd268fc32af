"""Finding, creating, checking and upgrading a journal before anything is read or written.

A journal is created only on request (`lab up`, `journal init`); every other command refuses a
journal that is not there, so a mistyped path or a deleted file can never start an empty history
in which every service looks unmigrated. Damaged, foreign, read-only and unreachable journals each
get one line naming the file or URL and what to do; a read-only journal is still read (never
written) by the commands that only read.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from orchestrator.errors import InputError, JournalUnavailable
from orchestrator.journal import chain, schema

DB_ENV = "LOGIUS_MIGRATE_DB"
SQLITE_HEADER = b"SQLite format 3\x00"
_POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def resolve_url(db: str | Path | None, default_path: Path | None) -> str:
    """A SQLAlchemy URL from ``--db`` / ``$LOGIUS_MIGRATE_DB`` (a PostgreSQL URL, a ``sqlite:///``
    URL or a file path), else the SQLite file ``default_path``. Any other URL is bad input."""
    value = str(db) if db else os.environ.get(DB_ENV) or (str(default_path) if default_path else "")
    if not value:
        raise InputError("no journal given: pass --db (a PostgreSQL URL or a journal file)")
    if value.startswith(_POSTGRES_PREFIXES):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if value.startswith("sqlite:///"):
        return f"sqlite:///{Path(value.removeprefix('sqlite:///')).resolve()}"
    if "://" in value:
        raise InputError(f"--db {display_url(value)}: not a journal URL; give postgresql://HOST/DB or "
                         f"the path of a journal file")
    return f"sqlite:///{Path(value).resolve()}"


def display_url(url: str) -> str:
    """The URL without any password, for messages and logs."""
    if "://" in url and "@" in url.split("://", 1)[1]:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user + ':***' if ':' in credentials else user}@{host}"
    return url


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def check_sqlite_file(path: Path, writing: bool = True) -> None:
    """Refuse, in one line, a journal file that is missing, not SQLite, or (when ``writing``) not
    writable."""
    if not path.exists():
        raise InputError(f"journal {path} does not exist; create one with `logius-migrate journal init "
                         f"--db {path}` (or `logius-migrate lab up`), or pass the right --db")
    if not path.is_file():
        raise InputError(f"journal {path} is not a file")
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        what = "is empty" if not header else "is not a SQLite database"
        raise InputError(f"journal {path} {what}: it is not a logius-migrate journal (damaged or "
                         f"overwritten); restore it from a backup, or pass the right --db")
    if writing and is_read_only(path):
        raise InputError(f"journal {path} is read-only (the file or its folder); give this user write "
                         f"access to both, or copy the journal somewhere writable")


def is_read_only(path: Path) -> bool:
    """Whether the journal file, or its folder, is read-only. The mode bits count even for root,
    who may write anyway: a journal made read-only is one its owner does not want written."""
    return (not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
            or not path.stat().st_mode & 0o200)


def read_only_engine(path: Path) -> Engine:
    """An engine that reads the journal file ``path`` without ever writing it: SQLite's URI
    ``mode=ro``, and ``immutable=1`` unless a write-ahead log lies beside it (immutable would not
    read it), so that no lock, ``-wal`` or ``-shm`` file is made, even in a read-only folder. No
    WAL set-up: that is a write."""
    import sqlite3
    from urllib.parse import quote

    from sqlalchemy.pool import NullPool

    wal = Path(f"{path}-wal")
    uri = f"file:{quote(str(path))}?mode=ro" + ("" if wal.exists() and wal.stat().st_size else "&immutable=1")
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)


def create_sqlite(path: Path) -> bool:
    """Create the journal file atomically (a temporary file renamed in, under a file lock, checking
    again once the lock is held). False if it was already there."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if path.exists():
            return False
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            engine = make_engine(f"sqlite:///{temporary}")
            with engine.begin() as connection:
                upgrade(connection, 0)
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
            engine.dispose()
            os.replace(temporary, path)
        finally:
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                leftover.unlink(missing_ok=True)
    return True


def stored_version(connection: Connection, where: str) -> int:
    """The schema version a journal records; a database without one is not a journal."""
    if not inspect(connection).has_table("meta"):
        raise InputError(f"journal {where} has no journal tables: it is not a logius-migrate journal; "
                         f"create one with `logius-migrate journal init`, or pass the right --db")
    row = connection.execute(select(schema.meta.c.value).where(
        schema.meta.c.key == "schema_version")).first()
    if row is None or not str(row[0]).isdigit():
        raise InputError(f"journal {where} has no schema version: it is damaged or not a logius-migrate "
                         f"journal; restore it from a backup")
    return int(row[0])


def upgrade(connection: Connection, version: int) -> None:
    """Bring a journal at ``version`` (0: empty) up to ``schema.SCHEMA_VERSION`` with alembic, in
    the caller's transaction. A version-1 journal predates alembic: it is stamped first."""
    from alembic import command
    from alembic.config import Config
    from alembic.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", "orchestrator.journal:migrations")
    config.attributes["connection"] = connection
    if version and MigrationContext.configure(connection).get_current_revision() is None:
        command.stamp(config, f"{version:04d}")
    command.upgrade(config, "head")


def open_checked(url: str, create: bool, read_only: bool = False) -> tuple[Engine, bool]:
    """An engine on a journal that exists (or was just created, with ``create``), holds journal
    tables, and is at this tool's schema version (upgraded if older); and whether this call created
    it. ``read_only`` is for commands that only read: a read-only SQLite journal (file or folder)
    is then opened without a single write, and an older schema is refused, not upgraded."""
    sqlite, created, frozen = url.startswith("sqlite"), False, False
    if sqlite:
        path = sqlite_path(url)
        created = create_sqlite(path) if create else False
        check_sqlite_file(path, writing=not read_only)
        frozen = read_only and is_read_only(path)
    engine = read_only_engine(sqlite_path(url)) if frozen else make_engine(url)
    with _one_line_errors(url, engine), engine.begin() as connection:
        if not sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            if create and not inspect(connection).has_table("meta"):
                upgrade(connection, 0)
                created = True
        version = stored_version(connection, display_url(url))
        if version > schema.SCHEMA_VERSION:
            raise InputError(f"journal {display_url(url)}: schema version {version} is newer than this "
                             f"tool understands ({schema.SCHEMA_VERSION}); upgrade logius-migrate")
        if version < schema.SCHEMA_VERSION and frozen:
            raise InputError(f"journal {sqlite_path(url)} is read-only and at schema version {version}, "
                             f"older than this tool's {schema.SCHEMA_VERSION}, so it is not upgraded; read "
                             f"it with the logius-migrate that wrote it, or upgrade a writable copy "
                             f"(`logius-migrate journal init --db COPY`)")
        if version < schema.SCHEMA_VERSION:
            upgrade(connection, version)
    chain.install(engine)  # every write to a table that matters is chained (journal/chain.py)
    return engine, created


@contextlib.contextmanager
def _one_line_errors(url: str, engine: Engine) -> Iterator[None]:
    """A journal that cannot be opened or read, as one line naming it (the engine disposed)."""
    where = display_url(url)
    try:
        yield
    except OperationalError as exc:
        engine.dispose()
        if url.startswith("sqlite"):
            raise InputError(f"journal {where}: {_first_line(exc)}") from None
        raise JournalUnavailable(f"journal {where}: cannot connect ({_first_line(exc)}); check that the "
                                 f"server runs and the URL is right") from None
    except DatabaseError as exc:
        engine.dispose()
        raise InputError(f"journal {where} is damaged ({_first_line(exc)}); restore it from a "
                         f"backup") from None
    except BaseException:
        engine.dispose()
        raise


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__
