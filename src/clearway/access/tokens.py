"""OAuth2 client-credentials access tokens: short-lived JWTs signed with the platform's key.

A token carries the operator and the key that obtained it; it is checked without a database read,
and the operator's current status (suspended or not) is checked on use all the same. The reader
refuses more than a bad signature or a past expiry: a token whose lifetime (``exp - iat``) is longer
than the platform issues, or that claims to have been issued in the future, is not one the platform
made as configured, whatever its signature says (a leaked signing key, or a bug in the issuer,
must not yield tokens that last for ever). Whether its subject owns its key is for the caller,
which has the key's row.
"""

from __future__ import annotations

import datetime as dt

import jwt

ISSUER = "clearway"
_ALGORITHM = "HS256"
# Clocks of several server processes disagree by a little: an ``iat`` this far ahead is still accepted.
CLOCK_SKEW = dt.timedelta(seconds=60)
# The lifetime the platform issues by default (CLEARWAY_TOKEN_MINUTES); callers pass the configured one.
LIFETIME = dt.timedelta(minutes=15)


def issue_token(*, operator_id: str, key_id: str, signing_key: bytes, now: dt.datetime, lifetime: dt.timedelta) -> str:
    claims = {
        "iss": ISSUER,
        "sub": operator_id,
        "kid": key_id,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "scope": "operator",
    }
    return jwt.encode(claims, signing_key, algorithm=_ALGORITHM)


def read_token(
    token: str, *, signing_key: bytes, now: dt.datetime, max_lifetime: dt.timedelta = LIFETIME
) -> tuple[str, str] | None:
    """(operator id, key id) of a valid, unexpired token no longer-lived than ``max_lifetime``, else None."""
    try:
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=[_ALGORITHM],
            issuer=ISSUER,
            # Expiry and issue time are checked below against the caller's clock, which tests and
            # replays set.
            options={"require": ["exp", "iat", "sub", "iss", "kid"], "verify_iat": False, "verify_exp": False},
        )
    except jwt.PyJWTError:
        return None
    issued, expires = claims["iat"], claims["exp"]
    if type(issued) is not int or type(expires) is not int:  # not bool, float or text
        return None
    at = now.timestamp()
    if expires <= at or issued > at + CLOCK_SKEW.total_seconds():
        return None
    if expires - issued > max_lifetime.total_seconds():
        return None
    if claims.get("scope") != "operator" or not isinstance(claims["sub"], str) or not isinstance(claims["kid"], str):
        return None
    return claims["sub"], claims["kid"]


def signed_key_id(token: str, *, signing_key: bytes) -> str | None:
    """The key id of a token that bears the platform's signature, expired or not, else None.

    For rate limiting: all the tokens a key obtains share one allowance, and a forged token cannot
    name someone else's key to use up theirs. Whether the token is still valid is checked on use.
    """
    try:
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=[_ALGORITHM],
            issuer=ISSUER,
            options={"require": ["kid", "iss"], "verify_iat": False, "verify_exp": False, "verify_nbf": False},
        )
    except jwt.PyJWTError:
        return None
    kid = claims["kid"]
    return kid if isinstance(kid, str) else None
