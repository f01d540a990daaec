"""Sign-in throttling: growing waits after repeated failures, per (account, address), per address,
and a high ceiling per account.

This replaces a lockout (five failures locked an account for 15 minutes), which let anyone lock a
real officer out and told real usernames from unknown ones by its answer. Here, after a few free
failures, each further failure makes the next attempt wait longer (doubling, up to a cap); an
attempt made while waiting is refused without checking the password, with the same answer
whether the account exists or not, since unknown usernames are counted exactly like real ones.

Three counts, each with its own policy:

- ``PAIR``: one account from one address. This is the count that slows a guesser, and the only
  one that someone else's guesses at another address never touch: a stranger failing for an
  officer's username does not make the officer, at their own address, wait at all.
- ``ADDRESS``: one address over every account, bounding one machine spraying many usernames.
- ``ACCOUNT``: one account over every address, a ceiling far above what one person mistypes, that
  bounds guessing spread over many addresses (which the first two cannot see). The trade-off: it
  is the one count strangers can move, so whoever spends ``ACCOUNT.free_failures`` failures within
  the hour (from a handful of addresses at least, given the other two limits) can keep that account
  waiting, the real user included, until they stop. A lower ceiling would make that cheaper; none at
  all would leave distributed guessing unbounded.

Addresses are counted by network where one holder has many: an IPv6 address by its /64, the
block a single subscriber is usually given, so that walking through it is not a new address each time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    first_wait: dt.timedelta
    longest_wait: dt.timedelta
    # Failures older than this, with none since, are forgotten: the count starts again.
    forget_after: dt.timedelta

    def wait_after(self, failures: int) -> dt.timedelta:
        """How long the next attempt must wait after the last of ``failures`` counted failures."""
        if failures < self.free_failures:
            return dt.timedelta(0)
        doublings = min(failures - self.free_failures, 20)
        return min(self.longest_wait, self.first_wait * (1 << doublings))

    def counted(self, failures: int, last_failure: dt.datetime | None, now: dt.datetime) -> int:
        """The failures that still count at ``now``."""
        if last_failure is None or now - last_failure >= self.forget_after:
            return 0
        return failures

    def retry_after(self, failures: int, last_failure: dt.datetime | None, now: dt.datetime) -> dt.timedelta:
        """How long from ``now`` until an attempt is allowed again (zero: allowed now)."""
        failures = self.counted(failures, last_failure, now)
        if last_failure is None or failures == 0:
            return dt.timedelta(0)
        return max(dt.timedelta(0), last_failure + self.wait_after(failures) - now)


PAIR = ThrottlePolicy(
    free_failures=5,
    first_wait=dt.timedelta(seconds=10),
    longest_wait=dt.timedelta(minutes=5),
    forget_after=dt.timedelta(hours=1),
)
# An office behind one address may mistype often; one machine spraying accounts does so far more.
ADDRESS = ThrottlePolicy(
    free_failures=20,
    first_wait=dt.timedelta(seconds=10),
    longest_wait=dt.timedelta(minutes=15),
    forget_after=dt.timedelta(hours=1),
)
# 100: the number of failed attempts on one account past which NIST SP 800-63B (5.2.2) wants
# rate limiting to bite. Past it the waits are capped at 5 minutes, like a pair's, so that the
# real user is not kept out for long once an attack stops.
ACCOUNT = ThrottlePolicy(
    free_failures=100,
    first_wait=dt.timedelta(seconds=10),
    longest_wait=dt.timedelta(minutes=5),
    forget_after=dt.timedelta(hours=1),
)

# Usual IPv6 assignment to one subscriber (RFC 6177): the holder of one address holds them all.
IPV6_PREFIX = 64


def account_name(username: str) -> str:
    """The one form of a username that every account count is keyed by (``Olga`` and ``olga`` alike)."""
    return username.casefold()


def address_name(address: str | None) -> str:
    """The one form of a client address that every address count is keyed by: an IPv4 address as
    it is (also when mapped into IPv6), an IPv6 address as its /64, anything else as given, and
    the empty string when there is none."""
    if not address:
        return ""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))
    return str(parsed)
