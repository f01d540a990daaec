"""The revenue tables: tariff measures, customs exchange rates, the registries of vendor tax
schemes, assessments, and the per-person quota ledger (China's cross-border retail import limits).

Kept apart from clearway.store.tables (on the same ``metadata``) so that revenue adds tables without
changing the clearance ones. Reference data (measures, rates, registries) is loaded by commands and
never downloaded at run time.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import ID, KEY, OPERATOR, metadata
from clearway.store.types import Money, UtcDateTime

tariff_measures = sa.Table(
    "tariff_measures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("jurisdiction", sa.String(8), nullable=False),
    sa.Column("code", sa.String(10), nullable=False),
    sa.Column("measure_type", sa.String(32), nullable=False),
    # JSON: the origins a preference is limited to (null = any), and the duty expression's terms.
    sa.Column("origins", sa.Text),
    sa.Column("terms", sa.Text, nullable=False),
    sa.Column("expression", sa.Text, nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("imported_at", UtcDateTime, nullable=False),
    sa.Index("ix_tariff_measures_jurisdiction_code", "jurisdiction", "code"),
)

# Rates an administration publishes for customs purposes (the EU's monthly customs rates): one
# unit of ``currency`` is worth ``rate`` units of ``to_currency`` from ``start`` to ``end``.
customs_rates = sa.Table(
    "customs_rates",
    metadata,
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("to_currency", sa.String(3), primary_key=True),
    sa.Column("start", sa.Date, primary_key=True),
    sa.Column("end", sa.Date, nullable=False),
    sa.Column("rate", Money, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
)

tax_scheme_registry = sa.Table(
    "tax_scheme_registry",
    metadata,
    sa.Column("scheme", sa.String(16), primary_key=True),
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("source", sa.String(200), nullable=False),
)

assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("operator_id", OPERATOR, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("jurisdiction", sa.String(8), nullable=False),
    sa.Column("destination", sa.String(2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("irg_category", sa.SmallInteger, nullable=False),
    sa.Column("collection_model", sa.String(16), nullable=False),
    sa.Column("tax_scheme", sa.String(16)),
    sa.Column("tax_scheme_id", KEY),
    sa.Column("intrinsic_value", Money, nullable=False),
    sa.Column("duty", Money),  # None: unknown (the assessment says what is missing)
    sa.Column("tax", Money),  # None: unknown (the assessment says what is missing)
    sa.Column("fees", Money),  # None: unknown (the assessment says what is missing)
    sa.Column("total", Money),  # None: unknown (the assessment says what is missing)
    sa.Column("complete", sa.Boolean, nullable=False),
    # The whole assessment as canonical JSON (before migration 0022), or since then its compact
    # body naming the parts it shares with other assessments (store.assessment_codec, store.body_parts).
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("assessed_at", UtcDateTime, nullable=False),
    sa.Index("ix_assessments_scheme_month", "tax_scheme_id", "as_of"),
    sa.Index("ix_assessments_operator_as_of", "operator_id", "as_of"),
)

# One row per consignment charged against a person's annual limit; a return within the allowed
# period marks it refunded, which restores the quota. The buyer is kept as a keyed hash (an
# identity document number is personal data the ledger does not need in clear).
quota_ledger = sa.Table(
    "quota_ledger",
    metadata,
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), primary_key=True),
    sa.Column("jurisdiction", sa.String(8), nullable=False),
    sa.Column("buyer_key", sa.String(64), nullable=False),
    sa.Column("year", sa.SmallInteger, nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("tax", Money),
    sa.Column("charged_at", UtcDateTime, nullable=False),
    sa.Column("refunded_at", UtcDateTime),
    sa.Index("ix_quota_ledger_buyer_year", "jurisdiction", "buyer_key", "year"),
)
