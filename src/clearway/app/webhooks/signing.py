"""Signing secrets and signatures, as the Standard Webhooks specification defines them.

A secret is shown to its operator as ``whsec_`` + base64 of 32 bytes; the signature of a message is
``v1,`` + base64(HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")), and several
signatures separated by spaces verify if any one does (how a rotation keeps the old secret valid
for a while). The secret itself is never stored: it is HMAC(platform key, salt) with a random salt
kept on the subscription, so that the database alone signs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"
PURPOSE = "webhook-signing"


def new_salt() -> str:
    return secrets.token_hex(32)


def secret_of(key: bytes, salt: str) -> bytes:
    """The 32-byte signing secret of a subscription's salt."""
    return hmac.new(key, bytes.fromhex(salt), hashlib.sha256).digest()


def shown(secret: bytes) -> str:
    """The secret as its operator is given it (and as the standardwebhooks libraries take it)."""
    return PREFIX + base64.b64encode(secret).decode()


def signature(secret: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def signature_header(keys: Sequence[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: one signature per secret in force, the newest first."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in keys)


__all__ = ["PREFIX", "PURPOSE", "new_salt", "secret_of", "shown", "signature", "signature_header"]
