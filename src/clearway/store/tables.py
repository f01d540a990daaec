"""The tables, as SQLAlchemy Core. Alembic migrations create them; these definitions are what the
code reads and writes, and a test checks that the migrated schema matches them.

Records are stored whole as canonical JSON (decimals as strings, so exact) next to the few
columns that are queried: link keys, state, value. Versions, history and results are append-only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from clearway.store.types import Money, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def plain_row(row: sa.RowMapping) -> dict[str, Any]:
    """A result row as a dict with plain str keys (SQLAlchemy's keys are its quoted_name subclass)."""
    return {str(key): value for key, value in row.items()}


ID = sa.String(32)
OPERATOR = sa.String(64)
KEY = sa.String(64)

# The condition of the partial indexes: a query uses such an index only when its own WHERE clause
# says the same with literals (a bound parameter does not prove it), so the queries spell it out.
AWAITING = "state = 'awaiting_documents'"


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


consignments = sa.Table(
    "consignments",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("operator_id", OPERATOR, nullable=False),
    sa.Column("reference", KEY, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("hold_reason", sa.String(32)),
    sa.Column("lane", sa.String(16)),
    sa.Column("link_status", sa.String(16)),
    sa.Column("destination_country", sa.String(2), nullable=False),
    sa.Column("order_number", KEY, nullable=False),
    sa.Column("payment_key", KEY, nullable=False),
    sa.Column("transport_document", KEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("goods_value", Money, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deadline", UtcDateTime),
    # Customs control, attached to the consignment and not to a version: 'selected' (the risk
    # engine chose it for examination), 'officer' (a person held or examined it), 'incorrect' (an
    # examination found the particulars wrong). While set, the declarant can neither amend nor
    # cancel, and only an officer's decision moves the consignment on.
    sa.Column("control", sa.String(24)),
    sa.UniqueConstraint("operator_id", "reference"),
    sa.Index("ix_consignments_order_number", "order_number"),
    sa.Index("ix_consignments_payment_key", "payment_key"),
    # Linking looks up only the declarations waiting for their documents, a small share of the
    # table: partial indexes hold those rows alone, so the lookup of a batch's keys stays small
    # however large the table grows (store.repository awaiting_by_keys). The full indexes above
    # serve retention and control, which look at every declaration.
    sa.Index("ix_consignments_awaiting_order_number", "order_number", **_where(AWAITING)),
    sa.Index("ix_consignments_awaiting_payment_key", "payment_key", **_where(AWAITING)),
    sa.Index("ix_consignments_transport_document", "transport_document"),
    sa.Index("ix_consignments_state_deadline", "state", "deadline"),
    # An operator's consignments, newest first (ids are time-ordered), for keyset paging.
    sa.Index("ix_consignments_operator_id_id", "operator_id", "id"),
)

consignment_versions = sa.Table(
    "consignment_versions",
    metadata,
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("operator_id", OPERATOR, nullable=False),
    sa.Column("number", KEY, nullable=False),
    # The order a payment or waybill belongs to: payments are found by order when a declaration
    # names no payment id.
    sa.Column("order_number", KEY),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # The sender's kind in the registry when it sent the document (clearance.senders).
    sa.Column("sender_kind", sa.String(24)),
    # What linking reads of the body (clearance.link_view), so that it never decodes one; NULL:
    # read the body instead (store.document_repo: a trigger clears it when the body is rewritten).
    sa.Column("link_view", sa.Text),
    sa.UniqueConstraint("kind", "operator_id", "number"),
    sa.Index("ix_documents_kind_number", "kind", "number"),
    sa.Index("ix_documents_kind_order_number", "kind", "order_number"),
)

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("from_state", sa.String(24)),
    sa.Column("to_state", sa.String(24), nullable=False),
    sa.Column("hold_reason", sa.String(32)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_history_consignment_id", "consignment_id"),
)

results = sa.Table(
    "results",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("link", sa.Text, nullable=False),
    sa.Column("decision", sa.Text),
    sa.Index("ix_results_consignment_id", "consignment_id"),
)

# The audit trail (clearway.audit.chain): append-only, enforced by triggers in the migration.
audit_log = sa.Table(
    "audit_log",
    metadata,
    # Explicit, gap-free sequence numbers (not autoincrement) so that a removed entry shows.
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    # The link to the entry before ("" for an entry a batch in audit_batches commits to), and the
    # hash of the entry's content (with that link, for a single entry).
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_subject", "subject"),
)

# A batch entry of the chain (migration 0022): one link that commits to the content hashes of the
# audit_log entries first_seq..last_seq, in order (clearway.audit.chain). Append-only by trigger.
audit_batches = sa.Table(
    "audit_batches",
    metadata,
    sa.Column("first_seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    # 32 bytes (SHA-256) per entry, concatenated in sequence order.
    sa.Column("digests", sa.LargeBinary, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# The chain's last entry's seq and the hash of its last link (that entry's, or its batch entry's),
# kept apart from the log: it reveals entries cut off the end, and
# its row lock orders appends from several processes on PostgreSQL.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Operators (machine clients) and their API keys; people and their sessions (clearway.access).
operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", OPERATOR, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("eori", sa.String(35)),
    sa.Column("tax_scheme_id", sa.String(35)),
    sa.Column("contact_email", sa.String(254), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(12), primary_key=True),
    sa.Column("operator_id", OPERATOR, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.Index("ix_api_keys_operator_id", "operator_id"),
)

# One row, one counter: bumped in the transaction that revokes a key or suspends an operator, so that
# every server process drops the credentials it cached on its next request (store/credential_epoch.py).
credential_epoch = sa.Table(
    "credential_epoch",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("epoch", sa.BigInteger, nullable=False),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    # The SHA-256 of the cookie's token: a stolen table does not yield usable sessions.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("people.username"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    # Written at most once a minute (not on every request): the idle timeout's clock.
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Index("ix_sessions_username", "username"),
)

# Failed sign-ins per account and per address, for throttling (clearway.access.throttle). The key
# is an HMAC of the username or address: the table names no one, and unknown usernames are counted
# like real ones.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UtcDateTime, nullable=False),
    sa.Index("ix_sign_in_failures_last_failure_at", "last_failure_at"),
)
