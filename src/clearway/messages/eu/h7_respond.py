"""Answers to a kept H7 message, one set per declaration, from what became of it.

An H7's answers are national: each Member State's import system has its own. Belgium's IDMS-H7
publishes the flow Clearway follows (FOD Financiën, "IDMS-H7 – Berichtenstroom", and its Message
Implementation Guide; docs/standards/eu.md, "H7 answers"):

- IE906: the declaration is rejected for breaking validation rules (its functional errors);
- IE428: the declaration is accepted, with its MRN;
- IE429: the goods are released for import;
- IE451: the goods are not released (after a control: seized, or returned to the sender).

A declaration held for a control gets no message of its own, as in IDMS-H7 (the declarant reads the
missing IE429): its IE428 stands until the IE429 or IE451. The message names and what each means
are confirmed; the element layouts of the IDMS messages are not public in what was found, so the
elements here are Clearway's, named as the EU's transit and ICS2 messages name the same data (LRN,
MRN, dates, ``functionalError`` with ``errorType``, ``errorPointer``, ``errorReason``), and the
duties due as France's Delta H7 answer names them (``totalPayableTaxAmount``). docs/messages.md says
so. The MRN is Clearway's 18-character reference, as for ICS2 (``answers.mrn``).
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from clearway.clearance.lifecycle import State
from clearway.messages.eu.answers import add, mrn, utc
from clearway.messages.model import Mapped, MessageError, RecordState, Response

MEDIA_TYPE = "application/xml"
_NOT_RELEASED = {State.SEIZED.value: "seized", State.RETURNED.value: "returned to the sender"}
# errorType as the EU's functional NACKs code it: 13 a missing element, 12 a value that is not valid.
MISSING, INVALID = "13", "12"


def _message(kind: str, guid: str, position: int, lrn: str | None, reference: str | None) -> etree._Element:
    root = etree.Element(kind)
    add(root, "messageIdentification", f"{guid}-{position}-{kind}")
    if lrn is not None:
        add(root, "LRN", lrn)
    if reference is not None:
        add(root, "MRN", reference)
    return root


def _error(parent: etree._Element, error: MessageError) -> None:
    functional = add(parent, "functionalError")
    add(functional, "errorType", MISSING if error.detail.startswith("required") else INVALID)
    add(functional, "errorPointer", error.where)
    add(functional, "errorReason", error.detail)
    if error.pointer:
        add(functional, "canonicalPointer", error.pointer)


def _answers(declaration: Mapped, state: RecordState, guid: str) -> list[etree._Element]:
    lrn = declaration.message_id
    if state.status == "rejected":
        rejected = _message("IE906", guid, declaration.index, lrn, None)
        add(rejected, "rejectionDate", utc(state.at))
        for error in state.errors:
            _error(rejected, error)
        return [rejected]
    if state.status == State.CANCELLED or state.number is None:
        return []  # withdrawn before a decision: its answer would be the invalidation's, not built
    country = str((declaration.record or {}).get("destination_country") or "EU")
    accepted_at = state.received_at or state.at
    reference = mrn(state.number, country, accepted_at)
    accepted = _message("IE428", guid, declaration.index, lrn, reference)
    add(accepted, "acceptanceDate", utc(accepted_at))
    answers = [accepted]
    if state.status == State.RELEASED:
        released = _message("IE429", guid, declaration.index, lrn, reference)
        add(released, "releaseDate", utc(state.at))
        if state.duties is not None:
            duties = add(released, "dutiesAndTaxes")
            add(duties, "totalPayableTaxAmount", format(state.duties[0], "f"))
            add(duties, "currency", state.duties[1])
        answers.append(released)
    elif state.status in _NOT_RELEASED:
        refused = _message("IE451", guid, declaration.index, lrn, reference)
        add(refused, "notReleasedDate", utc(state.at))
        add(refused, "reason", f"goods {_NOT_RELEASED[state.status]} after a customs control")
        answers.append(refused)
    return answers


def respond(
    mapped: Sequence[Mapped], original: bytes, states: Sequence[RecordState | None], *, guid: str, message_id: str = ""
) -> list[Response]:
    """Each declaration's answers in the message's declaration order: IE906, or IE428 and then its
    IE429 or IE451 once there is one. ``original`` is not needed: the LRN is in the mapping; each
    declaration's MRN comes from its own consignment, not from the message."""
    del original, message_id
    found: list[Response] = []
    for declaration, state in zip(mapped, states, strict=True):
        if state is None:
            continue
        for root in _answers(declaration, state, guid):
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            found.append(Response(str(root.tag), MEDIA_TYPE, body))
    return found
