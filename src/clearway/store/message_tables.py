"""The standard messages as received, and what each record in them became.

A message is kept exactly as it arrived (its bytes and their SHA-256), beside the canonical records
the pipeline stored from it, so that an officer or an auditor can read the original and check that
nothing was changed. The bytes carry personal data like the records do, and go with the records'
retention (privacy): the body is cleared, the hash and the outcome stay.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import ID, OPERATOR, metadata
from clearway.store.types import UtcDateTime

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("standard", sa.String(16), nullable=False),  # upu-itmatt, eu-h7, cn-ceb...
    sa.Column("message_type", sa.String(16)),  # CEB311, ITMATT...; null when it could not be read
    sa.Column("operator_id", OPERATOR, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    # Null once retention has cleared it (the hash stays, to prove what was received).
    sa.Column("body", sa.LargeBinary),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    # The mapping and submission result of every record (JSON): errors in the message's terms.
    sa.Column("result", sa.Text, nullable=False),
    sa.Index("ix_messages_operator_id_received_at", "operator_id", "received_at"),
)

# One row per record of a message that the pipeline stored: the way from a consignment or a
# document back to the message it came in.
message_records = sa.Table(
    "message_records",
    metadata,
    sa.Column("message_id", ID, sa.ForeignKey("messages.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),  # 1-based, as the result lists them
    sa.Column("kind", sa.String(16), nullable=False),  # consignment, order, payment, waybill
    sa.Column("record_id", ID, nullable=False),  # the consignment's or document's id
    sa.Column("message_ref", sa.String(64)),  # the record's own id in the message (a guid...)
    sa.Index("ix_message_records_record_id", "record_id"),
)
