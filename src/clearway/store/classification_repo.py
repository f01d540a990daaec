"""Officers' corrected HS codes as the HS classifier's labelled examples, read from the store.

An officer who finds a consignment misclassified records the correct code with the inspection's
outcome (``inspection_outcomes.corrected_hs_code``). The outcome names the consignment's version,
not an item: the example is that version's item description with the corrected code when the
version has one item; with several items the code could belong to any of them, so such outcomes
are counted (``ambiguous``) and left out rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa

from clearway.dataset.records import Consignment
from clearway.store.risk_tables import inspection_outcomes, risk_results
from clearway.store.tables import consignment_versions, consignments

_CONSIGNMENT = msgspec.json.Decoder(Consignment)


@dataclass(frozen=True, slots=True)
class Correction:
    operator_id: str
    recorded_at: dt.datetime
    declared: tuple[str, ...]  # the version's declared codes, in item order
    corrected: str
    description: str | None  # the one item's description; None when the version has several items


def corrections(
    conn: sa.Connection, *, since: dt.datetime | None = None, operator_id: str | None = None
) -> list[Correction]:
    """Every outcome with a corrected HS code (since a time, of one operator), oldest first."""
    o, v, c = inspection_outcomes, consignment_versions, consignments
    query = (
        sa.select(c.c.operator_id, o.c.recorded_at, o.c.corrected_hs_code, v.c.body)
        .join(c, c.c.id == o.c.consignment_id)
        .join(v, (v.c.consignment_id == o.c.consignment_id) & (v.c.version == o.c.version))
        .where(o.c.corrected_hs_code.is_not(None))
        .order_by(o.c.recorded_at, o.c.id)
    )
    if since is not None:
        query = query.where(o.c.recorded_at >= since)
    if operator_id is not None:
        query = query.where(c.c.operator_id == operator_id)
    found = []
    for operator, at, corrected, body in conn.execute(query):
        record = _CONSIGNMENT.decode(body)
        items = record.items
        description = items[0].description if len(items) == 1 else None
        found.append(Correction(operator, at, tuple(i.hs_code for i in items), corrected, description))
    return found


def corrected_assessments(
    conn: sa.Connection, since: dt.datetime, operator_id: str | None = None
) -> list[tuple[str, dt.datetime]]:
    """(operator, assessed at) of each assessed declaration version since a time whose inspection
    corrected its HS code: counted against the same assessments the quality report counts."""
    o, r = inspection_outcomes, risk_results
    query = (
        sa.select(r.c.operator_id, r.c.assessed_at)
        .join(r, (r.c.consignment_id == o.c.consignment_id) & (r.c.version == o.c.version))
        .where(o.c.corrected_hs_code.is_not(None), r.c.assessed_at >= since)
    )
    if operator_id is not None:
        query = query.where(r.c.operator_id == operator_id)
    return [(op, at) for op, at in conn.execute(query)]
