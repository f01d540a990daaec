"""The UPU Customs Declaration System's element names, and reading them into a draft.

ITMATT's XML schema (M33) is not public; the CDS data contract is (S-CDS in docs/standards/upu.md):
its ``MailObject``, ``Declaration.DeclarationData`` and ``ContentPiece`` hold the CN 23 data the UPU
keeps for each item. These are the names an ITMATT document may use here, mapped or not: any other
element is refused by name, so that a misspelt element is an error rather than a field lost.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from clearway.messages.upu.common import Draft, as_decimal, decimal_problem

VIEW = frozenset({"MailObject", "Declaration"})
MAIL_OBJECT = frozenset(
    [
        "Id",
        "LocalId",
        "LocalId2",
        "PId",
        "OrigPostOrgCd",
        "DestPostOrgCd",
        "MailCategoryCd",
        "MailClassCd",
        "MailStateCd",
        "MailStateRemarks",
        "PostingDt",
        "TypeCd",
    ]
)
DECLARATION = frozenset({"Data"})
_PARTY = [
    "Name",
    "FirstName",
    "LastName",
    "AddressLine1",
    "AddressLine2",
    "City",
    "State",
    "ZIP",
    "CountryCd",
    "Telephone",
    "Email",
    "IdRef",
]
DATA = frozenset(
    [
        "ContentPieces",
        "Documents",
        "ExtraFieldNames",
        "ExtraFieldValues",
        "GrossWeight",
        "HandlingClassCd",
        "InsuredValue",
        "InsuredValueCurrencyCd",
        "MaxIndex",
        "NatureTypeCd",
        "PackageImageLocalPath",
        "PackageImageSourceInfo",
        "Postage",
        "PostageCurrencyCd",
        "RecipientFax",
        "TransportDate",
        "TransportMode",
    ]
    + [f"{role}{name}" for role in ("Sender", "Recipient") for name in _PARTY]
)
CONTENT_PIECE = frozenset(
    [
        "Index",
        "Number",
        "Description",
        "HS",
        "RevisedHS",
        "RevisedDescription",
        "Amount",
        "CurrencyCd",
        "NetWeight",
        "OrigCountryCd",
        "ImportRestrictions",
        "ImportRestrictionsNotes",
    ]
)
_DECIMAL_RULE = "XML decimals (xs:decimal) take a full stop"

Children = dict[str, etree._Element]


def name_of(element: etree._Element) -> str:
    """An element's name as written, with its namespace in braces when it has one."""
    return etree.QName(element).text


def children(element: etree._Element | None, known: frozenset[str], where: str, draft: Draft) -> Children:
    """An element's children by name: a name outside the contract, or one given twice, is an error."""
    found: Children = {}
    if element is None:
        return found
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # a comment or processing instruction the parser kept
            continue
        if tag in found:
            seen = sum(1 for other in element if other.tag == tag)
            draft.fail(f"{where}/{tag}[{seen}]", f"<{tag}> appears {seen} times in <{name_of(element)}>: once at most")
        elif tag not in known:
            draft.fail(f"{where}/{tag}", f"<{tag}> is not an element of <{name_of(element)}> in ITMATT")
        found[tag] = child
    return found


def repeated(element: etree._Element | None, name: str, where: str, draft: Draft) -> list[etree._Element]:
    """The children of a list element (``ContentPieces``): all named ``name``."""
    found: list[etree._Element] = []
    if element is None:
        return found
    for child in element:
        tag = child.tag
        if tag == name:
            found.append(child)
        elif isinstance(tag, str):
            draft.fail(f"{where}/{tag}", f"<{tag}> is not an element of <{name_of(element)}>: it holds <{name}> only")
    return found


def text_of(found: Children, name: str) -> str | None:
    element = found.get(name)
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


class Reader:
    """Reads one element's children into a draft: each value found notes its XPath as the field's
    origin; each value missing notes the element that would have given it."""

    __slots__ = ("children", "draft", "where")

    def __init__(self, draft: Draft, found: Children, where: str) -> None:
        self.draft = draft
        self.children = found
        self.where = where

    def text(self, name: str, pointer: str, what: str = "") -> str | None:
        element = self.children.get(name)
        value = None if element is None or element.text is None else element.text.strip()
        if not value:
            self.draft.absent[pointer] = (self.where, f"element {name}{what}")
            return None
        self.draft.origins[pointer] = f"{self.where}/{name}"
        return value

    def decimal(self, name: str, pointer: str) -> Decimal | None:
        value = self.text(name, pointer)
        if value is None:
            return None
        problem = decimal_problem(value, ".", _DECIMAL_RULE)
        if problem is not None:
            self.draft.fail(f"{self.where}/{name}", problem, pointer)
            return None
        return as_decimal(value)
