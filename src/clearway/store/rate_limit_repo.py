"""Token buckets every process on one database shares: one row per caller, one statement per batch.

``SharedBuckets.take_many`` refills each caller's bucket for the time since it was last written and
takes as many tokens as the caller has requests waiting (or as many as there are), in one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` over all the callers of the batch: the row lock
the statement takes orders concurrent batches of one caller, so two processes can never both spend
the last token, and there is no read-then-write to race. Time is the database's clock
(PostgreSQL's ``statement_timestamp``), so processes on machines whose clocks disagree still refill
one bucket at one rate. Keys go in sorted order, so that two batches never wait for each other in a
circle. The API's middleware batches the requests that arrive while a statement runs
(api/rate_limit.py): an idle server pays one statement per request, a busy one far less.

A refusal is remembered in the process until the bucket could next hold a token: other processes
only ever take tokens, never add them, so nothing can make a token available sooner, and a caller
flooding the service past its rate costs no database statement per refused request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

import sqlalchemy as sa

__all__ = ["SharedBuckets"]

# A bucket's tokens before this statement takes any: the stored row (b) refilled for the time since.
# In an ON CONFLICT update every SET expression reads the row as it was before the statement.
_AVAILABLE = "{least}(:burst, b.tokens + {greatest}(0, EXCLUDED.updated_at - b.updated_at) * :rate)"
# What the statement takes from it: the requests waiting (EXCLUDED.taken), at most the whole tokens.
_TAKEN = "{least}(EXCLUDED.taken, {whole})"
_ON_CONFLICT = """
ON CONFLICT (key) DO UPDATE SET
    taken = {taken},
    tokens = {available} - {taken},
    updated_at = {greatest}(b.updated_at, EXCLUDED.updated_at)
RETURNING key, tokens, taken
"""
# PostgreSQL: every caller of the batch in one statement, from two arrays.
_MANY = """
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, taken)
SELECT r.key, :burst - LEAST(r.n, :burst), EXTRACT(EPOCH FROM statement_timestamp())::float8, LEAST(r.n, :burst)
FROM unnest(CAST(:keys AS text[]), CAST(:counts AS integer[])) AS r(key, n)
ORDER BY r.key
"""
# SQLite (one process: the store only by CLEARWAY_RATE_LIMIT_STORE=database): a statement a caller.
_ONE = """
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, taken)
VALUES (:key, :burst - MIN(:n, :burst), :now, MIN(:n, :burst))
"""
_PRUNE = "DELETE FROM rate_limit_buckets WHERE updated_at < {now} - :full_after"


def _conflict(least: str, greatest: str, whole: str) -> str:
    available = _AVAILABLE.format(least=least, greatest=greatest)
    taken = _TAKEN.format(least=least, whole=whole.format(available))
    return _ON_CONFLICT.format(available=available, taken=taken, greatest=greatest)


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
        self._sqlite = engine.dialect.name == "sqlite"
        # Autocommit: each statement is its own transaction, holding the buckets' rows for itself only.
        # On PostgreSQL a small pool of its own, without the application pool's ping before each
        # checkout (a round trip as long as the statement): a connection the server dropped fails
        # one batch, which goes through unlimited, and is replaced. The middleware has one batch in
        # flight at a time, so one connection is enough.
        self.engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if self._sqlite
            else sa.create_engine(engine.url, pool_size=1, max_overflow=4, isolation_level="AUTOCOMMIT")
        )
        self.rate = float(rate_per_second)
        self.burst = burst
        self.clock = clock
        self.prune_every = prune_every
        if self._sqlite:
            # CAST truncates, which is the floor of a count that is never negative.
            self._take = sa.text(_ONE + _conflict("MIN", "MAX", "CAST({} AS INTEGER)"))
            self._prune = sa.text(_PRUNE.format(now=":now"))
        else:
            # PostgreSQL's CAST rounds to the nearest: 0.6 tokens must not make one.
            self._take = sa.text(_MANY + _conflict("LEAST", "GREATEST", "CAST(FLOOR({}) AS INTEGER)"))
            self._prune = sa.text(_PRUNE.format(now="EXTRACT(EPOCH FROM statement_timestamp())::float8"))
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
        taken, wait = self.take_many({key: 1})[key]
        return 0.0 if taken else wait

    def take_many(self, wanted: Mapping[str, int]) -> dict[str, tuple[int, float]]:
        """For each key, the tokens taken (at most those wanted) and, when fewer, the seconds until
        the bucket holds one again."""
        if not wanted:
            return {}
        keys = sorted(wanted)
        with self.engine.connect() as conn:
            if self._sqlite:
                now = time.time()
                params = [{"key": k, "n": wanted[k], "now": now, "burst": self.burst, "rate": self.rate} for k in keys]
                rows = [conn.execute(self._take, p).one() for p in params]
            else:
                counts = [wanted[k] for k in keys]
                params2 = {"keys": keys, "counts": counts, "burst": self.burst, "rate": self.rate}
                rows = list(conn.execute(self._take, params2))
            if self.clock() >= self._next_prune:
                self._next_prune = self.clock() + self.prune_every
                self._prune_rows(conn)
        answers: dict[str, tuple[int, float]] = {}
        for key, tokens, taken in rows:
            wait = 0.0
            if taken < wanted[key]:
                # Fewer tokens than requests: what is left is less than one, and fills at the rate.
                wait = max((1.0 - float(tokens)) / self.rate, 1e-6)
                self._remember(key, wait)
            answers[key] = (int(taken), wait)
        return answers

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

    def close(self) -> None:
        """Close the pool's connections (PostgreSQL; SQLite shares the application's engine)."""
        if not self._sqlite:
            self.engine.dispose()

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM rate_limit_buckets")).scalar_one())
