"""ICS2's answers to a kept house-level filing (IE3F22), from what became of each house consignment.

ICS2 answers an ENS filing in steps (docs/standards/eu.md, "2(b) ICS2"): a registration response
(IE3R01) with the MRN; then, for the house consignments, "assessment complete" (IE3N03), a request
for information (IE3Q02) or for high-risk-cargo screening (IE3Q03), or "do not load" (IE3Q01); a
house that fails validation gets an error notification (IE3N99). Clearway writes each of these from
the pre-loading filings the houses became, as they stand now: asking again after the carrier
answered a referral gives the assessment that answer led to.

The element names are the ICS2 Harmonised Trader Interface's "ICS2 XML Name" column; like the
filing, the answers are written in no namespace (the namespace is not public). The code list of
referral types (CL735) is not public either: ``requestType`` says ``RFI`` or ``RFS`` in Clearway's
own terms, and docs/messages.md says so.

The MRN is Clearway's reference for the filing, not one issued by a Member State's ICS2: two digits
of the year it was received, the addressed country (the first house's destination), and 14
characters of the kept message's id, 18 characters as an MRN has: one filing, one MRN, the same
whenever and however its answers are asked for (all of them, or one house's).
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from clearway.messages import xml_safe
from clearway.messages.eu.answers import add, mrn, utc
from clearway.messages.model import Mapped, RecordState, Response

MEDIA_TYPE = "application/xml"
_NOTICE = {
    "assessment_complete": "IE3N03",
    "do_not_load": "IE3Q01",
    "request_for_information": "IE3Q02",
    "request_for_screening": "IE3Q03",
}


def _document(parent: etree._Element, number: str) -> None:
    house = add(parent, "transportDocumentHouseLevel")
    add(house, "documentNumber", number)
    add(house, "type", "N740")


def _lrn(original: bytes) -> str | None:
    try:
        root = xml_safe.parse(original)
    except xml_safe.XmlRefused:
        return None
    found = root.find("LRN")
    return None if found is None or not found.text else found.text.strip()


def _message(kind: str, lrn: str | None, reference: str | None, guid: str, house: int = 0) -> etree._Element:
    root = etree.Element(kind)
    # One id per answer: a referral is answered per house, so its id names the house too.
    add(root, "messageIdentification", f"{guid}-{kind}" + (f"-{house}" if house else ""))
    if lrn is not None:
        add(root, "LRN", lrn)
    if reference is not None:
        add(root, "MRN", reference)
    return root


def _addressed(mapped: Sequence[Mapped]) -> str:
    """The country the filing is addressed to: the first readable house's destination."""
    for house in mapped:
        country = (house.record or {}).get("destination_country")
        if country:
            return str(country)
    return "EU"


def respond(
    mapped: Sequence[Mapped], original: bytes, states: Sequence[RecordState | None], *, guid: str, message_id: str = ""
) -> list[Response]:
    """The registration, then one notice per kind of answer (a referral: one per house, since each
    is answered on its own), then the error notification for refused houses."""
    lrn = _lrn(original)
    houses = [(m, s) for m, s in zip(mapped, states, strict=True) if s is not None]
    registered = [(m, s) for m, s in houses if s.status != "rejected" and s.number]
    refused = [(m, s) for m, s in houses if s.status == "rejected"]
    answers: list[etree._Element] = []
    reference: str | None = None
    if registered:
        registered_at = min(s.received_at or s.at for _, s in registered)
        reference = mrn(message_id or str(registered[0][1].number), _addressed(mapped), registered_at)
        registration = _message("IE3R01", lrn, reference, guid)
        add(registration, "registrationDate", utc(registered_at))
        for house, _ in registered:
            _document(registration, str(house.message_id))
        answers.append(registration)
    for answer in ("assessment_complete", "do_not_load"):
        group = [(m, s) for m, s in registered if s.status == answer]
        if not group:
            continue
        notice = _message(_NOTICE[answer], lrn, reference, guid)
        add(notice, "completionDate" if answer == "assessment_complete" else "notificationDate",
             utc(max(s.at for _, s in group)))  # fmt: skip
        details = add(notice, "assessmentComplete" if answer == "assessment_complete" else "doNotLoadDetails")
        for house, _ in group:
            _document(details, str(house.message_id))
        answers.append(notice)
    for house, state in registered:
        if state.status not in ("request_for_information", "request_for_screening"):
            continue
        notice = _message(_NOTICE[state.status], lrn, reference, guid, house.index)
        details = add(notice, "referralRequestDetails")
        add(details, "referralRequestReference", state.number)
        add(details, "requestType", "RFI" if state.status == "request_for_information" else "RFS")
        add(details, "requestDate", utc(state.at))
        if state.due_at is not None:
            add(details, "responseDeadline", utc(state.due_at))
        for reason in state.reasons:
            add(details, "description", reason)
        _document(details, str(house.message_id))
        answers.append(notice)
    if refused:
        errors = _message("IE3N99", lrn, None, guid)
        add(errors, "notificationDate", utc(max(s.at for _, s in refused)))
        for house, state in refused:
            for error in state.errors:
                functional = add(errors, "functionalError")
                add(functional, "errorPointer", error.where)
                add(functional, "errorReason", error.detail)
                if error.pointer:
                    add(functional, "canonicalPointer", error.pointer)
                if house.message_id:
                    add(functional, "originalAttributeValue", house.message_id)
        answers.append(errors)
    return [
        Response(str(root.tag), MEDIA_TYPE, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        for root in answers
    ]
