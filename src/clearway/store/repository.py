"""The clearance store on SQL: implements clearway.clearance.store.ClearanceStore.

One instance wraps one connection inside one transaction. Lookups are batched and chunked so that
a 100,000-record batch costs a few dozen queries, not 100,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Literal

import msgspec
import sqlalchemy as sa

from clearway.audit.chain import AuditEvent
from clearway.clearance.assessment import AssessedConsignment
from clearway.clearance.decision import Decision
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.link_view import LinkDocument
from clearway.clearance.linking import LinkResult, payment_key
from clearway.clearance.model import (
    ConsignmentState,
    HistoryEntry,
    StepResult,
    StoredConsignment,
    StoredDocument,
    canonical_json,
)
from clearway.clearance.notices import Notice, Subscribers
from clearway.dataset.records import DOCUMENT_TYPES, Consignment, DocumentKind
from clearway.revenue.model import PriorUsage
from clearway.risk.lanes import RiskResult
from clearway.store import document_repo, link_lookups, message_repo, order_locks, revenue_repo, risk_repo, webhook_repo
from clearway.store.audit_log import SqlAuditLog
from clearway.store.bulk import BulkWriter
from clearway.store.tables import (
    AWAITING,
    consignment_versions,
    consignments,
    history,
    plain_row,
    results,
)

_CHUNK = 2000
_CONSIGNMENT = msgspec.json.Decoder(Consignment)
_DOCUMENT = {kind: msgspec.json.Decoder(cls) for kind, cls in DOCUMENT_TYPES.items()}
_LINK = msgspec.json.Decoder(LinkResult)
_DECISION = msgspec.json.Decoder(Decision)
_KEY_COLUMN = {"order": "order_number", "payment": "payment_key", "waybill": "transport_document"}
_AWAITING_INDEX = {
    "order": "ix_consignments_awaiting_order_number",
    "payment": "ix_consignments_awaiting_payment_key",
    "waybill": "ix_consignments_transport_document",
}


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


_STATE_COLUMNS = ("state", "hold_reason", "lane", "link_status", "deadline", "updated_at", "control")
_CONSIGNMENT_COLUMNS = (
    "id",
    "operator_id",
    "reference",
    "version",
    "body_hash",
    "destination_country",
    "order_number",
    "payment_key",
    "transport_document",
    "currency",
    "goods_value",
    "received_at",
    *_STATE_COLUMNS,
)


_CONSIGNMENT_SELECT = (
    "SELECT c.id, c.operator_id, c.reference, c.version, c.body_hash, c.received_at, c.state, c.hold_reason,"
    " c.lane, c.link_status, c.deadline, c.updated_at, c.control, v.body"
    " FROM consignments c JOIN consignment_versions v ON v.consignment_id = c.id AND v.version = c.version"
)
_DOCUMENT_SELECT = (
    "SELECT id, kind, operator_id, number, order_number, body_hash, received_at, body, sender_kind FROM documents"
)


class SqlClearanceStore:
    """Hot reads and writes go through the driver (see store.bulk); the rest uses SQLAlchemy Core."""

    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection
        self.bulk = BulkWriter(connection)

    # -- reads -------------------------------------------------------------------------------

    def _consignment(self, row: Sequence[Any]) -> StoredConsignment:
        (
            cid,
            operator,
            reference,
            version,
            body_hash,
            received,
            state,
            hold,
            lane,
            link,
            deadline,
            updated,
            control,
            body,
        ) = row
        t = self.bulk.read_time
        return StoredConsignment(
            id=cid,
            operator_id=operator,
            reference=reference,
            version=version,
            body_hash=body_hash,
            received_at=t(received),
            record=_CONSIGNMENT.decode(body),
            status=ConsignmentState(
                state=State(state),
                hold_reason=HoldReason(hold) if hold else None,
                lane=lane,
                link_status=link,
                deadline=self.bulk.read_optional_time(deadline),
                updated_at=t(updated),
                control=control,
            ),
        )

    def _document(self, row: Sequence[Any]) -> StoredDocument:
        did, kind, operator, number, _order, body_hash, received, body, sender_kind = row
        return StoredDocument(
            id=did,
            kind=kind,
            operator_id=operator,
            number=number,
            body_hash=body_hash,
            received_at=self.bulk.read_time(received),
            record=_DOCUMENT[kind].decode(body),
            sender_kind=sender_kind,
        )

    def _consignments(
        self,
        condition: str,
        params: tuple[Any, ...],
        column: str,
        values: Collection[str],
        *,
        lock: bool | Literal["skip"] = False,
        index: str | None = None,
    ) -> Iterator[StoredConsignment]:
        # SQLite has one writer at a time (and one server process); PostgreSQL locks the rows, in id
        # order so that two transactions locking overlapping sets wait rather than deadlock ("skip":
        # rows another transaction holds are left out, for it or a later look to handle).
        locking = ""
        if lock and not self.bulk.sqlite:
            locking = " ORDER BY c.id FOR UPDATE OF c" + (" SKIP LOCKED" if lock == "skip" else "")
        select = _CONSIGNMENT_SELECT
        if index is not None and self.bulk.sqlite:
            # Without statistics SQLite's planner takes an equality on the state (the state and
            # deadline index) over a list of keys, and would scan every waiting declaration for
            # each batch; PostgreSQL's statistics choose the key's index by themselves.
            select = select.replace("FROM consignments c ", f"FROM consignments c INDEXED BY {index} ", 1)
        for chunk in _chunks(sorted(values) if locking else values):
            among, values_params = self.bulk.among(column, chunk)
            sql = f"{select} WHERE {condition} {among}{locking}"
            for row in self.conn.exec_driver_sql(sql, (*params, *values_params)):
                yield self._consignment(row)

    def _documents(
        self, condition: str, params: tuple[Any, ...], column: str, values: Collection[str]
    ) -> dict[str, list[StoredDocument]]:
        found: dict[str, list[StoredDocument]] = {}
        key = 3 if column == "number" else 4  # position of the key column in _DOCUMENT_SELECT
        for chunk in _chunks(values):
            among, values_params = self.bulk.among(column, chunk)
            sql = f"{_DOCUMENT_SELECT} WHERE {condition} {among} ORDER BY received_at, id"
            for row in self.conn.exec_driver_sql(sql, (*params, *values_params)):
                found.setdefault(row[key], []).append(self._document(row))
        return found

    def consignments_by_reference(self, operator_id: str, references: Collection[str]) -> dict[str, StoredConsignment]:
        found = self._consignments(f"c.operator_id = {self.bulk.mark} AND", (operator_id,), "c.reference", references)
        return {c.reference: c for c in found}

    def consignments_by_id(self, ids: Collection[str], *, lock: bool = False) -> dict[str, StoredConsignment]:
        return {c.id: c for c in self._consignments("", (), "c.id", ids, lock=lock)}

    def lock_orders(self, orders: Collection[tuple[str, str]]) -> bool:
        if self.bulk.sqlite:
            return False
        order_locks.lock_orders(self.conn, orders)
        return True

    def controlled_by_order(self, order_numbers: Collection[str]) -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = {}
        for chunk in _chunks(order_numbers):
            among, values_params = self.bulk.among("order_number", chunk)
            sql = f"SELECT order_number, id, operator_id FROM consignments WHERE control IS NOT NULL AND {among}"
            for number, cid, operator in self.conn.exec_driver_sql(sql, values_params):
                found.setdefault(number, []).append((cid, operator))
        return found

    def documents_by_number(self, kind: DocumentKind, numbers: Collection[str]) -> dict[str, list[StoredDocument]]:
        return self._documents(f"kind = {self.bulk.mark} AND", (kind,), "number", numbers)

    def payments_by_order(self, order_numbers: Collection[str]) -> dict[str, list[StoredDocument]]:
        return self._documents(f"kind = {self.bulk.mark} AND", ("payment",), "order_number", order_numbers)

    def link_views_by_number(self, kind: DocumentKind, numbers: Collection[str]) -> dict[str, list[LinkDocument]]:
        return document_repo.views_by(self.bulk, kind, "number", numbers)

    def payment_views_by_order(self, order_numbers: Collection[str]) -> dict[str, list[LinkDocument]]:
        return document_repo.views_by(self.bulk, "payment", "order_number", order_numbers)

    def own_documents(
        self, kind: DocumentKind, operator_id: str, numbers: Collection[str]
    ) -> dict[str, StoredDocument]:
        mark = self.bulk.mark
        found = self._documents(f"kind = {mark} AND operator_id = {mark} AND", (kind, operator_id), "number", numbers)
        return {number: docs[-1] for number, docs in found.items()}

    def declarations_by_transport_document(self, numbers: Collection[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for chunk in _chunks(numbers):
            among, values_params = self.bulk.among("transport_document", chunk)
            sql = f"SELECT transport_document, id FROM consignments WHERE state <> {self.bulk.mark} AND {among}"
            for number, cid in self.conn.exec_driver_sql(sql, (State.CANCELLED.value, *values_params)):
                found.setdefault(number, set()).add(cid)
        return found

    def operator_kinds(self, operator_ids: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(operator_ids):
            among, values_params = self.bulk.among("id", chunk)
            for oid, kind in self.conn.exec_driver_sql(f"SELECT id, kind FROM operators WHERE {among}", values_params):
                found[oid] = kind
        return found

    def awaiting_by_keys(
        self, kind: DocumentKind, keys: Collection[str], *, skip_locked: bool = False
    ) -> list[StoredConsignment]:
        # The state as a literal, as the partial indexes of the link keys say it (store.tables).
        found = self._consignments(
            f"c.{AWAITING} AND",
            (),
            f"c.{_KEY_COLUMN[kind]}",
            keys,
            lock="skip" if skip_locked else True,
            index=_AWAITING_INDEX.get(kind),
        )
        return list({c.id: c for c in found}.values())

    def overdue(self, now: dt.datetime, limit: int) -> list[StoredConsignment]:
        query = (
            sa.select(consignments.c.id)
            .where(consignments.c.state == State.AWAITING_DOCUMENTS.value, consignments.c.deadline <= now)
            .order_by(consignments.c.deadline)
            .limit(limit)
        )
        ids = self.conn.execute(query).scalars().all()
        # Locked and read again: one an officer held meanwhile is no longer awaiting documents.
        found = self._consignments(
            f"c.state = {self.bulk.mark} AND", (State.AWAITING_DOCUMENTS.value,), "c.id", ids, lock=True
        )
        return list(found)

    def page_of(self, operator_id: str, state: str | None, before: str | None, limit: int) -> list[dict[str, Any]]:
        """An operator's consignments, newest first, after the keyset cursor ``before`` (an id)."""
        c = consignments.c
        query = sa.select(
            c.id,
            c.reference,
            c.version,
            c.state,
            c.hold_reason,
            c.lane,
            c.link_status,
            c.destination_country,
            c.currency,
            c.goods_value,
            c.received_at,
            c.updated_at,
            c.deadline,
        ).where(c.operator_id == operator_id)
        if state is not None:
            query = query.where(c.state == state)
        if before is not None:
            query = query.where(c.id < before)
        return [plain_row(row) for row in self.conn.execute(query.order_by(c.id.desc()).limit(limit)).mappings()]

    def history_of(self, consignment_id: str) -> list[sa.RowMapping]:
        query = sa.select(history).where(history.c.consignment_id == consignment_id).order_by(history.c.id)
        return list(self.conn.execute(query).mappings())

    def versions_of(self, consignment_id: str) -> list[sa.RowMapping]:
        query = (
            sa.select(
                consignment_versions.c.version,
                consignment_versions.c.body_hash,
                consignment_versions.c.received_at,
            )
            .where(consignment_versions.c.consignment_id == consignment_id)
            .order_by(consignment_versions.c.version)
        )
        return list(self.conn.execute(query).mappings())

    def version_body(self, consignment_id: str, version: int) -> Consignment | None:
        query = sa.select(consignment_versions.c.body).where(
            consignment_versions.c.consignment_id == consignment_id, consignment_versions.c.version == version
        )
        body = self.conn.execute(query).scalar_one_or_none()
        return _CONSIGNMENT.decode(body) if body is not None else None

    def latest_result(self, consignment_id: str) -> tuple[LinkResult, Decision | None] | None:
        query = (
            sa.select(results.c.link, results.c.decision)
            .where(results.c.consignment_id == consignment_id)
            .order_by(results.c.id.desc())
            .limit(1)
        )
        row = self.conn.execute(query).first()
        if row is None:
            return None
        return _LINK.decode(row.link), _DECISION.decode(row.decision) if row.decision else None

    # -- writes ------------------------------------------------------------------------------

    def insert_consignments(self, rows: Sequence[StoredConsignment]) -> None:
        if not rows:
            return
        w = self.bulk
        self.bulk.insert(
            consignments,
            _CONSIGNMENT_COLUMNS,
            [
                (
                    r.id,
                    r.operator_id,
                    r.reference,
                    r.version,
                    r.body_hash,
                    r.record.destination_country,
                    r.record.transaction.order_number,
                    payment_key(r.record),
                    r.record.logistics.transport_document,
                    r.record.transaction.currency,
                    w.money(r.record.transaction.goods_value),
                    w.time(r.received_at),
                    *self._state_values(r.status),
                )
                for r in rows
            ],
        )
        self._insert_versions(rows)

    def _state_values(self, status: ConsignmentState) -> tuple[Any, ...]:
        return (
            status.state.value,
            status.hold_reason.value if status.hold_reason else None,
            status.lane,
            status.link_status,
            self.bulk.time(status.deadline),
            self.bulk.time(status.updated_at),
            status.control,
        )

    def _insert_versions(self, rows: Sequence[StoredConsignment]) -> None:
        self.bulk.insert(
            consignment_versions,
            ("consignment_id", "version", "body_hash", "received_at", "body"),
            [
                (
                    r.id,
                    r.version,
                    r.body_hash,
                    self.bulk.time(r.status.updated_at),
                    canonical_json(r.record).decode(),
                )
                for r in rows
            ],
        )

    def insert_version(self, row: StoredConsignment) -> None:
        self._insert_versions([row])
        record = row.record
        self.conn.execute(
            consignments.update()
            .where(consignments.c.id == row.id)
            .values(
                version=row.version,
                body_hash=row.body_hash,
                destination_country=record.destination_country,
                order_number=record.transaction.order_number,
                payment_key=payment_key(record),
                transport_document=record.logistics.transport_document,
                currency=record.transaction.currency,
                goods_value=record.transaction.goods_value,
            )
        )

    def insert_documents(self, rows: Sequence[StoredDocument]) -> None:
        document_repo.insert(self.bulk, rows)

    def update_states(self, states: Sequence[tuple[str, ConsignmentState]]) -> None:
        self.bulk.update(
            consignments, _STATE_COLUMNS, "id", [(*self._state_values(status), cid) for cid, status in states]
        )

    def append_history(self, entries: Sequence[HistoryEntry]) -> None:
        w = self.bulk
        w.insert(
            history,
            ("consignment_id", "at", "actor", "from_state", "to_state", "hold_reason", "reason"),
            [
                (
                    e.consignment_id,
                    w.time(e.transition.at),
                    e.transition.actor,
                    e.transition.from_state.value if e.transition.from_state else None,
                    e.transition.to_state.value,
                    e.transition.hold_reason.value if e.transition.hold_reason else None,
                    e.transition.reason,
                )
                for e in entries
            ],
        )

    def append_audit(self, events: Sequence[AuditEvent]) -> None:
        SqlAuditLog(self.conn, self.bulk).append(events)

    def append_assessments(self, rows: Sequence[AssessedConsignment]) -> None:
        revenue_repo.append_assessments(self.bulk, rows)

    def person_usage(
        self, keys: Collection[str], now: dt.datetime, exclude: Collection[str] = ()
    ) -> dict[str, PriorUsage]:
        return revenue_repo.person_usage(self.bulk, keys, now, exclude)

    def append_risk_results(self, rows: Sequence[tuple[str, int, str, dt.datetime, RiskResult]]) -> None:
        stored = [
            risk_repo.StoredRisk(cid, version, operator, at, result) for cid, version, operator, at, result in rows
        ]
        risk_repo.append_results(self.bulk, stored)

    def buyer_day_usage(
        self, keys: Collection[str], day: dt.date, exclude: Collection[str] = ()
    ) -> dict[tuple[str, str], tuple[int, float]]:
        return risk_repo.buyer_day_usage(self.bulk, keys, day, exclude)

    def webhook_subscribers(self, operator_ids: Collection[str]) -> Subscribers:
        return webhook_repo.subscribers(self.bulk, operator_ids)

    def append_notices(self, notices: Sequence[Notice]) -> None:
        webhook_repo.append_notices(self.bulk, notices)

    def messages_answering(self, consignment_ids: Collection[str]) -> list[tuple[str, str, str]]:
        return message_repo.messages_answering(self.bulk, consignment_ids)

    def documents_present(self, keys: Mapping[DocumentKind, Collection[str]]) -> dict[DocumentKind, set[str]]:
        return link_lookups.documents_present(self.bulk, keys)

    def last_links(self, consignment_ids: Collection[str]) -> dict[str, LinkResult]:
        return link_lookups.last_links(self.bulk, consignment_ids)

    def append_results(self, items: Sequence[StepResult]) -> None:
        w = self.bulk
        w.insert(
            results,
            ("consignment_id", "version", "at", "link", "decision"),
            [
                (
                    r.consignment_id,
                    r.version,
                    w.time(r.at),
                    canonical_json(r.link).decode(),
                    canonical_json(r.decision).decode() if r.decision else None,
                )
                for r in items
            ],
        )
