"""Decisions on one declarant's order taken in turn across processes (PostgreSQL).

A declaration is released only if no other parcel of its order, from the same declarant, is under
customs control (clearance.documents, ``order_under_control``). Two processes deciding two parcels of
one order at the same moment each read the controls before the other commits: one puts its parcel
under control, the other, not seeing it, releases the second. So a deciding transaction locks the
order's anchor first (store/lock_anchors.py) and reads the controls after: of two, the second waits
for the first to commit and then sees its control, as if the parcels had come one after the other.
SQLite has one writing process, serialised by the service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import sqlalchemy as sa

from clearway.store import lock_anchors


def order_key(order_number: str, declarant: str) -> str:
    # Hashed: order numbers are the operators' own strings, of any length.
    return hashlib.sha256(f"{declarant}\x1f{order_number}".encode()).hexdigest()


def lock_orders(conn: sa.Connection, orders: Collection[tuple[str, str]]) -> None:
    """Hold the anchors of these (order number, declarant) pairs until the transaction ends."""
    lock_anchors.lock(conn, "order_locks", {order_key(number, declarant) for number, declarant in orders})
