"""Migration 0022 on a database with an audit chain: the entries chained one by one before it still
verify, and the chain goes on from the same head in batches (and single entries)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from clearway.audit.chain import AuditEvent, extend
from clearway.store import append_only
from clearway.store.audit_log import SqlAuditLog
from clearway.store.migrate import downgrade, upgrade

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
_DETAIL = msgspec.json.Encoder(order="sorted")


def _event(n: int) -> AuditEvent:
    return AuditEvent(at=T0, actor="operator:op-1", action="consignment.state", subject=f"c{n}", detail={"to": "held"})


def test_a_chain_stored_before_the_migration_still_verifies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0021")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        # The rows exactly as the code before 0022 wrote them: every entry linked to the one before.
        old = extend(0, "0" * 64, [_event(n) for n in range(5)])
        for e in old:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)"
                    " VALUES (:seq, :at, :actor, :action, :subject, :detail, :prev, :hash)"
                ),
                {
                    "seq": e.seq,
                    "at": "2026-11-20 10:00:00.000000",
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "detail": _DETAIL.encode(e.detail).decode(),
                    "prev": e.prev_hash,
                    "hash": e.hash,
                },
            )
        conn.execute(sa.text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": 5, "hash": old[-1].hash})
    upgrade(url)
    with engine.begin() as conn:
        log = SqlAuditLog(conn)
        assert log.verify().ok
        log.append([_event(n) for n in range(5, 9)])  # a batch
        log.append([_event(9)])  # a single entry
        log.append([_event(n) for n in range(10, 12)])  # another batch
    with engine.connect() as conn:
        result = SqlAuditLog(conn).verify(page=4)
        assert result.ok and result.checked == 12
        batches = conn.execute(sa.text("SELECT first_seq, last_seq FROM audit_batches ORDER BY 1")).all()
        assert [tuple(b) for b in batches] == [(6, 9), (11, 12)]
    # An old entry edited by hand is still named.
    with engine.begin() as conn:
        append_only.drop(conn, append_only.TABLES)
        conn.execute(sa.text("UPDATE audit_log SET actor = 'officer:x' WHERE seq = 2"))
        append_only.create(conn, append_only.TABLES)
    with engine.connect() as conn:
        result = SqlAuditLog(conn).verify()
        assert not result.ok and result.seq == 2 and "altered" in (result.problem or "")
    engine.dispose()


def test_a_downgrade_that_would_destroy_batch_entries_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'batched.db'}"
    upgrade(url, "0022")
    downgrade(url, "0021")  # nothing stored yet: back it goes
    upgrade(url, "0022")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        SqlAuditLog(conn).append([_event(n) for n in range(3)])  # a batch entry
    with pytest.raises(RuntimeError, match="audit_batches holds rows"):
        downgrade(url, "0021")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_batches")).scalar_one() == 1
        assert SqlAuditLog(conn).verify().ok
    engine.dispose()
