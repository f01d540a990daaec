"""Revenue persistence: assessments and the per-person ledger (hot path, through the bulk writer),
the scheme registries and customs rate tables (reference data), and the periodic statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from clearway.clearance.assessment import AssessedConsignment
from clearway.revenue.model import Assessment, PriorUsage
from clearway.revenue.rates import TableRate
from clearway.revenue.schemes import Registration
from clearway.store import assessment_codec, body_parts, lock_anchors
from clearway.store.bulk import BulkWriter
from clearway.store.revenue_tables import assessments, customs_rates, quota_ledger, tax_scheme_registry
from clearway.store.tables import consignments, plain_row

_PACKER = assessment_codec.Packer()
_COLUMNS = (
    "consignment_id",
    "version",
    "operator_id",
    "as_of",
    "jurisdiction",
    "destination",
    "currency",
    "irg_category",
    "collection_model",
    "tax_scheme",
    "tax_scheme_id",
    "intrinsic_value",
    "duty",
    "tax",
    "fees",
    "total",
    "complete",
    "body",
    "assessed_at",
)


def _day(w: BulkWriter, value: dt.date) -> Any:
    return value.isoformat() if w.sqlite else value


def append_assessments(w: BulkWriter, rows: Sequence[AssessedConsignment]) -> None:
    bodies, parts = _PACKER.pack([r.assessment for r in rows])
    body_parts.store(w, parts)
    w.insert(
        assessments,
        _COLUMNS,
        [
            (
                r.consignment_id,
                r.version,
                r.operator_id,
                _day(w, a.as_of),
                a.jurisdiction,
                a.destination,
                a.currency,
                a.irg_category,
                a.collection_model,
                a.tax_scheme,
                a.tax_scheme_id,
                w.money(a.intrinsic_value),
                w.money(a.duty),
                w.money(a.tax),
                w.money(a.fees),
                w.money(a.total),
                (1 if a.complete else 0) if w.sqlite else a.complete,
                body,
                w.time(r.assessed_at),
            )
            for r, body in zip(rows, bodies, strict=True)
            for a in (r.assessment,)
        ],
    )
    charged = [r for r in rows if r.quota_key is not None and r.assessment.per_person_value is not None]
    if charged:
        # A consignment assessed again (amended, or re-linked) is charged once: its latest value.
        ids = [r.consignment_id for r in charged]
        condition, params = w.among("consignment_id", ids)
        w.conn.exec_driver_sql(f"DELETE FROM quota_ledger WHERE {condition}", params)
        latest = {r.consignment_id: r for r in charged}
        w.insert(
            quota_ledger,
            ("consignment_id", "jurisdiction", "buyer_key", "year", "amount", "tax", "charged_at"),
            [
                (
                    r.consignment_id,
                    r.assessment.jurisdiction,
                    r.quota_key,
                    r.assessed_at.year,
                    w.money(r.assessment.per_person_value),
                    w.money(r.assessment.tax),
                    w.time(r.assessed_at),
                )
                for r in latest.values()
            ],
        )


def _unpack(conn: sa.Connection, bodies: Sequence[str]) -> list[Assessment]:
    parts = body_parts.read(conn, assessment_codec.needed(bodies))
    return [assessment_codec.unpack(body, parts.__getitem__) for body in bodies]


# A parcel customs never let in does not use up its buyer's limit.
_NOT_IMPORTED = ("cancelled", "seized", "returned")


def person_usage(
    w: BulkWriter, keys: Collection[str], now: dt.datetime, exclude: Collection[str] = ()
) -> dict[str, PriorUsage]:
    if not keys:
        return {}
    if not w.sqlite:
        lock_buyers(w.conn, keys)
    condition, params = w.among("q.buyer_key", list(set(keys)))
    states = ", ".join([w.mark] * len(_NOT_IMPORTED))
    excluded = ""
    if exclude:
        exclude_condition, exclude_params = w.among("q.consignment_id", list(exclude))
        excluded = f" AND NOT ({exclude_condition})"
        params = (*params, *exclude_params)
    # Year and day are UTC days: a ledger is kept in one time zone, and UTC is the store's.
    day_start = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = w.conn.exec_driver_sql(
        "SELECT q.buyer_key, q.amount, q.charged_at FROM quota_ledger q "
        f"JOIN consignments c ON c.id = q.consignment_id WHERE {condition}{excluded} "
        f"AND q.year = {w.mark} AND q.refunded_at IS NULL AND c.state NOT IN ({states})",
        (*params, now.year, *_NOT_IMPORTED),
    ).all()
    usage: dict[str, PriorUsage] = {}
    for key, amount, charged_at in rows:
        value = Decimal(amount)
        before = usage.get(key, PriorUsage())
        today = w.read_time(charged_at) >= day_start
        usage[key] = PriorUsage(day=before.day + (value if today else 0), year=before.year + value)
    return usage


def lock_buyers(conn: sa.Connection, keys: Collection[str]) -> None:
    """Hold the buyers' quota rows until the transaction ends (PostgreSQL).

    A buyer's usage is read, the parcel assessed against what is left, and the charge written in
    one transaction; two processes doing that for one buyer at once would each miss the other's
    charge and together let the buyer past the limit. So the buyer's anchor is locked first
    (store/lock_anchors.py), and the second transaction reads the usage once the first has
    committed. SQLite has one writing process, serialised by the service.
    """
    lock_anchors.lock(conn, "quota_buyers", keys)


def latest_assessment(conn: sa.Connection, consignment_id: str) -> Assessment | None:
    body = conn.execute(
        sa.select(assessments.c.body)
        .where(assessments.c.consignment_id == consignment_id)
        .order_by(assessments.c.version.desc(), assessments.c.assessed_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if body is None else _unpack(conn, [body])[0]


def latest_assessments(conn: sa.Connection, consignment_ids: Collection[str]) -> dict[str, Assessment]:
    """The latest assessment of each consignment, in one read (a message answers up to 100 at once)."""
    if not consignment_ids:
        return {}
    rows = conn.execute(
        sa.select(assessments.c.consignment_id, assessments.c.body)
        .where(assessments.c.consignment_id.in_(list(consignment_ids)))
        .order_by(assessments.c.consignment_id, assessments.c.version, assessments.c.assessed_at)
    )
    latest = {str(key): str(body) for key, body in rows}  # the last row of each wins
    return dict(zip(latest, _unpack(conn, list(latest.values())), strict=True))


def refund_quota(conn: sa.Connection, consignment_id: str, at: dt.datetime) -> Decimal | None:
    """Mark a consignment's ledger charge refunded; the tax refunded, or None if nothing was charged."""
    row = conn.execute(
        sa.select(quota_ledger.c.tax, quota_ledger.c.refunded_at).where(quota_ledger.c.consignment_id == consignment_id)
    ).first()
    if row is None or row.refunded_at is not None:
        return None
    conn.execute(sa.update(quota_ledger).where(quota_ledger.c.consignment_id == consignment_id).values(refunded_at=at))
    # An unknown tax was never collected (the parcel waited for it): nothing to refund.
    return Decimal(0) if row.tax is None else Decimal(row.tax)


# -- reference data ---------------------------------------------------------------------------


def replace_registrations(conn: sa.Connection, scheme: str, rows: Iterable[Registration], source: str) -> int:
    conn.execute(sa.delete(tax_scheme_registry).where(tax_scheme_registry.c.scheme == scheme))
    values = [
        {"scheme": r.scheme, "number": r.number, "holder": r.holder, "start": r.start, "end": r.end, "source": source}
        for r in rows
    ]
    if values:
        conn.execute(sa.insert(tax_scheme_registry), values)
    return len(values)


def load_registrations(conn: sa.Connection) -> list[Registration]:
    return [
        Registration(scheme=r.scheme, number=r.number, holder=r.holder, start=r.start, end=r.end)
        for r in conn.execute(sa.select(tax_scheme_registry))
    ]


def replace_rates(conn: sa.Connection, rows: Sequence[TableRate]) -> int:
    for row in rows:
        conn.execute(
            sa.delete(customs_rates).where(
                customs_rates.c.currency == row.currency,
                customs_rates.c.to_currency == row.to,
                customs_rates.c.start == row.start,
            )
        )
    if rows:
        conn.execute(
            sa.insert(customs_rates),
            [
                {
                    "currency": r.currency,
                    "to_currency": r.to,
                    "start": r.start,
                    "end": r.end,
                    "rate": r.rate,
                    "source": r.source,
                }
                for r in rows
            ],
        )
    return len(rows)


def load_rates(conn: sa.Connection) -> list[TableRate]:
    return [
        TableRate(
            currency=r.currency, to=r.to_currency, start=r.start, end=r.end, rate=Decimal(r.rate), source=r.source
        )
        for r in conn.execute(sa.select(customs_rates))
    ]


# -- statements -------------------------------------------------------------------------------


def _month(month: str) -> tuple[dt.date, dt.date]:
    start = dt.date.fromisoformat(f"{month}-01")
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, end


def _latest_assessments(start: dt.date, end: dt.date) -> sa.Subquery:
    """The assessment of each consignment's current version in the period, for consignments released
    (imported): a statement counts what was collected, once. Held, seized, returned and cancelled
    ones are not in it."""
    return (
        sa.select(assessments)
        .join(consignments, consignments.c.id == assessments.c.consignment_id)
        .where(
            assessments.c.as_of >= start,
            assessments.c.as_of < end,
            assessments.c.version == consignments.c.version,
            consignments.c.state == "released",
        )
        .subquery()
    )


def scheme_statement(conn: sa.Connection, month: str, operator_id: str | None = None) -> list[dict[str, Any]]:
    """Per operator and scheme number: consignments, intrinsic value and tax declared under it
    (the monthly value per IOSS number that customs reports for reconciliation with the return)."""
    start, end = _month(month)
    a = _latest_assessments(start, end)
    keys = ("operator_id", "tax_scheme", "tax_scheme_id", "jurisdiction", "currency")
    query = sa.select(*[a.c[k] for k in keys], a.c.intrinsic_value, a.c.tax).where(
        a.c.collection_model == "vendor", a.c.tax_scheme_id.is_not(None)
    )
    return _totals(conn, query, a, operator_id, keys, ("intrinsic_value", "tax"), month)


def intermediary_statement(conn: sa.Connection, month: str, operator_id: str | None = None) -> list[dict[str, Any]]:
    """Per intermediary (the operator that declared): what it collected at delivery in the month
    and owes customs on its account (the EU's special arrangements: one monthly payment)."""
    start, end = _month(month)
    a = _latest_assessments(start, end)
    keys = ("operator_id", "jurisdiction", "currency")
    money = ("duty", "tax", "fees", "total")
    query = sa.select(*[a.c[k] for k in keys], *[a.c[m] for m in money]).where(a.c.collection_model == "intermediary")
    return _totals(conn, query, a, operator_id, keys, money, month)


def _totals(
    conn: sa.Connection,
    query: sa.Select[Any],
    a: sa.Subquery,
    operator_id: str | None,
    keys: Sequence[str],
    money: Sequence[str],
    month: str,
) -> list[dict[str, Any]]:
    # Money is summed in Python: SQLite stores it as exact decimal strings, which SUM would turn
    # into floats. A month of one operator's assessments is a stream, never held whole.
    if operator_id is not None:
        query = query.where(a.c.operator_id == operator_id)
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in conn.execute(query):
        values = plain_row(row._mapping)
        group = tuple(values[k] for k in keys)
        entry = groups.get(group)
        if entry is None:
            entry = groups[group] = {"month": month, **{k: values[k] for k in keys}, "consignments": 0}
            entry.update({m: Decimal(0) for m in money})
        entry["consignments"] += 1
        for m in money:
            entry[m] += Decimal(values[m])
    return [groups[g] for g in sorted(groups, key=lambda g: tuple(str(v) for v in g))]
