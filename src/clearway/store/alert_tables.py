"""Customs-to-customs alerts: partner administrations, our own signing keys, imported envelopes and alerts.

Kept apart from clearway.store.tables (on the same ``metadata``), like the webhook tables. No secret
is stored in the clear: our Ed25519 private key is derived from the platform's secret and the key id
(app/alerts/keys.py), and each partner's shared pseudonymisation key, which both administrations
must hold, is kept sealed (AES-256-GCM under a key derived from the platform's secret), so that a
copy of the database alone neither signs an alert nor reverses a pseudonym.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import metadata
from clearway.store.types import UtcDateTime

ADMIN = sa.String(16)

alert_partners = sa.Table(
    "alert_partners",
    metadata,
    # The partner's administration code, as its envelopes name their issuer (e.g. "NL", "CA-CBSA").
    sa.Column("code", ADMIN, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # The partner's Ed25519 public key (base64 of 32 bytes) and the id its envelopes sign under.
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),
    # The shared pseudonymisation key, sealed: base64(nonce || AES-GCM ciphertext), the code as
    # associated data (a sealed key copied to another partner's row does not open).
    sa.Column("shared_key_sealed", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

alert_signing_keys = sa.Table(
    "alert_signing_keys",
    metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    # Our administration's code, as our envelopes name their issuer.
    sa.Column("issuer", ADMIN, nullable=False),
    # The public half (base64), to give to partners; the private half is derived, never stored.
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # Set when a newer key replaces it: envelopes are signed with the key not retired.
    sa.Column("retired_at", UtcDateTime),
)

alert_envelopes = sa.Table(
    "alert_envelopes",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("partner_code", ADMIN, sa.ForeignKey("alert_partners.code"), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("imported_by", sa.String(128), nullable=False),
    # The verified envelope exactly as received, and its SHA-256: the evidence of what the partner said.
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("ix_alert_envelopes_partner_code", "partner_code"),
)

imported_alerts = sa.Table(
    "imported_alerts",
    metadata,
    sa.Column("partner_code", ADMIN, sa.ForeignKey("alert_partners.code"), primary_key=True),
    sa.Column("alert_id", sa.String(64), primary_key=True),
    sa.Column("envelope_id", sa.String(32), sa.ForeignKey("alert_envelopes.id"), nullable=False),
    sa.Column("finding", sa.String(24), nullable=False),
    sa.Column("hs_code", sa.String(6), nullable=False),
    sa.Column("origin", sa.String(2), nullable=False),
    sa.Column("issued_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    # The alert as signed (JSON), which the risk step's matcher reads back.
    sa.Column("body", sa.Text, nullable=False),
    # The alerts in force, for loading the matcher.
    sa.Index("ix_imported_alerts_expires_at", "expires_at"),
)
