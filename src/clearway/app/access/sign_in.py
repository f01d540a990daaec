"""People signing in and their sessions (the person half of the access adapter, with people.py).

Sign-in is throttled per (account, address), per address and, with a much higher ceiling, per
account (clearway.access.throttle) instead of locking accounts. Every failure looks and costs the
same from outside: an unknown username, a wrong password, a disabled account and a throttled
attempt each run exactly one argon2 verification (against a dummy hash when there is nothing real
to check) and answer "invalid" (or, while throttled, "throttled", for real and unknown usernames
alike). The verification runs outside the write lock, so that a flood of sign-ins cannot stall the
clearance pipeline's writes. Failed and throttled attempts go to the audit chain within the same
bounded budget as refused requests (clearway.audit.denials): anyone can cause them.

Sessions: a person may hold several at once (two screens, two offices), each ending at logout,
after CLEARWAY_SESSION_IDLE_MINUTES unused, or CLEARWAY_SESSION_HOURS after sign-in, whichever
comes first. A password change ends the person's other sessions; a password reset, disabling the
person, or an administrator's "end sessions" ends all of them. A disabled person's sessions are
refused at once, even before they are deleted.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa

from clearway.access import throttle
from clearway.access.passwords import hash_password, password_matches, weak_password
from clearway.access.roles import Principal, Role
from clearway.app.access.people import PeopleAccess, digest_token
from clearway.audit.denials import DenialThrottle
from clearway.clearance.errors import ClearwayError, InvalidRecord, NotFound
from clearway.dataset.errors import FieldError
from clearway.store.access_repo import SqlAccessStore
from clearway.store.audit_log import SqlAuditLog

LoginOutcome = Literal["ok", "invalid", "throttled"]
# What a count is of (the ``scope`` of a login.throttled entry): see clearway.access.throttle.
Scope = Literal["pair", "address", "account"]
# Last use is written when older than this, not on every request: the idle clock's resolution.
SEEN_RESOLUTION = dt.timedelta(minutes=1)


class LoginResult(NamedTuple):
    outcome: LoginOutcome
    token: str | None = None  # the new session's token, for the cookie
    retry_after: int = 0  # seconds to wait, when throttled


class TooManyAttempts(ClearwayError):
    status = 429
    title = "Too many attempts"
    slug = "too-many-attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


class _Count(NamedTuple):
    scope: Scope
    key: str  # an HMAC: the table never holds a username or an address
    policy: throttle.ThrottlePolicy


def _seconds(wait: dt.timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


class SignIn(PeopleAccess):
    """Sign-in and sessions; mixed into AccessService after PeopleAccess."""

    def change_password(
        self, token: str, current: str, new: str, *, address: str | None = None, now: dt.datetime | None = None
    ) -> int:
        """A signed-in person changes their own password; their other sessions end (how many)."""
        at = now or self.clock()
        found = self.session(token, at)
        if found is None:
            raise NotFound("no such session")
        username = found[0].id
        if reason := weak_password(new, username):
            raise InvalidRecord("the new password is too weak", [FieldError("/new_password", reason)])
        # Knowing the current password is what a stolen session lacks: guessing it is throttled
        # exactly like signing in.
        person, wait = self._attempt(username, address, at)
        matched = self._verify(current, person if not wait else None)
        if wait:
            raise TooManyAttempts(wait)
        if not matched:
            with self._write, self.engine.begin() as conn:
                actor = f"person:{username}"
                self._refused(conn, address, actor, "password.change_failed", username, at, reason="password")
            raise InvalidRecord(
                "the current password is wrong", [FieldError("/current_password", "not the current password")]
            )
        new_hash = hash_password(new)
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            self._forgive(store, username, address)
            store.update_person(username, password_hash=new_hash)
            ended = store.delete_sessions_of(username, keep=digest_token(token))
            self._audit(conn, f"person:{username}", "person.password_changed", username, at, sessions_ended=ended)
        return ended

    # -- sign-in -------------------------------------------------------------------------------

    def login(
        self, username: str, password: str, now: dt.datetime | None = None, *, address: str | None = None
    ) -> LoginResult:
        """Check a password; on success open a session and return its token (for the cookie)."""
        at = now or self.clock()
        person, wait = self._attempt(username, address, at)
        matched = self._verify(password, person if not wait else None)
        if wait:
            return LoginResult("throttled", None, wait)
        actor, subject = (f"person:{username}", username) if person is not None else ("anonymous", "unknown")
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            if not matched:
                reason = "unknown" if person is None else "disabled" if person["disabled"] else "password"
                self._refused(conn, address, actor, "login.failed", subject, at, reason=reason)
                return LoginResult("invalid")
            self._forgive(store, username, address)
            idle = dt.timedelta(minutes=self.settings.session_idle_minutes)
            store.delete_stale_sessions_of(username, expired_by=at, idle_since=at - idle)
            token = secrets.token_urlsafe(32)
            store.insert_session(
                {
                    "token_hash": digest_token(token),
                    "username": username,
                    "csrf_token": secrets.token_urlsafe(32),
                    "created_at": at,
                    "expires_at": at + dt.timedelta(hours=self.settings.session_hours),
                    "last_seen_at": at,
                }
            )
            self._audit(conn, actor, "login.succeeded", subject, at)
        return LoginResult("ok", token)

    def record_suppressed_sign_ins(self, *, everything: bool = False) -> int:
        """Write the counts of failed and throttled attempts not recorded one by one whose minute is
        over (all of them, over or not, with ``everything``: at shutdown); how many entries.

        Each sign-in attempt writes those that are due; this is for the quiet after an attack."""
        at = self.clock()
        with self._write, self.engine.begin() as conn:
            return self._write_suppressed(conn, at, everything=everything)

    def _budget(self) -> DenialThrottle:
        if self.refusals is None:
            self.refusals = DenialThrottle(per_key=max(1, self.settings.security_events_per_minute))
        return self.refusals

    def _refused(
        self,
        conn: sa.Connection,
        address: str | None,
        actor: str,
        action: str,
        subject: str,
        at: dt.datetime,
        **detail: Any,
    ) -> None:
        """A failed or throttled attempt on the audit chain, if the budget for its address and action
        admits it; otherwise it is only counted, for a ``security.suppressed`` entry later.

        Anyone can cause these from any number of addresses, and the chain is append-only: this
        bounds what they can write (clearway.audit.denials). Successes are always written."""
        # The service clock, not a monotonic one, so that tests can move the minute; a clock set
        # back only makes a window last longer.
        if self._budget().admit(throttle.address_name(address) or "unknown", action, at.timestamp()):
            self._audit(conn, actor, action, subject, at, **detail)

    def _write_suppressed(self, conn: sa.Connection, at: dt.datetime, *, everything: bool = False) -> int:
        budget = self._budget()
        summaries = budget.drain() if everything else budget.due(at.timestamp())
        if summaries:
            SqlAuditLog(conn).append([summary.event(at) for summary in summaries])
        return len(summaries)

    def _counts(self, username: str, address: str | None) -> list[_Count]:
        """The counts an attempt is checked against and added to; every key made from the same
        normalised username and address (clearway.access.throttle), whoever asks."""
        account, where = throttle.account_name(username), throttle.address_name(address)
        account_key = self._key("account", account)
        # A pair's key begins with its account's, so that a password reset can find and clear
        # them all (the keys are HMACs: nothing else says whose they are). Half of each HMAC is
        # still 128 bits. The username's length keeps "a:b" at "c" apart from "a" at "b:c".
        pair_key = account_key[:32] + self._key("pair", f"{len(account)}:{account}:{where}")[:32]
        counts = [_Count("pair", pair_key, throttle.PAIR)]
        if where:
            counts.append(_Count("address", self._key("address", where), throttle.ADDRESS))
        counts.append(_Count("account", account_key, throttle.ACCOUNT))
        return counts

    def _attempt(self, username: str, address: str | None, at: dt.datetime) -> tuple[dict[str, Any] | None, int]:
        """The person (None if unknown) and the seconds to wait (0: the attempt may go ahead).

        An attempt that may go ahead is counted as a failure at once and forgiven on success, so
        that parallel guesses cannot all slip in before the first failure is recorded.
        """
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            self._write_suppressed(conn, at)
            person = store.person(username)
            counts = self._counts(username, address)
            wait, scope = max(
                (count.policy.retry_after(*store.failures(count.key), at), count.scope) for count in counts
            )
            if wait > dt.timedelta(0):
                actor, subject = (f"person:{username}", username) if person else ("anonymous", "unknown")
                self._refused(
                    conn, address, actor, "login.throttled", subject, at, scope=scope, wait_seconds=_seconds(wait)
                )
                return person, _seconds(wait)
            for count in counts:
                store.add_failure(count.key, at, forget_before=at - count.policy.forget_after)
            # Counts nobody added to for a day are gone for good: unknown usernames must not pile up.
            store.forget_failures_before(at - dt.timedelta(days=1))
            return person, 0

    def _forgive(self, store: SqlAccessStore, username: str, address: str | None) -> None:
        """After a success the pair's count starts again (the person's own mistakes from there); the
        address and the account only lose this attempt, so that neither a colleague's success nor
        the person's own hands a guesser elsewhere a fresh allowance."""
        for count in self._counts(username, address):
            if count.scope == "pair":
                store.clear_failures(count.key)
            else:
                store.forgive_failure(count.key)

    @staticmethod
    def _verify(password: str, person: dict[str, Any] | None) -> bool:
        # Exactly one argon2 verification whatever the case, so that time tells nothing.
        usable = person is not None and not person["disabled"]
        stored = person["password_hash"] if person is not None and usable else _DUMMY_HASH
        return password_matches(password, stored) and usable

    # -- sessions ------------------------------------------------------------------------------

    def session(self, token: str, now: dt.datetime | None = None) -> tuple[Principal, str] | None:
        """The person behind a session cookie and the session's CSRF token, or None."""
        at = now or self.clock()
        digest = digest_token(token)
        with self.engine.connect() as conn:
            row = SqlAccessStore(conn).session(digest)
        if row is None or row["disabled"] or row["expires_at"] <= at:
            return None
        if at - row["last_seen_at"] >= dt.timedelta(minutes=self.settings.session_idle_minutes):
            return None
        if at - row["last_seen_at"] >= SEEN_RESOLUTION:
            self._touch(digest, at)
        principal = Principal(
            kind="person", id=row["username"], role=Role(row["role"]), credential=f"session:{row['token_hash'][:12]}"
        )
        return principal, row["csrf_token"]

    def _touch(self, digest: str, at: dt.datetime) -> None:
        # This runs on the request path (inline in the event loop): never wait behind a batch that
        # holds the write lock. A skipped write is retried by the next request.
        if not self._write.acquire(blocking=False):
            return
        try:
            with self.engine.begin() as conn:
                SqlAccessStore(conn).touch_session(digest, at)
        finally:
            self._write.release()

    def logout(self, token: str) -> None:
        """End the session the token opens. The token itself is proof enough to end it."""
        at = self.clock()
        digest = digest_token(token)
        with self._write, self.engine.begin() as conn:
            store = SqlAccessStore(conn)
            row = store.session(digest)
            if row is not None and store.delete_session(digest):
                self._audit(conn, f"person:{row['username']}", "session.ended", row["username"], at, reason="logout")


_DUMMY_HASH = hash_password("not-a-real-password-at-all")
