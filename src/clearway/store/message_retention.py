"""Retention of standard messages' bytes, which carry the same personal data as the records they
became (store.privacy_sql runs this at the end of each retention run)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clearway.store.message_tables import message_records, messages
from clearway.store.privacy_tables import document_retention_log, retention_log
from clearway.store.risk_tables import placi_filings
from clearway.store.tables import consignments, documents

_c = consignments.c
_d = documents.c


def clear_messages(conn: sa.Connection, cutoff: dt.datetime) -> int:
    """Clear the bytes of standard messages received before the cut-off once every record they
    carried has been anonymised (a consignment in retention_log, a document in
    document_retention_log, a pre-loading filing with its anonymised_at): the bytes hold the same
    personal data as the records, and stay as long as the records do. The hash, the sender and the
    outcome stay, to show what was received."""
    records = message_records.c
    kept_consignments = (
        sa.select(records.message_id)
        .join(consignments, _c.id == records.record_id)
        .outerjoin(retention_log, retention_log.c.consignment_id == _c.id)
        .where(retention_log.c.consignment_id.is_(None))
    )
    kept_documents = (
        sa.select(records.message_id)
        .join(documents, _d.id == records.record_id)
        .outerjoin(document_retention_log, document_retention_log.c.document_id == _d.id)
        .where(document_retention_log.c.document_id.is_(None))
    )
    # A pre-loading filing (ICS2) keeps its message until retention anonymised it (never while open).
    kept_filings = (
        sa.select(records.message_id)
        .join(placi_filings, placi_filings.c.id == records.record_id)
        .where(placi_filings.c.anonymised_at.is_(None))
    )
    kept = sa.union(kept_consignments, kept_documents, kept_filings)
    m = messages.c
    done = conn.execute(
        messages.update().where(m.received_at < cutoff, m.body.is_not(None), m.id.not_in(kept)).values(body=None)
    )
    return int(done.rowcount or 0)
