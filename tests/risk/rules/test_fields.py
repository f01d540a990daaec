"""The field registry's marks: which columns are personal (refused in rules) and which are free text."""

from __future__ import annotations

import pytest

from clearway.dataset.records import Consignment
from clearway.privacy.personal import PERSONAL_FIELDS
from clearway.risk.frame import SCHEMA
from clearway.risk.rules.fields import FIELDS, FREE_TEXT, PARTY_SOURCES, PERSONAL

# Frame columns about a party that are not its personal data, each with the reason.
NOT_PERSONAL = {
    "seller_country": "a country holds millions of people",
    "seller_has_vat": "whether a VAT number was declared, not the number",
    "buyer_country": "a country holds millions of people",
    "platform_name": "a firm's trade name",
}


def test_the_personal_columns_are_the_buyers_consignees_and_sellers_identity_contacts_and_address() -> None:
    assert {
        "seller_name",
        "buyer_name",
        "buyer_address",
        "buyer_id",
        "buyer_email",
        "buyer_phone",
        "consignee_name",
    } == PERSONAL
    assert all(FIELDS[name].personal for name in PERSONAL)
    assert not any(spec.personal for name, spec in FIELDS.items() if name not in PERSONAL)


def test_each_personal_column_copies_a_field_the_privacy_list_calls_personal() -> None:
    personal_paths = {f.path for f in PERSONAL_FIELDS[Consignment]}
    assert set(PARTY_SOURCES.values()) <= personal_paths


@pytest.mark.parametrize("column", sorted(SCHEMA))
def test_every_party_column_is_decided(column: str) -> None:
    # A new column copied from a party must be classified here, as the privacy list classifies fields.
    if column.startswith(("seller_", "buyer_", "consignee_", "platform_", "payer_", "declarant_")):
        assert (column in PARTY_SOURCES) != (column in NOT_PERSONAL), column


def test_free_text_is_what_declarants_write() -> None:
    assert {"descriptions", "descriptions_normalised", "platform_name"} == FREE_TEXT
    assert {name for name, spec in FIELDS.items() if spec.free_text} == FREE_TEXT
