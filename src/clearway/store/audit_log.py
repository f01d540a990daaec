"""The audit log on SQL: appends chained entries, reads them back in order for verification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.audit.chain import AuditEntry, AuditEvent, extend
from clearway.store.bulk import BulkWriter
from clearway.store.tables import audit_head, audit_log

_AUDIT_DETAIL = msgspec.json.Encoder(order="sorted")
_AUDIT_DECODE = msgspec.json.Decoder(dict[str, Any])


class SqlAuditLog:
    def __init__(self, connection: sa.Connection, bulk: BulkWriter | None = None) -> None:
        self.conn = connection
        self.bulk = bulk or BulkWriter(connection)

    def record(
        self, actor: str, action: str, subject: str, detail: dict[str, Any], at: dt.datetime | None = None
    ) -> None:
        """Append one event (now, unless ``at`` says when): what the application services write."""
        self.append(
            [AuditEvent(at=at or dt.datetime.now(dt.UTC), actor=actor, action=action, subject=subject, detail=detail)]
        )

    def append(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        # FOR UPDATE orders concurrent appends from several processes on PostgreSQL; SQLite
        # already runs one writer at a time.
        lock = "" if self.bulk.sqlite else " FOR UPDATE"
        seq, prev = self.conn.exec_driver_sql(f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}").one()
        entries = extend(seq, prev, events)
        w = self.bulk
        w.insert(
            audit_log,
            ("seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash"),
            [
                (
                    e.seq,
                    w.time(e.at),
                    e.actor,
                    e.action,
                    e.subject,
                    _AUDIT_DETAIL.encode(e.detail).decode(),
                    e.prev_hash,
                    e.hash,
                )
                for e in entries
            ],
        )
        last = entries[-1]
        w.update(audit_head, ("seq", "hash"), "id", [(last.seq, last.hash, 1)])

    def entries(self, after: int, limit: int) -> list[AuditEntry]:
        """Audit entries in sequence order after ``after``, for verification."""
        rows = self.conn.exec_driver_sql(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log"
            f" WHERE seq > {self.bulk.mark} ORDER BY seq LIMIT {int(limit)}",
            (after,),
        )
        return [
            AuditEntry(
                seq=seq,
                at=self.bulk.read_time(at),
                actor=actor,
                action=action,
                subject=subject,
                detail=_AUDIT_DECODE.decode(detail),
                prev_hash=prev_hash,
                hash=digest,
            )
            for seq, at, actor, action, subject, detail, prev_hash, digest in rows
        ]

    def head(self) -> tuple[int, str]:
        seq, digest = self.conn.exec_driver_sql("SELECT seq, hash FROM audit_head WHERE id = 1").one()
        return int(seq), str(digest)
