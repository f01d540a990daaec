"""API keys: random secrets shown once, stored only as hashes.

A key reads ``cw_<key id>_<secret>``. The key id (public, 12 hex digits) finds the stored row;
the secret (32 random bytes) is checked against its SHA-256. A plain hash is right here, unlike
for passwords: the secret has 256 bits of entropy, so nothing can be guessed, and a fast hash
keeps authentication off the hot path's profile.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "cw_"
_KEY = re.compile(r"^cw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


class IssuedKey:
    """A new key: ``plaintext`` is shown to the operator once and never stored."""

    def __init__(self, key_id: str, plaintext: str, secret_hash: str) -> None:
        self.key_id = key_id
        self.plaintext = plaintext
        self.secret_hash = secret_hash


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> IssuedKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(key_id, f"{PREFIX}{key_id}_{secret}", secret_hash(secret))


def parse_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    match = _KEY.match(presented)
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash)
