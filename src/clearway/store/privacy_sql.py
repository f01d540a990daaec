"""Privacy in the store: retention, an operator's export of its data, pseudonymised consignments.

- ``apply_retention`` anonymises the personal data of closed consignments (released, seized,
  returned, cancelled) last changed before a cut-off: every stored version, the documents linked
  to them, and the personal values quoted in their link results, decisions and history reasons.
  Then the documents received before the cut-off that no kept consignment refers to: those never
  linked, and those kept at their consignment's turn because they were newer than the cut-off.
  Identifiers, codes, amounts, states and times stay, so statistics and the audit chain hold.
- ``export_operator_data`` streams everything the platform holds about one operator's
  submissions, as JSON-ready dicts (one NDJSON line each).
- ``pseudonymised_consignments`` streams current versions with personal fields pseudonymised,
  for analysts' exports.

All three work in chunks (a few queries per thousand consignments, never one per consignment),
inside the caller's connection and transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.clearance.decision import Decision
from clearway.clearance.lifecycle import FINAL_STATES
from clearway.clearance.linking import LinkResult
from clearway.clearance.model import canonical_json
from clearway.dataset.records import DOCUMENT_TYPES, Consignment
from clearway.privacy.pseudonymise import Pseudonymiser, Redaction, anonymise, personal_values
from clearway.store.message_retention import clear_messages
from clearway.store.preloading_retention import anonymise_filings
from clearway.store.privacy_tables import document_retention_log, retention_log
from clearway.store.tables import consignment_versions, consignments, documents, history, results

CHUNK = 1000

_FINAL = sorted(state.value for state in FINAL_STATES)
_CONSIGNMENT = msgspec.json.Decoder(Consignment)
_DOCUMENT = {kind: msgspec.json.Decoder(cls) for kind, cls in DOCUMENT_TYPES.items()}
_LINK = msgspec.json.Decoder(LinkResult)
_DECISION = msgspec.json.Decoder(Decision)
_JSON = msgspec.json.Decoder()

# Result rows, read by column name; SQLAlchemy types each select's row shape apart.
_Row = Any

_c = consignments.c
_v = consignment_versions.c
_d = documents.c
_h = history.c
_r = results.c


@dataclass
class RetentionReport:
    """What one retention run did: counts of consignments and of the rows it rewrote."""

    cutoff: dt.datetime
    consignments: int = 0
    versions: int = 0
    documents: int = 0
    # Linked documents left as they are. Those an open consignment still refers to are anonymised
    # with the last consignment that uses them; those that arrived after the cut-off stay (they
    # may be another order's, under a number used again).
    documents_kept: int = 0
    # Documents received before the cut-off that no kept consignment refers to, anonymised on
    # their own once every closed and expired consignment was: never linked, or kept above.
    orphans: int = 0
    results: int = 0
    history: int = 0
    # Standard messages received before the cut-off whose bytes were cleared (their hash stays).
    messages: int = 0
    # Pre-loading filings whose parties were anonymised (store.preloading_retention).
    filings: int = 0

    @property
    def done(self) -> bool:
        """Whether this step found nothing left to do (a caller working in steps stops here)."""
        return self.consignments == 0 and self.orphans == 0 and self.filings == 0


def _execute_many(conn: sa.Connection, statement: sa.Update, rows: list[dict[str, Any]]) -> int:
    if rows:
        conn.execute(statement, rows)
    return len(rows)


def _update_body(table: sa.Table, *keys: str) -> sa.Update:
    condition = sa.and_(*(table.c[key] == sa.bindparam(f"k_{key}") for key in keys))
    return table.update().where(condition).values(body=sa.bindparam("new_body"))


_UPDATE_VERSION = _update_body(consignment_versions, "consignment_id", "version")
_UPDATE_DOCUMENT = _update_body(documents, "id")
_UPDATE_RESULT = (
    results.update()
    .where(_r.id == sa.bindparam("k_id"))
    .values(link=sa.bindparam("new_link"), decision=sa.bindparam("new_decision"))
)
_UPDATE_HISTORY = history.update().where(_h.id == sa.bindparam("k_id")).values(reason=sa.bindparam("new_reason"))


# -- retention -------------------------------------------------------------------------------


def apply_retention(
    conn: sa.Connection,
    *,
    now: dt.datetime,
    older_than: dt.timedelta,
    chunk: int = CHUNK,
    limit: int | None = None,
) -> RetentionReport:
    """Anonymise closed consignments last changed before ``now - older_than``, then the documents
    received before then that no kept consignment refers to; idempotent.

    A consignment or document is done once (``retention_log``, ``document_retention_log``);
    running again finds nothing new. The audit log is not touched: it holds codes, ids and hashes
    only, and stays verifiable. ``limit`` stops after about that many consignments, or orphaned
    documents (whole chunks), so that a caller can commit in steps and not hold the write lock for
    the whole backlog: call again until the report is ``done``. Documents wait until no
    consignment is left to anonymise, because a consignment's run reads the names in its
    documents to redact them from its messages.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime given to retention; pass an aware UTC time")
    if older_than < dt.timedelta(0):
        raise ValueError("the retention period cannot be negative")
    cutoff = now - older_than
    report = RetentionReport(cutoff=cutoff)
    after = ""
    while True:
        query = (
            sa.select(_c.id, _c.order_number, _c.payment_key, _c.transport_document)
            .select_from(consignments.outerjoin(retention_log, retention_log.c.consignment_id == _c.id))
            .where(
                _c.id > after,
                _c.state.in_(_FINAL),
                _c.updated_at < cutoff,
                retention_log.c.consignment_id.is_(None),
            )
            .order_by(_c.id)
            .limit(chunk)
        )
        rows = conn.execute(query).all()
        if not rows:
            _retain_orphans(conn, cutoff=cutoff, now=now, chunk=chunk, limit=limit, report=report)
            report.filings += anonymise_filings(conn, cutoff, now, chunk=chunk, limit=limit)
            report.messages += clear_messages(conn, cutoff)
            return report
        _retain(conn, rows, cutoff=cutoff, now=now, report=report)
        if limit is not None and report.consignments >= limit:
            return report
        after = rows[-1].id


def _retain(
    conn: sa.Connection, rows: Sequence[_Row], *, cutoff: dt.datetime, now: dt.datetime, report: RetentionReport
) -> None:
    ids = [row.id for row in rows]
    # The personal values of each consignment, as written: to redact them from free text.
    values: dict[str, list[str]] = defaultdict(list)
    report.versions += _anonymise_versions(conn, ids, values)
    _anonymise_documents(conn, rows, values, cutoff=cutoff, now=now, report=report)
    redactions = {cid: Redaction(found) for cid, found in values.items()}
    report.results += _redact_results(conn, ids, redactions)
    report.history += _redact_history(conn, ids, redactions)
    conn.execute(retention_log.insert(), [{"consignment_id": cid, "anonymised_at": now} for cid in ids])
    report.consignments += len(ids)


def _anonymise_versions(conn: sa.Connection, ids: list[str], values: dict[str, list[str]]) -> int:
    query = sa.select(_v.consignment_id, _v.version, _v.body).where(_v.consignment_id.in_(ids))
    updates: list[dict[str, Any]] = []
    for cid, version, body in conn.execute(query):
        record = _CONSIGNMENT.decode(body)
        values[cid].extend(personal_values(record))
        new_body = canonical_json(anonymise(record)).decode()
        if new_body != body:
            updates.append({"k_consignment_id": cid, "k_version": version, "new_body": new_body})
    return _execute_many(conn, _UPDATE_VERSION, updates)


def _linked_documents(conn: sa.Connection, rows: Sequence[_Row]) -> list[_Row]:
    """The documents of any sender that the consignments link to, by their keys."""
    orders = {row.order_number for row in rows}
    payments = {row.payment_key for row in rows}
    waybills = {row.transport_document for row in rows}
    conditions = (
        ("order", _d.number.in_(orders)),
        # By payment id, or by order when the declaration names no payment id (payment_key).
        ("payment", sa.or_(_d.number.in_(payments), _d.order_number.in_(orders))),
        ("waybill", _d.number.in_(waybills)),
    )
    found: dict[str, _Row] = {}
    logged = document_retention_log.c.document_id
    query = sa.select(
        _d.id, _d.kind, _d.number, _d.order_number, _d.received_at, _d.body, logged.label("anonymised")
    ).select_from(documents.outerjoin(document_retention_log, logged == _d.id))
    for kind, condition in conditions:
        for doc in conn.execute(query.where(_d.kind == kind, condition)):
            found[doc.id] = doc
    return list(found.values())


def _still_open(conn: sa.Connection, column: sa.ColumnElement[str], keys: set[str], cutoff: dt.datetime) -> set[str]:
    """Which of ``keys`` a consignment that is not closed-and-expired still refers to."""
    if not keys:
        return set()
    still = sa.or_(_c.state.not_in(_FINAL), _c.updated_at >= cutoff)
    return set(conn.execute(sa.select(column).where(column.in_(keys), still).distinct()).scalars())


def _anonymise_documents(
    conn: sa.Connection,
    rows: Sequence[_Row],
    values: dict[str, list[str]],
    *,
    cutoff: dt.datetime,
    now: dt.datetime,
    report: RetentionReport,
) -> None:
    docs = _linked_documents(conn, rows)
    if not docs:
        return
    records = {doc.id: _DOCUMENT[doc.kind].decode(doc.body) for doc in docs}
    # Which consignments each document's values belong to (a split order serves several parcels).
    keyed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for doc in docs:
        keyed[(doc.kind, doc.number)].append(doc.id)
        if doc.kind == "payment" and doc.order_number is not None:
            keyed[("payment-order", doc.order_number)].append(doc.id)
    for row in rows:
        for key in (
            ("order", row.order_number),
            ("payment", row.payment_key),
            ("payment-order", row.order_number),
            ("waybill", row.transport_document),
        ):
            for doc_id in keyed.get(key, ()):
                values[row.id].extend(personal_values(records[doc_id]))
    held = _held_documents(conn, docs, cutoff)
    due = []
    for doc in docs:
        if doc.anonymised is not None:
            continue  # an earlier chunk or run did it (a split order's other parcel)
        if doc.id in held or doc.received_at >= cutoff:
            report.documents_kept += 1
            continue
        due.append(doc)
    report.documents += _anonymise_these(conn, due, records, now=now)


def _held_documents(conn: sa.Connection, docs: Sequence[_Row], cutoff: dt.datetime) -> set[str]:
    """The ids of ``docs`` that a consignment not closed-and-expired still refers to."""
    order_keys = {doc.number for doc in docs if doc.kind == "order"}
    order_keys |= {doc.order_number for doc in docs if doc.kind == "payment" and doc.order_number is not None}
    open_orders = _still_open(conn, _c.order_number, order_keys, cutoff)
    open_payments = _still_open(conn, _c.payment_key, {d.number for d in docs if d.kind == "payment"}, cutoff)
    open_waybills = _still_open(conn, _c.transport_document, {d.number for d in docs if d.kind == "waybill"}, cutoff)
    held: set[str] = set()
    for doc in docs:
        if doc.kind == "order":
            still = doc.number in open_orders
        elif doc.kind == "payment":
            still = doc.number in open_payments or doc.order_number in open_orders
        else:
            still = doc.number in open_waybills
        if still:
            held.add(doc.id)
    return held


def _anonymise_these(conn: sa.Connection, docs: Sequence[_Row], records: dict[str, Any], *, now: dt.datetime) -> int:
    """Rewrite the bodies of ``docs`` anonymised and log them; the count of bodies rewritten."""
    updates: list[dict[str, Any]] = []
    for doc in docs:
        new_body = canonical_json(anonymise(records[doc.id])).decode()
        if new_body != doc.body:
            updates.append({"k_id": doc.id, "new_body": new_body})
    if docs:
        conn.execute(document_retention_log.insert(), [{"document_id": d.id, "anonymised_at": now} for d in docs])
    return _execute_many(conn, _UPDATE_DOCUMENT, updates)


def _retain_orphans(
    conn: sa.Connection,
    *,
    cutoff: dt.datetime,
    now: dt.datetime,
    chunk: int,
    limit: int | None,
    report: RetentionReport,
) -> None:
    """Anonymise documents received before the cut-off that no kept consignment refers to.

    Called once no closed and expired consignment is left, so "kept" is exactly "not closed and
    expired". A document a kept consignment still refers to stays as it is (and is looked at again
    next run); the others are done and logged, whichever operator sent them.
    """
    logged = document_retention_log.c.document_id
    after = ""
    while True:
        query = (
            sa.select(_d.id, _d.kind, _d.number, _d.order_number, _d.body)
            .select_from(documents.outerjoin(document_retention_log, logged == _d.id))
            .where(_d.id > after, _d.received_at < cutoff, logged.is_(None))
            .order_by(_d.id)
            .limit(chunk)
        )
        docs = conn.execute(query).all()
        if not docs:
            return
        held = _held_documents(conn, docs, cutoff)
        due = [doc for doc in docs if doc.id not in held]
        report.documents_kept += len(docs) - len(due)
        records = {doc.id: _DOCUMENT[doc.kind].decode(doc.body) for doc in due}
        _anonymise_these(conn, due, records, now=now)
        report.orphans += len(due)
        if limit is not None and report.orphans >= limit:
            return
        after = docs[-1].id


def _redact_link(link: LinkResult, redact: Redaction) -> LinkResult:
    reasons = [msgspec.structs.replace(r, message=redact(r.message)) for r in link.reasons]
    return msgspec.structs.replace(link, reasons=reasons)


def _redact_decision(decision: Decision, redact: Redaction) -> Decision:
    reasons = [msgspec.structs.replace(r, message=redact(r.message)) for r in decision.reasons]
    return msgspec.structs.replace(decision, reasons=reasons)


_NOTHING = Redaction(())


def _redact_results(conn: sa.Connection, ids: list[str], redactions: dict[str, Redaction]) -> int:
    """Link and decision messages quote names ("the order's buyer 'X' is not ..."): redact them."""
    query = sa.select(_r.id, _r.consignment_id, _r.link, _r.decision).where(_r.consignment_id.in_(ids))
    updates: list[dict[str, Any]] = []
    for rid, cid, link_text, decision_text in conn.execute(query):
        redact = redactions.get(cid, _NOTHING)
        link = _LINK.decode(link_text)
        new_link = _redact_link(link, redact)
        new_decision_text = decision_text
        if decision_text is not None:
            decision = _DECISION.decode(decision_text)
            new_decision = _redact_decision(decision, redact)
            if new_decision != decision:
                new_decision_text = canonical_json(new_decision).decode()
        if new_link != link or new_decision_text != decision_text:
            new_link_text = canonical_json(new_link).decode() if new_link != link else link_text
            updates.append({"k_id": rid, "new_link": new_link_text, "new_decision": new_decision_text})
    return _execute_many(conn, _UPDATE_RESULT, updates)


def _redact_history(conn: sa.Connection, ids: list[str], redactions: dict[str, Redaction]) -> int:
    """History reasons repeat decision messages, and people type free text into them."""
    query = sa.select(_h.id, _h.consignment_id, _h.reason).where(_h.consignment_id.in_(ids))
    updates: list[dict[str, Any]] = []
    for hid, cid, reason in conn.execute(query):
        new_reason = redactions.get(cid, _NOTHING)(reason)
        if new_reason != reason:
            updates.append({"k_id": hid, "new_reason": new_reason})
    return _execute_many(conn, _UPDATE_HISTORY, updates)


# -- an operator's export --------------------------------------------------------------------

_JSON_COLUMNS = frozenset({"body", "link", "decision"})
# Internal keys that say nothing the line does not already say.
_SKIPPED = frozenset({"consignment_id", "id"})


def _plain(row: _Row, skip: frozenset[str] = _SKIPPED) -> dict[str, Any]:
    """A row as a JSON-ready dict: times in ISO 8601, money as exact strings, stored JSON as JSON."""
    out: dict[str, Any] = {}
    for name, value in row._mapping.items():
        if name in skip:
            continue
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif name in _JSON_COLUMNS and value is not None:
            value = _JSON.decode(value)
        out[str(name)] = value
    return out


def _grouped(
    conn: sa.Connection, table: sa.Table, ids: list[str], *order: sa.ColumnElement[Any]
) -> dict[str, list[_Row]]:
    grouped: dict[str, list[_Row]] = defaultdict(list)
    for row in conn.execute(sa.select(table).where(table.c.consignment_id.in_(ids)).order_by(*order)):
        grouped[row.consignment_id].append(row)
    return grouped


def _consignment_lines(conn: sa.Connection, rows: Sequence[_Row]) -> Iterator[dict[str, Any]]:
    ids = [row.id for row in rows]
    versions = _grouped(conn, consignment_versions, ids, _v.version)
    steps = _grouped(conn, history, ids, _h.id)
    outcomes = _grouped(conn, results, ids, _r.id)
    for row in rows:
        yield {
            "type": "consignment",
            **_plain(row, frozenset({"operator_id"})),
            "versions": [_plain(v) for v in versions[row.id]],
            "history": [_plain(h) for h in steps[row.id]],
            "results": [_plain(r) for r in outcomes[row.id]],
        }


def _keyset(
    conn: sa.Connection, query: sa.Select[Any], key: sa.ColumnElement[str], chunk: int
) -> Iterator[Sequence[_Row]]:
    """The rows of ``query`` a chunk at a time, in ``key`` order (keyset paging, no OFFSET)."""
    after = ""
    while rows := conn.execute(query.where(key > after).order_by(key).limit(chunk)).all():
        yield rows
        after = rows[-1]._mapping[key]


def export_operator_data(conn: sa.Connection, operator_id: str, *, chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Everything held about an operator's submissions, one JSON-ready dict per consignment or document.

    Its consignments with every version, their history and link and decision results, then the
    documents it sent. Documents other operators sent are not included, even when linked.
    """
    owned = (
        sa.select(consignments, retention_log.c.anonymised_at)
        .select_from(consignments.outerjoin(retention_log, retention_log.c.consignment_id == _c.id))
        .where(_c.operator_id == operator_id)
    )
    for rows in _keyset(conn, owned, _c.id, chunk):
        yield from _consignment_lines(conn, rows)
    sent = sa.select(documents).where(_d.operator_id == operator_id)
    for docs in _keyset(conn, sent, _d.id, chunk):
        for doc in docs:
            # link_view is derived from the body (clearance.link_view): internal, not the operator's data.
            yield {"type": "document", "id": doc.id, **_plain(doc, frozenset({"id", "operator_id", "link_view"}))}


# -- analysts' export ------------------------------------------------------------------------


def pseudonymised_consignments(
    conn: sa.Connection,
    key: bytes,
    *,
    operator_id: str | None = None,
    received_from: dt.datetime | None = None,
    received_before: dt.datetime | None = None,
    chunk: int = CHUNK,
) -> Iterator[Consignment]:
    """Current versions of consignments with every personal field pseudonymised under ``key``.

    Optionally one operator's, and received in ``[received_from, received_before)``. The key is
    checked at the call, before any row is read.
    """
    pseudonymiser = Pseudonymiser(key)
    query = sa.select(_c.id, _v.body).select_from(
        consignments.join(consignment_versions, sa.and_(_v.consignment_id == _c.id, _v.version == _c.version))
    )
    if operator_id is not None:
        query = query.where(_c.operator_id == operator_id)
    if received_from is not None:
        query = query.where(_c.received_at >= received_from)
    if received_before is not None:
        query = query.where(_c.received_at < received_before)
    return (
        pseudonymiser.record(_CONSIGNMENT.decode(row.body))
        for rows in _keyset(conn, query, _c.id, chunk)
        for row in rows
    )
