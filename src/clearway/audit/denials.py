"""Refused requests as audit events, at a bounded volume. Pure: no clock, no storage here.

A refused request (a bad API key, token or session, a role the route does not admit, a missing
CSRF token, another operator's consignment) is evidence of probing, so it goes to the audit chain.
Anyone can cause refusals, so their volume is bounded: per (client address, reason), the first
``per_key`` refusals of a window are recorded one by one and the rest only counted; when the
window is over, one summary entry gives the count. A ceiling over all keys (``total``) bounds what
a caller rotating addresses can write: past it, refusals are counted in one overflow summary.

Entries hold codes and identifiers only: the actor when the credential proved one (else
``anonymous``), the client address, the method and the route's template (never the path with its
identifiers, never a query string, never a credential).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

import msgspec

from clearway.audit.chain import AuditEvent

DENIED = "security.denied"
SUPPRESSED = "security.suppressed"
# Every security entry has this subject, which the audit log indexes: reading them back is cheap.
SUBJECT = "security"
ANONYMOUS = "anonymous"

# What each reason code means (docs/security.md lists them too).
REASONS: dict[str, str] = {
    "no_credential": "no API key, access token or session was sent",
    "bad_scheme": "the Authorization header is not a Bearer credential",
    "bad_key": "the API key is unknown, expired, revoked or its operator suspended",
    "bad_token": "the access token is forged, expired, too long-lived, or its key or operator is no longer valid",
    "bad_session": "the session is unknown or has expired",
    "bad_client": "the OAuth2 client id and secret do not match a valid key",
    "role": "the route is not open to the caller's role",
    "csrf": "the session's CSRF token is missing or wrong",
    "not_found": "an operator asked for a consignment or webhook subscription that does not exist",
    "other_operator": "an operator asked for another operator's consignment or webhook subscription",
    # Summaries only: refusals past the ceiling over all addresses, counted together.
    "overflow": "refusals from any address past the ceiling for all of them",
    # Summaries only: attempts at a password (clearway.app.access.people), each recorded under its own
    # action within the same budget, and counted here past it.
    "login.failed": "a sign-in with an unknown username, a wrong password or a disabled account",
    "login.throttled": "a sign-in or password change refused while its counts make it wait",
    "password.change_failed": "a signed-in person's password change with a wrong current password",
}

_OVERFLOW = ("*", "overflow")


class Denial(msgspec.Struct, frozen=True, kw_only=True):
    """One refused request, as recorded."""

    reason: str
    status: int
    address: str
    method: str
    route: str
    actor: str = ANONYMOUS

    def event(self, at: dt.datetime) -> AuditEvent:
        detail = {
            "reason": self.reason,
            "status": self.status,
            "address": self.address,
            "method": self.method,
            "route": self.route,
        }
        return AuditEvent(at=at, actor=self.actor, action=DENIED, subject=SUBJECT, detail=detail)


class Suppressed(msgspec.Struct, frozen=True, kw_only=True):
    """Refusals counted but not recorded one by one during a window."""

    address: str
    reason: str
    count: int
    window_seconds: int

    def event(self, at: dt.datetime) -> AuditEvent:
        detail = {
            "reason": self.reason,
            "address": self.address,
            "suppressed": self.count,
            "window_seconds": self.window_seconds,
        }
        return AuditEvent(at=at, actor="system:security", action=SUPPRESSED, subject=SUBJECT, detail=detail)


class DenialThrottle:
    """Which refusals to record one by one, and the counts of those that were not.

    ``now`` is any monotonic clock in seconds. Keys are (address, reason); at most ``max_keys`` are
    tracked (past that the oldest window is closed early, its count kept for the next summary).
    """

    def __init__(self, per_key: int, window_seconds: float = 60.0, total: int | None = None, max_keys: int = 10_000):
        if per_key < 1 or window_seconds <= 0 or max_keys < 1:
            raise ValueError("per_key and max_keys must be at least 1, window_seconds positive")
        self.per_key = per_key
        self.window = window_seconds
        self.total = total if total is not None else 50 * per_key
        self.max_keys = max_keys
        # key -> [window start, recorded, suppressed]; ordered by window start (oldest first).
        self._windows: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._total_start: float | None = None
        self._total_recorded = 0
        self._overflow = 0
        self._closed: list[Suppressed] = []

    def admit(self, address: str, reason: str, now: float) -> bool:
        """True: record this refusal; False: it is counted for the window's summary."""
        if self._total_start is None or now - self._total_start >= self.window:
            self._close_overflow()
            self._total_start, self._total_recorded = now, 0
        key = (address, reason)
        window = self._windows.get(key)
        if window is None or now - window[0] >= self.window:
            if window is not None:
                self._close(key, window)
            if len(self._windows) >= self.max_keys:
                self._close(*self._windows.popitem(last=False))
            window = self._windows[key] = [now, 0, 0]
        if window[1] >= self.per_key:
            window[2] += 1
            return False
        if self._total_recorded >= self.total:
            self._overflow += 1
            return False
        window[1] += 1
        self._total_recorded += 1
        return True

    def due(self, now: float) -> list[Suppressed]:
        """Summaries of the windows that are over and counted refusals (each given once)."""
        while self._windows:
            key, window = next(iter(self._windows.items()))
            if now - window[0] < self.window:
                break
            del self._windows[key]
            self._close(key, window)
        if self._total_start is not None and now - self._total_start >= self.window:
            self._close_overflow()
            self._total_start, self._total_recorded = None, 0
        closed, self._closed = self._closed, []
        return closed

    def drain(self) -> list[Suppressed]:
        """Every pending summary, windows over or not (at shutdown)."""
        for key, window in self._windows.items():
            self._close(key, window)
        self._windows.clear()
        self._close_overflow()
        closed, self._closed = self._closed, []
        return closed

    def _close(self, key: tuple[str, str], window: list[float]) -> None:
        if window[2]:
            self._closed.append(self._summary(key, int(window[2])))

    def _close_overflow(self) -> None:
        if self._overflow:
            self._closed.append(self._summary(_OVERFLOW, self._overflow))
            self._overflow = 0

    def _summary(self, key: tuple[str, str], count: int) -> Suppressed:
        return Suppressed(address=key[0], reason=key[1], count=count, window_seconds=round(self.window))
