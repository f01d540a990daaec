"""The platform's secret, and the keys derived from it for each purpose.

One secret (CLEARWAY_SECRET_KEY, hex, in production; otherwise a file created on first use with
mode 0600) gives a separate key per purpose, so that a token-signing key can never double as the
pseudonymisation key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_or_create(secret_hex: str | None, path: str) -> bytes:
    if secret_hex:
        secret = bytes.fromhex(secret_hex)
        if len(secret) < 32:
            raise ValueError("CLEARWAY_SECRET_KEY must be at least 32 bytes (64 hex digits)")
        return secret
    file = Path(path)
    if file.exists():
        return bytes.fromhex(file.read_text().strip())
    file.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    # Create it private from the start, not chmod-ed after a window of being readable.
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret.hex() + "\n")
    return secret


def derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()
