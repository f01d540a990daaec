"""Sign-in throttling: growing waits after repeated failures, per account and per address.

This replaces a lockout (five failures locked an account for 15 minutes), which let anyone lock a
real officer out and told real usernames from unknown ones by its answer. Here, after a few free
failures, each further failure makes the next attempt wait longer (doubling, up to a cap); an
attempt made while waiting is refused without checking the password, with the same answer
whether the account exists or not, since unknown usernames are counted exactly like real ones.
The cap on an account's wait is short (5 minutes) so that a stranger cannot keep an officer out
for long, and still holds guessing to a few hundred tries a day against a password of 12 or more
characters that is not a common one. The address limit bounds one machine spraying many accounts.
"""

from __future__ import annotations

import datetime as dt
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


ACCOUNT = ThrottlePolicy(
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
