"""Reading the facts from the store: a handful of SQLAlchemy Core selects streamed into Polars.

A whole load is five scans (consignments with their latest body, history, risk results,
assessments, outcomes), each streamed in partitions, never a query per consignment. An incremental
load reads the same for a set of consignment ids, in chunks. Values come from the driver as they
are (SQLite hands back text for times, PostgreSQL datetimes; amounts are cast to float in SQL) and
are converted column by column in Polars, not per value in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from clearway.stats.facts import (
    ASSESSMENTS_RAW,
    BODY_COLUMNS,
    CONSIGNMENTS_RAW,
    HISTORY_RAW,
    HISTORY_STATES,
    OUTCOMES_RAW,
    RISK_RAW,
    Parts,
    assemble,
    body_columns,
)
from clearway.store.revenue_tables import assessments
from clearway.store.risk_tables import inspection_outcomes, risk_results
from clearway.store.tables import consignment_versions, consignments, history

PARTITION = 50_000
ID_CHUNK = 2_000
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S%.f"


def _raw(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The column as the driver returns it, without the store types' per-value conversions."""
    return sa.type_coerce(column, sa.String)


def _float(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    # Money is a decimal string on SQLite and NUMERIC on PostgreSQL: both CAST to a float.
    return sa.cast(column, sa.Float)


def _quality_codes(dialect: str) -> sa.ColumnElement[Any]:
    """The JSON text of a risk result's quality codes, extracted by the database (the body is long)."""
    body = risk_results.c.body
    if dialect == "postgresql":
        return sa.func.json_extract_path_text(sa.cast(body, postgresql.JSON), "quality_codes")
    return sa.func.json_extract(body, "$.quality_codes")


def utc(series: pl.Series) -> pl.Series:
    """Stored times as Datetime(us, UTC): SQLite's text, or PostgreSQL's aware datetimes."""
    if series.dtype == pl.Utf8:
        return series.str.to_datetime(_SQLITE_TIME, time_zone="UTC", time_unit="us")
    if isinstance(series.dtype, pl.Datetime):
        if series.dtype.time_zone is None:
            return series.dt.cast_time_unit("us").dt.replace_time_zone("UTC")
        return series.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    return series.cast(pl.Datetime("us", "UTC"))


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[Sequence[Any]]:
    """The rows transposed into one sequence per column (done once per partition)."""
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def _frame(names: Sequence[str], columns: Sequence[Sequence[Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    data: dict[str, pl.Series] = {}
    for name, values in zip(names, columns, strict=True):
        dtype = schema.get(name)
        if dtype == pl.Datetime("us", "UTC"):
            data[name] = utc(pl.Series(name, values, strict=False))
        elif dtype is None:
            data[name] = pl.Series(name, values, strict=False)
        else:
            data[name] = pl.Series(name, values, dtype=dtype, strict=False)
    return pl.DataFrame(data)


def _partitions(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[Sequence[sa.Row[Any]]]:
    result = conn.execution_options(stream_results=True, yield_per=PARTITION).execute(query)
    yield from result.partitions()


def _read(
    conn: sa.Connection,
    queries: Sequence[sa.Select[Any]],
    schema: dict[str, pl.DataType],
    transform: Callable[[Sequence[Sequence[Any]]], pl.DataFrame] | None = None,
) -> pl.DataFrame:
    frames = []
    for query in queries:
        names = list(query.selected_columns.keys())
        for rows in _partitions(conn, query):
            columns = _columns(rows, len(names))
            frames.append(transform(columns) if transform is not None else _frame(names, columns, schema))
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="vertical").select([pl.col(n).cast(t) for n, t in schema.items()])


def _consignment_query() -> sa.Select[Any]:
    c, v = consignments.c, consignment_versions.c
    return sa.select(
        c.id.label("consignment_id"),
        c.version,
        c.operator_id,
        c.state,
        c.lane,
        c.destination_country.label("destination"),
        c.currency,
        _float(c.goods_value).label("goods_value"),
        _raw(c.received_at).label("received_at"),
        _raw(c.updated_at).label("updated_at"),
        v.body,
    ).join(consignment_versions, (v.consignment_id == c.id) & (v.version == c.version))


_SCALARS = [n for n in CONSIGNMENTS_RAW if n not in BODY_COLUMNS]


def _consignment_rows(columns: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """The consignment columns, and those read from its body (the last column)."""
    scalars = _frame(_SCALARS, columns[:-1], CONSIGNMENTS_RAW)
    body = pl.DataFrame(body_columns(columns[-1]), schema={n: CONSIGNMENTS_RAW[n] for n in BODY_COLUMNS})
    return scalars.hstack(body)


def _queries(ids: Sequence[str] | None) -> dict[str, list[sa.Select[Any]]]:
    """The five selects, for every consignment (``ids`` None) or for those ids, in chunks."""
    h, r, a, o = history.c, risk_results.c, assessments.c, inspection_outcomes.c
    base: dict[str, tuple[sa.Select[Any], sa.ColumnElement[Any]]] = {
        "consignments": (_consignment_query(), consignments.c.id),
        "history": (
            sa.select(h.consignment_id, h.to_state, _raw(h.at).label("at")).where(h.to_state.in_(HISTORY_STATES)),
            h.consignment_id,
        ),
        "risk": (sa.select(r.consignment_id, r.version, r.value_eur), r.consignment_id),
        "assessments": (
            sa.select(
                a.consignment_id,
                a.version,
                a.currency.label("assessment_currency"),
                a.collection_model,
                _float(a.duty).label("duty"),
                _float(a.tax).label("tax"),
                _float(a.intrinsic_value).label("intrinsic_value"),
            ),
            a.consignment_id,
        ),
        "outcomes": (
            sa.select(o.consignment_id, o.outcome, _raw(o.recorded_at).label("recorded_at")),
            o.consignment_id,
        ),
    }
    if ids is None:
        return {name: [query] for name, (query, _) in base.items()}
    chunks = [list(ids[i : i + ID_CHUNK]) for i in range(0, len(ids), ID_CHUNK)]
    return {name: [query.where(key.in_(chunk)) for chunk in chunks] for name, (query, key) in base.items()}


def read_parts(conn: sa.Connection, ids: Sequence[str] | None = None) -> Parts:
    """The raw frames of every consignment, or of those ``ids``."""
    queries = _queries(ids)
    codes = _quality_codes(conn.dialect.name).label("quality_codes")
    risk = [query.add_columns(codes) for query in queries["risk"]]
    return Parts(
        consignments=_read(conn, queries["consignments"], CONSIGNMENTS_RAW, _consignment_rows),
        history=_read(conn, queries["history"], HISTORY_RAW),
        risk=_read(conn, risk, RISK_RAW),
        assessments=_read(conn, queries["assessments"], ASSESSMENTS_RAW),
        outcomes=_read(conn, queries["outcomes"], OUTCOMES_RAW),
    )


def read_facts(conn: sa.Connection, ids: Sequence[str] | None = None) -> tuple[pl.DataFrame, dt.datetime | None]:
    """The facts of every consignment (or of ``ids``), and the latest change time they reflect."""
    parts = read_parts(conn, ids)
    return assemble(parts), watermark(parts)


def watermark(parts: Parts) -> dt.datetime | None:
    """The latest change the parts hold: a state change or a recorded outcome."""
    times = [parts.consignments["updated_at"].max(), parts.outcomes["recorded_at"].max()]
    found = [t for t in times if isinstance(t, dt.datetime)]
    return max(found) if found else None


def changed_since(conn: sa.Connection, since: dt.datetime) -> list[str]:
    """Consignments whose state changed, or that got an inspection outcome, at or after ``since``.

    Risk results, assessments and history rows are written in the same transaction as the state
    change they come with, so ``updated_at`` covers them; outcomes are recorded on their own.
    """
    query = sa.union(
        sa.select(consignments.c.id.label("id")).where(consignments.c.updated_at >= since),
        sa.select(inspection_outcomes.c.consignment_id.label("id")).where(inspection_outcomes.c.recorded_at >= since),
    )
    return [str(value) for value in conn.execute(query).scalars()]


def consignment_count(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one())
