"""ICS2 house-level ENS filing (IE3F22) read as XML: each house consignment one pre-loading filing.

The element names are the ICS2 Harmonised Trader Interface's "ICS2 XML Name" column (HTI v2.02,
docs/standards/eu.md); the XML namespace and element order are not public there, so the document is
read in no namespace and in any order. Each ``consignmentHouseLevel`` becomes the PLACI "7+1" data
set Clearway's pre-loading path takes (``risk.preloading.PlaciFiling``): consignor and consignee,
goods description, packages, gross mass, the house transport document, and the master air waybill.

Only the elements the 7+1 set needs are read; the rest of the filing (routing, places, transport
means, supporting documents) is read past, unlike H7, whose every element is checked by name: the
ICS2 tree is large and the rest has no place in the filing Clearway keeps.

Not yet wired: ``MessageService`` submits consignments and documents, not pre-loading filings, so
this adapter is not in the registry; the next step is to hand its records to ``app.preloading``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from clearway.dataset.decode import RecordDecoder
from clearway.messages import xml_safe
from clearway.messages.model import Mapped, Standard
from clearway.messages.upu.common import Draft, as_decimal, compact, decimal_problem, finish, refused
from clearway.risk.preloading import PlaciFiling, placi_errors

MESSAGE_TYPE = "IE3F22"
ROOT = "IE3F22"
MAX_HOUSES = 100
_EXPECTED_ROOT = (
    f"an ICS2 house-level filing is <{ROOT}> in no namespace, holding <consignmentMasterLevel> with one "
    "<consignmentHouseLevel> per house consignment"
)
_DECIMAL_RULE = "XML decimals (xs:decimal) take a full stop"
DECODER = RecordDecoder(PlaciFiling, placi_errors)


def _first(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    for child in element:
        if child.tag == name:
            return child
    return None


def _all(element: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if element is None else [child for child in element if child.tag == name]


def _text(draft: Draft, parent: etree._Element | None, name: str, pointer: str | None) -> str | None:
    """A child's text, its XPath noted as the field's origin, or the element noted as absent."""
    element = _first(parent, name)
    value = None if element is None or element.text is None else element.text.strip()
    if not value:
        if pointer is not None and parent is not None:
            draft.absent[pointer] = (xml_safe.path_of(parent), f"element {name}")
        return None
    if pointer is not None and element is not None:
        draft.origins[pointer] = xml_safe.path_of(element)
    return value


def _decimal(draft: Draft, parent: etree._Element | None, name: str, pointer: str) -> Decimal | None:
    value = _text(draft, parent, name, pointer)
    if value is None:
        return None
    problem = decimal_problem(value, ".", _DECIMAL_RULE)
    if problem is not None:
        draft.fail(draft.origins[pointer], problem, pointer)
        return None
    return as_decimal(value)


class Ics2HouseAdapter:
    """``eu-ics2``: an ``<IE3F22>`` filing, one pre-loading result per ``consignmentHouseLevel``."""

    standard: Standard = "eu-ics2"
    media_types: tuple[str, ...] = ("application/xml", "text/xml")

    def parse(self, data: bytes) -> list[Mapped]:
        try:
            root = xml_safe.parse(data)
        except xml_safe.XmlRefused as exc:
            return [refused(1, MESSAGE_TYPE, exc.where, exc.detail)]
        if root.tag != ROOT:
            detail = f"the root element is <{etree.QName(root).text}>: {_EXPECTED_ROOT}"
            return [refused(1, MESSAGE_TYPE, xml_safe.path_of(root), detail)]
        masters = _all(root, "consignmentMasterLevel")
        if len(masters) != 1:
            detail = f"the filing holds {len(masters)} <consignmentMasterLevel>: exactly one is expected"
            return [refused(1, MESSAGE_TYPE, f"/{ROOT}", detail)]
        houses = _all(masters[0], "consignmentHouseLevel")
        if not houses:
            return [refused(1, MESSAGE_TYPE, xml_safe.path_of(masters[0]), f"no house consignment: {_EXPECTED_ROOT}")]
        if len(houses) > MAX_HOUSES:
            detail = f"the filing holds {len(houses):,} house consignments: at most {MAX_HOUSES} in one message"
            return [refused(1, MESSAGE_TYPE, f"/{ROOT}", detail)]
        sender = _text(Draft(""), _first(root, "declarant"), "identificationNumber", None)
        master_document = _first(masters[0], "transportDocumentMasterLevel")
        return [
            _house(house, position, master_document, masters[0], sender)
            for position, house in enumerate(houses, start=1)
        ]


def _party(draft: Draft, house: etree._Element, name: str, pointer: str) -> dict[str, Any] | None:
    element = _first(house, name)
    if element is None:
        draft.fail(xml_safe.path_of(house), f"required element {name} is missing", pointer)
        return None
    draft.origins[pointer] = xml_safe.path_of(element)
    address = _first(element, "address")
    country = _text(draft, address if address is not None else element, "country", f"{pointer}/country")
    street = _text(draft, address, "street", f"{pointer}/address/line1")
    number = _first(address, "number")
    line1 = street
    if street is not None and number is not None and number.text and number.text.strip():
        line1 = f"{street} {number.text.strip()}"  # the canonical street line holds the number too
    fields = compact(
        {
            "line1": line1,
            "city": _text(draft, address, "city", f"{pointer}/address/city"),
            "postcode": _text(draft, address, "postCode", f"{pointer}/address/postcode"),
        }
    )
    if fields and country is not None:
        fields["country"] = country
        draft.origins[f"{pointer}/address/country"] = draft.origins[f"{pointer}/country"]
    return compact(
        {
            "name": _text(draft, element, "name", f"{pointer}/name"),
            "country": country,
            "address": fields or None,
        }
    )


def _house(
    house: etree._Element,
    position: int,
    master_document: etree._Element | None,
    master: etree._Element,
    sender: str | None,
) -> Mapped:
    where = xml_safe.path_of(house)
    draft = Draft(where)
    house_document = _first(house, "transportDocumentHouseLevel")
    number = _text(draft, house_document, "documentNumber", "/transport_document")
    if house_document is None:
        draft.absent["/transport_document"] = (where, "element transportDocumentHouseLevel")
    if number is not None:
        draft.origins["/reference"] = draft.origins["/transport_document"]
    else:  # the house document is the filing's reference too: one error for both
        draft.absent["/reference"] = draft.absent["/transport_document"]
    master_number = _text(draft, master_document, "documentNumber", "/master_waybill")
    if master_document is None:
        draft.absent["/master_waybill"] = (xml_safe.path_of(master), "element transportDocumentMasterLevel")
    consignor = _party(draft, house, "consignor", "/consignor")
    consignee = _party(draft, house, "consignee", "/consignee")
    if consignee is not None and "/consignee/country" in draft.origins:
        draft.origins["/destination_country"] = draft.origins["/consignee/country"]

    descriptions: list[str] = []
    packages = 0
    masses: list[Decimal] = []
    items = _all(house, "goodsItem")
    if not items:
        draft.fail(where, "no goodsItem: a house consignment declares at least one goods item", "/goods_description")
    for item in items:
        description = _text(draft, _first(item, "commodity"), "descriptionOfGoods", None)
        if description is None:
            draft.fail(
                xml_safe.path_of(item), "required element commodity/descriptionOfGoods is missing", "/goods_description"
            )
        else:
            descriptions.append(description)
        for packaging in _all(item, "packaging"):
            count = _text(draft, packaging, "numberOfPackages", None)
            if count is not None and count.isdigit():
                packages += int(count)
            elif count is not None:
                draft.fail(
                    f"{xml_safe.path_of(packaging)}/numberOfPackages",
                    f"{count!r} is not a number of packages",
                    "/packages",
                )
        mass_element = _first(_first(item, "weight"), "grossMass")
        if mass_element is not None:
            mass = _decimal(draft, _first(item, "weight"), "grossMass", "/gross_weight_kg")
            if mass is not None:
                masses.append(mass)
    draft.origins["/goods_description"] = draft.origins["/packages"] = where
    gross: Decimal | None
    if _first(house, "totalGrossMass") is not None:  # the house's own total wins over the items' sum
        draft.errors = [e for e in draft.errors if e.pointer != "/gross_weight_kg"]
        gross = _decimal(draft, house, "totalGrossMass", "/gross_weight_kg")
    else:
        gross = sum(masses, Decimal(0)) if masses else None
        if gross is not None:
            draft.origins["/gross_weight_kg"] = where
    if gross is None and not any(e.pointer == "/gross_weight_kg" for e in draft.errors):
        draft.absent["/gross_weight_kg"] = (where, "element totalGrossMass")

    draft.record = compact(
        {
            "reference": number,
            "transport_document": number,
            "master_waybill": master_number,
            "consignor": consignor,
            "consignee": consignee,
            "goods_description": "; ".join(descriptions) or None,
            "packages": packages or None,
            "gross_weight_kg": None if gross is None else str(gross),
            "destination_country": None if consignee is None else consignee.get("country"),
            "transport_mode": "air",  # an F2x filing is an air filing
        }
    )
    if not packages:
        draft.absent["/packages"] = (where, "element goodsItem/packaging/numberOfPackages")
    # Checked as `POST /v1/preloading` checks a filing, every error in the filing's terms.
    return finish(
        draft, index=position, message_type=MESSAGE_TYPE, message_id=number, sender=sender, kind="preloading",
        decoder=DECODER,
    )  # fmt: skip
