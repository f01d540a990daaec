"""Pre-loading safety and security: the PLACI "7+1" data alone, answered before the cargo is loaded.

An air carrier (or postal operator) sends the minimum data set — consignor and consignee (names and
addresses), goods description, packages, gross weight, the house transport document, and the
master air waybill — before loading. Customs answers at once, as ICS2 does:

- ``assessment_complete``: load;
- ``request_for_information``: the data is not good enough to assess (a party's address missing,
  a description too vague); the carrier answers with corrected data before loading;
- ``request_for_screening``: load only after screening the item with high-risk cargo means;
- ``do_not_load``: a party is on a sanctions list, or the goods are a threat.

Only data quality, screening and the targeting rules whose every input is in the PLACI data take
part: a rule about prices cannot run on data that has no price.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import msgspec

from clearway.dataset.errors import FieldError
from clearway.dataset.records import CountryCode, Description, Party, Quantity, Ref, TransportMode
from clearway.dataset.validate import country_errors, decimal_errors, party_errors
from clearway.risk.reference import VagueTerms
from clearway.risk.rules.conditions import fields_read
from clearway.risk.rules.evaluate import evaluate_row
from clearway.risk.rules.model import Rule
from clearway.risk.screening import ScreeningIndex, screen_row

Answer = Literal["assessment_complete", "request_for_information", "request_for_screening", "do_not_load"]
# A filing is open while a referral awaits the carrier's answer, closed once answered, and expired
# when the answer did not come in time (then: do not load).
FilingStatus = Literal["open", "closed", "expired"]
_SEVERITY: dict[str, int] = {
    "assessment_complete": 0,
    "request_for_information": 1,
    "request_for_screening": 2,
    "do_not_load": 3,
}
# A rule's lane, read for a cargo that is not loaded yet.
_BY_LANE: dict[str, Answer] = {
    "green": "assessment_complete",
    "yellow": "request_for_information",
    "red": "request_for_screening",
    "do_not_load": "do_not_load",
}
_BASIS = (
    "Commission Implementing Regulation (EU) 2015/2447, Art. 182 and 186 (ICS2 pre-loading analysis); "
    "WCO SAFE Framework"
)


class PlaciFiling(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The PLACI data set of one house consignment."""

    reference: Ref
    transport_document: Ref
    master_waybill: Ref
    consignor: Party
    consignee: Party
    goods_description: Description
    packages: Annotated[int, msgspec.Meta(ge=1, le=9999)]
    gross_weight_kg: Quantity
    destination_country: CountryCode
    transport_mode: TransportMode = "air"


def placi_errors(filing: PlaciFiling) -> list[FieldError]:
    """The checks a declaration's parties, country and weight get (dataset.validate), for PLACI data."""
    out: list[FieldError] = []
    country_errors(out, "", "destination_country", filing.destination_country)
    party_errors(out, "/consignor", filing.consignor)
    party_errors(out, "/consignee", filing.consignee)
    decimal_errors(out, "", "gross_weight_kg", filing.gross_weight_kg, positive=True)
    return out


class PlaciReason(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str
    basis: str


class PlaciAssessment(msgspec.Struct, frozen=True, kw_only=True):
    answer: Answer
    reasons: list[PlaciReason]
    screening_hits: list[str]
    rule_versions: list[str]


def _address(party: Party) -> str | None:
    if party.address is None:
        return None
    a = party.address
    return " ".join(p for p in (a.line1, a.postcode or "", a.city) if p)


def placi_row(filing: PlaciFiling, jurisdiction: str | None, received_at: dt.datetime) -> dict[str, Any]:
    """The PLACI data as a risk-frame row: the columns it has; everything else is absent."""
    return {
        "reference": filing.reference,
        "destination": filing.destination_country,
        "jurisdiction": jurisdiction,
        "seller_name": filing.consignor.name,
        "seller_country": filing.consignor.country,
        "buyer_name": filing.consignee.name,
        "buyer_country": filing.consignee.country,
        "buyer_address": _address(filing.consignee),
        "consignee_name": filing.consignee.name,
        "buyer_phone": filing.consignee.phone,
        "buyer_email": filing.consignee.email,
        "descriptions": [filing.goods_description],
        "transport_document": filing.transport_document,
        "transport_mode": filing.transport_mode,
        "gross_weight_kg": float(filing.gross_weight_kg),
        "received_at": received_at,
    }


def placi_rules(rules: Sequence[Rule], available: set[str]) -> list[Rule]:
    """The rules that can run on PLACI data: every field they read is in it."""
    return [rule for rule in rules if fields_read(rule.when) <= available]


def assess_placi(
    filing: PlaciFiling,
    *,
    jurisdiction: str | None,
    received_at: dt.datetime,
    rules: Sequence[Rule],
    vague: VagueTerms,
    screening: ScreeningIndex | None,
    threshold: float,
    list_kinds: Mapping[str, str],
) -> PlaciAssessment:
    row = placi_row(filing, jurisdiction, received_at)
    reasons: list[tuple[Answer, PlaciReason]] = []
    for role, party in (("consignor", filing.consignor), ("consignee", filing.consignee)):
        if party.address is None:
            reasons.append(
                (
                    "request_for_information",
                    PlaciReason(
                        code=f"{role}_address_missing", message=f"the {role}'s address is missing", basis=_BASIS
                    ),
                )
            )
    if vague.is_vague(filing.goods_description):
        reasons.append(
            (
                "request_for_information",
                PlaciReason(
                    code="vague_description",
                    message=f"'{filing.goods_description}' does not say what the goods are",
                    basis=_BASIS,
                ),
            )
        )
    hits: list[str] = []
    if screening is not None and len(screening):
        _, found = screen_row(row, screening, threshold)
        hits = [f"{list_kinds.get(h.split(':', 1)[0], 'watchlist')}:{h}" for h in found]
    row["screening_hits"] = hits
    row["screening_score"] = 1.0 if hits else 0.0
    usable = placi_rules(rules, set(row))
    verdict = evaluate_row(row, usable, received_at.date())
    described = {rule.name: rule for rule in usable}
    for name in verdict.hits:
        rule = described[name]
        lane = rule.outcome.lane if rule.outcome is not None else "yellow"
        reasons.append((_BY_LANE[lane], PlaciReason(code=name, message=rule.description, basis=rule.legal_basis)))
    answer: Answer = "assessment_complete"
    for proposed, _ in reasons:
        if _SEVERITY[proposed] > _SEVERITY[answer]:
            answer = proposed
    return PlaciAssessment(
        answer=answer, reasons=[r for _, r in reasons], screening_hits=hits, rule_versions=verdict.versions
    )


_BASIS = "Commission Implementing Regulation (EU) 2015/2447, Art. 186 (pre-loading referrals)"
# Reasons about the carrier's own filing (what to complete or correct) and the carrier's own
# screening answer: these it is told as they are.
_OWN_DATA = frozenset(
    {
        "consignor_address_missing",
        "consignee_address_missing",
        "vague_description",
        "screening_cleared",
        "screening_threat_found",
    }
)
# What each answer asks of the carrier, whatever rule or list hit led to it.
_INSTRUCTION = {
    "request_for_information": PlaciReason(
        code="information_requested",
        message="customs asks for more information about this item: answer with complete, corrected PLACI data",
        basis=_BASIS,
    ),
    "request_for_screening": PlaciReason(
        code="screening_requested",
        message="screen this item by high-risk cargo screening methods before loading and send the result",
        basis=_BASIS,
    ),
    "do_not_load": PlaciReason(
        code="do_not_load", message="do not load this item: customs will contact you", basis=_BASIS
    ),
}


def carrier_reasons(answer: str, reasons: Sequence[PlaciReason]) -> list[PlaciReason]:
    """What the carrier that filed is told of an assessment: the reasons about its own data, and
    what the answer asks of it; never a rule's name or a screening hit (the carrier must not learn
    which rule chose it). One function for the JSON answer and the ICS2 messages."""
    own = [r for r in reasons if r.code in _OWN_DATA]
    instruction = _INSTRUCTION.get(answer)
    # A request for information that the filing's own gaps explain needs no further words; one that
    # a rule raised gets the general request, so the carrier does not learn which rule it was.
    if instruction is not None and not (answer == "request_for_information" and own):
        own.append(instruction)
    return own
