"""Who may send which document, and which documents a declaration may be linked to.

Three-document matching is worth something only when the order, the payment and the waybill come
from the parties that hold those facts: the platform or the seller that took the order, the payment
provider that collected the money, the carrier that took the parcel. So:

- each kind of document comes from the kinds of operator that hold it (``SENDER_KINDS``); any
  declarant may also supply documents for its own declarations (a courier's H7 filing carries the
  order data itself), which then link only to its own declarations and are flagged as not
  independent; where the law wants the documents from their own sources (China), they do not link;
- each operator's numbers are its own namespace: a number sent by two operators is two documents,
  and a later one never replaces an earlier one;
- a declaration links a document only when its sender is entitled: the platform, seller, payment
  provider or carrier the declaration names (``Party.operator_id``), as an independent source, or
  the declarant itself, as a self-supplied one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from clearway.dataset.records import Consignment, DocumentKind

# The operator kinds (access.roles.OperatorKind) whose own business each document records.
SENDER_KINDS: dict[DocumentKind, frozenset[str]] = {
    "order": frozenset({"marketplace", "seller"}),
    "payment": frozenset({"payment_provider"}),
    "waybill": frozenset({"courier", "postal_operator"}),
}

# Kinds that lodge declarations. A payment provider moves money, not goods: it declares nothing.
DECLARANT_KINDS = frozenset({"marketplace", "seller", "courier", "postal_operator", "broker"})

# Destinations whose law wants each document from its own source, so that documents a declarant
# supplies for itself do not count. China: the e-commerce platform, the payment enterprise and the
# logistics enterprise each transmit their own electronic data to customs (GACC Announcement
# No. 194 of 2018, Art. 8-9: "three-document matching").
INDEPENDENT_SOURCES_REQUIRED: dict[str, str] = {
    "CN": "GACC Announcement No. 194 (2018) Art. 8-9: order, payment and logistics data from their own enterprises",
}

Source = Literal["independent", "self_supplied"]


def may_send(sender_kind: str | None, kind: DocumentKind) -> bool:
    """Whether an operator of ``sender_kind`` may send documents of ``kind`` at all.

    Unregistered senders (None, as in files ingested by customs itself) may: their documents can
    only ever link to their own declarations, as self-supplied ones.
    """
    if sender_kind is None:
        return True
    return sender_kind in SENDER_KINDS[kind] or sender_kind in DECLARANT_KINDS


def may_declare(sender_kind: str | None) -> bool:
    return sender_kind is None or sender_kind in DECLARANT_KINDS


def named_senders(c: Consignment, kind: DocumentKind) -> Collection[str]:
    """The operators a declaration names as the source of a document kind."""
    p = c.parties
    parties = {
        "order": (p.platform, p.seller),
        "payment": (p.payment_provider,),
        "waybill": (p.carrier,),
    }[kind]
    return {party.operator_id for party in parties if party is not None and party.operator_id}


def source_of(
    c: Consignment,
    declarant: str,
    kind: DocumentKind,
    sender: str,
    sender_kind: str | None,
    also_named: Collection[str] = (),
) -> Source | None:
    """How a document from ``sender`` counts for the declaration ``c`` of ``declarant`` (None: not at all).

    ``also_named`` are senders named for this kind by another linked document rather than by the
    declaration: the payment provider of the linked order (clearance.documents)."""
    entitled_kind = sender_kind is not None and sender_kind in SENDER_KINDS[kind]
    # Independent only from the party the declaration names for it: a courier's own waybill counts
    # as the carrier's when the declaration names that courier as its carrier, not otherwise.
    if entitled_kind and (sender in named_senders(c, kind) or sender in also_named):
        return "independent"
    if sender == declarant and c.destination_country not in INDEPENDENT_SOURCES_REQUIRED:
        return "self_supplied"
    return None
