"""One run of a scheduled job at a time across processes: a PostgreSQL advisory lock per job.

Several server processes on one PostgreSQL database each run the background sweep. Without this,
two of them would hold the same overdue declaration twice, or train the same model twice. The lock
is a session-level advisory lock taken with ``pg_try_advisory_lock``: a process that finds the job
running elsewhere skips it this time (the next sweep comes soon), and the lock goes with the
session if the process dies. SQLite has one serving process (store/writer_lock.py): no lock needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


def job_key(name: str) -> int:
    """The advisory lock's 64-bit key for a job: stable across processes and releases."""
    return int.from_bytes(hashlib.sha256(f"clearway job:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def only_one(engine: sa.Engine, name: str) -> Iterator[bool]:
    """Yield True when this process holds job ``name`` for the block, False when another does."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = job_key(name)
    with engine.connect() as conn:
        held = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
