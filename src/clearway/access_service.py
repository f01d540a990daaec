"""Operators, keys, tokens, people and sessions: the access adapter over the store.

Every credential event (onboarding, suspension, key issued or revoked, login, lockout, logout)
is written to the tamper-evident audit chain in the same transaction as the change itself.
Verified credentials are cached for a few seconds (CLEARWAY_CREDENTIAL_CACHE_SECONDS) so that the
intake path does not read the database on every request; revocation and suspension clear this
process's cache at once and bite in other processes within that delay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from typing import Any, Literal

import sqlalchemy as sa

from clearway.access import credentials, tokens
from clearway.access.passwords import LockoutPolicy, hash_password, password_matches, weak_password
from clearway.access.roles import OPERATOR_KINDS, PEOPLE_ROLES, Principal, Role
from clearway.audit.chain import AuditEvent
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import invalid_eori, unknown_country
from clearway.secrets_file import derive, load_or_create
from clearway.settings import Settings
from clearway.store.access_repo import SqlAccessStore
from clearway.store.audit_log import SqlAuditLog

LoginOutcome = Literal["ok", "invalid", "locked", "disabled"]
_OPERATOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AccessService:
    def __init__(self, engine: sa.Engine, settings: Settings, write_lock: threading.Lock | None = None) -> None:
        self.engine = engine
        # Shared with the clearance service: both append to the one audit chain.
        self._write = write_lock or threading.Lock()
        self.settings = settings
        secret = load_or_create(settings.secret_key or None, settings.secret_key_file)
        self.token_key = derive(secret, "oauth2-access-token")
        self.pseudonym_key = derive(secret, "pseudonymisation")
        self.lockout = LockoutPolicy()
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._cache_lock = threading.Lock()

    # -- audit ---------------------------------------------------------------------------------

    def _audit(
        self, conn: sa.Connection, actor: str, action: str, subject: str, at: dt.datetime, **detail: Any
    ) -> None:
        SqlAuditLog(conn).append([AuditEvent(at=at, actor=actor, action=action, subject=subject, detail=detail)])

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
        if (cached := self._cached(cache_key)) is not None:
            return cached
        parsed = credentials.parse_key(presented)
        if parsed is None:
            return None
        key_id, secret = parsed
        row = self._valid_key_row(key_id, now or _utcnow())
        if row is None or not credentials.secret_matches(secret, row["secret_hash"]):
            return None
        principal = Principal(kind="operator", id=row["operator_id"], role=Role.OPERATOR, credential=f"key:{key_id}")
        self._remember(cache_key, principal)
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
        claims = tokens.read_token(token, signing_key=self.token_key, now=at)
        if claims is None:
            return None
        operator_id, key_id = claims
        cache_key = f"token-key:{key_id}"
        if (cached := self._cached(cache_key)) is None:
            # The token is signed, but its key may have been revoked or its operator suspended.
            if self._valid_key_row(key_id, at) is None:
                return None
            cached = Principal(kind="operator", id=operator_id, role=Role.OPERATOR, credential=f"token:{key_id}")
            self._remember(cache_key, cached)
        return cached if cached.id == operator_id else None

    # -- people --------------------------------------------------------------------------------

    def create_person(self, *, username: str, display_name: str, role: Role, password: str, actor: str) -> None:
        if role not in PEOPLE_ROLES:
            raise InvalidRecord("not a role for people", [FieldError("/role", f"'{role}' is for machines")])
        if reason := weak_password(password):
            raise InvalidRecord("the password is too weak", [FieldError("/password", reason)])
        at = _utcnow()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if store.person(username) is not None:
                raise Conflict(f"'{username}' already exists")
            store.insert_person(
                {
                    "username": username,
                    "display_name": display_name,
                    "role": role.value,
                    "password_hash": hash_password(password),
                    "failed_logins": 0,
                    "locked_until": None,
                    "disabled": False,
                    "created_at": at,
                }
            )
            self._audit(conn, actor, "person.created", username, at, role=role.value)

    def has_administrator(self) -> bool:
        with self.engine.connect() as conn:
            return SqlAccessStore(conn).count_people(Role.ADMIN.value) > 0

    def login(self, username: str, password: str, now: dt.datetime | None = None) -> tuple[LoginOutcome, str | None]:
        """Check a password; on success open a session and return its token (for the cookie)."""
        at = now or _utcnow()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            person = store.person(username)
            if person is None:
                # Same work as a real check, so that timing does not tell which usernames exist.
                password_matches(password, _DUMMY_HASH)
                self._audit(conn, "anonymous", "login.failed", "unknown", at)
                return "invalid", None
            if person["disabled"]:
                self._audit(conn, f"person:{username}", "login.refused", username, at, reason="disabled")
                return "disabled", None
            if person["locked_until"] is not None and person["locked_until"] > at:
                self._audit(conn, f"person:{username}", "login.refused", username, at, reason="locked")
                return "locked", None
            if not password_matches(password, person["password_hash"]):
                failures, locked_until = self.lockout.after_failure(person["failed_logins"], at)
                store.update_person(username, failed_logins=failures, locked_until=locked_until)
                self._audit(conn, f"person:{username}", "login.failed", username, at, failures=failures)
                if locked_until is not None:
                    self._audit(conn, "system:access", "person.locked", username, at, until=locked_until.isoformat())
                    return "locked", None
                return "invalid", None
            token = secrets.token_urlsafe(32)
            store.update_person(username, failed_logins=0, locked_until=None)
            store.insert_session(
                {
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "username": username,
                    "csrf_token": secrets.token_urlsafe(32),
                    "created_at": at,
                    "expires_at": at + dt.timedelta(hours=self.settings.session_hours),
                }
            )
            self._audit(conn, f"person:{username}", "login.succeeded", username, at)
            return "ok", token

    def session(self, token: str, now: dt.datetime | None = None) -> tuple[Principal, str] | None:
        """The person behind a session cookie and the session's CSRF token, or None."""
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).session(hashlib.sha256(token.encode()).hexdigest())
        if row is None or row["disabled"] or row["expires_at"] <= (now or _utcnow()):
            return None
        principal = Principal(
            kind="person", id=row["username"], role=Role(row["role"]), credential=f"session:{row['token_hash'][:12]}"
        )
        return principal, row["csrf_token"]

    def logout(self, token: str) -> None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        at = _utcnow()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            row = store.session(digest)
            if row is not None:
                store.delete_session(digest)
                self._audit(conn, f"person:{row['username']}", "session.ended", row["username"], at)

    # -- cache ---------------------------------------------------------------------------------

    def _cached(self, key: str) -> Principal | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        expires, principal = entry
        if expires < time.monotonic():
            self._cache.pop(key, None)
            return None
        return principal

    def _remember(self, key: str, principal: Principal) -> None:
        with self._cache_lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + self.settings.credential_cache_seconds, principal)

    def _forget(self, match: Any) -> None:
        with self._cache_lock:
            for key in [k for k, (_, p) in self._cache.items() if match(p)]:
                del self._cache[key]


_DUMMY_HASH = hash_password("not-a-real-password-at-all")
