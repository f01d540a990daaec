"""Reads and writes of the customs-to-customs alert tables (store/alert_tables.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from clearway.store.alert_tables import alert_envelopes, alert_partners, alert_signing_keys, imported_alerts
from clearway.store.risk_tables import inspection_outcomes
from clearway.store.tables import consignment_versions, consignments, history, plain_row

# A non-compliant finding or a final refusal is what partners are told of (risk.partner_alerts.finding_of).
_FINAL = ("seized", "returned")


def partners(conn: sa.Connection) -> list[dict[str, Any]]:
    return [plain_row(r) for r in conn.execute(sa.select(alert_partners).order_by(alert_partners.c.code)).mappings()]


def partner(conn: sa.Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(alert_partners).where(alert_partners.c.code == code)).mappings().first()
    return None if row is None else plain_row(row)


def put_partner(conn: sa.Connection, row: dict[str, Any]) -> bool:
    """Add the partner, or replace its name and keys; True when it is new."""
    found = partner(conn, row["code"])
    if found is None:
        conn.execute(alert_partners.insert().values(**row))
        return True
    values = {k: v for k, v in row.items() if k not in ("code", "created_at")}
    conn.execute(alert_partners.update().where(alert_partners.c.code == row["code"]).values(**values))
    return False


def signing_key(conn: sa.Connection) -> dict[str, Any] | None:
    """Our key in force (the newest not retired)."""
    row = (
        conn.execute(
            sa.select(alert_signing_keys)
            .where(alert_signing_keys.c.retired_at.is_(None))
            .order_by(alert_signing_keys.c.created_at.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return None if row is None else plain_row(row)


def add_signing_key(conn: sa.Connection, row: dict[str, Any], at: dt.datetime) -> None:
    conn.execute(alert_signing_keys.update().where(alert_signing_keys.c.retired_at.is_(None)).values(retired_at=at))
    conn.execute(alert_signing_keys.insert().values(**row))


def add_envelope(conn: sa.Connection, envelope: dict[str, Any], alerts: Sequence[dict[str, Any]]) -> int:
    """Keep the envelope and the alerts not imported before; the number of new alerts."""
    conn.execute(alert_envelopes.insert().values(**envelope))
    if not alerts:
        return 0
    keys = {(a["partner_code"], a["alert_id"]) for a in alerts}
    code = envelope["partner_code"]
    known = {
        r.alert_id
        for r in conn.execute(
            sa.select(imported_alerts.c.alert_id).where(
                imported_alerts.c.partner_code == code,
                imported_alerts.c.alert_id.in_(sorted(k[1] for k in keys)),
            )
        )
    }
    fresh = [a for a in alerts if a["alert_id"] not in known]
    if fresh:
        conn.execute(imported_alerts.insert(), fresh)
    return len(fresh)


def alerts_in_force(conn: sa.Connection, at: dt.datetime) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(imported_alerts)
        .where(imported_alerts.c.expires_at > at)
        .order_by(imported_alerts.c.partner_code, imported_alerts.c.alert_id)
    ).mappings()
    return [plain_row(r) for r in rows]


def alerts(conn: sa.Connection, partner_code: str | None, limit: int) -> list[dict[str, Any]]:
    query = sa.select(imported_alerts).order_by(imported_alerts.c.issued_at.desc()).limit(limit)
    if partner_code is not None:
        query = query.where(imported_alerts.c.partner_code == partner_code)
    return [plain_row(r) for r in conn.execute(query).mappings()]


def found_non_compliant(conn: sa.Connection, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """Consignments an inspection found non-compliant, or seized or returned, in [since, until): their
    id, state, outcome (None when none was recorded), the time of the finding and the declaration
    as stored (the application keeps only the pattern of it)."""
    outcome_at = (
        sa.select(
            inspection_outcomes.c.consignment_id.label("cid"),
            inspection_outcomes.c.outcome,
            inspection_outcomes.c.recorded_at.label("at"),
        )
        .where(inspection_outcomes.c.recorded_at >= since, inspection_outcomes.c.recorded_at < until)
        .where(inspection_outcomes.c.outcome != "compliant")
    )
    final_at = (
        sa.select(history.c.consignment_id.label("cid"), sa.null().label("outcome"), history.c.at.label("at"))
        .where(history.c.at >= since, history.c.at < until)
        .where(history.c.to_state.in_(_FINAL))
    )
    found: dict[str, dict[str, Any]] = {}
    for r in conn.execute(outcome_at.union_all(final_at)).mappings():
        entry = found.setdefault(r["cid"], {"id": r["cid"], "outcome": None, "at": r["at"]})
        entry["outcome"] = entry["outcome"] or r["outcome"]
        entry["at"] = max(entry["at"], r["at"])
    if not found:
        return []
    ids = sorted(found)
    bodies = conn.execute(
        sa.select(consignments.c.id, consignments.c.state, consignment_versions.c.body)
        .join(
            consignment_versions,
            sa.and_(
                consignment_versions.c.consignment_id == consignments.c.id,
                consignment_versions.c.version == consignments.c.version,
            ),
        )
        .where(consignments.c.id.in_(ids))
    )
    out = []
    for cid, state, body in bodies:
        entry = found[cid]
        out.append({**entry, "state": state, "body": body})
    # Outcomes recorded before the window for a consignment seized within it count too.
    late = [e["id"] for e in out if e["outcome"] is None]
    if late:
        earlier = conn.execute(
            sa.select(inspection_outcomes.c.consignment_id, inspection_outcomes.c.outcome).where(
                inspection_outcomes.c.consignment_id.in_(late)
            )
        )
        by = dict(earlier)
        for e in out:
            if e["outcome"] is None:
                e["outcome"] = by.get(e["id"])
    return sorted(out, key=lambda e: (e["at"], e["id"]))
