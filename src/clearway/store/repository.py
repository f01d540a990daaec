"""The clearance store on SQL: implements clearway.clearance.store.ClearanceStore.

One instance wraps one connection inside one transaction. Lookups are batched and chunked so that
a 100,000-record batch costs a few dozen queries, not 100,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.clearance.decision import Decision
from clearway.clearance.lifecycle import HoldReason, State
from clearway.clearance.linking import LinkResult, payment_key
from clearway.clearance.model import (
    ConsignmentState,
    HistoryEntry,
    StepResult,
    StoredConsignment,
    StoredDocument,
    canonical_json,
)
from clearway.dataset.records import DOCUMENT_TYPES, Consignment, DocumentKind
from clearway.store.tables import consignment_versions, consignments, documents, history, results

_CHUNK = 2000
_CONSIGNMENT = msgspec.json.Decoder(Consignment)
_DOCUMENT = {kind: msgspec.json.Decoder(cls) for kind, cls in DOCUMENT_TYPES.items()}
_LINK = msgspec.json.Decoder(LinkResult)
_DECISION = msgspec.json.Decoder(Decision)
_KEY_COLUMN = {
    "order": consignments.c.order_number,
    "payment": consignments.c.payment_key,
    "waybill": consignments.c.transport_document,
}
_JOINED = (
    sa.select(consignments, consignment_versions.c.body)
    .join(
        consignment_versions,
        sa.and_(
            consignment_versions.c.consignment_id == consignments.c.id,
            consignment_versions.c.version == consignments.c.version,
        ),
    )
)


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _state_columns(status: ConsignmentState) -> dict[str, Any]:
    return {
        "state": status.state.value,
        "hold_reason": status.hold_reason.value if status.hold_reason else None,
        "lane": status.lane,
        "link_status": status.link_status,
        "deadline": status.deadline,
        "updated_at": status.updated_at,
    }


def _consignment(row: sa.Row[Any]) -> StoredConsignment:
    m = row._mapping
    return StoredConsignment(
        id=m["id"],
        operator_id=m["operator_id"],
        reference=m["reference"],
        version=m["version"],
        body_hash=m["body_hash"],
        received_at=m["received_at"],
        record=_CONSIGNMENT.decode(m["body"]),
        status=ConsignmentState(
            state=State(m["state"]),
            hold_reason=HoldReason(m["hold_reason"]) if m["hold_reason"] else None,
            lane=m["lane"],
            link_status=m["link_status"],
            deadline=m["deadline"],
            updated_at=m["updated_at"],
        ),
    )


def _document(row: sa.Row[Any]) -> StoredDocument:
    m = row._mapping
    return StoredDocument(
        id=m["id"],
        kind=m["kind"],
        operator_id=m["operator_id"],
        number=m["number"],
        body_hash=m["body_hash"],
        received_at=m["received_at"],
        record=_DOCUMENT[m["kind"]].decode(m["body"]),
    )


class SqlClearanceStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    # -- reads -------------------------------------------------------------------------------

    def _consignments(self, where: Any, values: Collection[str]) -> Iterator[StoredConsignment]:
        for chunk in _chunks(values):
            for row in self.conn.execute(_JOINED.where(where(chunk))):
                yield _consignment(row)

    def consignments_by_reference(self, operator_id: str, references: Collection[str]) -> dict[str, StoredConsignment]:
        found = self._consignments(
            lambda chunk: sa.and_(consignments.c.operator_id == operator_id, consignments.c.reference.in_(chunk)),
            references,
        )
        return {c.reference: c for c in found}

    def consignments_by_id(self, ids: Collection[str]) -> dict[str, StoredConsignment]:
        return {c.id: c for c in self._consignments(consignments.c.id.in_, ids)}

    def _documents(self, where: Any, values: Collection[str], key: str) -> dict[str, StoredDocument]:
        found: dict[str, StoredDocument] = {}
        for chunk in _chunks(values):
            query = sa.select(documents).where(where(chunk)).order_by(documents.c.received_at, documents.c.id)
            for row in self.conn.execute(query):
                found[row._mapping[key]] = _document(row)  # later rows win: the latest document
        return found

    def documents_by_number(self, kind: DocumentKind, numbers: Collection[str]) -> dict[str, StoredDocument]:
        return self._documents(lambda chunk: sa.and_(documents.c.kind == kind, documents.c.number.in_(chunk)), numbers, "number")

    def payments_by_order(self, order_numbers: Collection[str]) -> dict[str, StoredDocument]:
        return self._documents(
            lambda chunk: sa.and_(documents.c.kind == "payment", documents.c.order_number.in_(chunk)),
            order_numbers,
            "order_number",
        )

    def own_documents(self, kind: DocumentKind, operator_id: str, numbers: Collection[str]) -> dict[str, StoredDocument]:
        return self._documents(
            lambda chunk: sa.and_(
                documents.c.kind == kind, documents.c.operator_id == operator_id, documents.c.number.in_(chunk)
            ),
            numbers,
            "number",
        )

    def awaiting_by_keys(self, kind: DocumentKind, keys: Collection[str]) -> list[StoredConsignment]:
        column = _KEY_COLUMN[kind]
        found = self._consignments(
            lambda chunk: sa.and_(consignments.c.state == State.AWAITING_DOCUMENTS.value, column.in_(chunk)), keys
        )
        return list({c.id: c for c in found}.values())

    def overdue(self, now: dt.datetime, limit: int) -> list[StoredConsignment]:
        query = (
            _JOINED.where(consignments.c.state == State.AWAITING_DOCUMENTS.value, consignments.c.deadline <= now)
            .order_by(consignments.c.deadline)
            .limit(limit)
        )
        return [_consignment(row) for row in self.conn.execute(query)]

    def history_of(self, consignment_id: str) -> list[sa.RowMapping]:
        query = sa.select(history).where(history.c.consignment_id == consignment_id).order_by(history.c.id)
        return list(self.conn.execute(query).mappings())

    def versions_of(self, consignment_id: str) -> list[sa.RowMapping]:
        query = (
            sa.select(consignment_versions.c.version, consignment_versions.c.body_hash, consignment_versions.c.received_at)
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
        self.conn.execute(
            consignments.insert(),
            [
                {
                    "id": r.id,
                    "operator_id": r.operator_id,
                    "reference": r.reference,
                    "version": r.version,
                    "body_hash": r.body_hash,
                    "destination_country": r.record.destination_country,
                    "order_number": r.record.transaction.order_number,
                    "payment_key": payment_key(r.record),
                    "transport_document": r.record.logistics.transport_document,
                    "currency": r.record.transaction.currency,
                    "goods_value": r.record.transaction.goods_value,
                    "received_at": r.received_at,
                    **_state_columns(r.status),
                }
                for r in rows
            ],
        )
        self._insert_versions(rows)

    def _insert_versions(self, rows: Sequence[StoredConsignment]) -> None:
        self.conn.execute(
            consignment_versions.insert(),
            [
                {
                    "consignment_id": r.id,
                    "version": r.version,
                    "body_hash": r.body_hash,
                    "received_at": r.status.updated_at,
                    "body": canonical_json(r.record).decode(),
                }
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
        if not rows:
            return
        self.conn.execute(
            documents.insert(),
            [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "operator_id": d.operator_id,
                    "number": d.number,
                    "order_number": d.record.order_number,
                    "body_hash": d.body_hash,
                    "received_at": d.received_at,
                    "body": canonical_json(d.record).decode(),
                }
                for d in rows
            ],
        )

    def update_states(self, states: Sequence[tuple[str, ConsignmentState]]) -> None:
        if not states:
            return
        statement = (
            consignments.update()
            .where(consignments.c.id == sa.bindparam("b_id"))
            .values(
                state=sa.bindparam("state"),
                hold_reason=sa.bindparam("hold_reason"),
                lane=sa.bindparam("lane"),
                link_status=sa.bindparam("link_status"),
                deadline=sa.bindparam("deadline"),
                updated_at=sa.bindparam("updated_at"),
            )
        )
        self.conn.execute(statement, [{"b_id": cid, **_state_columns(status)} for cid, status in states])

    def append_history(self, entries: Sequence[HistoryEntry]) -> None:
        if not entries:
            return
        self.conn.execute(
            history.insert(),
            [
                {
                    "consignment_id": e.consignment_id,
                    "at": e.transition.at,
                    "actor": e.transition.actor,
                    "from_state": e.transition.from_state.value if e.transition.from_state else None,
                    "to_state": e.transition.to_state.value,
                    "hold_reason": e.transition.hold_reason.value if e.transition.hold_reason else None,
                    "reason": e.transition.reason,
                }
                for e in entries
            ],
        )

    def append_results(self, items: Sequence[StepResult]) -> None:
        if not items:
            return
        self.conn.execute(
            results.insert(),
            [
                {
                    "consignment_id": r.consignment_id,
                    "version": r.version,
                    "at": r.at,
                    "link": canonical_json(r.link).decode(),
                    "decision": canonical_json(r.decision).decode() if r.decision else None,
                }
                for r in items
            ],
        )
