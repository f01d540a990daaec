"""People's passwords (argon2id) and the lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults are the RFC 9106 low-memory profile of argon2id (t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def weak_password(password: str) -> str | None:
    """Why a new password is refused, or None. Length beats composition rules (NIST SP 800-63B)."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(set(password)) < 5:
        return "a password needs more than a few distinct characters"
    return None


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)

    def after_failure(self, failures: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
        """The failure count after one more failure, and the time the account is locked until."""
        failures += 1
        return failures, (now + self.lockout if failures >= self.max_failures else None)
