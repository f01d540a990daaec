"""Operators, keys, tokens, people and sessions: the access adapter over the store.

People (people.py) and their sign-in and sessions (sign_in.py) are mixed in here. Every credential event
(onboarding, suspension, key issued or revoked, sign-in, throttling, logout, disabling, password
reset or change, sessions ended) is written to the tamper-evident audit chain in the same
transaction as the change itself.
Verified credentials are cached for a few seconds (CLEARWAY_CREDENTIAL_CACHE_SECONDS) so that the
intake path does not read a key on every request; revocation and suspension also move the
credential epoch (store/credential_epoch.py), which every process checks before trusting its cache,
so that they bite in every server process within CLEARWAY_CREDENTIAL_EPOCH_SECONDS (1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from typing import Any, Literal

import sqlalchemy as sa

from clearway.access import credentials, tokens
from clearway.access.roles import OPERATOR_KINDS, Principal, Role
from clearway.app.access.sign_in import LoginOutcome, LoginResult, SignIn, TooManyAttempts
from clearway.app.secrets import derive, load_or_create
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import invalid_eori, unknown_country
from clearway.settings import Settings
from clearway.store import credential_epoch
from clearway.store.access_repo import SqlAccessStore

_OPERATOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AccessService(SignIn):
    def __init__(self, engine: sa.Engine, settings: Settings, write_lock: threading.Lock | None = None) -> None:
        self.engine = engine
        # Shared with the clearance service: both append to the one audit chain.
        self._write = write_lock or threading.Lock()
        self.settings = settings
        secret = load_or_create(settings.secret_key or None, settings.secret_key_file)
        self.token_key = derive(secret, "oauth2-access-token")
        self.pseudonym_key = derive(secret, "pseudonymisation")
        self.throttle_key = derive(secret, "sign-in-throttle")
        # The people half reads the time here, so that tests can move it (idle timeout, throttling).
        self.clock = _utcnow
        # key -> (expiry, credential epoch it was verified under, principal); see _cached.
        self._cache: dict[str, tuple[float, int, Principal]] = {}
        self._cache_lock = threading.Lock()
        # The credential epoch as last read, and until when it is trusted (see _credential_epoch).
        self._epoch, self._epoch_until = 0, 0.0

    # -- operators ----------------------------------------------------------------------------

    def onboard(
        self,
        *,
        operator_id: str,
        name: str,
        kind: str,
        country: str,
        contact_email: str,
        actor: str,
        eori: str | None = None,
        tax_scheme_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> dict[str, Any]:
        errors = []
        if not _OPERATOR_ID.match(operator_id):
            errors.append(FieldError("/id", "expected 2-63 lower-case letters, digits and hyphens"))
        if kind not in OPERATOR_KINDS:
            errors.append(FieldError("/kind", f"expected one of {', '.join(OPERATOR_KINDS)}"))
        if message := unknown_country(country):
            errors.append(FieldError("/country", message))
        if eori and (message := invalid_eori(eori)):
            errors.append(FieldError("/eori", message))
        if "@" not in contact_email:
            errors.append(FieldError("/contact_email", "expected an e-mail address"))
        if errors:
            raise InvalidRecord("the operator has invalid fields", errors)
        at = now or _utcnow()
        row = {
            "id": operator_id,
            "name": name,
            "kind": kind,
            "country": country,
            "eori": eori,
            "tax_scheme_id": tax_scheme_id,
            "contact_email": contact_email,
            "status": "active",
            "created_at": at,
        }
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if store.operator(operator_id) is not None:
                raise Conflict(f"operator '{operator_id}' already exists")
            store.insert_operator(row)
            self._audit(conn, actor, "operator.onboarded", operator_id, at, kind=kind)
        return row

    def operators(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return SqlAccessStore(conn).all_operators()

    def operator(self, operator_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).operator(operator_id)
        if row is None:
            raise NotFound(f"no operator '{operator_id}'")
        return row

    def set_status(self, operator_id: str, status: Literal["active", "suspended"], *, actor: str) -> None:
        at = _utcnow()
        with self._write, self.engine.begin() as conn:
            if not SqlAccessStore(conn).set_operator_status(operator_id, status):
                raise NotFound(f"no operator '{operator_id}'")
            action = "operator.suspended" if status == "suspended" else "operator.activated"
            self._audit(conn, actor, action, operator_id, at)
            credential_epoch.bump(conn)  # other processes drop their cached credentials at once
        self._forget(lambda p: p.kind == "operator" and p.id == operator_id)

    # -- API keys -------------------------------------------------------------------------------

    def issue_key(
        self, operator_id: str, *, actor: str, valid_days: int | None = None, now: dt.datetime | None = None
    ) -> tuple[credentials.IssuedKey, dt.datetime]:
        """A new key for an operator; its plaintext exists only in the return value."""
        at = now or _utcnow()
        expires = at + dt.timedelta(days=valid_days or self.settings.api_key_days)
        issued = credentials.new_key()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if store.operator(operator_id) is None:
                raise NotFound(f"no operator '{operator_id}'")
            store.insert_key(
                {
                    "key_id": issued.key_id,
                    "operator_id": operator_id,
                    "secret_hash": issued.secret_hash,
                    "created_at": at,
                    "expires_at": expires,
                }
            )
            self._audit(conn, actor, "key.issued", operator_id, at, key_id=issued.key_id)
        return issued, expires

    def key_owner(self, key_id: str) -> str | None:
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).key(key_id)
        return None if row is None else str(row["operator_id"])

    def keys(self, operator_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                {k: v for k, v in row.items() if k != "secret_hash"}
                for row in SqlAccessStore(conn).keys_of(operator_id)
            ]

    def revoke_key(self, key_id: str, *, actor: str) -> None:
        at = _utcnow()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            row = store.key(key_id)
            if row is None or not store.revoke_key(key_id, at):
                raise NotFound(f"no active key '{key_id}'")
            self._audit(conn, actor, "key.revoked", row["operator_id"], at, key_id=key_id)
            credential_epoch.bump(conn)  # other processes drop their cached credentials at once
        self._forget(lambda p: p.credential in (f"key:{key_id}", f"token:{key_id}"))

    def rotate_key(self, key_id: str, *, actor: str) -> tuple[credentials.IssuedKey, dt.datetime]:
        """Replace a key: the new one is issued, the old one revoked, in that order."""
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).key(key_id)
        if row is None or row["revoked_at"] is not None:
            raise NotFound(f"no active key '{key_id}'")
        issued = self.issue_key(row["operator_id"], actor=actor)
        self.revoke_key(key_id, actor=actor)
        return issued

    def _valid_key_row(self, key_id: str, now: dt.datetime) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).key(key_id)
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
            return None
        if row["operator_status"] != "active":
            return None
        return row

    def authenticate_key(self, presented: str, now: dt.datetime | None = None) -> Principal | None:
        cache_key = hashlib.sha256(presented.encode()).hexdigest()
        epoch = self._credential_epoch()
        if (cached := self._cached(cache_key, epoch)) is not None:
            return cached
        parsed = credentials.parse_key(presented)
        if parsed is None:
            return None
        key_id, secret = parsed
        row = self._valid_key_row(key_id, now or _utcnow())
        if row is None or not credentials.secret_matches(secret, row["secret_hash"]):
            return None
        principal = Principal(kind="operator", id=row["operator_id"], role=Role.OPERATOR, credential=f"key:{key_id}")
        self._remember(cache_key, principal, epoch)
        return principal

    # -- OAuth2 client credentials ------------------------------------------------------------

    def token(self, client_id: str, client_secret: str, now: dt.datetime | None = None) -> str | None:
        """An access token for a key's id and secret (RFC 6749 section 4.4), or None."""
        at = now or _utcnow()
        row = self._valid_key_row(client_id, at)
        if row is None or not credentials.secret_matches(client_secret, row["secret_hash"]):
            return None
        lifetime = dt.timedelta(minutes=self.settings.token_minutes)
        return tokens.issue_token(
            operator_id=row["operator_id"], key_id=client_id, signing_key=self.token_key, now=at, lifetime=lifetime
        )

    def authenticate_token(self, token: str, now: dt.datetime | None = None) -> Principal | None:
        at = now or _utcnow()
        lifetime = dt.timedelta(minutes=self.settings.token_minutes)
        claims = tokens.read_token(token, signing_key=self.token_key, now=at, max_lifetime=lifetime)
        if claims is None:
            return None
        operator_id, key_id = claims
        cache_key = f"token-key:{key_id}"
        epoch = self._credential_epoch()
        if (cached := self._cached(cache_key, epoch)) is None:
            # The token is signed, but its key may have been revoked or its operator suspended.
            row = self._valid_key_row(key_id, at)
            if row is None:
                return None
            # The principal is the key's owner, never merely what the token's subject says.
            owner = str(row["operator_id"])
            cached = Principal(kind="operator", id=owner, role=Role.OPERATOR, credential=f"token:{key_id}")
            self._remember(cache_key, cached, epoch)
        return cached if cached.id == operator_id else None

    # -- cache ---------------------------------------------------------------------------------

    def _credential_epoch(self) -> int:
        """The credential epoch, taken before the key row: a key revoked or an operator suspended in
        another process (the command line, another worker) moves it, and what this process cached
        under an older epoch is no longer trusted. The row is read at most once every
        CLEARWAY_CREDENTIAL_EPOCH_SECONDS: a read on every request (a few hundred microseconds on
        PostgreSQL, in the event loop) would cost the intake path more than the cache saves."""
        now = time.monotonic()
        if now < self._epoch_until:
            return self._epoch
        with self.engine.connect() as conn:
            epoch = credential_epoch.read(conn)
        self._epoch, self._epoch_until = epoch, now + self.settings.credential_epoch_seconds
        return epoch

    def _cached(self, key: str, epoch: int) -> Principal | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        expires, verified_under, principal = entry
        if verified_under != epoch or expires < time.monotonic():
            self._cache.pop(key, None)
            return None
        return principal

    def _remember(self, key: str, principal: Principal, epoch: int) -> None:
        with self._cache_lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + self.settings.credential_cache_seconds, epoch, principal)

    def _forget(self, match: Any) -> None:
        with self._cache_lock:
            for key in [k for k, (_, _, p) in self._cache.items() if match(p)]:
                del self._cache[key]


__all__ = ["AccessService", "LoginOutcome", "LoginResult", "TooManyAttempts"]
