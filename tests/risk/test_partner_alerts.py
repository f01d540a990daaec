"""Customs-to-customs alerts: signing between two administrations, every refusal, pseudonyms and matching."""

from __future__ import annotations

import base64
import datetime as dt
import json

import msgspec
import pytest

from clearway.dataset.records import Consignment
from clearway.risk import partner_alerts as pa

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
SHARED = bytes(range(32))  # the key NL and DE agreed for pseudonyms
NL_KEY = pa.signing_key(b"n" * 32)
DE_KEY = pa.signing_key(b"d" * 32)


def partner(code: str, key: object, key_id: str, shared: bytes = SHARED) -> pa.Partner:
    return pa.Partner(code, f"Customs {code}", key_id, pa.public_bytes(key), shared)  # type: ignore[arg-type]


# What DE knows of NL, and NL of DE.
DE_KNOWS = {"NL": partner("NL", NL_KEY, "nl-1")}
NL_KNOWS = {"DE": partner("DE", DE_KEY, "de-1")}


def alert(record: Consignment, **changes: object) -> pa.PartnerAlert:
    base = pa.PartnerAlert(
        id="NL-a1",
        issuer="NL",
        issued_at=NOW - dt.timedelta(days=1),
        expires_at=NOW + dt.timedelta(days=90),
        finding="counterfeit",
        hs_code="620610",
        origin="CN",
        route=pa.Route(origin="CN", destination="NL", transport_mode="post"),
        sellers=[pa.pseudonym(SHARED, i) for i in pa.seller_identifiers(record)],
    )
    return msgspec.structs.replace(base, **changes)


def envelope(record: Consignment, **changes: object) -> bytes:
    return pa.sign(NL_KEY, "NL", "nl-1", [alert(record, **changes)], NOW)


def test_an_envelope_signed_by_one_administration_verifies_at_the_other(consignment: Consignment) -> None:
    received = pa.verify(envelope(consignment), DE_KNOWS, NOW)
    assert received.issuer == "NL" and [a.id for a in received.alerts] == ["NL-a1"]
    # And the other way round, with the other pair of keys.
    back = pa.sign(DE_KEY, "DE", "de-1", [alert(consignment, id="DE-b2", issuer="DE")], NOW)
    assert pa.verify(back, NL_KNOWS, NOW).alerts[0].issuer == "DE"


def test_signing_is_deterministic_and_canonical(consignment: Consignment) -> None:
    first, second = envelope(consignment), envelope(consignment)
    assert first == second
    body = json.loads(first)
    assert list(body) == sorted(body) and b" " not in first.replace(b"Customs ", b"")


def refused(data: bytes, partners: dict[str, pa.Partner] = DE_KNOWS, now: dt.datetime = NOW) -> pa.AlertRefused:
    with pytest.raises(pa.AlertRefused) as caught:
        pa.verify(data, partners, now)
    return caught.value


def test_a_tampered_alert_is_refused(consignment: Consignment) -> None:
    body = json.loads(envelope(consignment))
    body["alerts"][0]["finding"] = "prohibited"
    error = refused(json.dumps(body).encode())
    assert error.code == "bad_signature" and "changed after it was signed" in error.message


def test_an_alert_added_to_a_signed_envelope_is_refused(consignment: Consignment) -> None:
    body = json.loads(envelope(consignment))
    body["alerts"].append({**body["alerts"][0], "id": "NL-extra"})
    assert refused(json.dumps(body).encode()).code == "bad_signature"


def test_an_unknown_partner_is_refused(consignment: Consignment) -> None:
    stranger = pa.sign(DE_KEY, "FR", "fr-1", [alert(consignment, issuer="FR")], NOW)
    error = refused(stranger)
    assert error.code == "unknown_partner" and "'FR' is not a partner" in error.message and error.pointer == "/issuer"


def test_a_signature_by_another_key_is_refused(consignment: Consignment) -> None:
    forged = pa.sign(DE_KEY, "NL", "nl-1", [alert(consignment)], NOW)  # DE's key pretending to be NL
    assert refused(forged).code == "bad_signature"


def test_a_signature_that_is_not_base64_or_not_64_bytes_is_refused(consignment: Consignment) -> None:
    body = json.loads(envelope(consignment))
    body["signature"] = "not base64!"
    assert refused(json.dumps(body).encode()).code == "malformed"
    body["signature"] = base64.b64encode(b"short").decode()
    assert refused(json.dumps(body).encode()).code == "bad_signature"


def test_a_wrong_key_id_is_refused(consignment: Consignment) -> None:
    rotated = pa.sign(NL_KEY, "NL", "nl-2", [alert(consignment)], NOW)
    error = refused(rotated)
    assert error.code == "wrong_key" and "'nl-2'" in error.message


def test_an_expired_alert_is_refused(consignment: Consignment) -> None:
    old = envelope(consignment, expires_at=NOW - dt.timedelta(seconds=1))
    error = refused(old)
    assert error.code == "expired" and error.pointer == "/alerts/0/expires_at"
    # One second more of validity and it is accepted.
    assert pa.verify(envelope(consignment, expires_at=NOW + dt.timedelta(seconds=1)), DE_KNOWS, NOW).alerts


def test_an_alert_of_another_issuer_in_the_envelope_is_refused(consignment: Consignment) -> None:
    assert refused(envelope(consignment, issuer="BE")).code == "issuer_mismatch"


def test_an_envelope_from_the_future_is_refused(consignment: Consignment) -> None:
    ahead = pa.sign(NL_KEY, "NL", "nl-1", [alert(consignment)], NOW + dt.timedelta(hours=1))
    assert refused(ahead).code == "not_yet_valid"


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        (b"not json", ""),
        (b"[]", ""),
        (b'{"format": "clearway-partner-alerts/1"}', ""),
        (b"{" * 10_000, ""),
        (b'{"issuer": "\xff"}', ""),
    ],
)
def test_malformed_envelopes_are_refused(data: bytes, pointer: str) -> None:
    error = refused(data)
    assert error.code == "malformed" and error.pointer == pointer


def test_a_malformed_alert_names_its_field(consignment: Consignment) -> None:
    body = json.loads(envelope(consignment))
    body["alerts"][0]["hs_code"] = "6206"
    error = refused(json.dumps(body).encode())
    assert error.code == "malformed" and error.pointer == "/alerts/0/hs_code"
    body["alerts"][0]["buyer_name"] = "Anna Schmidt"  # no field for personal data: refused, not ignored
    assert refused(json.dumps(body).encode()).code == "malformed"


def test_a_time_without_a_zone_is_malformed_not_a_bad_signature(consignment: Consignment) -> None:
    body = json.loads(envelope(consignment))
    body["alerts"][0]["expires_at"] = "2027-01-01T00:00:00"
    error = refused(json.dumps(body).encode())
    assert error.code == "malformed" and error.pointer == "/alerts/0/expires_at"


def test_an_oversized_envelope_is_refused_before_parsing() -> None:
    assert refused(b" " * (pa.MAX_ENVELOPE_BYTES + 1)).code == "malformed"


def test_the_envelope_holds_no_seller_name_or_buyer(consignment: Consignment) -> None:
    data = envelope(consignment)
    for secret in (consignment.parties.seller.name, consignment.parties.buyer.name, "Shenzhen", "Anna"):
        assert secret.encode() not in data
        assert secret.lower().encode() not in data


def test_pseudonyms_depend_on_the_shared_key(consignment: Consignment) -> None:
    [name] = [i for i in pa.seller_identifiers(consignment) if i.startswith("name:")]
    assert name == "name:shenzhen bright trading co., ltd"
    assert pa.pseudonym(SHARED, name) != pa.pseudonym(b"x" * 32, name)


def test_a_matching_consignment_finds_the_alert(consignment: Consignment) -> None:
    index = pa.AlertIndex([(alert(consignment), DE_KNOWS["NL"])])
    [found] = index.match(consignment, NOW)
    assert (found.partner, found.partner_name, found.finding) == ("NL", "Customs NL", "counterfeit")
    assert found.label() == "counterfeit:NL:NL-a1"


def test_the_seller_name_matches_whatever_its_case_and_spacing(consignment: Consignment) -> None:
    index = pa.AlertIndex([(alert(consignment), DE_KNOWS["NL"])])
    seller = msgspec.structs.replace(consignment.parties.seller, name="  SHENZHEN   Bright Trading CO., LTD ")
    renamed = msgspec.structs.replace(consignment, parties=msgspec.structs.replace(consignment.parties, seller=seller))
    assert index.match(renamed, NOW)


def test_an_hs_prefix_matches_longer_codes(consignment: Consignment) -> None:
    index = pa.AlertIndex([(alert(consignment, hs_code="620620"), DE_KNOWS["NL"])])
    assert index.match(consignment, NOW)  # the second item is 620620


@pytest.mark.parametrize(
    "changes",
    [
        {"hs_code": "640399"},
        {"origin": "VN"},
        {"sellers": ["0" * 64]},
        {"expires_at": NOW},
        {"issued_at": NOW + dt.timedelta(hours=1)},
    ],
)
def test_near_misses_do_not_match(consignment: Consignment, changes: dict[str, object]) -> None:
    index = pa.AlertIndex([(alert(consignment, **changes), DE_KNOWS["NL"])])
    assert index.match(consignment, NOW) == []


def test_another_partners_key_does_not_match(consignment: Consignment) -> None:
    other = partner("NL", NL_KEY, "nl-1", shared=b"z" * 32)
    assert pa.AlertIndex([(alert(consignment), other)]).match(consignment, NOW) == []


@pytest.mark.parametrize(
    ("state", "outcome", "finding"),
    [
        ("seized", None, "seized"),
        ("seized", "counterfeit", "counterfeit"),
        ("released", "undervalued", "undervalued"),
        ("returned", "prohibited", "prohibited"),
        ("returned", "other", "refused"),
        ("returned", None, None),
        ("released", "compliant", None),
        ("released", None, None),
    ],
)
def test_the_finding_comes_from_the_outcome_then_the_final_state(
    state: str, outcome: str | None, finding: str | None
) -> None:
    assert pa.finding_of(state, outcome) == finding


def test_keys_are_exchanged_as_base64_with_a_fingerprint() -> None:
    raw = pa.public_bytes(NL_KEY)
    assert pa.decode_key(pa.encode_key(raw)) == raw
    assert len(pa.fingerprint(raw).split(":")) == 8
    with pytest.raises(ValueError, match="32 bytes"):
        pa.decode_key(base64.b64encode(b"short").decode())
