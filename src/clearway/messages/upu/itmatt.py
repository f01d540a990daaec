"""ITMATT (UPU M33, the electronic CN 22/CN 23) read as XML: each postal item one consignment.

The M33 XML schema is not public (docs/standards/upu.md). What is public is the data contract of the
UPU's own Customs Declaration System, where ITMATT content is kept: a ``CDSView`` holds the item's
``MailObject`` (its S10 id, origin post, posting time) and its ``Declaration/Data`` (the CN 23: category
of item, weights, sender, addressee, ``ContentPieces``). Clearway reads exactly those names, one
``<CDSView>`` per item under an ``<ITMATT>`` root, in no namespace (docs/messages.md says why).

An element the contract does not have is refused by name, so that a misspelt element is an error
rather than a field silently lost; elements the contract has but Clearway does not map are read past.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lxml import etree

from clearway.messages import xml_safe
from clearway.messages.model import Mapped, Standard
from clearway.messages.upu import cds
from clearway.messages.upu.cds import Reader, children, name_of, repeated, text_of
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

# Items in one message: a post sends a dispatch as many messages (China caps its blocks at 100 too).
MAX_ITEMS = 100
ROOT = "ITMATT"
ITEM = "CDSView"
MESSAGE_TYPE = "ITMATT"
_EXPECTED_ROOT = f"an ITMATT message is <{ROOT}> in no namespace, holding one <{ITEM}> per postal item"


class ItmattAdapter:
    """``upu-itmatt``: an ``<ITMATT>`` document, one result per ``<CDSView>`` item."""

    standard: Standard = "upu-itmatt"
    media_types: tuple[str, ...] = ("application/xml", "text/xml")

    def parse(self, data: bytes) -> list[Mapped]:
        try:
            root = xml_safe.parse(data)
        except xml_safe.XmlRefused as exc:
            return [refused(1, MESSAGE_TYPE, exc.where, exc.detail)]
        if root.tag != ROOT:
            return [
                refused(
                    1, MESSAGE_TYPE, xml_safe.path_of(root), f"the root element is <{name_of(root)}>: {_EXPECTED_ROOT}"
                )
            ]
        # Counted before anything is mapped: a message of thousands of elements is refused whole, in
        # the time it takes to count them, not worked through one path and one error at a time.
        children = len(root)
        if children > MAX_ITEMS:
            detail = f"the message holds {children:,} elements: at most {MAX_ITEMS} items are taken in one message"
            return [refused(1, MESSAGE_TYPE, f"/{ROOT}", detail)]
        results: list[Mapped] = []
        items = 0
        for position, child in enumerate(root, start=1):
            if child.tag != ITEM:
                where = xml_safe.path_of(child)
                results.append(
                    refused(position, MESSAGE_TYPE, where, f"<{name_of(child)}> is not an item: {_EXPECTED_ROOT}")
                )
                continue
            items += 1
            results.append(_item(child, position, f"/{ROOT}/{ITEM}[{items}]"))
        if not results:
            return [refused(1, MESSAGE_TYPE, f"/{ROOT}", f"the message holds no item: {_EXPECTED_ROOT}")]
        return results


def _party(reader: Reader, prefix: str, pointer: str) -> dict[str, Any]:
    name = reader.text(f"{prefix}Name", f"{pointer}/name")
    if name is None:  # the contract also splits a person's name in two
        parts = [text_of(reader.children, f"{prefix}{half}") for half in ("FirstName", "LastName")]
        if any(parts):
            name = " ".join(part for part in parts if part)
            half = "FirstName" if parts[0] else "LastName"
            reader.draft.origins[f"{pointer}/name"] = f"{reader.where}/{prefix}{half}"
    country = reader.text(f"{prefix}CountryCd", f"{pointer}/country")
    address = compact(
        {
            "line1": reader.text(f"{prefix}AddressLine1", f"{pointer}/address/line1"),
            "line2": reader.text(f"{prefix}AddressLine2", f"{pointer}/address/line2"),
            "city": reader.text(f"{prefix}City", f"{pointer}/address/city"),
            "postcode": reader.text(f"{prefix}ZIP", f"{pointer}/address/postcode"),
        }
    )
    if address and country is not None:
        address["country"] = country
        reader.draft.origins[f"{pointer}/address/country"] = f"{reader.where}/{prefix}CountryCd"
    elif address:  # the same missing element as the party's country: one error for both
        reader.draft.absent[f"{pointer}/address/country"] = (reader.where, f"element {prefix}CountryCd")
    reader.draft.origins[pointer] = reader.where
    return compact(
        {
            "name": name,
            "country": country,
            "address": address or None,
            "email": reader.text(f"{prefix}Email", f"{pointer}/email"),
            "phone": reader.text(f"{prefix}Telephone", f"{pointer}/phone"),
        }
    )


def _pieces(
    draft: Draft, pieces: Iterable[etree._Element], where: str
) -> tuple[list[dict[str, Any]], list[str], Decimal]:
    """The content pieces as canonical items, each piece's currency ("" where it has none), and the
    sum of the line values that could be read (the declared goods value)."""
    items: list[dict[str, Any]] = []
    currencies: list[str] = []
    total = Decimal(0)
    for index, piece in enumerate(pieces):
        at = f"{where}/ContentPiece[{index + 1}]"
        pointer = f"/items/{index}"
        reader = Reader(draft, children(piece, cds.CONTENT_PIECE, at, draft), at)
        draft.origins[pointer] = at
        line: int | None = index + 1  # the contract's Index is optional: the piece's place stands in
        line_text = reader.text("Index", f"{pointer}/line")
        if line_text is not None:
            line = int(line_text) if whole_problem(line_text) is None else None
            if line is None:
                draft.fail(f"{at}/Index", f"{line_text!r} is not a line number", f"{pointer}/line")
        else:
            draft.origins[f"{pointer}/line"] = at
        number = reader.text("Number", f"{pointer}/quantity", " (the number of articles)")
        quantity: Decimal | None = None
        if number is not None:
            problem = whole_problem(number)
            if problem is None:
                quantity = Decimal(number)
            else:
                draft.fail(f"{at}/Number", problem, f"{pointer}/quantity")
        amount = reader.decimal("Amount", f"{pointer}/unit_price")
        total += amount or 0
        net = reader.decimal("NetWeight", f"{pointer}/net_weight_kg")
        currency = reader.text("CurrencyCd", "/transaction/currency")
        currencies.append(currency or "")
        # Without a quantity the line value stands in: the quantity's own error refuses the item.
        unit_price = amount if amount is None or quantity is None else per_unit(amount, quantity)
        if amount is not None and quantity is not None and unit_price is not None:
            problem = unit_price_problem(amount, quantity, unit_price, currency)
            if problem is not None:
                draft.fail(f"{at}/Amount", problem, f"{pointer}/unit_price")
        items.append(
            compact(
                {
                    "line": line,
                    "description": reader.text("Description", f"{pointer}/description"),
                    "hs_code": reader.text("HS", f"{pointer}/hs_code"),
                    "quantity": None if quantity is None else number,
                    "unit_price": None if unit_price is None else str(unit_price),
                    "origin_country": reader.text("OrigCountryCd", f"{pointer}/origin_country"),
                    "net_weight_kg": None if net is None or quantity is None else str(per_unit(net, quantity)),
                }
            )
        )
    return items, currencies, total


def _currency(draft: Draft, currencies: list[str], pieces_at: str, postage_at: str, postage: str | None) -> str | None:
    """The declaration's one currency: every content piece's, and the postage's when there is postage."""
    named = [(i, c) for i, c in enumerate(currencies) if c]
    if not named:
        if currencies:
            draft.absent["/transaction/currency"] = (f"{pieces_at}/ContentPiece[1]", "element CurrencyCd")
        return None
    first_index, currency = named[0]
    draft.origins["/transaction/currency"] = f"{pieces_at}/ContentPiece[{first_index + 1}]/CurrencyCd"
    for i, other in named[1:]:
        if other != currency:
            draft.fail(
                f"{pieces_at}/ContentPiece[{i + 1}]/CurrencyCd",
                f"{other} differs from {currency}, the currency of content piece {first_index + 1}: "
                "a declaration is in one currency",
                "/transaction/currency",
            )
    if postage is not None and postage != currency:
        draft.fail(postage_at, f"the postage is in {postage}, the content in {currency}", "/transaction/freight")
    return currency


def _item(view: etree._Element, position: int, where: str) -> Mapped:
    draft = Draft(where)
    parts = children(view, cds.VIEW, where, draft)
    mail_at = f"{where}/MailObject"
    decl_at = f"{where}/Declaration"
    data_at = f"{decl_at}/Data"
    for name, what in (("MailObject", "the item's id and posting"), ("Declaration", "the CN 23 content")):
        if name not in parts:
            draft.fail(where, f"required element {name} ({what}) is missing")
    data_element = children(parts.get("Declaration"), cds.DECLARATION, decl_at, draft).get("Data")
    if "Declaration" in parts and data_element is None:
        draft.fail(decl_at, "required element Data is missing")
    mail = Reader(draft, children(parts.get("MailObject"), cds.MAIL_OBJECT, mail_at, draft), mail_at)
    data = Reader(draft, children(data_element, cds.DATA, data_at, draft), data_at)

    item_id = mail.text("Id", "/logistics/transport_document", " (the S10 item id)")
    if item_id is not None:  # the S10 id is also the reference, and stands in for an order number
        draft.origins["/reference"] = draft.origins["/transaction/order_number"] = f"{mail_at}/Id"
    else:
        draft.fail(mail_at, "required element Id (the S10 item id) is missing", "/logistics/transport_document")
        missing = (mail_at, "element Id (the S10 item id)")  # one error, though three fields come from it
        draft.absent["/reference"] = draft.absent["/transaction/order_number"] = missing
    posting = mail.text("PostingDt", "/transaction/order_date", " (the posting date and time)")
    sender = text_of(mail.children, "OrigPostOrgCd")
    draft.origins["/logistics"] = mail_at

    flags: dict[str, str] = {}
    code = data.text("NatureTypeCd", "/flags/nature")
    if code is None:
        draft.fail(data_at, "required element NatureTypeCd (category of item) is missing", "/flags/nature")
    elif code not in NATURES:
        draft.fail(
            f"{data_at}/NatureTypeCd",
            f"category of item {code!r} is not one Clearway reads: {KNOWN_NATURES}",
            "/flags/nature",
        )
    else:
        nature = NATURES[code][0]
        draft.origins["/flags"] = f"{data_at}/NatureTypeCd"
        # A gift, in the UPU's category, is sent by one private person to another.
        flags = {"nature": nature, "relationship": "C2C"} if nature == "gift" else {"nature": nature}

    seller = _party(data, "Sender", "/parties/seller")
    buyer = _party(data, "Recipient", "/parties/buyer")
    destination = data.text("RecipientCountryCd", "/destination_country")
    gross = data.decimal("GrossWeight", "/logistics/gross_weight_kg")
    postage = data.decimal("Postage", "/transaction/freight")
    postage_currency = text_of(data.children, "PostageCurrencyCd")
    if postage is not None and postage_currency is None:
        draft.fail(
            data_at,
            "required element PostageCurrencyCd is missing: the postage needs its currency",
            "/transaction/freight",
        )

    pieces_at = f"{data_at}/ContentPieces"
    piece_elements = repeated(data.children.get("ContentPieces"), "ContentPiece", pieces_at, draft)
    items, currencies, goods = _pieces(draft, piece_elements, pieces_at)
    if not items:
        draft.fail(data_at, "no ContentPieces/ContentPiece: an item declares at least one content line", "/items")
    currency = _currency(draft, currencies, pieces_at, f"{data_at}/PostageCurrencyCd", postage_currency)
    draft.origins["/transaction/goods_value"] = pieces_at
    draft.origins["/transaction/amount_paid"] = data_at

    draft.record = postal_consignment(
        item_id=item_id,
        destination=destination,
        seller=seller,
        buyer=buyer,
        posted=posting,
        currency=currency,
        goods=goods,
        postage=postage,
        items=items,
        gross=gross,
        flags=flags,
    )
    return finish(draft, index=position, message_type=MESSAGE_TYPE, message_id=item_id, sender=sender)
