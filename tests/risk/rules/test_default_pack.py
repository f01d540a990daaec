"""The default rule pack: every rule has a case that hits and one that does not, and docs/rules.md lists them.

When the pack changes, regenerate the catalogue in docs/rules.md with

    .venv/bin/python tests/risk/rules/test_default_pack.py

and paste the output between the ``rules-catalogue`` markers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from clearway.risk.frame import SCHEMA
from clearway.risk.rules.conditions import to_text
from clearway.risk.rules.evaluate import OUTPUT_COLUMNS, RowResult, evaluate_frame, evaluate_row
from clearway.risk.rules.fields import FIELDS, STAGE_COLUMNS
from clearway.risk.rules.loader import load_default_pack
from clearway.risk.rules.model import Rule, RulePack

DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
BEGIN, END = "<!-- rules-catalogue:begin -->", "<!-- rules-catalogue:end -->"
PACK = load_default_pack()
AS_OF = dt.date(2026, 12, 31)
IN_2025 = dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC)

# A clean consignment: a T-shirt sold by a US web shop to a buyer in Germany. It hits no default rule.
BASE: dict[str, Any] = {
    "row": 0,
    "reference": "REF-1",
    "operator_id": "courier-1",
    "destination": "DE",
    "origin": "US",
    "hs_codes": ["610910"],
    "descriptions": ["Cotton T-shirt"],
    "item_origins": ["US"],
    "unit_values_eur": [20.0],
    "quantities": [1.0],
    "items": 1,
    "value_eur": 20.0,
    "goods_value": 22.0,
    "currency": "USD",
    "freight_eur": 5.0,
    "gross_weight_kg": 0.3,
    "nature": "sale",
    "relationship": "B2C",
    "transport_mode": "air",
    "channel": "courier",
    "seller_name": "Tee Shop Inc",
    "seller_country": "US",
    "seller_has_vat": True,
    "buyer_name": "Anna Schmidt",
    "buyer_country": "DE",
    "buyer_address": "Hauptstr. 1 10115 Berlin",
    "buyer_id": None,
    "buyer_email": "anna@example.org",
    "buyer_phone": None,
    "consignee_name": "Anna Schmidt",
    "platform_name": None,
    "tax_scheme_id": None,
    "transport_document": "AWB-1",
    "received_at": dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC),
    "departure_date": None,
    "arrival_date": None,
    "irg_category": None,
    "quality_score": 90,
    "quality_codes": [],
    "price_ratio_min": 1.0,
    "screening_score": 0.01,
    "screening_hits": [],
    "partner_alerts": [],
    "hs_mismatches": [],
    "buyer_day_count": 1,
    "buyer_day_value_eur": 20.0,
    "jurisdiction": "EU",
    "operator_trust": "standard",
    "seller_trust": "standard",
}

GB_SALE = {"jurisdiction": "GB", "destination": "GB", "seller_has_vat": False, "value_eur": 100.0}
PHONE = {"hs_codes": ["851713"], "value_eur": 800.0}
BAG = {"hs_codes": ["420221"], "origin": "CN"}

# rule key -> (changes to BASE that make it hit, changes that come close and do not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "declared_value_below_reference_price@1": (
        {"received_at": IN_2025, "price_ratio_min": 0.24},
        {"received_at": IN_2025, "price_ratio_min": 0.28},
    ),
    "declared_value_below_reference_price@2": ({"price_ratio_min": 0.28}, {"price_ratio_min": 0.3}),
    "declared_value_zero_or_one@1": ({"goods_value": 1.0}, {"goods_value": 0.0, "nature": "documents"}),
    "vague_goods_description@1": (
        {"descriptions": ["Cotton T-shirt", "  Gift "]},
        {"descriptions": ["Gift box of chocolates"]},
    ),
    "hs_code_not_in_nomenclature@1": ({"quality_codes": ["hs_not_in_nomenclature"]}, {"quality_codes": ["other"]}),
    "party_on_sanctions_list@1": ({"screening_hits": ["sanctions:eu_fsf:EU.1.2"]}, {"screening_score": 0.95}),
    "consignor_on_watchlist@1": ({"screening_hits": ["watchlist:national:W-7"]}, {"screening_score": 0.95}),
    "gift_from_commercial_seller@1": (
        {"nature": "gift", "relationship": "C2C", "seller_has_vat": False, "platform_name": "MarketPlace"},
        {"nature": "gift", "relationship": "C2C", "seller_has_vat": False},
    ),
    "split_consignments_to_same_buyer@1": (
        {"buyer_day_count": 2, "buyer_day_value_eur": 150.01},
        {"buyer_day_count": 2, "buyer_day_value_eur": 150.0},
    ),
    "ioss_number_above_150_euro@1": (
        {"tax_scheme_id": "IM2760000001", "value_eur": 150.5},
        {"tax_scheme_id": "IM2760000001", "value_eur": 150.0},
    ),
    "low_value_sale_without_uk_vat@1": (GB_SALE, {**GB_SALE, "jurisdiction": "EU"}),
    "low_quality_declaration@1": ({"quality_score": 49}, {"quality_score": 50}),
    "late_filing@1": ({"quality_codes": ["late_filing"]}, {"quality_codes": []}),
    "weight_value_mismatch@1": (
        {"gross_weight_kg": 6.0, "value_eur": 5.0},
        {"gross_weight_kg": 6.0, "value_eur": 6.0},
    ),
    "high_value_low_weight_electronics@1": ({**PHONE, "gross_weight_kg": 0.4}, {**PHONE, "gross_weight_kg": 1.0}),
    "prohibited_or_restricted_goods_described@1": (
        {"descriptions": ["Cotton T-shirt", "Butterfly KNIFE"]},
        {"descriptions": ["Knifeless cutting board", "Knight figurine"]},
    ),
    "counterfeit_prone_goods_at_low_price@1": (
        {**BAG, "unit_values_eur": [1.99]},
        {**BAG, "unit_values_eur": [2.0]},
    ),
    "weapons_or_ammunition@1": ({"hs_codes": ["610910", "930400"]}, {"hs_codes": ["930700"]}),
    "matches_partner_alert@1": ({"partner_alerts": ["counterfeit:NL:a-1"]}, {"partner_alerts": []}),
    "hs_code_does_not_match_description@1": (
        {"hs_codes": ["851713"], "hs_mismatches": ["chapter:1:851713:610910=0.7700,610990=0.0300"]},
        {"hs_codes": ["610910"], "hs_mismatches": []},
    ),
    "medicines_by_post@1": (
        {"hs_codes": ["300490"], "channel": "post"},
        {"hs_codes": ["300490"], "channel": "courier"},
    ),
}


def judge(changes: dict[str, Any]) -> RowResult:
    """The verdict on BASE with the changes, after checking that both paths agree."""
    data = BASE | changes
    frame = pl.DataFrame([data], schema={**SCHEMA, **STAGE_COLUMNS})
    batch = evaluate_frame(frame, PACK, AS_OF).select(OUTPUT_COLUMNS).row(0, named=True)
    by_row = evaluate_row(data, PACK, AS_OF)
    assert RowResult(batch["rule_hits"], batch["rule_versions"], batch["rule_score"], batch["rule_lane"]) == by_row
    return by_row


def test_the_clean_consignment_hits_no_rule() -> None:
    assert judge({}).hits == []


def test_every_default_rule_has_cases() -> None:
    assert set(CASES) == {rule.key for rule in PACK.rules}


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_default_rule_hits_its_case_and_not_the_near_miss(key: str) -> None:
    hit, miss = CASES[key]
    name = key.split("@")[0]
    found = judge(hit)
    assert name in found.hits and key in found.versions
    assert name not in judge(miss).hits


def catalogue(pack: RulePack) -> str:
    """The rule catalogue of docs/rules.md, one table row per rule version."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    def row(rule: Rule) -> str:
        valid = f"{rule.valid_from} –" + (f" {rule.valid_to}" if rule.valid_to else "")
        outcome = f"{rule.outcome.lane}: {rule.outcome.action}" if rule.outcome else "–"
        scope = ", ".join(rule.jurisdictions)
        return (
            f"| `{rule.name}` | {rule.version} | {cell(rule.description)} | `{cell(to_text(rule.when))}` | {scope} "
            f"| {valid} | {rule.weight} | {outcome} | {cell(rule.legal_basis)} |"
        )

    head = [
        "| rule | version | what it detects | condition | jurisdictions | in force | weight | outcome | legal basis |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join([*head, *(row(rule) for rule in pack.rules)])


def test_docs_list_every_default_rule_as_in_the_pack() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = text.split(BEGIN)[1].split(END)[0].strip()
    assert documented == catalogue(PACK), "regenerate: .venv/bin/python tests/risk/rules/test_default_pack.py"


def test_docs_describe_every_field_a_condition_may_test() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert [name for name in FIELDS if f"`{name}`" not in text] == []


if __name__ == "__main__":
    print(BEGIN)
    print(catalogue(PACK))
    print(END)
