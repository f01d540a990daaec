"""What the holder of a tracking number may learn about a parcel (WCO Principle VII, public awareness).

A transport document number is printed on the parcel and in shipping e-mails: it is not a secret,
so whoever has it learns only what the addressee needs. The answer is the state in plain words,
when it last changed, what the holder can do, and what is due at delivery and who collects it.
Never names, addresses, values, operators, lanes, scores, rule hits or why customs holds a
parcel: every hold and inspection reads "under customs control", whatever its reason, so that a
smuggler cannot tell a document request from a targeted inspection.

The input is deliberately narrow (``TrackedParcel``): the store does not even read the columns
this module must not disclose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import msgspec

from clearway.clearance.lifecycle import State

PublicState = Literal[
    "received", "waiting_for_documents", "under_customs_control", "released", "seized", "returned", "cancelled"
]
Charges = Literal["due_at_delivery", "none_at_delivery", "not_known_yet"]

# How the number looks, for the "not found" answer: a UPU S10 item id or a carrier's waybill.
NUMBER_FORMATS = (
    "13 characters for postal items, such as RR123456785CN (2 letters, 9 digits, the country of posting), "
    "or the carrier's waybill number as shown in the shipping confirmation"
)


@dataclass(frozen=True, slots=True)
class TrackedParcel:
    """The few stored facts tracking reads: state, last change, destination, and the charges due."""

    transport_document: str  # as stored (the caller may have typed it in lower case or with spaces)
    state: State
    updated_at: dt.datetime
    destination_country: str
    collection_model: str | None = None  # from the current version's assessment, if assessed
    total: Decimal | None = None
    currency: str | None = None
    complete: bool = True


class DutiesDue(msgspec.Struct, kw_only=True):
    amount: Decimal
    currency: str
    collected_by: str
    final: bool  # False when a rate was still unknown: the amount may grow


class ParcelStatus(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The public answer for one tracking number."""

    transport_document: str
    status: PublicState
    headline: str
    explanation: str
    what_you_can_do: str
    last_change: dt.datetime
    destination_country: str
    charges: Charges
    duties_due: DutiesDue | None = None


@dataclass(frozen=True, slots=True)
class _Wording:
    status: PublicState
    headline: str
    explanation: str
    what_you_can_do: str


_UNDER_CONTROL = _Wording(
    "under_customs_control",
    "Under customs control",
    "Customs is checking this parcel before it can be released. This can take a few days.",
    "You do not need to do anything unless customs or the carrier contacts you. If information is needed, "
    "the seller or the carrier is asked for it.",
)
_RECEIVED = _Wording(
    "received",
    "Received by customs",
    "Customs has received the declaration for this parcel and is processing it.",
    "Nothing for now: most parcels are released within minutes of their documents arriving.",
)

_WORDING: dict[State, _Wording] = {
    State.RECEIVED: _RECEIVED,
    # Assessed-but-not-yet-released lasts moments; showing it apart would say nothing useful.
    State.ASSESSED: _RECEIVED,
    State.AWAITING_DOCUMENTS: _Wording(
        "waiting_for_documents",
        "Waiting for documents",
        "Customs is waiting for the order, payment or transport details that the seller, the marketplace or the "
        "carrier sends electronically.",
        "Nothing for you to do: the seller or the carrier has been asked for them. If this lasts more than a few "
        "days, contact the seller.",
    ),
    # Every kind of hold, and the inspection that may follow, reads the same (see the module docstring).
    State.HELD: _UNDER_CONTROL,
    State.INSPECTED: _UNDER_CONTROL,
    State.RELEASED: _Wording(
        "released",
        "Released by customs",
        "Customs has released the parcel: the carrier can deliver it.",
        "Pay any duties and taxes shown below when the carrier asks for them; otherwise there is nothing to do.",
    ),
    State.SEIZED: _Wording(
        "seized",
        "Seized by customs",
        "Customs has seized the goods: they will not be delivered.",
        "Customs informs the declarant of the decision and of how to appeal against it. If you bought the goods, "
        "contact the seller about a refund.",
    ),
    State.RETURNED: _Wording(
        "returned",
        "Returned to the sender",
        "The parcel was not admitted and is being sent back.",
        "Contact the seller about a refund or a new delivery.",
    ),
    State.CANCELLED: _Wording(
        "cancelled",
        "Declaration withdrawn",
        "The seller or the carrier withdrew the customs declaration for this parcel.",
        "A new declaration may follow; ask the seller or the carrier.",
    ),
}

# Who takes the money from the addressee, by collection model; vendor, platform and none charge nothing here.
_COLLECTED_BY = {
    "intermediary": "The carrier (the post or the courier) collects it from you at delivery.",
    "buyer": "You pay it at import, usually to the carrier before it delivers the parcel.",
}
_NOTHING_MORE = frozenset({State.SEIZED, State.RETURNED, State.CANCELLED})


def public_status(parcel: TrackedParcel) -> ParcelStatus:
    """The public answer for a parcel: plain words, the last change, and the charges due at delivery."""
    wording = _WORDING[parcel.state]
    charges: Charges = "not_known_yet"
    due = None
    if parcel.state in _NOTHING_MORE:
        charges = "none_at_delivery"
    elif parcel.collection_model is not None and parcel.total is not None and parcel.currency is not None:
        collected_by = _COLLECTED_BY.get(parcel.collection_model)
        if collected_by is not None and parcel.total > 0:
            charges = "due_at_delivery"
            due = DutiesDue(
                amount=parcel.total, currency=parcel.currency, collected_by=collected_by, final=parcel.complete
            )
        else:
            charges = "none_at_delivery"
    return ParcelStatus(
        transport_document=parcel.transport_document,
        status=wording.status,
        headline=wording.headline,
        explanation=wording.explanation,
        what_you_can_do=wording.what_you_can_do,
        last_change=parcel.updated_at,
        destination_country=parcel.destination_country,
        charges=charges,
        duties_due=due,
    )


def normalise_number(raw: str) -> str:
    """A tracking number as people type it ("rr 123 456 785 cn") in the form it is stored."""
    return "".join(raw.split())
