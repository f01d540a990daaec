"""People's passwords: argon2id hashes, and which new passwords are refused.

The refusal follows NIST SP 800-63B section 5.1.1.2: length (12 characters or more) rather than
composition rules, and no password that is known to be common, is built on a common one, or
contains the username. The list of common passwords ships with the package (common-passwords.txt,
10,000 entries; its header names the source and its licence) so that no check calls out.
"""

from __future__ import annotations

import functools
import string
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults are the RFC 9106 low-memory profile of argon2id (t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
MIN_LENGTH = 12
# Shorter usernames ("al") would refuse too many good passwords that merely contain two letters.
_MIN_USERNAME_CHECKED = 3
# Shorter cores ("x1234567890!") are not words; length and distinct characters judge those.
_MIN_CORE_CHECKED = 4
_PADDING = string.digits + string.punctuation + " "


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("clearway.access").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _common_cores(password: str) -> set[str]:
    """The password lower-cased, without the digits and symbols people pad a common word with
    ("Summer2024!!" is "summer"), and the unit of a repetition ("monkeymonkey" is "monkey")."""
    lowered = password.lower()
    core = lowered.strip(_PADDING)
    found = {lowered}
    if len(core) >= _MIN_CORE_CHECKED:
        found.add(core)
        for size in range(_MIN_CORE_CHECKED, len(core) // 2 + 1):
            if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
                found.add(core[:size])
                break
    return found


# Why a new password is refused, by the code of the reason (pages say each in their own words).
WEAKNESSES = {
    "short": f"a password needs at least {MIN_LENGTH} characters",
    "few": "a password needs more than a few distinct characters",
    "username": "a password may not contain the username",
    "common": "this password, or the word it is built on, is among the most common passwords; choose another",
}


def weakness(password: str, username: str | None = None) -> str | None:
    """The code of the reason (a key of WEAKNESSES) why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return "short"
    if len(set(password)) < 5:
        return "few"
    if username and len(username) >= _MIN_USERNAME_CHECKED and username.lower() in password.lower():
        return "username"
    if _common_cores(password) & common_passwords():
        return "common"
    return None


def weak_password(password: str, username: str | None = None) -> str | None:
    """Why a new password is refused, or None."""
    code = weakness(password, username)
    return None if code is None else WEAKNESSES[code]
