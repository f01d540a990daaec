"""The duty a measure gives (worked by hand in each case) and which measure applies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clearway.revenue.tariff import (
    DutyTerm,
    MissingQuantity,
    Quantities,
    TariffBook,
    TariffMeasure,
    describe,
    duty_amount,
)

D = Decimal
START = dt.date(2024, 1, 1)
EUR_PER = {"EUR": D(1), "USD": D("0.9"), "GBP": D("1.2")}


def convert(amount: Decimal, currency: str) -> Decimal:
    return amount * EUR_PER[currency]


def pct(amount: str, op: str = "+") -> DutyTerm:
    return DutyTerm(op=op, kind="ad_valorem", amount=D(amount))  # type: ignore[arg-type]


def per(amount: str, unit: str, op: str = "+", currency: str = "EUR") -> DutyTerm:
    return DutyTerm(op=op, kind="specific", amount=D(amount), currency=currency, unit=unit)  # type: ignore[arg-type]


def measure(*terms: DutyTerm, code: str = "6109", **fields: object) -> TariffMeasure:
    values: dict[str, object] = {"jurisdiction": "EU", "code": code, "terms": list(terms), "start": START, **fields}
    return TariffMeasure(**values)  # type: ignore[arg-type]


def duty(m: TariffMeasure, value: str, items: str = "1", kg: str | None = None, litres: str | None = None) -> Decimal:
    quantities = Quantities(
        items=D(items), kg=None if kg is None else D(kg), litres=None if litres is None else D(litres)
    )
    return duty_amount(m, D(value), quantities, convert)


# -- duty_amount ---------------------------------------------------------------------------------


def test_ad_valorem() -> None:
    assert duty(measure(pct("12")), "200") == D("24")  # 12 % of 200
    assert duty(measure(pct("2.7")), "59.90") == D("1.6173")  # unrounded: 59.90 x 0.027


def test_free_and_zero() -> None:
    assert duty(measure(), "1000") == 0
    assert duty(measure(pct("0")), "1000") == 0


def test_specific_per_kg_100kg_item_1000items_litre() -> None:
    assert duty(measure(per("3.50", "kg")), "10", kg="2.5") == D("8.75")  # 3.50 x 2.5
    assert duty(measure(per("17.70", "100kg")), "10", kg="12.5") == D("2.2125")  # 17.70 x 12.5 / 100
    assert duty(measure(per("2", "item")), "10", items="3") == D("6")  # 2 x 3
    assert duty(measure(per("4.50", "1000items")), "10", items="200") == D("0.9")  # 4.50 x 200 / 1000
    assert duty(measure(per("0.32", "l")), "10", litres="0.75") == D("0.24")  # 0.32 x 0.75


def test_specific_duty_is_converted_into_the_jurisdictions_currency() -> None:
    assert duty(measure(per("2", "item", currency="USD")), "10", items="3") == D("5.4")  # 6 USD x 0.9
    assert duty(measure(per("17.70", "100kg", currency="GBP")), "10", kg="50") == D("10.62")  # 8.85 GBP x 1.2


def test_compound_max_caps_the_duty() -> None:
    capped = measure(pct("12"), per("100", "100kg"), pct("20", "max"))
    assert duty(capped, "200", kg="50") == D("40")  # min(24 + 50, 40)
    not_reached = measure(pct("12"), per("3.50", "100kg"), pct("20", "max"))
    assert duty(not_reached, "200", kg="50") == D("25.75")  # min(24 + 1.75, 40)


def test_max_group_adds_its_own_terms() -> None:
    # 12.8 % + 176.8 GBP / 100 kg MAX 18.9 % + 18.7 GBP / 100 kg, all in EUR here:
    m = measure(pct("12.8"), per("176.8", "100kg"), pct("18.9", "max"), per("18.7", "100kg"))
    assert duty(m, "1000", kg="100") == D("207.7")  # min(128 + 176.8, 189 + 18.7)
    assert duty(m, "1000", kg="10") == D("145.68")  # min(128 + 17.68, 189 + 1.87) = 145.68


def test_compound_min_floors_the_duty() -> None:
    m = measure(per("2", "item"), pct("5", "min"))
    assert duty(m, "200", items="3") == D("10")  # max(6, 10)
    assert duty(m, "40", items="3") == D("6")  # max(6, 2)


def test_min_then_max_apply_left_to_right() -> None:
    m = measure(pct("10"), per("2", "item", "min"), per("5", "item", "max"))
    assert duty(m, "10") == D("2")  # max(1, 2) then min(2, 5)
    assert duty(m, "100") == D("5")  # max(10, 2) then min(10, 5)
    assert duty(m, "30") == D("3")  # max(3, 2) then min(3, 5)


def test_a_negative_term_subtracts_and_the_duty_is_never_negative() -> None:
    m = measure(pct("10"), per("-1", "item"))
    assert duty(m, "100", items="3") == D("7")  # 10 - 3
    assert duty(m, "10", items="3") == 0  # 1 - 3, floored at zero


def test_missing_quantity() -> None:
    with pytest.raises(MissingQuantity, match="per kg"):
        duty(measure(per("3.50", "kg")), "10")
    with pytest.raises(MissingQuantity, match="per 100kg"):
        duty(measure(pct("12"), per("3.50", "100kg")), "10", litres="1")
    with pytest.raises(MissingQuantity, match="per l"):
        duty(measure(per("0.32", "l")), "10", kg="1")


def test_describe() -> None:
    assert describe([]) == "free"
    assert describe([pct("12.80")]) == "12.8 %"
    assert describe([pct("12"), per("3.50", "100kg"), pct("20", "max")]) == "12 % + 3.5 EUR / 100kg MAX 20 %"
    assert describe([per("2", "item"), pct("5", "min")]) == "2 EUR / item MIN 5 %"
    assert describe([pct("10"), per("-1", "item")]) == "10 % - 1 EUR / item"
    assert describe([pct("100")]) == "100 %"


# -- TariffBook.find -----------------------------------------------------------------------------


def test_longest_prefix_wins() -> None:
    book = TariffBook(
        [measure(pct("12"), code="61"), measure(pct("10"), code="6109"), measure(pct("8"), code="6109100010")]
    )
    assert len(book) == 3
    assert book.find("EU", "6109100010", "CN", START) == measure(pct("8"), code="6109100010")
    assert book.find("EU", "6109900000", "CN", START) == measure(pct("10"), code="6109")
    assert book.find("EU", "6110200000", "CN", START) == measure(pct("12"), code="61")
    assert book.find("EU", "6201000000", "CN", START) is None
    assert book.find("GB", "6109100010", "CN", START) is None  # another jurisdiction's tariff


def test_validity_dates_include_both_ends() -> None:
    old = measure(pct("12"), start=dt.date(2020, 1, 1), end=dt.date(2024, 6, 30))
    new = measure(pct("9"), start=dt.date(2024, 7, 1))
    book = TariffBook([old, new])
    assert book.find("EU", "6109100010", "CN", dt.date(2019, 12, 31)) is None  # the day before
    assert book.find("EU", "6109100010", "CN", dt.date(2020, 1, 1)) == old  # the day of
    assert book.find("EU", "6109100010", "CN", dt.date(2024, 6, 30)) == old  # the last day
    assert book.find("EU", "6109100010", "CN", dt.date(2024, 7, 1)) == new  # the day after
    assert book.find("EU", "6109100010", "CN", dt.date(2099, 1, 1)) == new  # no end


def test_a_shorter_prefix_applies_when_the_longer_ones_measure_has_expired() -> None:
    book = TariffBook([measure(pct("12"), code="61"), measure(pct("0"), code="6109", end=dt.date(2024, 3, 31))])
    assert book.find("EU", "6109100010", "CN", dt.date(2024, 3, 31)) == measure(
        pct("0"), code="6109", end=dt.date(2024, 3, 31)
    )
    assert book.find("EU", "6109100010", "CN", dt.date(2024, 4, 1)) == measure(pct("12"), code="61")


@pytest.mark.parametrize("preference_first", [True, False])
def test_a_preference_for_the_origin_wins_over_erga_omnes(preference_first: bool) -> None:
    erga_omnes = measure(pct("12"))
    preference = measure(pct("0"), origins=["CN", "VN"], measure_type="preference")
    book = TariffBook([preference, erga_omnes] if preference_first else [erga_omnes, preference])
    assert book.find("EU", "6109100010", "VN", START) == preference
    assert book.find("EU", "6109100010", "US", START) == erga_omnes
    assert book.find("EU", "6109100010", "", START) == erga_omnes
    assert book.find("EU", "6109100010", "VN", START - dt.timedelta(days=1)) is None


def test_a_preference_not_yet_in_force_leaves_erga_omnes() -> None:
    preference = measure(pct("0"), origins=["TR"], measure_type="preference", start=dt.date(2024, 1, 20))
    book = TariffBook([measure(pct("12")), preference])
    assert book.find("EU", "6109", "TR", dt.date(2024, 1, 19)).terms == [pct("12")]  # type: ignore[union-attr]
    assert book.find("EU", "6109", "TR", dt.date(2024, 1, 20)) == preference


def test_quotas_and_end_use_are_never_picked_and_a_suspension_replaces_the_duty() -> None:
    third_country = measure(pct("12"))
    quota = measure(pct("0"), measure_type="quota")
    end_use = measure(pct("0"), measure_type="end_use")
    preferential_quota = measure(pct("0"), origins=["CN"], measure_type="quota")
    suspension = measure(pct("2"), measure_type="suspension")
    assert (
        TariffBook([quota, end_use, preferential_quota, third_country]).find("EU", "6109", "CN", START) == third_country
    )
    assert TariffBook([quota, end_use]).find("EU", "6109", "CN", START) is None
    assert TariffBook([third_country, suspension]).find("EU", "6109", "CN", START) == suspension
