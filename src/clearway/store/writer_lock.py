"""One writing process per SQLite database: a lock file that the process serving it holds.

Within one process the service serialises its writes (ADR 0002): linking reads then writes, and the
audit chain appends after its head. Several processes on one SQLite file do not share that lock:
their deferred transactions fail with "database is locked" whenever another process committed
between their read and their write (WAL gives no busy wait there), and two linkers can miss each
other's half of a match. PostgreSQL orders them with row locks; SQLite cannot. So a process that
serves or bulk-writes a SQLite database takes ``<database>.writer.lock`` (``flock``, released by
the kernel when the process ends, however it ends) and a second one stops at once with a clear
sentence instead of failing later on random requests. Readers (``clearway stats``, ``audit
verify``, exports) take no lock: WAL lets them read while the server writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

ADVICE = "use PostgreSQL (CLEARWAY_DATABASE_URL=postgresql+psycopg://...) for several processes"


class DatabaseInUse(RuntimeError):
    """Another process already writes this SQLite database, or several were asked for."""


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database).resolve()


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".writer.lock")


@contextlib.contextmanager
def sole_writer(url: str, *, processes: int = 1, what: str = "clearway") -> Iterator[None]:
    """Hold the writer lock of a SQLite database for the block; nothing for PostgreSQL.

    ``processes`` is how many processes the caller is about to start on it (``serve --workers``):
    more than one is refused before anything starts. ``what`` names the holder for the message a
    second process prints.
    """
    database = sqlite_file(url)
    if database is None:
        yield
        return
    if processes > 1:
        raise DatabaseInUse(f"SQLite supports one serving process, not {processes} — {ADVICE}")
    database.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "(starting)"
            raise DatabaseInUse(
                f"this SQLite database is already served by process {holder}; "
                f"SQLite supports one serving process — {ADVICE}"
            ) from None
        # The file is never removed: removing it would let a third process lock a new file while
        # the second still holds the old one. Its content only names the holder.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} ({what})\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
