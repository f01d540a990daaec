"""H7 (the EU customs declaration for low-value consignments) read as XML: each declaration one consignment.

The EU defines the H7 *data set* (Annex B of the UCC Delegated Regulation, column H7, numbered by the
EU Customs Data Model) but publishes no XML schema for it to traders: every Member State's import
system has its own message. This is Clearway's XML rendering of that data set (h7_names says how it
names elements): an ``<H7Message>`` holding its preparation time and up to 100 ``<H7Declaration>``.

An element the rendering does not have is refused by name, so that a misspelt element is an error
rather than a field silently lost; elements it has but Clearway does not map are read past.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from lxml import etree

from clearway.messages import xml_safe
from clearway.messages.eu.h7_names import CHILDREN, OPAQUE
from clearway.messages.model import Mapped, Standard
from clearway.messages.upu.common import (
    Draft,
    as_decimal,
    compact,
    decimal_problem,
    finish,
    per_unit,
    refused,
    unit_price_problem,
)

MAX_DECLARATIONS = 100
ROOT = "H7Message"
DECLARATION = "H7Declaration"
MESSAGE_TYPE = "H7"
_EXPECTED_ROOT = (
    f"an H7 message is <{ROOT}> in no namespace, holding <preparationDateAndTime> and one "
    f"<{DECLARATION}> per declaration"
)
_DECIMAL_RULE = "XML decimals (xs:decimal) take a full stop"
# 13 16 031 000 Role: FR5 is the IOSS VAT identification number (docs/standards/eu.md, E-AEAT).
IOSS_ROLE = "FR5"
# 11 10 Additional procedure: C08 is a consignment from one private individual to another.
C2C_PROCEDURE = "C08"
# 12 05 002 000 Type of the transport document (UN/EDIFACT 1001 document name codes, "N" prefixed as
# the EU's code lists write them): what the canonical record needs, the mode and the document type.
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "N740": ("air", "house_waybill"),  # air waybill
    "N741": ("air", "master_waybill"),  # master air waybill
    "N705": ("sea", "house_waybill"),  # bill of lading
    "N720": ("rail", "house_waybill"),  # rail consignment note (CIM)
    "N730": ("road", "house_waybill"),  # road consignment note (CMR)
}
_HS6 = re.compile(r"[0-9]{6}\Z")


class Found(dict[str, list[etree._Element]]):
    """An element's children by name, with the XPath of each built from its parent's on demand:
    lxml's ``getpath`` walks the tree for every element, and a declaration has about a hundred."""

    # No __init__ of its own: a Python __init__ on a dict costs more than the dict (see _found).
    __slots__ = ("repeated", "where")
    where: str  # the parent's XPath
    repeated: frozenset[str]  # names given more than once where the data set has one

    def path(self, name: str, index: int = 0) -> str:
        """The XPath of ``self[name][index]``, as ``getpath`` writes it: the names here are in no
        namespace, and the position is given when the parent holds more than one of that name (the
        elements kept are the first ``index + 1`` of their name: a refused repeat is never kept)."""
        if len(self[name]) == 1 and name not in self.repeated:
            return f"{self.where}/{name}"
        return f"{self.where}/{name}[{index + 1}]"


class H7Adapter:
    """``eu-h7``: an ``<H7Message>`` document, one result per ``<H7Declaration>``."""

    standard: Standard = "eu-h7"
    media_types: tuple[str, ...] = ("application/xml", "text/xml")

    def parse(self, data: bytes) -> list[Mapped]:
        try:
            root = xml_safe.parse(data)
        except xml_safe.XmlRefused as exc:
            return [refused(1, MESSAGE_TYPE, exc.where, exc.detail)]
        if root.tag != ROOT:
            detail = f"the root element is <{etree.QName(root).text}>: {_EXPECTED_ROOT}"
            return [refused(1, MESSAGE_TYPE, xml_safe.path_of(root), detail)]
        # Counted before anything is mapped: a message of thousands is refused in the time it takes to count.
        count = sum(1 for child in root if child.tag == DECLARATION)
        if len(root) > MAX_DECLARATIONS + 1 or count > MAX_DECLARATIONS:
            detail = f"the message holds {len(root):,} elements: at most {MAX_DECLARATIONS} declarations in one message"
            return [refused(1, MESSAGE_TYPE, f"/{ROOT}", detail)]
        envelope = Draft(f"/{ROOT}")
        found = _children(root, envelope, f"/{ROOT}")
        prepared = _text(envelope, found, "preparationDateAndTime", "/transaction/order_date", f"/{ROOT}")
        if envelope.errors:  # a misspelt or repeated envelope element: no declaration is read
            return [Mapped(1, MESSAGE_TYPE, None, None, None, {}, tuple(envelope.errors))]
        declarations = found.get(DECLARATION, [])
        if not declarations:
            return [refused(1, MESSAGE_TYPE, f"/{ROOT}", f"the message holds no declaration: {_EXPECTED_ROOT}")]
        prepared_at = envelope.origins.get("/transaction/order_date")
        return [
            _declaration(element, found.path(DECLARATION, position - 1), position, prepared, prepared_at)
            for position, element in enumerate(declarations, start=1)
        ]


_NONE: frozenset[str] = frozenset()


def _found(where: str) -> Found:
    found = Found()
    found.where = where
    found.repeated = _NONE
    return found


def _children(element: etree._Element, draft: Draft, where: str) -> Found:
    """An element's children by name (``where`` is the element's XPath): one outside the rendering,
    one repeated that the data set has once, or one whose ``de`` names another data element, is an
    error, named by its own XPath."""
    parent = str(element.tag)
    known = CHILDREN[parent]
    found = _found(where)
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        spec = known.get(tag)
        if spec is None:
            draft.fail(xml_safe.path_of(child), f"<{etree.QName(child).text}> is not an element of <{parent}> in H7")
            continue
        if spec.de is not None:
            de = child.get("de")
            if de is not None and de != spec.de and not _same_number(de, spec.de):
                message = f"de={de!r} is not the number of <{tag}>: its EUCDM number is {spec.de}"
                draft.fail(xml_safe.path_of(child), message)
        elements = found.get(tag)
        if elements is None:
            found[tag] = [child]
        elif spec.many:
            elements.append(child)
        else:
            found.repeated = found.repeated | {tag}
            message = f"<{tag}> appears more than once in <{parent}>: the H7 data set has it once"
            draft.fail(xml_safe.path_of(child), message)
    return found


def _same_number(de: str, number: str) -> bool:
    """``de`` names the data element ``number``: exactly, by its class (``12 09 000 000`` for the
    LRN's ``12 09 001 000``), or, for a sub-element (``016 000``), with its class in front."""
    if de == number:
        return True
    if len(number) == len("11 02 001 000"):
        return de == f"{number[:5]} 000 000"
    return len(de) == len("13 04 016 000") and de.endswith(f" {number}")


def _sub(draft: Draft, found: Found, name: str) -> Found:
    """The children of ``found``'s single ``name`` element (empty when it is absent)."""
    elements = found.get(name)
    if not elements or name in OPAQUE:
        return _found("")
    return _children(elements[0], draft, found.path(name))


def _text(draft: Draft, found: Found, name: str, pointer: str | None, parent: str) -> str | None:
    """The text of ``name``: its XPath noted as the field's origin, or the element noted as absent."""
    elements = found.get(name)
    text = None if elements is None else elements[0].text
    value = None if text is None else text.strip()
    if not value:
        if pointer is not None:
            draft.absent[pointer] = (parent, f"element {name}")
        return None
    if pointer is not None:
        draft.origins[pointer] = found.path(name)
    return value


def _decimal(draft: Draft, found: Found, name: str, pointer: str, parent: str) -> Decimal | None:
    value = _text(draft, found, name, pointer, parent)
    if value is None:
        return None
    problem = decimal_problem(value, ".", _DECIMAL_RULE)
    if problem is not None:
        draft.fail(found.path(name), problem, pointer)
        return None
    return as_decimal(value)


def _path(found: Found, name: str, parent: str) -> str:
    return found.path(name) if name in found else parent


def _party(draft: Draft, found: Found, name: str, pointer: str, parent: str, *, eori: bool) -> dict[str, Any] | None:
    """Exporter, importer or declarant (13 01, 13 04, 13 05) as a canonical party."""
    if name not in found:
        return None
    where = _path(found, name, parent)
    own = _sub(draft, found, name)
    address_at = _path(own, "address", where)
    address = _sub(draft, own, "address")
    country = _text(draft, address, "country", f"{pointer}/country", address_at)
    fields = compact(
        {
            "line1": _text(draft, address, "streetAndNumber", f"{pointer}/address/line1", address_at),
            "city": _text(draft, address, "city", f"{pointer}/address/city", address_at),
            "postcode": _text(draft, address, "postcode", f"{pointer}/address/postcode", address_at),
        }
    )
    if fields and country is not None:
        fields["country"] = country
        draft.origins[f"{pointer}/address/country"] = draft.origins[f"{pointer}/country"]
    draft.origins[pointer] = where
    return compact(
        {
            "name": _text(draft, own, "name", f"{pointer}/name", where),
            "country": country,
            "eori": _text(draft, own, "identificationNumber", f"{pointer}/eori", where) if eori else None,
            "address": fields or None,
        }
    )


def _amount(draft: Draft, found: Found, name: str, pointer: str, parent: str) -> tuple[Decimal | None, str | None]:
    """A currency and amount class (14 14, 14 15): the amount, and its currency."""
    if name not in found:
        return None, None
    where = _path(found, name, parent)
    own = _sub(draft, found, name)
    amount = _decimal(draft, own, "amount", pointer, where)
    currency = _text(draft, own, "currency", None, where)
    if currency is None:
        draft.fail(where, f"required element currency of <{name}> is missing", pointer)
    return amount, currency


def _one_currency(draft: Draft, seen: list[tuple[str, str]], pointer: str) -> str | None:
    """The declaration's one currency: every amount's (``seen``: where, currency)."""
    if not seen:
        return None
    first_at, currency = seen[0]
    draft.origins[pointer] = f"{first_at}/currency"
    for where, other in seen[1:]:
        if other != currency:
            draft.fail(
                f"{where}/currency",
                f"{other} differs from {currency}, the currency of {first_at}: Clearway takes a declaration in one "
                "currency",
                pointer,
            )
    return currency


def _items(draft: Draft, shipment: Found, shipment_at: str, seen: list[tuple[str, str]]) -> tuple[list[Any], ...]:
    """The goods shipment items as canonical items, with their value, freight, mass and packages."""
    items: list[dict[str, Any]] = []
    values: list[Decimal] = []
    freights: list[Decimal] = []
    masses: list[Decimal] = []
    packages: list[int] = []
    procedures: list[tuple[str, str]] = []
    for i, element in enumerate(shipment.get("goodsShipmentItem", [])):
        at = shipment.path("goodsShipmentItem", i)
        pointer = f"/items/{i}"
        own = _children(element, draft, at)
        draft.origins[pointer] = at
        number = _text(draft, own, "goodsItemNumber", f"{pointer}/line", at)
        if number is not None and not number.isdigit():
            draft.fail(
                _path(own, "goodsItemNumber", at), f"{number!r} is not a goods item number (n..5)", f"{pointer}/line"
            )
            number = None
        hs = _text(
            draft,
            _sub(draft, own, "commodityCode"),
            "harmonizedSystemSubHeadingCode",
            f"{pointer}/hs_code",
            _path(own, "commodityCode", at),
        )
        if "commodityCode" not in own:
            draft.absent[f"{pointer}/hs_code"] = (at, "element commodityCode")
        if hs is not None and hs.isdigit() and not _HS6.match(hs):
            draft.fail(
                draft.origins[f"{pointer}/hs_code"],
                f"{hs!r} is not a 6-digit HS sub-heading: H7 takes the commodity code as 18 09 056 000 (an6), "
                "without CN or TARIC digits",
                f"{pointer}/hs_code",
            )
        units = _decimal(draft, own, "supplementaryUnits", f"{pointer}/quantity", at)
        value, currency = _amount(draft, own, "intrinsicValue", f"{pointer}/unit_price", at)
        if "intrinsicValue" not in own:
            draft.fail(at, "required element intrinsicValue (14 14 000 000) is missing", f"{pointer}/unit_price")
        if currency is not None:
            seen.append((_path(own, "intrinsicValue", at), currency))
        freight, freight_currency = _amount(
            draft, own, "transportAndInsuranceCostsToTheDestination", "/transaction/freight", at
        )
        if freight_currency is not None:
            seen.append((_path(own, "transportAndInsuranceCostsToTheDestination", at), freight_currency))
        mass = _decimal(draft, own, "grossMass", "/logistics/gross_weight_kg", at)
        for p, packaging in enumerate(own.get("packaging", [])):
            packaging_at = own.path("packaging", p)
            count = _text(draft, _children(packaging, draft, packaging_at), "numberOfPackages", None, at)
            if count is not None and count.isdigit():
                packages.append(int(count))
            elif count is not None:
                draft.fail(
                    f"{packaging_at}/numberOfPackages",
                    f"{count!r} is not a number of packages",
                    "/logistics/packages",
                )
        for p, procedure in enumerate(own.get("additionalProcedure", [])):
            code = (procedure.text or "").strip()
            procedures.append((own.path("additionalProcedure", p), code))
        quantity = units if units is not None else Decimal(1)  # without 18 02 the line is one unit
        unit_price = None if value is None else per_unit(value, quantity)
        if value is not None and unit_price is not None:
            problem = unit_price_problem(value, quantity, unit_price, currency)
            if problem is not None:
                draft.fail(_path(own, "intrinsicValue", at), problem, f"{pointer}/unit_price")
        for total, one in ((values, value), (freights, freight), (masses, mass)):
            if one is not None:
                total.append(one)
        draft.origins[f"{pointer}/origin_country"] = draft.origins.get("/parties/seller/country", at)
        items.append(
            compact(
                {
                    "line": None if number is None else int(number),
                    "description": _text(draft, own, "descriptionOfGoods", f"{pointer}/description", at),
                    "hs_code": hs,
                    "quantity": str(quantity),
                    "unit_price": None if unit_price is None else str(unit_price),
                    "origin_country": None,  # set by the caller: the exporter's country
                }
            )
        )
    return items, values, freights, masses, packages, procedures


def _declaration(
    element: etree._Element, where: str, position: int, prepared: str | None, prepared_at: str | None
) -> Mapped:
    draft = Draft(where)
    top = _children(element, draft, where)
    if prepared_at is not None:
        draft.origins["/transaction/order_date"] = prepared_at
    else:  # the envelope's element: each declaration names it, since each needs it
        draft.absent["/transaction/order_date"] = (f"/{ROOT}", "element preparationDateAndTime")
    lrn = _text(draft, top, "lrn", "/reference", where)
    if lrn is None:
        draft.fail(where, "required element lrn (12 09 001 000, the LRN) is missing", "/reference")
    shipment_at = _path(top, "goodsShipment", where)
    if "goodsShipment" not in top:
        draft.fail(where, "required element goodsShipment is missing", "/items")
    shipment = _sub(draft, top, "goodsShipment")

    buyer = _party(draft, top, "importer", "/parties/buyer", where, eori=True)
    declarant = _party(draft, top, "declarant", "/parties/declarant", where, eori=True)
    seller = _party(draft, shipment, "exporter", "/parties/seller", shipment_at, eori=False)
    for name, number, pointer, party in (
        ("importer", "13 04 000 000", "/parties/buyer", buyer),
        ("exporter", "13 01 000 000", "/parties/seller", seller),
    ):
        if party is None and ("goodsShipment" in top or name == "importer"):
            draft.fail(
                where if name == "importer" else shipment_at, f"required element {name} ({number}) is missing", pointer
            )
    sender = _text(draft, _sub(draft, top, "declarant"), "identificationNumber", None, where)

    ucr = _text(draft, shipment, "referenceNumberUCR", "/transaction/order_number", shipment_at)
    if ucr is None and lrn is not None:  # H7 has no order number: the UCR, or else the LRN, stands in
        draft.origins["/transaction/order_number"] = draft.origins["/reference"]
    elif ucr is None:
        draft.absent["/transaction/order_number"] = (where, "element lrn (12 09 001 000, the LRN)")

    tax_scheme = None
    for r, reference in enumerate(shipment.get("additionalFiscalReference", [])):
        reference_at = shipment.path("additionalFiscalReference", r)
        own = _children(reference, draft, reference_at)
        if _text(draft, own, "role", None, "") == IOSS_ROLE:
            tax_scheme = _text(draft, own, "vatIdentificationNumber", "/transaction/tax_scheme_id", reference_at)
            if tax_scheme is None:
                draft.fail(
                    reference_at,
                    "role FR5 names an IOSS number, but vatIdentificationNumber is missing",
                    "/transaction/tax_scheme_id",
                )

    document, document_type, mode = _transport_document(draft, shipment, shipment_at)

    seen: list[tuple[str, str]] = []
    freight, freight_currency = _amount(
        draft, shipment, "transportAndInsuranceCostsToTheDestination", "/transaction/freight", shipment_at
    )
    if freight_currency is not None:
        seen.append((_path(shipment, "transportAndInsuranceCostsToTheDestination", shipment_at), freight_currency))
    items, values, freights, masses, packages, procedures = _items(draft, shipment, shipment_at, seen)
    if "goodsShipment" in top and not items:
        draft.fail(shipment_at, "no goodsShipmentItem: a declaration declares at least one goods item", "/items")
    currency = _one_currency(draft, seen, "/transaction/currency")
    origin = None if seller is None else seller.get("country")
    for item in items:
        if origin is not None:
            item["origin_country"] = origin
    if freight is None and freights:
        freight = sum(freights, Decimal(0))
    goods = sum(values, Decimal(0))
    gross = _decimal(draft, shipment, "grossMass", "/logistics/gross_weight_kg", shipment_at)
    if gross is None and masses and "grossMass" not in shipment:
        gross = sum(masses, Decimal(0))
        draft.origins["/logistics/gross_weight_kg"] = shipment_at
    draft.origins["/transaction/goods_value"] = draft.origins["/transaction/amount_paid"] = shipment_at
    draft.origins["/logistics/packages"] = shipment_at
    draft.origins["/destination_country"] = draft.origins.get("/parties/buyer/country", where)
    codes = {code for _, code in procedures}
    flags = {"nature": "gift", "relationship": "C2C"} if C2C_PROCEDURE in codes else None
    if flags is not None:
        draft.origins["/flags"] = next(at for at, code in procedures if code == C2C_PROCEDURE)

    draft.record = compact(
        {
            "reference": lrn,
            "destination_country": None if buyer is None else buyer.get("country"),
            "parties": compact({"seller": seller, "buyer": buyer, "declarant": declarant}),
            "transaction": compact(
                {
                    "order_number": ucr or lrn,
                    "order_date": prepared,
                    "currency": currency,
                    "goods_value": str(goods),
                    "amount_paid": str(goods + (freight or 0)),
                    "freight": None if freight is None else str(freight),
                    "tax_scheme_id": tax_scheme,
                }
            ),
            "items": items,
            "logistics": compact(
                {
                    "transport_document": document,
                    "document_type": document_type,
                    "transport_mode": mode,
                    "packages": sum(packages) if packages else None,
                    "gross_weight_kg": None if gross is None else str(gross),
                }
            ),
            "flags": flags,
        }
    )
    if not packages:
        draft.absent["/logistics/packages"] = (shipment_at, "element packaging/numberOfPackages (18 06 004 000)")
    return finish(draft, index=position, message_type=MESSAGE_TYPE, message_id=lrn, sender=sender)


def _transport_document(draft: Draft, shipment: Found, shipment_at: str) -> tuple[str | None, str | None, str | None]:
    """12 05 Transport document: the reference, and from its type the canonical document type and mode."""
    documents = shipment.get("transportDocument", [])
    if not documents:
        draft.fail(
            shipment_at,
            "required element transportDocument (12 05 000 000) is missing",
            "/logistics/transport_document",
        )
        return None, None, None
    if len(documents) > 1:
        draft.fail(
            shipment.path("transportDocument", 1),
            "Clearway takes one transport document per declaration",
            "/logistics/transport_document",
        )
    at = shipment.path("transportDocument")
    own = _children(documents[0], draft, at)
    number = _text(draft, own, "referenceNumber", "/logistics/transport_document", at)
    kind = _text(draft, own, "type", None, at)
    if kind is None:
        draft.fail(at, "required element type (12 05 002 000) is missing", "/logistics/transport_mode")
        return number, None, None
    if kind not in DOCUMENT_TYPES:
        known = ", ".join(DOCUMENT_TYPES)
        draft.fail(
            f"{at}/type",
            f"transport document type {kind!r} is not one Clearway reads: {known}",
            "/logistics/transport_mode",
        )
        return number, None, None
    mode, document_type = DOCUMENT_TYPES[kind]
    draft.origins["/logistics/transport_mode"] = draft.origins["/logistics/document_type"] = f"{at}/type"
    return number, document_type, mode
