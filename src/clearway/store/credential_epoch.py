"""The credential epoch: one counter row that revocations and suspensions bump.

Server processes cache verified API keys and tokens (access_service); each checks this one row,
by primary key, before trusting its cache, and forgets everything it cached when the number moved.
A revocation or suspension made by another process (the command line, another worker) thus bites
on the next request instead of when the cache entry expires.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import credential_epoch

_ROW = 1


def read(conn: sa.Connection) -> int:
    """The current epoch (0 before the first bump)."""
    value = conn.execute(sa.select(credential_epoch.c.epoch).where(credential_epoch.c.id == _ROW)).scalar()
    return int(value or 0)


def bump(conn: sa.Connection) -> None:
    """Move the epoch on, in the caller's transaction (so it moves only if the revocation commits)."""
    moved = conn.execute(
        credential_epoch.update().where(credential_epoch.c.id == _ROW).values(epoch=credential_epoch.c.epoch + 1)
    )
    if moved.rowcount == 0:  # the row is missing (a database emptied by hand): start it again
        conn.execute(credential_epoch.insert().values(id=_ROW, epoch=1))
