"""Engine creation: SQLite tuned for an embedded write-heavy service, PostgreSQL through psycopg 3."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

log = logging.getLogger("clearway.store")
# SQLite gives a database's -wal, -shm and -journal files the mode of the database file itself.
_COMPANIONS = ("-wal", "-shm", "-journal")


def _private_file(database: str) -> None:
    """Create the SQLite file readable and writable by its owner only (it holds personal data).

    Created here, before SQLite opens it, with mode 0600 whatever the umask, so that there is no
    moment when it is readable by others. A file an older version left readable by other users is
    made private, with its companion files, and the log says so.
    """
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _COMPANIONS)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & stat.S_IRWXO:
                file.chmod(mode & ~stat.S_IRWXO & ~stat.S_IRWXG)
                log.warning("%s was readable by other users; only its owner may now read it", file)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("%s is readable by other users and is not ours to change: make it private", file)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while the pipeline writes; NORMAL sync is durable at checkpoints and
    # safe against corruption, the usual choice with WAL. The busy timeout turns a concurrent
    # writer into a short wait instead of an error.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def check_driver(url: URL) -> None:
    """Refuse (ValueError) a PostgreSQL URL for another driver than psycopg 3, the one Clearway runs on."""
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise ValueError("PostgreSQL URLs must use psycopg 3: postgresql+psycopg://user@host/db")


def create_engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    check_driver(parsed)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_file(database)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
