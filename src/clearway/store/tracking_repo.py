"""The public tracking lookup: one indexed query from a transport document number to a parcel's state.

It selects only what clearway.clearance.tracking may show (the number as stored, state, last
change, destination and the current version's charges), never the record body, parties, values, hold reason, lane or
operator, so that nothing else can leak into the answer by mistake. The query uses
``ix_consignments_transport_document`` and the assessments' primary key, and it is the same query
whether or not the number exists (the answer's timing says nothing about existence).
"""

from __future__ import annotations

import sqlalchemy as sa

from clearway.clearance.lifecycle import State
from clearway.clearance.tracking import TrackedParcel
from clearway.store.revenue_tables import assessments
from clearway.store.tables import KEY, consignments

_c, _a = consignments.c, assessments.c

# Numbers are stored as the operator sent them; people type S10 ids in lower case too. Two
# candidates keep it one equality lookup on the index (no lower() that would bypass it).
_QUERY = (
    sa.select(
        _c.transport_document,
        _c.state,
        _c.updated_at,
        _c.destination_country,
        _a.collection_model,
        _a.total,
        _a.currency,
        _a.complete,
    )
    .select_from(consignments.outerjoin(assessments, sa.and_(_a.consignment_id == _c.id, _a.version == _c.version)))
    .where(_c.transport_document.in_(sa.bindparam("numbers", expanding=True)))
    # A number reused by a later declaration (a cancelled one sent again): the latest is the parcel now.
    .order_by(_c.received_at.desc(), _c.id.desc())
    .limit(1)
)
_LONGEST = KEY.length or 64


def parcel_by_transport_document(conn: sa.Connection, number: str) -> TrackedParcel | None:
    # Clipped one past the column's width: a longer text cannot match, and the parameter stays small.
    clipped = number[: _LONGEST + 1]
    row = conn.execute(_QUERY, {"numbers": sorted({clipped, clipped.upper()})}).first()
    if row is None:
        return None
    return TrackedParcel(
        transport_document=row.transport_document,
        state=State(row.state),
        updated_at=row.updated_at,
        destination_country=row.destination_country,
        collection_model=row.collection_model,
        total=row.total,
        currency=row.currency,
        complete=True if row.complete is None else bool(row.complete),
    )
