"""Tariff measures survive the database exactly (amounts, dates, origins), and an import replaces
only what its own source wrote for its jurisdiction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest
import sqlalchemy as sa

from clearway.revenue.tariff import DutyTerm, TariffMeasure
from clearway.store.revenue_tables import tariff_measures
from clearway.store.tariff_repo import SqlTariffStore

D = Decimal


def measure(
    code: str, *terms: DutyTerm, jurisdiction: str = "EU", source: str = "a.csv", **fields: object
) -> TariffMeasure:
    values: dict[str, object] = {
        "jurisdiction": jurisdiction,
        "code": code,
        "terms": list(terms) or [DutyTerm(kind="ad_valorem", amount=D("12"))],
        "start": dt.date(2024, 1, 1),
        "source": source,
        **fields,
    }
    return TariffMeasure(**values)  # type: ignore[arg-type]


COMPOUND = [
    DutyTerm(kind="ad_valorem", amount=D("12.80")),
    DutyTerm(kind="specific", amount=D("176.800"), currency="GBP", unit="100kg"),
    DutyTerm(op="max", kind="ad_valorem", amount=D("18.9")),
    DutyTerm(kind="specific", amount=D("0.000125"), currency="GBP", unit="1000items"),
    DutyTerm(op="min", kind="specific", amount=D("-1.10"), currency="EUR", unit="l"),
]


def test_round_trip_is_exact(clean_engine: sa.Engine) -> None:
    store = SqlTariffStore(clean_engine)
    measures = [
        measure(
            "0406109000",
            *COMPOUND,
            end=dt.date(2024, 12, 31),
            origins=["CN", "VN"],
            measure_type="preference",
            expression="12.80 % + 176.80 GBP / 100 kg MAX 18.90 %",
            reference="C2100006 R2658/87",
        ),
        measure("0406", terms=[]),  # free
        measure("04", DutyTerm(kind="ad_valorem", amount=D("0.0"))),
    ]
    assert store.replace(measures, jurisdiction="EU", source="a.csv") == 3
    assert store.measures() == measures
    loaded = store.measures("EU")[0]
    assert [str(term.amount) for term in loaded.terms] == ["12.80", "176.800", "18.9", "0.000125", "-1.10"]
    book = store.load()
    assert len(book) == 3
    assert book.find("EU", "0406109000", "VN", dt.date(2024, 12, 31)) == measures[0]
    assert book.find("EU", "0406109000", "VN", dt.date(2025, 1, 1)) == measures[1]
    assert book.find("EU", "0499000000", "VN", dt.date(2024, 1, 1)) == measures[2]


def test_terms_and_origins_are_json_text_with_decimal_strings(clean_engine: sa.Engine) -> None:
    SqlTariffStore(clean_engine).replace([measure("0406", *COMPOUND[:2])], jurisdiction="EU", source="a.csv")
    with clean_engine.connect() as conn:
        row = conn.execute(sa.select(tariff_measures)).one()
    assert row.origins is None
    assert msgspec.json.decode(row.terms)[1] == {
        "op": "+",
        "kind": "specific",
        "amount": "176.800",
        "currency": "GBP",
        "unit": "100kg",
    }
    assert row.source == "a.csv" and row.imported_at.tzinfo is not None


def test_replace_touches_only_its_jurisdiction_and_source(clean_engine: sa.Engine) -> None:
    store = SqlTariffStore(clean_engine)
    store.replace([measure("61"), measure("62")], jurisdiction="EU", source="a.csv")
    store.replace([measure("63", source="b.csv")], jurisdiction="EU", source="b.csv")
    store.replace([measure("61", jurisdiction="AU")], jurisdiction="AU", source="a.csv")
    assert store.count_by_jurisdiction() == {"AU": 1, "EU": 3}

    assert store.replace([measure("64")], jurisdiction="EU", source="a.csv") == 1
    assert sorted((m.jurisdiction, m.code, m.source) for m in store.measures()) == [
        ("AU", "61", "a.csv"),
        ("EU", "63", "b.csv"),
        ("EU", "64", "a.csv"),
    ]
    assert store.replace([], jurisdiction="EU", source="b.csv") == 0
    assert store.count_by_jurisdiction() == {"AU": 1, "EU": 1}


def test_the_store_names_the_source(clean_engine: sa.Engine) -> None:
    store = SqlTariffStore(clean_engine)
    store.replace([measure("61", source="")], jurisdiction="EU", source="uk-trade-tariff:6100000000")
    assert [m.source for m in store.measures()] == ["uk-trade-tariff:6100000000"]


def test_a_measure_of_another_jurisdiction_writes_nothing(clean_engine: sa.Engine) -> None:
    store = SqlTariffStore(clean_engine)
    store.replace([measure("61")], jurisdiction="EU", source="a.csv")
    with pytest.raises(ValueError, match="a GB measure for 62 in a EU schedule"):
        store.replace([measure("62"), measure("62", jurisdiction="GB")], jurisdiction="EU", source="a.csv")
    assert [m.code for m in store.measures()] == ["61"]
    assert store.count_by_jurisdiction() == {"EU": 1}


def test_many_measures_in_one_replace(clean_engine: sa.Engine) -> None:
    store = SqlTariffStore(clean_engine)
    measures = [measure(f"{n:06d}") for n in range(12_000)]  # more than one insert chunk
    assert store.replace(measures, jurisdiction="EU", source="big.csv") == 12_000
    assert store.count_by_jurisdiction() == {"EU": 12_000}
    assert len(store.load()) == 12_000
