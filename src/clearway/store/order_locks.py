"""Decisions on one declarant's order taken in turn across processes (PostgreSQL).

A declaration is released only if no other parcel of its order, from the same declarant, is under
customs control (clearance.documents, ``order_under_control``). Two processes deciding two parcels of
one order at the same moment each read the controls before the other commits: one puts its parcel
under control, the other, not seeing it, releases the second. So a deciding transaction locks the
order's row first and reads the controls after (READ COMMITTED takes a new snapshot per statement):
of two, the second waits for the first to commit and then sees its control, as if the parcels had
come one after the other. Keys are sorted, inserted then locked, so two batches never wait for each
other in a circle. Row locks, not advisory locks: a batch of 100,000 orders would overflow
PostgreSQL's lock table. SQLite has one writing process, serialised by the service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import sqlalchemy as sa


def order_key(order_number: str, declarant: str) -> str:
    # Hashed: order numbers are the operators' own strings, of any length.
    return hashlib.sha256(f"{declarant}\x1f{order_number}".encode()).hexdigest()


def lock_orders(conn: sa.Connection, orders: Collection[tuple[str, str]]) -> None:
    """Hold the rows of these (order number, declarant) pairs until the transaction ends."""
    ordered = sorted({order_key(number, declarant) for number, declarant in orders})
    if not ordered:
        return
    conn.exec_driver_sql(
        "INSERT INTO order_locks (order_key) SELECT k FROM unnest(%s::text[]) AS k ORDER BY k "
        "ON CONFLICT (order_key) DO NOTHING",
        (ordered,),
    )
    conn.exec_driver_sql(
        "SELECT order_key FROM order_locks WHERE order_key = ANY(%s) ORDER BY order_key FOR UPDATE", (ordered,)
    )
