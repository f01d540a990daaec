"""The risk tables: rule versions, watchlists, reference data for data quality, risk results,
inspection outcomes and trust tiers.

Kept apart from clearway.store.tables (on the same ``metadata``). Rules and lists are data that
analysts change without a deploy: every change is a new row (a rule's versions are never
overwritten), and decisions record the rule versions they used.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import ID, OPERATOR, metadata
from clearway.store.types import Money, UtcDateTime

risk_rules = sa.Table(
    "risk_rules",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # active or retired
    # The rule as its pack writes it (JSON): condition, weight, outcome, scope, validity, legal basis.
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

watchlist_entries = sa.Table(
    "watchlist_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("list_name", sa.String(64), nullable=False),
    # sanctions (an official list: a hit means do not load) or watchlist (customs' own: inspect).
    sa.Column("list_kind", sa.String(16), nullable=False),
    sa.Column("entry_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("country", sa.String(2)),
    sa.Column("program", sa.String(200)),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("imported_at", UtcDateTime, nullable=False),
    sa.Index("ix_watchlist_entries_list_name", "list_name"),
)

# Reference data for data quality: vague descriptions (terms and patterns) imported from files,
# and the reference unit prices per HS-6 learned from accepted history.
reference_terms = sa.Table(
    "reference_terms",
    metadata,
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("value", sa.String(512), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
)

reference_prices = sa.Table(
    "reference_prices",
    metadata,
    sa.Column("hs6", sa.String(6), primary_key=True),
    sa.Column("median_eur", sa.Float, nullable=False),
    sa.Column("p10_eur", sa.Float, nullable=False),
    sa.Column("p90_eur", sa.Float, nullable=False),
    sa.Column("samples", sa.Integer, nullable=False),
    sa.Column("computed_at", UtcDateTime, nullable=False),
)

risk_results = sa.Table(
    "risk_results",
    metadata,
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("assessed_at", UtcDateTime, nullable=False),
    sa.Column("lane", sa.String(16), nullable=False),
    sa.Column("score", sa.SmallInteger, nullable=False),
    sa.Column("quality_score", sa.SmallInteger, nullable=False),
    sa.Column("operator_id", OPERATOR, nullable=False),
    # A keyed hash of the buyer (name and address) and the goods value in euro: the same buyer's
    # consignments of the day add up (splitting to stay under a threshold).
    sa.Column("buyer_key", sa.String(64), nullable=False),
    sa.Column("value_eur", sa.Float),
    # JSON: the rules hit, the rule versions evaluated, quality codes, screening hits, reasons.
    sa.Column("body", sa.Text, nullable=False),
    # What the inspection queue filters and sorts on (migration 0009; null on older rows).
    sa.Column("origin", sa.String(2)),
    sa.Column("hs_chapter", sa.String(2)),
    sa.Column("priority", sa.Float),
    # The rule versions evaluated (the same for a whole batch), stored once in body_parts under
    # this digest and left out of ``body`` (migration 0022; null on older rows, whose body has them).
    sa.Column("rule_set", sa.String(32)),
    sa.Index("ix_risk_results_operator_assessed", "operator_id", "assessed_at"),
    sa.Index("ix_risk_results_buyer_assessed", "buyer_key", "assessed_at"),
    sa.Index("ix_risk_results_priority", "priority"),
)

# One row per rule a consignment version hit: per-rule statistics are counts over this table.
risk_rule_hits = sa.Table(
    "risk_rule_hits",
    metadata,
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("rule", sa.String(80), primary_key=True),
    sa.Column("assessed_at", UtcDateTime, nullable=False),
    sa.Index("ix_risk_rule_hits_rule", "rule"),
)

inspection_outcomes = sa.Table(
    "inspection_outcomes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("consignment_id", ID, sa.ForeignKey("consignments.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(24), nullable=False),
    sa.Column("corrected_value", Money),
    sa.Column("corrected_hs_code", sa.String(10)),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("officer", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    # The rules the consignment's risk result hit (JSON list), kept with the label for statistics.
    sa.Column("rule_hits", sa.Text, nullable=False),
    sa.Column("lane", sa.String(16), nullable=False),
    sa.Index("ix_inspection_outcomes_consignment_id", "consignment_id"),
)

trust_tiers = sa.Table(
    "trust_tiers",
    metadata,
    sa.Column("party", sa.String(16), primary_key=True),  # operator or seller
    sa.Column("key", sa.String(200), primary_key=True),  # operator id, or normalised seller name
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
)

# Pre-loading filings (PLACI) with their answer, and the referral each open answer is: a request
# for information or for screening has a deadline, and an unanswered one becomes "do not load".
placi_filings = sa.Table(
    "placi_filings",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("operator_id", OPERATOR, nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("transport_document", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("answer", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # closed, open (a referral), expired
    sa.Column("due_at", UtcDateTime),
    sa.Column("answered_at", UtcDateTime),
    sa.Column("filing", sa.Text, nullable=False),
    sa.Column("assessment", sa.Text, nullable=False),
    sa.Column("history", sa.Text, nullable=False),  # JSON list of answers and their times
    # Set when retention replaced the parties' personal data in ``filing`` (store.preloading_retention).
    sa.Column("anonymised_at", UtcDateTime),
    sa.Index("ix_placi_filings_status_due_at", "status", "due_at"),
    sa.Index("ix_placi_filings_operator_reference", "operator_id", "reference"),
)
