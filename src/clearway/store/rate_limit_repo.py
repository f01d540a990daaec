"""Token buckets every process on one database shares: one row per caller, one statement per request.

``SharedBuckets.take`` refills the caller's bucket for the time since its last request and takes a
token, in one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row lock the statement takes
orders concurrent requests of one caller, so two processes can never both spend the last token, and
there is no read-then-write to race. Time is the database's clock (PostgreSQL's ``clock_timestamp``),
so processes on machines whose clocks disagree still refill one bucket at one rate.

A refusal is remembered in the process until the bucket could next hold a token: other processes
only ever take tokens, never add them, so nothing can make a token available sooner, and a caller
flooding the service past its rate costs no database statement per refused request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa

__all__ = ["SharedBuckets"]

# The bucket's tokens after this request, with :now the request's time and b the stored row. In an
# ON CONFLICT update, SET expressions all read the row as it was before the statement.
_AVAILABLE = "{least}(:burst, b.tokens + {greatest}(0, EXCLUDED.updated_at - b.updated_at) * :rate)"
_UPSERT = """
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, allowed)
VALUES (:key, :burst - 1, {now}, {true})
ON CONFLICT (key) DO UPDATE SET
    tokens = CASE WHEN {available} >= 1 THEN {available} - 1 ELSE {available} END,
    allowed = {available} >= 1,
    updated_at = {greatest}(b.updated_at, EXCLUDED.updated_at)
RETURNING tokens, allowed
"""
_PRUNE = "DELETE FROM rate_limit_buckets WHERE updated_at < {now} - :full_after"


def _statements(dialect: str) -> tuple[sa.TextClause, sa.TextClause]:
    if dialect == "postgresql":
        names = {"least": "LEAST", "greatest": "GREATEST", "true": "true"}
        now = "EXTRACT(EPOCH FROM clock_timestamp())::float8"
    else:  # SQLite: one process, whose clock is the one the caller passes
        names = {"least": "MIN", "greatest": "MAX", "true": "1"}
        now = ":now"
    available = _AVAILABLE.format(**names)
    upsert = sa.text(_UPSERT.format(now=now, available=available, **names))
    return upsert, sa.text(_PRUNE.format(now=now))


class SharedBuckets:
    """``rate`` tokens a second into buckets of ``burst``, kept in the ``rate_limit_buckets`` table."""

    def __init__(
        self,
        engine: sa.Engine,
        rate_per_second: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        prune_every: float = 60.0,
        remembered_refusals: int = 10_000,
    ) -> None:
        if not rate_per_second > 0:
            raise ValueError(f"rate_per_second must be positive, got {rate_per_second}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        # Autocommit: each take is its own transaction, holding the bucket's row for one statement.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.rate = float(rate_per_second)
        self.burst = burst
        self.clock = clock
        self.prune_every = prune_every
        self._upsert, self._prune = _statements(engine.dialect.name)
        self._sqlite = engine.dialect.name == "sqlite"
        self._next_prune = clock() + prune_every
        self._remembered = remembered_refusals
        # key -> the monotonic time before which its bucket cannot hold a token (see the module).
        self._refused_until: OrderedDict[str, float] = OrderedDict()

    def refused_here(self, key: str) -> float:
        """Seconds to wait if this process already knows the bucket is empty, else 0 (no I/O)."""
        until = self._refused_until.get(key)
        if until is None:
            return 0.0
        wait = until - self.clock()
        if wait <= 0:
            self._refused_until.pop(key, None)
            return 0.0
        return wait

    def take(self, key: str) -> float:
        """Take a token from ``key``'s bucket: 0.0 when taken, else the seconds until one is there."""
        wait = self.refused_here(key)
        if wait:
            return wait
        params = {"key": key, "burst": self.burst, "rate": self.rate}
        if self._sqlite:
            params["now"] = time.time()
        with self.engine.connect() as conn:
            tokens, allowed = conn.execute(self._upsert, params).one()
            if self.clock() >= self._next_prune:
                self._next_prune = self.clock() + self.prune_every
                self._prune_rows(conn)
        if allowed:
            return 0.0
        wait = (1.0 - float(tokens)) / self.rate
        self._remember(key, wait)
        return wait

    def _remember(self, key: str, wait: float) -> None:
        self._refused_until[key] = self.clock() + wait
        self._refused_until.move_to_end(key)
        while len(self._refused_until) > self._remembered:
            self._refused_until.popitem(last=False)

    def _prune_rows(self, conn: sa.Connection) -> None:
        # A bucket untouched for as long as it takes to fill is full: its row says nothing a missing
        # row would not, so it goes (callers who come and go, addresses, would otherwise pile up).
        params: dict[str, float] = {"full_after": self.burst / self.rate}
        if self._sqlite:
            params["now"] = time.time()
        conn.execute(self._prune, params)

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM rate_limit_buckets")).scalar_one())
