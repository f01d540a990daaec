"""People's accounts: creation, roles, disabling, password resets and changes, ending sessions.

Mixed into ``AccessService`` (clearway.app.access.operators); sign-in and sessions are the next
room, clearway.app.access.sign_in. A password change ends the person's other sessions; a password
reset, disabling the person, or an administrator's "end sessions" ends all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from clearway.access import throttle
from clearway.access.passwords import hash_password, weak_password
from clearway.access.roles import PEOPLE_ROLES, Role
from clearway.audit.chain import AuditEvent
from clearway.audit.denials import DenialThrottle
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.dataset.errors import FieldError
from clearway.settings import Settings
from clearway.store.access_repo import SqlAccessStore
from clearway.store.audit_log import SqlAuditLog


def digest_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PeopleAccess:
    """People's accounts; mixed into AccessService, which provides these attributes."""

    engine: sa.Engine
    settings: Settings
    _write: threading.Lock
    throttle_key: bytes
    clock: Callable[[], dt.datetime]
    # Which failed and throttled attempts are written one by one (created on first use; only ever
    # used under ``_write``). Tests may set their own.
    refusals: DenialThrottle | None = None

    def _audit(
        self, conn: sa.Connection, actor: str, action: str, subject: str, at: dt.datetime, **detail: Any
    ) -> None:
        SqlAuditLog(conn).append([AuditEvent(at=at, actor=actor, action=action, subject=subject, detail=detail)])

    def _key(self, scope: str, value: str) -> str:
        return hmac.new(self.throttle_key, f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()

    def _account_prefix(self, username: str) -> str:
        """What the keys of an account's counts (its own and its pairs') begin with."""
        return self._key("account", throttle.account_name(username))[:32]

    # -- accounts ------------------------------------------------------------------------------

    def create_person(self, *, username: str, display_name: str, role: Role, password: str, actor: str) -> None:
        if role not in PEOPLE_ROLES:
            raise InvalidRecord("not a role for people", [FieldError("/role", f"'{role}' is for machines")])
        if reason := weak_password(password, username):
            raise InvalidRecord("the password is too weak", [FieldError("/password", reason)])
        at = self.clock()
        password_hash = hash_password(password)
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if store.person(username) is not None:
                raise Conflict(f"'{username}' already exists")
            store.insert_person(
                {
                    "username": username,
                    "display_name": display_name,
                    "role": role.value,
                    "password_hash": password_hash,
                    "disabled": False,
                    "created_at": at,
                }
            )
            self._audit(conn, actor, "person.created", username, at, role=role.value)

    def has_administrator(self) -> bool:
        with self.engine.connect() as conn:
            return SqlAccessStore(conn).count_people(Role.ADMIN.value) > 0

    def people(self) -> list[dict[str, Any]]:
        """Everyone's account (never the password hash)."""
        with self.engine.connect() as conn:
            return SqlAccessStore(conn).all_people()

    def person(self, username: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).person(username)
        if row is None:
            raise NotFound(f"no person '{username}'")
        return {k: v for k, v in row.items() if k != "password_hash"}

    def set_disabled(self, username: str, disabled: bool, *, actor: str) -> None:
        """Disable a person (their sessions end and sign-in is refused) or enable them again."""
        at = self.clock()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            person = store.person(username)
            if person is None:
                raise NotFound(f"no person '{username}'")
            last_admin = person["role"] == Role.ADMIN and store.count_people(Role.ADMIN.value, enabled_only=True) <= 1
            if disabled and not person["disabled"] and last_admin:
                raise Conflict("the last enabled administrator cannot be disabled")
            store.update_person(username, disabled=disabled)
            if disabled:
                ended = store.delete_sessions_of(username)
                self._audit(conn, actor, "person.disabled", username, at, sessions_ended=ended)
            else:
                self._audit(conn, actor, "person.enabled", username, at)

    def end_sessions(self, username: str, *, actor: str) -> int:
        """End all of a person's sessions (a lost laptop, a shared screen); how many there were."""
        at = self.clock()
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if store.person(username) is None:
                raise NotFound(f"no person '{username}'")
            ended = store.delete_sessions_of(username)
            self._audit(conn, actor, "sessions.ended", username, at, sessions_ended=ended, reason="admin")
        return ended

    def reset_password(self, username: str, password: str, *, actor: str) -> int:
        """An administrator sets a new password: all the person's sessions end, their throttle clears."""
        if reason := weak_password(password, username):
            raise InvalidRecord("the password is too weak", [FieldError("/password", reason)])
        at = self.clock()
        password_hash = hash_password(password)
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if not store.update_person(username, password_hash=password_hash):
                raise NotFound(f"no person '{username}'")
            # The account's count and every (account, address) count: the person's own failures
            # from wherever they tried, which is often why they asked for a reset.
            store.clear_failures_under(self._account_prefix(username))
            ended = store.delete_sessions_of(username)
            self._audit(conn, actor, "person.password_reset", username, at, sessions_ended=ended)
        return ended
