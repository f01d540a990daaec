"""What processes on one database share to stay within one limit: rate-limit buckets, the rows a
buyer's per-person quota is serialised on, and those decisions on one declarant's order are
serialised on.

Kept apart from clearway.store.tables (on the same ``metadata``), like the privacy and risk tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.store.tables import metadata

# One token bucket per caller (api/rate_limit.py's key: an API key's id and digest, a token's key
# id, or an address). Times are the database's clock in seconds, so that the processes' clocks never
# disagree about a refill. UNLOGGED on PostgreSQL (migration 0021): a crash empties it, and an empty
# bucket row is a full bucket, which is what a caller idle that long would have anyway.
rate_limit_buckets = sa.Table(
    "rate_limit_buckets",
    metadata,
    sa.Column("key", sa.String(96), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    # How many tokens the statement that last wrote the row took (RETURNING sees only the new row).
    sa.Column("taken", sa.Integer, nullable=False),
)

# One row per buyer's quota key (a keyed hash, as in quota_ledger), locked FOR UPDATE by a
# transaction that reads the buyer's usage and charges it: two processes assessing parcels of one
# buyer at the same moment take turns, so neither misses the other's charge (store/revenue_repo.py).
# Row locks, not advisory locks: a batch of 100,000 buyers would overflow PostgreSQL's lock table.
quota_buyers = sa.Table(
    "quota_buyers",
    metadata,
    sa.Column("buyer_key", sa.String(64), primary_key=True),
)

# One row per (declarant, order) some process decided a declaration of (a hash, as the buyers' keys),
# locked FOR UPDATE by the transaction deciding it: two processes deciding parcels of one order at
# the same moment take turns, so the second sees the first's customs control (store/order_locks.py).
order_locks = sa.Table(
    "order_locks",
    metadata,
    sa.Column("order_key", sa.String(64), primary_key=True),
)
