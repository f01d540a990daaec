"""Engine behaviour the jurisdiction cases do not pin on their own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from clearway.jurisdictions import Catalogue
from clearway.jurisdictions.loader import load_folder
from clearway.revenue.context import RevenueError, Sources
from clearway.revenue.engine import assess, check_formulas
from clearway.revenue.model import Goods, Shipment
from clearway.revenue.rates import ChainedRates, EcbRates, TableRate, TableRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import DutyTerm, TariffBook, TariffMeasure

CATALOGUE = Catalogue.load()
ECB = EcbRates()


def _sources(tariff: TariffBook | None = None, rates: list[TableRate] | None = None) -> Sources:
    return Sources(
        rates=ChainedRates(TableRates(rates or []), ECB), tariff=tariff or TariffBook(), registry=RegistrySnapshot()
    )


def _parcel(destination: str, value: str, *, as_of: dt.date = dt.date(2025, 3, 3), currency: str = "EUR") -> Shipment:
    item = Goods(
        line=1, description="shoes", hs_code="640411", quantity=Decimal(1), unit_value=Decimal(value), origin="CN"
    )
    return Shipment(destination=destination, as_of=as_of, currency=currency, origin_country="CN", items=[item])


def test_the_packaged_jurisdictions_name_only_implemented_formulas() -> None:
    assert check_formulas(CATALOGUE) == []
    expected = {"EU", "GB", "US", "CA", "AU", "NZ", "JP", "SG", "CN", "KR", "CH", "NO", "MX", "BR"}
    assert set(CATALOGUE.jurisdictions) == expected


def test_a_formula_no_code_implements_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "params.yaml").write_text(
        "code: XX\nname: X\ncurrency: EUR\nformulas:\n"
        "  duty: {values: [{from: 2021-01-01, reference: r, "
        "cases: [{when: {origin: US}, value: magic}, {value: none}]}]}\n"
    )
    assert check_formulas(Catalogue({"XX": load_folder(folder)})) == [
        "XX: duty formula 'magic' from 2021-01-01 is not implemented"
    ]


def test_a_dutiable_item_without_a_rate_is_reported_never_zero() -> None:
    a = assess(_parcel("DE", "400"), CATALOGUE, _sources())
    [unknown] = [line for line in a.lines if line.code == "duty.rate_unknown"]
    assert unknown.amount is None and unknown.item == 1
    assert not a.complete and "duty_rate_unknown" in [w.code for w in a.warnings]
    # An unknown figure is absent, never a partial sum: the duty, the VAT whose base includes it,
    # and the total are None, and the result says what is missing and what would complete it.
    assert a.duty is None and a.tax is None and a.total is None
    assert a.fees == 0
    [vat] = [line for line in a.lines if line.kind == "tax"]
    assert vat.code == "tax.unknown" and vat.amount is None
    assert "tax_unknown" in [w.code for w in a.warnings]
    assert any("supply duty_rate or load the tariff" in m for m in a.missing)


def test_an_unknown_duty_makes_no_minimum_decision_on_a_partial_value() -> None:
    # Switzerland does not levy VAT of CHF 5 or less; with the duty unknown, the VAT is unknown too,
    # so neither "levied" nor "not levied" may be decided.
    a = assess(_parcel("CH", "20"), CATALOGUE, _sources())
    assert not a.complete and a.tax is None
    assert "tax.not_levied" not in [line.code for line in a.lines]


def test_a_tariff_measure_with_a_cap_is_applied_with_its_reference() -> None:
    measure = TariffMeasure(
        jurisdiction="EU", code="6404", start=dt.date(2000, 1, 1), reference="CN 2025, 6404 11 00",
        terms=[
            DutyTerm(kind="ad_valorem", amount=Decimal(17)),
            DutyTerm(op="max", kind="specific", amount=Decimal(50), currency="EUR", unit="item"),
        ],
    )  # fmt: skip
    a = assess(_parcel("DE", "400"), CATALOGUE, _sources(TariffBook([measure])))
    [duty] = [line for line in a.lines if line.kind == "duty"]
    # 17 % of 400 = 68, capped at EUR 50 per item.
    assert (duty.amount, duty.rate, duty.reference) == (
        Decimal("50.00"),
        "17 % MAX 50 EUR / item",
        "CN 2025, 6404 11 00",
    )
    assert a.complete


def test_a_customs_rate_table_comes_before_the_ecb() -> None:
    table = [
        TableRate("USD", "EUR", dt.date(2025, 3, 1), dt.date(2025, 3, 31), Decimal("0.9"), "EU customs rate March")
    ]
    a = assess(_parcel("DE", "100", currency="USD"), CATALOGUE, _sources(rates=table))
    assert a.exchange_rate is not None and a.exchange_rate.source == "EU customs rate March"
    assert a.intrinsic_value == Decimal("90.00")
    ecb = assess(_parcel("DE", "100", currency="USD"), CATALOGUE, _sources())
    assert ecb.exchange_rate is not None and ecb.exchange_rate.source == "ECB euro reference rate"


def test_an_old_rate_makes_the_result_incomplete_and_a_missing_one_is_an_error() -> None:
    late = assess(_parcel("DE", "10", as_of=dt.date(2026, 12, 31), currency="USD"), CATALOGUE, _sources())
    assert "exchange_rate_stale" in [w.code for w in late.warnings] and not late.complete
    with pytest.raises(RevenueError) as missing:
        assess(_parcel("DE", "10", currency="VND"), CATALOGUE, _sources())
    assert missing.value.pointer == "/currency"
    with pytest.raises(RevenueError) as nowhere:
        assess(_parcel("AQ", "10"), CATALOGUE, _sources())
    assert nowhere.value.pointer == "/destination"


def test_a_customs_table_rate_is_current_for_its_whole_period() -> None:
    table = [
        TableRate("USD", "EUR", dt.date(2025, 3, 1), dt.date(2025, 3, 31), Decimal("0.9"), "EU customs rate March")
    ]
    late_in_month = _parcel("DE", "100", as_of=dt.date(2025, 3, 28), currency="USD")
    a = assess(late_in_month, CATALOGUE, _sources(rates=table))
    assert "exchange_rate_stale" not in [w.code for w in a.warnings]
