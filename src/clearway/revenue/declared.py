"""A declaration as the revenue engine sees it: the consignment's goods, costs, scheme and buyer.

The dispatch country (which decides, say, Canada's CUSMA courier thresholds) is the seller's
country; the channel is post for UPU items and courier otherwise. The consignee's (else the
buyer's) postcode places the destination in a special territory, as a quote's
``destination_postcode`` does (jurisdictions/territories.py). A declaration is an import
declaration: the seller's country does not say where the goods left from, so it never makes the
movement domestic or intra-Union (``dispatch_known=False``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from clearway.dataset.records import Consignment, Party
from clearway.revenue.model import Goods, PriorUsage, Shipment


def shipment_for(consignment: Consignment, as_of: dt.date, prior: PriorUsage | None = None) -> Shipment:
    transaction = consignment.transaction
    logistics = consignment.logistics
    post = logistics.transport_mode == "post" or logistics.document_type == "upu_s10"
    return Shipment(
        destination=consignment.destination_country,
        as_of=as_of,
        currency=transaction.currency,
        origin_country=consignment.parties.seller.country,
        items=[
            Goods(
                line=item.line,
                description=item.description,
                hs_code=item.hs_code,
                quantity=item.quantity,
                unit_value=item.unit_price,
                origin=item.origin_country,
                net_weight_kg=item.net_weight_kg,
            )
            for item in consignment.items
        ],
        nature=consignment.flags.nature,
        transport_mode=logistics.transport_mode,
        channel="post" if post else "courier",
        shipping=transaction.freight,
        insurance=transaction.insurance,
        tax_scheme_id=transaction.tax_scheme_id,
        buyer_id=buyer_identity(consignment),
        prior=prior,
        destination_postcode=_postcode(consignment.destination_country, consignment.parties.consignee)
        or _postcode(consignment.destination_country, consignment.parties.buyer),
        dispatch_known=False,
    )


def _postcode(country: str, party: Party | None) -> str | None:
    """A party's postcode, when its address is in ``country`` (an address elsewhere places nothing)."""
    if party is None or party.address is None or party.address.country != country:
        return None
    return party.address.postcode


def buyer_identity(consignment: Consignment) -> str | None:
    """The buyer's identity document (China's CBEC order carries the buyer's ID number), if given."""
    buyer = consignment.parties.buyer
    if buyer.id_number is None:
        return None
    return f"{buyer.country}:{buyer.id_type or 'id'}:{buyer.id_number}"


def quota_key(secret: bytes, destination: str, identity: str) -> str:
    """A keyed hash of the buyer's identity: the ledger can add up a person's imports without
    holding their ID number in clear."""
    return hmac.new(secret, f"{destination}|{identity}".encode(), hashlib.sha256).hexdigest()
