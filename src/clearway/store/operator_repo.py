"""What customs knows of each operator over time: inspections of its declarations, what they found,
and the value corrections (the revenue discrepancy). Plain rows for the operator pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from clearway.store.risk_tables import inspection_outcomes
from clearway.store.tables import consignments, operators


def registry(conn: sa.Connection) -> list[dict[str, Any]]:
    query = sa.select(operators.c.id, operators.c.name, operators.c.kind, operators.c.country, operators.c.status)
    return [dict(r._mapping) for r in conn.execute(query.order_by(operators.c.id))]


def outcome_rows(conn: sa.Connection, since: dt.datetime, operator_id: str | None = None) -> list[dict[str, Any]]:
    """Each outcome recorded since a time, with its consignment's operator and declared value."""
    o, c = inspection_outcomes, consignments
    query = (
        sa.select(c.c.operator_id, o.c.recorded_at, o.c.outcome, o.c.corrected_value, c.c.goods_value, c.c.currency)
        .join(c, c.c.id == o.c.consignment_id)
        .where(o.c.recorded_at >= since)
    )
    if operator_id is not None:
        query = query.where(c.c.operator_id == operator_id)
    return [dict(r._mapping) for r in conn.execute(query)]
