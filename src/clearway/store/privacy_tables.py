"""The retention log: which consignments retention has anonymised, and when.

Kept apart from clearway.store.tables (on the same ``metadata``) so that the privacy work adds a
table without changing the clearance tables. Retention rewrites the stored bodies in place and
records each consignment here once, which makes a run idempotent and tells an officer why a
closed declaration reads ``[removed]``.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import ID, metadata
from clearway.store.types import UtcDateTime

retention_log = sa.Table(
    "retention_log",
    metadata,
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), primary_key=True),
    sa.Column("anonymised_at", UtcDateTime, nullable=False),
)

# Documents retention has anonymised, whichever way it reached them (with their last consignment,
# or on their own once no kept consignment refers to them): the sweep of old documents skips
# these, so a run reads each document once and not the whole table every time.
document_retention_log = sa.Table(
    "document_retention_log",
    metadata,
    sa.Column("document_id", ID, sa.ForeignKey("documents.id"), primary_key=True),
    sa.Column("anonymised_at", UtcDateTime, nullable=False),
)

# Months of consignments purged whole (store/purge.py): once a month's declarations are all closed
# and anonymised and older than CLEARWAY_PURGE_AFTER_MONTHS, they and every row keyed by them are
# removed (a dropped partition on PostgreSQL). What is left of them: this row (counts per table, no
# personal data), the audit chain's entries, and the chain's `privacy.purge` event.
purged_months = sa.Table(
    "purged_months",
    metadata,
    sa.Column("month", sa.String(7), primary_key=True),  # YYYY-MM (UTC), the month of the ids
    sa.Column("purged_at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("consignments", sa.Integer, nullable=False),
    sa.Column("rows", sa.Text, nullable=False),  # JSON: rows removed per table
)
