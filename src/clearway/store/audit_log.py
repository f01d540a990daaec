"""The audit log on SQL: appends chained entries, reads them back in order for verification.

An append of several events is one batch (clearway.audit.chain): its entries with their content
hashes into audit_log, one batch entry into audit_batches, the head moved once. An append of one
event stays a single chained entry, as every entry was before migration 0022.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.audit.chain import AuditBatch, AuditEntry, AuditEvent, Verification, extend, seal, verify
from clearway.store.bulk import BulkWriter
from clearway.store.tables import audit_batches, audit_head, audit_log

_AUDIT_DETAIL = msgspec.json.Encoder(order="sorted")
_AUDIT_DECODE = msgspec.json.Decoder(dict[str, Any])
_COLUMNS = ("seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash")


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
        # already runs one writer at a time. The head is held until the transaction ends, so the
        # next append (in any process) chains after this one's last link.
        lock = "" if self.bulk.sqlite else " FOR UPDATE"
        seq, prev = self.conn.exec_driver_sql(f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}").one()
        w = self.bulk
        if len(events) == 1:
            [e] = extend(seq, prev, events)
            rows = [(e.seq, w.time(e.at), e.actor, e.action, e.subject, _text(e.detail), e.prev_hash, e.hash)]
            w.insert(audit_log, _COLUMNS, rows)
            w.update(audit_head, ("seq", "hash"), "id", [(e.seq, e.hash, 1)])
            return
        sealed = seal(seq, prev, events)
        w.insert(
            audit_log,
            _COLUMNS,
            [
                (e.seq, w.time(e.at), e.actor, e.action, e.subject, detail.decode(), "", e.hash)
                for e, detail in zip(sealed.entries, sealed.details, strict=True)
            ],
        )
        b = sealed.batch
        self.conn.exec_driver_sql(
            "INSERT INTO audit_batches (first_seq, last_seq, digests, prev_hash, hash)"
            f" VALUES ({', '.join([w.mark] * 5)})",
            (b.first_seq, b.last_seq, b.digests, b.prev_hash, b.hash),
        )
        w.update(audit_head, ("seq", "hash"), "id", [(b.last_seq, b.hash, 1)])

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

    def batches(self, after: int, limit: int) -> list[AuditBatch]:
        """Batch entries in order of their first entry, those starting after entry ``after``."""
        rows = self.conn.execute(
            sa.select(audit_batches)
            .where(audit_batches.c.first_seq > after)
            .order_by(audit_batches.c.first_seq)
            .limit(limit)
        )
        return [
            AuditBatch(
                first_seq=r.first_seq, last_seq=r.last_seq, digests=bytes(r.digests), prev_hash=r.prev_hash, hash=r.hash
            )
            for r in rows
        ]

    def verify(self, page: int = 10_000) -> Verification:
        """Walk the whole chain in order (entries ``page`` at a time) and check every link, hash
        and the head."""
        head = self.head()

        def entries() -> Iterator[AuditEntry]:
            after = 0
            while found := self.entries(after, page):
                yield from found
                after = found[-1].seq

        def batches() -> Iterator[AuditBatch]:
            # A few at a time: the batch of a 10,000-record chunk lists ~40,000 hashes (1.3 MB).
            after = 0
            while found := self.batches(after, 16):
                yield from found
                after = found[-1].first_seq

        return verify(entries(), head=head, batches=batches())

    def head(self) -> tuple[int, str]:
        seq, digest = self.conn.exec_driver_sql("SELECT seq, hash FROM audit_head WHERE id = 1").one()
        return int(seq), str(digest)


def _text(detail: dict[str, Any]) -> str:
    return _AUDIT_DETAIL.encode(detail).decode()
