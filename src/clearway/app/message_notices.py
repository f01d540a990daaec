"""``message.response_ready``: the sender of a kept message is told, signed, when its answers are
ready to fetch (when the message is kept, and again when a record it carried changes its answer),
in the transaction that makes them ready. Nothing for a family without answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa

from clearway.clearance import notices
from clearway.messages.registry import responder_for
from clearway.store.bulk import BulkWriter
from clearway.store.message_repo import messages_answering
from clearway.store.repository import SqlClearanceStore


def tell_response_ready(
    conn: sa.Connection, *, message_id: str, standard: str, operator_id: str, at: dt.datetime
) -> None:
    """A ``message.response_ready`` notice to the sender's subscriptions that want it, in the
    transaction that keeps the message (nothing when its family has no answers)."""
    if responder_for(standard) is None:
        return
    store = SqlClearanceStore(conn)
    told = notices.for_message(store.webhook_subscribers([operator_id]), operator_id, message_id, standard, at)
    if told is not None:
        store.append_notices([told])


def tell_changed(conn: sa.Connection, filing_ids: Collection[str], at: dt.datetime) -> None:
    """Every kept message that carried one of these pre-loading filings, told again: their answers
    changed (the store names the messages, as for declarations in clearance.changes)."""
    for message_id, standard, operator_id in messages_answering(BulkWriter(conn), filing_ids, kind="preloading"):
        tell_response_ready(conn, message_id=message_id, standard=standard, operator_id=operator_id, at=at)
