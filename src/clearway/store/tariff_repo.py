"""Tariff measures on SQL: a schedule is replaced whole, and read whole into a TariffBook.

A jurisdiction's schedule comes from several sources (one UK commodity document each, or one CSV
file): importing a source again replaces exactly the rows that source wrote, in one transaction,
so that a failed import leaves the previous schedule in place and assessments never see half of one.
Terms and origins are JSON text; msgspec writes Decimal amounts as strings, so 3.50 comes back
as 3.50, never through a float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec
import sqlalchemy as sa

from clearway.revenue.tariff import DutyTerm, TariffBook, TariffMeasure
from clearway.store.revenue_tables import tariff_measures

_ENCODER = msgspec.json.Encoder(decimal_format="string")
_TERMS = msgspec.json.Decoder(list[DutyTerm])
_ORIGINS = msgspec.json.Decoder(list[str])
_CHUNK = 5000


class SqlTariffStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def replace(self, measures: Iterable[TariffMeasure], *, jurisdiction: str, source: str) -> int:
        """Delete the rows ``source`` wrote for ``jurisdiction``, then write ``measures``; their number."""
        rows = []
        now = dt.datetime.now(dt.UTC)
        for measure in measures:
            if measure.jurisdiction != jurisdiction:
                raise ValueError(f"a {measure.jurisdiction} measure for {measure.code} in a {jurisdiction} schedule")
            rows.append(
                {
                    "jurisdiction": jurisdiction,
                    "code": measure.code,
                    "measure_type": measure.measure_type,
                    "origins": None if measure.origins is None else _ENCODER.encode(measure.origins).decode(),
                    "terms": _ENCODER.encode(measure.terms).decode(),
                    "expression": measure.expression,
                    "start": measure.start,
                    "end": measure.end,
                    "reference": measure.reference,
                    "source": source,
                    "imported_at": now,
                }
            )
        table = tariff_measures
        with self.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.jurisdiction == jurisdiction, table.c.source == source))
            for start in range(0, len(rows), _CHUNK):
                conn.execute(table.insert(), rows[start : start + _CHUNK])
        return len(rows)

    def load(self) -> TariffBook:
        """Every stored measure, for the assessments' lookups."""
        return TariffBook(self.measures())

    def measures(self, jurisdiction: str | None = None) -> list[TariffMeasure]:
        """The stored measures (of one jurisdiction, or all), in the order they were written."""
        table = tariff_measures
        query = sa.select(table).order_by(table.c.id)
        if jurisdiction is not None:
            query = query.where(table.c.jurisdiction == jurisdiction)
        with self.engine.connect() as conn:
            return [
                TariffMeasure(
                    jurisdiction=row.jurisdiction,
                    code=row.code,
                    terms=_TERMS.decode(row.terms),
                    start=row.start,
                    end=row.end,
                    origins=None if row.origins is None else _ORIGINS.decode(row.origins),
                    measure_type=row.measure_type,
                    expression=row.expression,
                    reference=row.reference,
                    source=row.source,
                )
                for row in conn.execute(query)
            ]

    def count_by_jurisdiction(self) -> dict[str, int]:
        table = tariff_measures
        query = sa.select(table.c.jurisdiction, sa.func.count()).group_by(table.c.jurisdiction)
        with self.engine.connect() as conn:
            return dict(conn.execute(query).all())
