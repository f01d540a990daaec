"""The keys of the alert exchange, kept as the platform keeps its other secrets (app/secrets.py).

- Our Ed25519 signing key is never stored: its 32-byte seed is derived from the platform's secret
  and the key's id, so the database holds only the public half (as webhook secrets are derived
  from a stored salt).
- A partner's shared pseudonymisation key cannot be derived, since both administrations must hold
  the same bytes: it is stored sealed with AES-256-GCM under a key derived from the platform's
  secret, the partner's code as associated data. A copy of the database alone opens none of them.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
from collections.abc import Mapping
from typing import Any

import msgspec
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clearway.app.secrets import derive
from clearway.risk.partner_alerts import AlertIndex, Partner, PartnerAlert, decode_key, signing_key
from clearway.store import alert_repo

SIGNING = "partner-alerts-signing"
SEALING = "partner-alerts-sealing"
_ALERT = msgspec.json.Decoder(PartnerAlert)
_log = logging.getLogger(__name__)


def our_signing_key(secret: bytes, key_id: str) -> Ed25519PrivateKey:
    """Our private key of ``key_id``: the same for the same platform secret, on every server."""
    return signing_key(derive(secret, f"{SIGNING}:{key_id}"))


def seal(secret: bytes, code: str, shared_key: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(derive(secret, SEALING)).encrypt(nonce, shared_key, code.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(secret: bytes, code: str, sealed: str) -> bytes:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(derive(secret, SEALING)).decrypt(raw[:12], raw[12:], code.encode())
    except InvalidTag:
        # Another platform secret, or a row edited by hand: say so rather than match nothing.
        raise ValueError(
            f"the shared key of partner {code} does not open with this platform's secret "
            "(CLEARWAY_SECRET_KEY changed?): register the partner again"
        ) from None


def partner_of(secret: bytes, row: Mapping[str, Any]) -> Partner:
    return Partner(
        code=row["code"],
        name=row["name"],
        key_id=row["key_id"],
        public_key=decode_key(row["public_key"]),
        shared_key=unseal(secret, row["code"], row["shared_key_sealed"]),
    )


def partners(conn: sa.Connection, secret: bytes) -> dict[str, Partner]:
    """Every registered partner; one whose shared key does not open is left out and logged (its
    alerts are neither imported nor matched), rather than stopping the pipeline."""
    out = {}
    for row in alert_repo.partners(conn):
        try:
            out[row["code"]] = partner_of(secret, row)
        except ValueError as exc:
            _log.warning("partner %s left out: %s", row["code"], exc)
    return out


def load_index(conn: sa.Connection, secret: bytes, at: dt.datetime) -> AlertIndex:
    """The imported alerts in force at ``at``, indexed for matching (loaded once per risk step)."""
    rows = alert_repo.alerts_in_force(conn, at)
    if not rows:
        return AlertIndex([])
    known = partners(conn, secret)
    return AlertIndex(
        (_ALERT.decode(row["body"]), known[row["partner_code"]]) for row in rows if row["partner_code"] in known
    )
