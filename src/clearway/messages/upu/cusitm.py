"""CUSITM (UPU M43, the post's item declaration to its customs) read from UN/EDIFACT with pydifact.

One interchange holds one or more messages (UNH ... UNT), each one postal item and one consignment.
The UPU's implementation guide for CUSITM is not public: the segments and qualifiers read here are
the UN CUSDEC message's, as public customs guides use them (docs/messages.md marks each one
confirmed or inferred). A segment or qualifier outside that list is refused by name rather than
skipped, so that nothing a post sends is silently lost while the mapping is still an inference.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clearway.messages.model import Mapped, Standard
from clearway.messages.upu import edifact
from clearway.messages.upu.common import (
    KNOWN_NATURES,
    NATURES,
    Draft,
    compact,
    finish,
    per_unit,
    postal_consignment,
    refused,
    unit_price_problem,
    whole_problem,
)
from clearway.messages.upu.cusitm_layout import (
    CONTACT,
    HEADER,
    LINE,
    REQUIRED,
    Fields,
    Line,
    named,
    posting,
    segment_key,
    sort_segments,
)
from clearway.messages.upu.edifact import EdiInterchange, EdiMessage, Placed

MESSAGE_TYPE = "CUSITM"


class CusitmAdapter:
    """``upu-cusitm``: one interchange, one result per CUSITM message in it."""

    standard: Standard = "upu-cusitm"
    media_types: tuple[str, ...] = ("application/edifact",)

    def parse(self, data: bytes) -> list[Mapped]:
        try:
            interchange = edifact.read(data)
        except edifact.EdifactRefused as exc:
            return [refused(1, MESSAGE_TYPE, exc.where, exc.detail)]
        if not interchange.messages:
            return [refused(1, MESSAGE_TYPE, "interchange", "the interchange holds no message")]
        return [_message(message, interchange) for message in interchange.messages]


def _party(draft: Draft, place: Placed | None, contacts: list[Placed], pointer: str, mark: str) -> dict[str, Any]:
    if place is None:
        return {}
    fields = Fields(draft, place, mark)
    draft.origins[pointer] = place.where()
    names = [part for part in place.components(4) if part]
    name = "".join(names) or None  # C080: a name longer than 35 characters continues in the next component
    if name is None:
        draft.absent[f"{pointer}/name"] = (place.where(), "element 4.1 (party name) of NAD")
    else:
        draft.origins[f"{pointer}/name"] = place.where(4, 1)
    country = fields.text(9, None, f"{pointer}/country", "country code")
    address = compact(
        {
            "line1": fields.text(5, 1, f"{pointer}/address/line1", "street"),
            "line2": fields.text(5, 2, f"{pointer}/address/line2", "street, second line"),
            "city": fields.text(6, None, f"{pointer}/address/city", "city name"),
            "postcode": fields.text(8, None, f"{pointer}/address/postcode", "postal code"),
        }
    )
    if address and country is not None:
        address["country"] = country
        draft.origins[f"{pointer}/address/country"] = place.where(9)
    elif address:  # the same missing element as the party's country: one error for both
        draft.absent[f"{pointer}/address/country"] = draft.absent[f"{pointer}/country"]
    party: dict[str, Any] = {"name": name, "country": country, "address": address or None}
    for contact in contacts:
        field = CONTACT[segment_key(contact)]
        party[field] = Fields(draft, contact, mark).text(1, 1, f"{pointer}/{field}", field)
    return compact(party)


# The line segments a canonical item cannot do without, and the field each gives.
_LINE_FIELDS = {("FTX", "AAA"): "description", ("QTY", "1"): "quantity", ("MOA", "40"): "unit_price",
                ("LOC", "27"): "origin_country"}  # fmt: skip


def _line(draft: Draft, line: Line, index: int, mark: str) -> tuple[dict[str, Any], Decimal, str | None]:
    """One content line as a canonical item, its declared value and its currency."""
    cst, parts = line
    pointer = f"/items/{index}"
    draft.origins[pointer] = cst.where()
    for key, field in _LINE_FIELDS.items():
        if key not in parts:
            draft.absent[f"{pointer}/{field}"] = (cst.where(), f"segment {named(key)} ({LINE[key]})")
    head = Fields(draft, cst, mark)
    line_text = head.text(1, None, f"{pointer}/line", "goods item number")
    item_number = int(line_text) if line_text is not None and whole_problem(line_text) is None else None
    if line_text is not None and item_number is None:
        draft.fail(cst.where(1), f"{line_text!r} is not a goods item number", f"{pointer}/line")
    item: dict[str, Any] = {"line": item_number, "hs_code": head.text(2, 1, f"{pointer}/hs_code", "tariff number")}
    if ("FTX", "AAA") in parts:
        ftx = parts[("FTX", "AAA")]
        text = "".join(ftx.components(4)) or None  # C108: free text continues across its components
        item["description"] = text
        draft.origins[f"{pointer}/description"] = ftx.where(4, 1)
        if text is None:
            draft.absent[f"{pointer}/description"] = (ftx.where(), "element 4.1 (free text) of FTX")
    quantity: Decimal | None = None
    if ("QTY", "1") in parts:
        qty = Fields(draft, parts[("QTY", "1")], mark)
        number = qty.text(1, 2, f"{pointer}/quantity", "quantity")
        if number is not None and whole_problem(number) is None:
            quantity = Decimal(number)
            item["quantity"] = number
        elif number is not None:
            draft.fail(qty.place.where(1, 2), whole_problem(number) or "", f"{pointer}/quantity")
    value, currency = Decimal(0), None
    if ("MOA", "40") in parts:
        moa = Fields(draft, parts[("MOA", "40")], mark)
        amount = moa.decimal(1, 2, f"{pointer}/unit_price", "amount")
        currency = moa.text(1, 3, "/transaction/currency", "currency")
        if amount is not None:
            value = amount
            unit = amount if quantity is None else per_unit(amount, quantity)
            item["unit_price"] = str(unit)
            problem = None if quantity is None else unit_price_problem(amount, quantity, unit, currency)
            if problem is not None:
                draft.fail(moa.place.where(1, 2), problem, f"{pointer}/unit_price")
    if ("MEA", "AAC") in parts:
        net = Fields(draft, parts[("MEA", "AAC")], mark).kilograms(f"{pointer}/net_weight_kg", "net weight")
        if net is not None and quantity is not None:
            item["net_weight_kg"] = str(per_unit(net, quantity))
    if ("LOC", "27") in parts:
        item["origin_country"] = Fields(draft, parts[("LOC", "27")], mark).text(
            2, 1, f"{pointer}/origin_country", "country"
        )
    return compact(item), value, currency


def _message(message: EdiMessage, interchange: EdiInterchange) -> Mapped:
    if message.errors:  # a message cut short or miscounted is not read, but still named by its item id
        item_id = next((place.value(2) for place in message.body if place.tag == "BGM"), "") or None
        return Mapped(message.number, MESSAGE_TYPE, None, item_id, None, {}, tuple(message.errors))
    if message.kind != MESSAGE_TYPE:
        where = message.header.where(2, 1)
        return refused(
            message.number, MESSAGE_TYPE, where, f"the message is {message.kind or 'untyped'}; this reads CUSITM"
        )
    mark = interchange.decimal_mark
    draft = Draft(message.header.where())
    header, lines, contacts = sort_segments(draft, message)
    for key, pointer in REQUIRED.items():
        if key not in header:
            draft.fail(message.header.where(), f"required segment {named(key)} ({HEADER[key]}) is missing", pointer)
    if not lines:
        draft.fail(message.header.where(), "no CST: an item declares at least one content line", "/items")
    bgm = header.get(("BGM", ""))
    item_id = (
        None
        if bgm is None
        else Fields(draft, bgm, mark).text(2, None, "/logistics/transport_document", "document number")
    )
    if item_id is not None and bgm is not None:
        draft.origins["/reference"] = draft.origins["/transaction/order_number"] = bgm.where(2)
    else:  # the one missing id is one error, whichever fields it would have given
        draft.absent["/reference"] = draft.absent["/transaction/order_number"] = draft.absent.get(
            "/logistics/transport_document"
        ) or (draft.where, "segment BGM (the S10 item id)")
    draft.origins["/logistics"] = draft.where if bgm is None else bgm.where()
    flags: dict[str, str] = {}
    gis = header.get(("GIS", ""))
    code = None if gis is None else Fields(draft, gis, mark).text(1, 1, "/flags/nature", "processing indicator")
    if gis is not None and code is not None:
        draft.origins["/flags"] = gis.where(1, 1)
        if code not in NATURES:
            draft.fail(
                gis.where(1, 1),
                f"category of item {code!r} is not one Clearway reads: {KNOWN_NATURES}",
                "/flags/nature",
            )
        else:
            nature = NATURES[code][0]
            flags = {"nature": nature, "relationship": "C2C"} if nature == "gift" else {"nature": nature}
    dtm = header.get(("DTM", "137"))
    posted = None if dtm is None else posting(draft, dtm)
    mea = header.get(("MEA", "AAD"))
    gross = None if mea is None else Fields(draft, mea, mark).kilograms("/logistics/gross_weight_kg", "gross weight")
    seller = _party(draft, header.get(("NAD", "CZ")), contacts.get("CZ", []), "/parties/seller", mark)
    buyer = _party(draft, header.get(("NAD", "CN")), contacts.get("CN", []), "/parties/buyer", mark)
    if "country" in buyer:
        draft.origins["/destination_country"] = draft.origins["/parties/buyer/country"]
    elif "/parties/buyer/country" in draft.absent:
        draft.absent["/destination_country"] = draft.absent["/parties/buyer/country"]
    items, goods, currencies = [], Decimal(0), []
    for index, line in enumerate(lines):
        item, value, currency = _line(draft, line, index, mark)
        items.append(item)
        goods += value
        currencies.append((line[1].get(("MOA", "40")), currency))
    postage, postage_currency = None, None
    moa = header.get(("MOA", "64"))
    if moa is not None:
        fields = Fields(draft, moa, mark)
        postage = fields.decimal(1, 2, "/transaction/freight", "amount")
        postage_currency = moa.value(1, 3) or None
    currency = _currency(draft, currencies, moa, postage_currency)
    draft.origins["/transaction/goods_value"] = draft.origins["/transaction/amount_paid"] = draft.where
    draft.record = postal_consignment(
        item_id=item_id,
        destination=buyer.get("country"),
        seller=seller,
        buyer=buyer,
        posted=posted,
        currency=currency,
        goods=goods,
        postage=postage,
        items=items,
        gross=gross,
        flags=flags,
    )
    return finish(draft, index=message.number, message_type=MESSAGE_TYPE, message_id=item_id, sender=interchange.sender)


def _currency(
    draft: Draft, lines: list[tuple[Placed | None, str | None]], postage: Placed | None, postage_currency: str | None
) -> str | None:
    """The item's one currency: every line value's (MOA+40), and the postage's."""
    named = [(moa, c) for moa, c in lines if moa is not None and c]
    if not named:
        draft.absent.setdefault("/transaction/currency", (draft.where, "a currency (element 1.3 of MOA+40)"))
        return None
    first, currency = named[0]
    draft.origins["/transaction/currency"] = first.where(1, 3)
    for moa, other in named[1:]:
        if other != currency:
            draft.fail(
                moa.where(1, 3),
                f"{other} differs from {currency}, the currency of the first line: an item is declared in one currency",
                "/transaction/currency",
            )
    if postage is not None and postage_currency is None:
        draft.fail(postage.where(1, 3), "the postage needs its currency", "/transaction/freight")
    elif postage is not None and postage_currency != currency:
        draft.fail(
            postage.where(1, 3),
            f"the postage is in {postage_currency}, the content in {currency}",
            "/transaction/freight",
        )
    return currency
