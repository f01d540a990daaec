"""Pseudonyms link the same person across records without revealing who; anonymisation removes
every personal value; both keep records valid."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Address, Consignment, Order, Party, Payer, Payment, Waybill
from clearway.dataset.validate import semantic_errors
from clearway.privacy.personal import personal_fields
from clearway.privacy.pseudonymise import (
    MARKER,
    Pseudonymiser,
    Redaction,
    anonymise,
    normalise,
    personal_values,
    pseudonym,
    pseudonymise,
    redact,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
PSEUDONYM = re.compile(r"^psn:[0-9a-f]{20}$")
ENCODER = msgspec.json.Encoder(decimal_format="string")

Record = Consignment | Order | Payment | Waybill


def person(name: str, **extra: Any) -> Party:
    address = Address(line1="Lindenstrasse 5", line2="Hinterhaus, 3. OG", city="Berlin", postcode="10969", country="DE")
    return Party(name=name, country="DE", address=address, **extra)


@pytest.fixture
def full(consignment: Consignment) -> Consignment:
    """A declaration with every kind of personal field filled in, for people and firms."""
    contact = {"email": "ops.desk@example.com", "phone": "+44 20 7946 0958"}
    buyer = person(
        "Anna Schmidt",
        email="anna@example.org",
        phone="+49 30 1234567",
        id_type="passport",
        id_number="C01X00T47",
        eori="DE1234567890123",
        vat="DE136695976",
    )
    parties = msgspec.structs.replace(
        consignment.parties,
        buyer=buyer,
        consignee=person("Jörg Müller", phone="+49 89 7654321"),
        declarant=person("Jörg Müller"),
        platform=msgspec.structs.replace(consignment.parties.platform, **contact),  # type: ignore[type-var]
        carrier=Party(name="Swift Parcels GmbH", country="DE", eori="DE9876543210", email=contact["email"]),
    )
    return msgspec.structs.replace(consignment, parties=parties)


def encoded(record: Record) -> str:
    return ENCODER.encode(record).decode()


def assert_valid(record: Record) -> None:
    """Structurally (lengths, patterns: a strict decode of its JSON) and semantically valid."""
    decoded, errors = RecordDecoder(type(record)).decode(ENCODER.encode(record))
    assert errors == []
    assert decoded == record
    assert semantic_errors(record) == []


# -- pseudonyms ------------------------------------------------------------------------------


def test_the_same_buyer_however_written_has_one_pseudonym() -> None:
    spellings = ["Anna Schmidt", "  ANNA   schmidt ", "Ánna Schmidt", "Anna\u00a0Schmidt", "anna\tSCHMÍDT"]
    assert len({pseudonym(s, KEY) for s in spellings}) == 1
    assert PSEUDONYM.match(pseudonym("Anna Schmidt", KEY))


def test_different_people_and_different_keys_get_different_pseudonyms() -> None:
    assert pseudonym("Anna Schmidt", KEY) != pseudonym("Anne Schmidt", KEY)
    assert pseudonym("Anna Schmidt", KEY) != pseudonym("Anna Schmidt", OTHER_KEY)


def test_normalisation() -> None:
    assert normalise("  Ærøskøbing  Łódź ") == "aeroskobing lodz"
    assert normalise("STRAßE") == "strasse"
    assert normalise("İstanbul") == "istanbul"


def test_the_key_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="16"):
        Pseudonymiser(b"short")
    with pytest.raises(ValueError, match="16"):
        pseudonym("Anna", b"")


@given(st.text(max_size=40))
def test_pseudonyms_ignore_case_and_surrounding_space(text: str) -> None:
    assert pseudonym(f" {text.upper()}\n", KEY) == pseudonym(text.lower(), KEY)


def test_numbers_ignore_their_separators(full: Consignment) -> None:
    written = msgspec.structs.replace(full.parties.buyer, phone="+49301234567")
    other = msgspec.structs.replace(full, parties=msgspec.structs.replace(full.parties, buyer=written))
    assert pseudonymise(full, KEY).parties.buyer.phone == pseudonymise(other, KEY).parties.buyer.phone


def test_pseudonymised_records_hold_no_original_personal_value(full: Consignment) -> None:
    result = pseudonymise(full, KEY)
    text = encoded(result)
    originals = personal_values(full)
    assert "Anna Schmidt" in originals and "+44 20 7946 0958" in originals
    assert [v for v in originals if v in text] == []
    assert_valid(result)
    buyer = result.parties.buyer
    assert buyer.name == pseudonym("Anna Schmidt", KEY)
    assert buyer.address is not None and PSEUDONYM.match(buyer.address.city)
    # EORI and VAT numbers of people cannot be replaced by anything valid: they go.
    assert buyer.eori is None and buyer.vat is None
    # Kept: countries, codes, firms' names and registrations, everything that is not personal.
    assert buyer.country == "DE" and buyer.address.country == "DE" and buyer.id_type == "passport"
    assert result.parties.platform == msgspec.structs.replace(
        full.parties.platform,  # type: ignore[type-var]
        email=pseudonym("ops.desk@example.com", KEY),
        phone=Pseudonymiser(KEY).value("+44 20 7946 0958", compact=True),
    )
    carrier = result.parties.carrier
    assert carrier is not None and (carrier.name, carrier.eori) == ("Swift Parcels GmbH", "DE9876543210")
    assert (result.transaction, result.items, result.logistics) == (full.transaction, full.items, full.logistics)


def test_only_the_listed_fields_change(full: Consignment) -> None:
    before = msgspec.to_builtins(full, str_keys=True)
    after = msgspec.to_builtins(pseudonymise(full, KEY), str_keys=True)
    listed = {f.path for f in personal_fields(Consignment)}

    def drop(data: Any, at: tuple[str, ...] = ()) -> Any:
        if isinstance(data, dict):
            return {k: drop(v, (*at, k)) for k, v in data.items() if (*at, k) not in listed}
        return data

    assert drop(before) == drop(after)


def test_the_same_person_links_across_records(order: Order, payment: Payment, waybill: Waybill) -> None:
    p = Pseudonymiser(KEY)
    names = {
        p.record(order).buyer.name,
        p.record(payment).payer.name,
        p.record(waybill).consignee.name,
    }
    assert names == {pseudonym("Anna Schmidt", KEY)}
    assert pseudonymise(payment, KEY).payer.account == p.value("card-4242", compact=True)


@pytest.mark.parametrize("name", ["consignment", "order", "payment", "waybill"])
def test_every_record_type_is_pseudonymised_and_anonymised(name: str, request: pytest.FixtureRequest) -> None:
    record: Record = request.getfixturevalue(name)
    originals = personal_values(record)
    assert originals
    for result in (pseudonymise(record, KEY), anonymise(record)):
        text = encoded(result)
        assert [v for v in originals if v in text] == []
        assert_valid(result)
        assert type(result) is type(record)


def test_pseudonymisation_is_deterministic(full: Consignment) -> None:
    assert pseudonymise(full, KEY) == Pseudonymiser(KEY).record(full) == pseudonymise(full, KEY)
    assert pseudonymise(full, KEY) != pseudonymise(full, OTHER_KEY)


def test_anything_else_is_refused() -> None:
    with pytest.raises(TypeError, match="Payer"):
        anonymise(Payer(name="Anna"))  # type: ignore[type-var]


# -- anonymisation ---------------------------------------------------------------------------


def test_anonymised_records_hold_the_marker_and_stay_valid(full: Consignment) -> None:
    result = anonymise(full)
    text = encoded(result)
    assert [v for v in personal_values(full) if v in text] == []
    assert_valid(result)
    buyer = result.parties.buyer
    assert buyer.name == MARKER and buyer.email == MARKER and buyer.id_number == MARKER
    assert buyer.address is not None and (buyer.address.line1, buyer.address.country) == (MARKER, "DE")
    assert buyer.eori is None and buyer.vat is None
    assert set(personal_values(result)) == {MARKER}
    assert anonymise(result) is result  # idempotent


def test_pseudonymising_an_anonymised_record_keeps_the_marker(full: Consignment) -> None:
    """Anonymised buyers must not all share the one pseudonym of "[removed]" in an export."""
    assert pseudonymise(anonymise(full), KEY) == anonymise(full)


def test_redact_removes_known_values_from_free_text() -> None:
    message = "the order's buyer 'Anna Schmidt' is not the declared buyer; Anna called, 5 parcels"
    assert redact(message, ["Anna", "Anna Schmidt", "5", MARKER]) == (
        "the order's buyer '[removed]' is not the declared buyer; [removed] called, 5 parcels"
    )
    assert redact("nothing personal", ["Anna"]) == "nothing personal"


@pytest.mark.parametrize(
    "written",
    [
        "JOHN SMITH",
        "john smith",
        "John\u00adSmith",  # a soft hyphen where the space was
        "Jo\u200bhn  Smith",  # a zero-width space, two spaces
        "J\u043ehn Smith",  # a Cyrillic о
        "ＪＯＨＮ ＳＭＩＴＨ",  # fullwidth
        "J\u043eHN\u00a0SMITH",
    ],
)
def test_redaction_finds_a_name_however_it_is_written(written: str) -> None:
    reason = f"held: the buyer {written} called twice, see note"
    assert redact(reason, ["John Smith"]) == "held: the buyer [removed] called twice, see note"


def test_redaction_takes_whole_words_and_longer_values_first() -> None:
    values = ["Ann", "Ann Lee", "Berlin"]
    assert redact("Annual note: ANN LEE of BERLIN; Ann again; Annabel stays", values) == (
        "Annual note: [removed] of [removed]; [removed] again; Annabel stays"
    )
    assert redact("mail ANNA@EXAMPLE.ORG now", ["anna@example.org"]) == "mail [removed] now"
    assert redact("call +44 20 7946-0958", ["+44 20 7946-0958"]) == "call [removed]"
    assert Redaction(["5", "DE", MARKER, "  "]).values == ()
