"""The condition language: each op on rows with and without values, in both evaluators, and its errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from clearway.risk.frame import SCHEMA
from clearway.risk.rules.conditions import (
    MAX_DEPTH,
    ConditionError,
    evaluate,
    fields_read,
    parse_condition,
    to_polars,
    to_text,
)
from clearway.risk.rules.fields import FIELDS, STAGE_COLUMNS, MissingFields
from clearway.risk.rules.model import All, AnyOf, Leaf, Not

DTYPES: dict[str, Any] = {**SCHEMA, **STAGE_COLUMNS}


def nested(depth: int, leaf: dict[str, Any] | None = None) -> dict[str, Any]:
    """A condition of ``depth`` nots around a leaf."""
    cond: dict[str, Any] = leaf or {"field": "origin", "eq": "CN"}
    for _ in range(depth):
        cond = {"not": cond}
    return cond


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    names = sorted({name for row in rows for name in row})
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in names}, schema={n: DTYPES[n] for n in names})


def both(cond: dict[str, Any], row: dict[str, Any]) -> bool:
    """The verdict of the row evaluator, after checking that the batch evaluator agrees."""
    parsed = parse_condition(cond)
    in_python: bool = evaluate(parsed, row)
    in_polars: object = frame_of([row]).select(to_polars(parsed)).item()
    assert in_polars is in_python, (cond, row, in_python, in_polars)
    return in_python


CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    # scalars
    ({"field": "nature", "eq": "gift"}, {"nature": "gift"}, True),
    ({"field": "nature", "eq": "gift"}, {"nature": "sale"}, False),
    ({"field": "nature", "ne": "gift"}, {"nature": "sale"}, True),
    ({"field": "quality_score", "lt": 50}, {"quality_score": 49}, True),
    ({"field": "quality_score", "lt": 50}, {"quality_score": 50}, False),
    ({"field": "quality_score", "le": 50}, {"quality_score": 50}, True),
    ({"field": "quality_score", "gt": 300}, {"quality_score": 255}, False),
    ({"field": "quality_score", "ge": -1}, {"quality_score": 0}, True),
    ({"field": "price_ratio_min", "lt": "0.3"}, {"price_ratio_min": 0.29999}, True),
    ({"field": "price_ratio_min", "lt": "0.3"}, {"price_ratio_min": 0.3}, False),
    ({"field": "buyer_day_value_eur", "gt": 150}, {"buyer_day_value_eur": 150.01}, True),
    ({"field": "seller_has_vat", "eq": True}, {"seller_has_vat": True}, True),
    ({"field": "seller_has_vat", "ne": True}, {"seller_has_vat": False}, True),
    ({"field": "departure_date", "lt": dt.date(2026, 1, 1)}, {"departure_date": dt.date(2025, 12, 31)}, True),
    ({"field": "departure_date", "ge": dt.date(2026, 1, 1)}, {"departure_date": dt.date(2025, 12, 31)}, False),
    ({"field": "origin", "in": ["CN", "HK"]}, {"origin": "HK"}, True),
    ({"field": "origin", "not_in": ["CN", "HK"]}, {"origin": "US"}, True),
    ({"field": "origin", "not_in": ["CN", "HK"]}, {"origin": "CN"}, False),
    ({"field": "quality_score", "in": [1, "2.0"]}, {"quality_score": 2}, True),
    ({"field": "origin", "starts_with": "C"}, {"origin": "CN"}, True),
    ({"field": "origin", "starts_with": ["H", "U"]}, {"origin": "CN"}, False),
    # lists
    ({"field": "quality_codes", "contains": "late_filing"}, {"quality_codes": ["x", "late_filing"]}, True),
    ({"field": "quality_codes", "contains": "late_filing"}, {"quality_codes": []}, False),
    ({"field": "quality_codes", "contains": "late_filing"}, {"quality_codes": [None]}, False),
    ({"field": "quality_codes", "contains_any": ["a", "b"]}, {"quality_codes": ["c", "b"]}, True),
    ({"field": "quality_codes", "contains_any": ["a", "b"]}, {"quality_codes": ["c", None]}, False),
    ({"field": "unit_values_eur", "contains": 3}, {"unit_values_eur": [1.5, 3.0]}, True),
    ({"field": "unit_values_eur", "contains_any": ["1.5"]}, {"unit_values_eur": [1.5]}, True),
    ({"field": "hs_codes", "starts_with": "85"}, {"hs_codes": ["610910", "851713"]}, True),
    ({"field": "hs_codes", "starts_with": ["9301", "9302"]}, {"hs_codes": ["930700"]}, False),
    ({"field": "hs_codes", "starts_with": "85"}, {"hs_codes": [None, "8517"]}, True),
    ({"field": "hs_codes", "starts_with": "85"}, {"hs_codes": []}, False),
    # derived fields
    ({"field": "value_per_kg_eur", "gt": 1000}, {"value_eur": 800.0, "gross_weight_kg": 0.5}, True),
    ({"field": "value_per_kg_eur", "gt": 1000}, {"value_eur": 800.0, "gross_weight_kg": 0.0}, False),
    ({"field": "value_per_kg_eur", "is_null": True}, {"value_eur": 800.0, "gross_weight_kg": 0.0}, True),
    ({"field": "unit_value_min_eur", "lt": 5}, {"unit_values_eur": [None, 9.0, 4.0]}, True),
    ({"field": "unit_value_min_eur", "is_null": True}, {"unit_values_eur": [None]}, True),
    ({"field": "descriptions_normalised", "contains": "gift"}, {"descriptions": ["  GIFT\t"]}, True),
    ({"field": "descriptions_normalised", "contains": "gift"}, {"descriptions": ["Gift box"]}, False),
    ({"field": "descriptions_normalised", "contains_any": ["parts", "éclair"]}, {"descriptions": ["Éclair"]}, True),
    # free text is compared in its matching form: look-alikes, invisible characters and case change nothing
    ({"field": "descriptions_normalised", "contains": "gift"}, {"descriptions": ["G\u0456ft"]}, True),
    ({"field": "descriptions_normalised", "contains": "G\u0456FT"}, {"descriptions": ["gift"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["P\u0435pper spray, 50 ml"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pep\u00adper spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pep\u200bper spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["ＰＥＰＰＥＲ ＳＰＲＡＹ"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pepper grinder", None]}, False),
    ({"field": "descriptions", "mentions": "taser"}, {"descriptions": ["T\u0430\u0455er"]}, True),
    # the security review's second round: blanks, a mark, format characters, dashes, small capitals
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pepper\u2800spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pepper\u3164spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pep\u0345per spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pep\U00013430per spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pepper-spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["PEPPER_SPRAY"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["Pepper\u2014spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["\u1d18epper spray"]}, True),
    ({"field": "descriptions", "mentions": "pepper spray"}, {"descriptions": ["pepperspray"]}, False),
    ({"field": "descriptions", "mentions": "e-cigarette"}, {"descriptions": ["E cigarette"]}, True),
    ({"field": "descriptions", "mentions": "e-cigarette"}, {"descriptions": ["e\u2013cigarette"]}, True),
    ({"field": "platform_name", "mentions": "pepper spray"}, {"platform_name": "pepper\u2212spray"}, True),
    ({"field": "descriptions", "starts_with": "pepper"}, {"descriptions": ["  P\u0415PPER mill"]}, True),
    ({"field": "descriptions", "contains": "Pepper spray"}, {"descriptions": ["p\u0435pper  SPRAY"]}, True),
    ({"field": "platform_name", "eq": "ShopWorld"}, {"platform_name": "Sh\u043epW\u043erld"}, True),
    ({"field": "platform_name", "in": ["Wish", "Temu"]}, {"platform_name": "W\u0456sh"}, True),
    ({"field": "platform_name", "ne": "ShopWorld"}, {"platform_name": "shopworld "}, False),
    ({"field": "origin", "eq": "CN"}, {"origin": "cn"}, False),  # codes are compared as written
    # logic
    (
        {"all": [{"field": "nature", "eq": "gift"}, {"field": "origin", "eq": "CN"}]},
        {"nature": "gift", "origin": "CN"},
        True,
    ),
    (
        {"all": [{"field": "nature", "eq": "gift"}, {"field": "origin", "eq": "CN"}]},
        {"nature": "gift", "origin": "US"},
        False,
    ),
    (
        {"any": [{"field": "nature", "eq": "gift"}, {"field": "origin", "eq": "CN"}]},
        {"nature": "sale", "origin": "CN"},
        True,
    ),
    (
        {"any": [{"field": "nature", "eq": "gift"}, {"field": "origin", "eq": "CN"}]},
        {"nature": "sale", "origin": "US"},
        False,
    ),
    ({"not": {"field": "nature", "eq": "gift"}}, {"nature": "sale"}, True),
    ({"not": {"any": [{"field": "origin", "eq": "CN"}]}}, {"origin": "CN"}, False),
]

NULL_CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    # A test on a missing value is false, whatever the op; is_null is the way to test for it.
    ({"field": "nature", "eq": "gift"}, {"nature": None}, False),
    ({"field": "nature", "ne": "gift"}, {"nature": None}, False),
    ({"field": "quality_score", "lt": 50}, {"quality_score": None}, False),
    ({"field": "quality_score", "ge": 50}, {"quality_score": None}, False),
    ({"field": "origin", "in": ["CN"]}, {"origin": None}, False),
    ({"field": "origin", "not_in": ["CN"]}, {"origin": None}, False),
    ({"field": "origin", "starts_with": ""}, {"origin": None}, False),
    ({"field": "seller_has_vat", "eq": False}, {"seller_has_vat": None}, False),
    ({"field": "quality_codes", "contains": "x"}, {"quality_codes": None}, False),
    ({"field": "quality_codes", "contains_any": ["x"]}, {"quality_codes": None}, False),
    ({"field": "hs_codes", "starts_with": "8"}, {"hs_codes": None}, False),
    ({"field": "platform_name", "is_null": True}, {"platform_name": None}, True),
    ({"field": "platform_name", "is_null": False}, {"platform_name": None}, False),
    ({"field": "platform_name", "is_null": False}, {"platform_name": "Shop"}, True),
    ({"field": "received_at", "is_null": True}, {"received_at": None}, True),
    ({"field": "quality_codes", "is_null": True}, {"quality_codes": []}, False),
    # two-valued logic: the negation of a test on a missing value is true
    ({"not": {"field": "quality_score", "gt": 3}}, {"quality_score": None}, True),
    (
        {"any": [{"field": "nature", "eq": "gift"}, {"field": "origin", "is_null": True}]},
        {"nature": None, "origin": None},
        True,
    ),
    (
        {"all": [{"field": "nature", "ne": "x"}, {"field": "origin", "is_null": True}]},
        {"nature": None, "origin": None},
        False,
    ),
]


@pytest.mark.parametrize(("cond", "row", "expected"), CASES + NULL_CASES)
def test_a_condition_gives_the_same_verdict_on_a_row_in_both_evaluators(
    cond: dict[str, Any], row: dict[str, Any], expected: bool
) -> None:
    assert both(cond, row) is expected


def test_the_batch_evaluator_gives_one_verdict_per_row_without_nulls() -> None:
    cond = parse_condition({"any": [{"field": "quality_score", "lt": 50}, {"field": "origin", "eq": "CN"}]})
    rows: list[dict[str, Any]] = [
        {"quality_score": 10, "origin": None},
        {"quality_score": None, "origin": None},
        {"quality_score": 90, "origin": "CN"},
    ]
    assert frame_of(rows).select(to_polars(cond)).to_series().to_list() == [True, False, True]


def test_the_row_evaluator_refuses_a_row_without_the_field() -> None:
    with pytest.raises(MissingFields, match="gross_weight_kg"):
        evaluate(parse_condition({"field": "value_per_kg_eur", "gt": 1}), {"value_eur": 3.0})


def test_parsing_types_the_values() -> None:
    parsed = parse_condition(
        {"all": [{"field": "price_ratio_min", "lt": "0.3"}, {"not": {"field": "hs_codes", "starts_with": "85"}}]}
    )
    assert parsed == All((Leaf("price_ratio_min", "lt", 0.3), Not(Leaf("hs_codes", "starts_with", ("85",)))))
    assert parse_condition({"any": [{"field": "origin", "in": ["CN"]}]}) == AnyOf((Leaf("origin", "in", ("CN",)),))


def test_fields_read_name_the_sources_of_derived_fields() -> None:
    parsed = parse_condition({"any": [{"field": "value_per_kg_eur", "gt": 1}, {"field": "origin", "eq": "CN"}]})
    assert fields_read(parsed) == {"value_eur", "gross_weight_kg", "origin"}


def test_text_reads_like_the_catalogue() -> None:
    parsed = parse_condition(
        {
            "all": [
                {"field": "buyer_day_count", "ge": 3},
                {"any": [{"field": "origin", "in": ["CN", "HK"]}, {"field": "platform_name", "is_null": False}]},
            ]
        }
    )
    assert to_text(parsed) == 'buyer_day_count ≥ 3 and (origin in ["CN", "HK"] or platform_name is not null)'


def test_the_registry_holds_the_frame_the_stage_columns_and_derived_fields() -> None:
    assert set(SCHEMA) | set(STAGE_COLUMNS) <= set(FIELDS)
    kinds = {name: FIELDS[name].kind for name in ("hs_codes", "unit_values_eur", "quality_score", "received_at")}
    assert kinds == {
        "hs_codes": "string_list",
        "unit_values_eur": "number_list",
        "quality_score": "number",
        "received_at": "datetime",
    }
    assert FIELDS["value_per_kg_eur"].origin == "derived"


ERRORS: list[tuple[object, str]] = [
    (["not a mapping"], r"when: expected a mapping"),
    ({"all": [], "any": []}, r"expected one of all, any, not or a field test"),
    ({"al": [{"field": "origin", "eq": "CN"}]}, r"unknown key 'al'.*did you mean 'all'"),
    ({"all": []}, r"when\.all: expected a non-empty list"),
    ({"any": {"field": "origin"}}, r"when\.any: expected a non-empty list"),
    ({"field": "orign", "eq": "CN"}, r"unknown field 'orign'; did you mean 'origin'"),
    ({"field": "origin", "equals": "CN"}, r"when \(origin\): unknown op 'equals'"),
    ({"field": "origin"}, r"exactly one op, got \[\]"),
    ({"field": "origin", "eq": "CN", "ne": "HK"}, r"exactly one op, got \['eq', 'ne'\]"),
    ({"field": "origin", "lt": "CN"}, r"op 'lt' does not apply to a string field \(ops for it: eq, ne, in"),
    ({"field": "hs_codes", "eq": "85"}, r"op 'eq' does not apply to a string_list field"),
    ({"field": "quality_score", "contains": 3}, r"op 'contains' does not apply to a number field"),
    ({"field": "received_at", "lt": dt.date(2026, 1, 1)}, r"does not apply to a datetime field"),
    ({"field": "price_ratio_min", "lt": 0.3}, r"when \(price_ratio_min\)\.lt: write decimal numbers as quoted strings"),
    ({"field": "price_ratio_min", "lt": "abc"}, r"'abc' is not a decimal number"),
    ({"field": "price_ratio_min", "lt": "nan"}, r"'nan' is not a finite number"),
    ({"field": "price_ratio_min", "lt": True}, r"expected a number"),
    ({"field": "origin", "eq": False}, r"got the boolean False; quote the text \(YAML reads NO"),
    ({"field": "hs_codes", "starts_with": 85}, r"got the number 85; quote codes as text"),
    ({"field": "hs_codes", "starts_with": []}, r"expected a text or a non-empty list of texts"),
    ({"field": "origin", "in": "CN"}, r"\.in: expected a non-empty list"),
    ({"field": "origin", "in": ["CN", 1]}, r"\.in\[1\]: got the number 1"),
    ({"field": "platform_name", "is_null": "yes"}, r"expected true or false"),
    ({"field": "seller_has_vat", "eq": "yes"}, r"expected true or false, got 'yes'"),
    ({"field": "departure_date", "lt": "1 January 2026"}, r"expected a date \(YYYY-MM-DD\)"),
    ({"field": "departure_date", "lt": "2026-02-30"}, r"not a calendar date"),
    ({"field": "departure_date", "lt": dt.datetime(2026, 1, 1)}, r"expected a date"),
    (
        {"all": [{"field": "origin", "eq": "CN"}, {"not": {"field": "x", "eq": 1}}]},
        r"when\.all\[1\]\.not: unknown field 'x'",
    ),
    ({"field": "buyer_name", "eq": "Anna Schmidt"}, r"field 'buyer_name' holds personal data, which rules may not"),
    ({"not": {"field": "buyer_email", "is_null": True}}, r"when\.not: field 'buyer_email' holds personal data"),
    ({"field": "seller_name", "mentions": "trading"}, r"'seller_name' holds personal data"),
    (nested(MAX_DEPTH + 1), r"when(\.not){33}: conditions nest more than 32 levels deep"),
]


@pytest.mark.parametrize(("raw", "message"), ERRORS)
def test_an_invalid_condition_is_refused_with_where_and_why(raw: object, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        parse_condition(raw)


POINTERS: list[tuple[object, str]] = [
    (["not a mapping"], ""),
    ({"all": []}, "/all"),
    ({"al": [{"field": "origin", "eq": "CN"}]}, "/al"),
    ({"any": [{"field": "origin", "eq": "CN"}, {"field": "buyer_name", "eq": "x"}]}, "/any/1/field"),
    ({"all": [{"not": {"field": "orign", "eq": "CN"}}]}, "/all/0/not/field"),
    ({"field": "origin", "equals": "CN"}, "/equals"),
    ({"field": "origin", "eq": "CN", "ne": "HK"}, ""),
    ({"field": "origin", "in": ["CN", 1]}, "/in/1"),
    ({"field": "price_ratio_min", "lt": 0.3}, "/lt"),
    (nested(MAX_DEPTH + 1), "/not" * (MAX_DEPTH + 1)),
]


@pytest.mark.parametrize(("raw", "pointer"), POINTERS)
def test_an_error_points_at_the_faulty_part(raw: object, pointer: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(raw)
    assert caught.value.pointer == pointer


def test_nesting_is_bounded_before_any_recursion_runs_deep() -> None:
    assert fields_read(parse_condition(nested(MAX_DEPTH))) == {"origin"}
    wide_and_deep = {"all": [nested(MAX_DEPTH - 1), {"any": [nested(MAX_DEPTH)]}]}
    with pytest.raises(ConditionError, match="nest more than 32"):
        parse_condition(wide_and_deep)
    # 3,000 levels are refused at level 33: parsing never recurses further.
    with pytest.raises(ConditionError, match="nest more than 32"):
        parse_condition(nested(3000))


def test_a_personal_field_is_refused_and_said_so() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({"all": [{"field": "origin", "eq": "CN"}, {"field": "buyer_phone", "is_null": False}]})
    assert caught.value.personal and caught.value.pointer == "/all/1/field"
    with pytest.raises(ConditionError) as other:
        parse_condition({"field": "no_such_field", "eq": 1})
    assert not other.value.personal
