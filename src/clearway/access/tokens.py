"""OAuth2 client-credentials access tokens: short-lived JWTs signed with the platform's key.

A token carries the operator and the key that obtained it; it is checked without a database read,
and the operator's current status (suspended or not) is checked on use all the same.
"""

from __future__ import annotations

import datetime as dt

import jwt

ISSUER = "clearway"
_ALGORITHM = "HS256"


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


def read_token(token: str, *, signing_key: bytes, now: dt.datetime) -> tuple[str, str] | None:
    """(operator id, key id) of a valid, unexpired token, else None."""
    try:
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=[_ALGORITHM],
            issuer=ISSUER,
            # Expiry is checked below against the caller's clock, which tests and replays set.
            options={"require": ["exp", "sub", "iss", "kid"], "verify_iat": False, "verify_exp": False},
        )
    except jwt.PyJWTError:
        return None
    if claims["exp"] <= now.timestamp() or claims.get("scope") != "operator":
        return None
    return str(claims["sub"]), str(claims["kid"])
