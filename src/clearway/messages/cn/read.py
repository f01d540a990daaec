"""Reading one block of a CEB message: each element's value in canonical form, where it came from,
and what is wrong with it in the message's own terms.

A block (one ``Order``, ``Payment``, ``Logistics`` or ``Inventory``) is read once: its head's and
lines' children are indexed by local name in one pass, so mapping a field is a dictionary lookup,
not a search of the tree. Paths are written with the prefix ``ceb`` for the CEB namespace, whatever
prefix the document itself uses (``NSMAP`` evaluates them), and always index the repeated elements
(``ceb:Order[1]``), so that a path names one element in a batch.

Values are never coerced: "12,50" is not read as 12.50, a time that is not YYYYMMDDhhmmss is not
guessed at. Empty elements count as absent (real messages carry ``<ceb:note></ceb:note>``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from lxml import etree

from clearway.dataset.identifiers import currency_quantum
from clearway.messages.cn.codes import Refused
from clearway.messages.model import Action, MessageError

CEB_NS = "http://www.chinaport.gov.cn/ceb"
NSMAP = {"ceb": CEB_NS}
CLARK = "{" + CEB_NS + "}"
# appTime and payTime are China Standard Time ([PDF22]: the platform's local time; China has one
# time zone and no daylight saving time since 1991).
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
FEN = currency_quantum("CNY")

T = TypeVar("T")
_ABSENT = "\x00absent"  # no element text can hold a NUL character
_DECIMAL = re.compile(r"([0-9]*)(?:\.([0-9]*))?\Z")


class Block:
    """What reading one block found: the origin of each canonical field, and the errors."""

    __slots__ = ("errors", "origins", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.origins: dict[str, str] = {"": path}
        self.errors: list[MessageError] = []

    def error(self, where: str, detail: str, pointer: str = "") -> None:
        self.errors.append(MessageError(where=where, detail=detail, pointer=pointer))

    def fields(self, element: etree._Element, path: str) -> Fields:
        return Fields(self, element, path)


class Fields:
    """The children of one element (a head, a line), read into canonical values by local name."""

    __slots__ = ("_prefix", "_texts", "block", "path")

    def __init__(self, block: Block, element: etree._Element, path: str) -> None:
        self.block = block
        self.path = path
        self._prefix = f"{path}/ceb:"
        # One pass over the children, keyed by their qualified tag. The first of two same-named
        # children wins (the schema allows one): when the keys are fewer than the children, a second
        # pass in reverse order gives the first its place; a valid message never takes it.
        texts: dict[object, str | None] = {child.tag: child.text for child in element}
        if len(texts) < len(element):
            texts = {child.tag: child.text for child in reversed(element)}
        self._texts = texts

    def where(self, name: str) -> str:
        return self._prefix + name

    def text(self, name: str, pointer: str = "", required: bool = True) -> str | None:
        """The element's text, stripped; None when it is absent or empty (an error if required)."""
        raw = self._texts.get(CLARK + name, _ABSENT)
        if raw is not None and raw is not _ABSENT:
            value = raw.strip()
            if value:
                if pointer:
                    self.block.origins[pointer] = self._prefix + name
                return value
        if pointer and raw is not _ABSENT:
            self.block.origins[pointer] = self._prefix + name
        if required:
            state = "missing" if raw is _ABSENT else "empty"
            self.block.error(self._prefix + name, f"the required element {name} is {state}", pointer)
        return None

    def value(self, name: str, pointer: str, convert: Callable[[str], T], required: bool = True) -> T | None:
        """The element's text converted by ``convert``; None (and an error) when it cannot be."""
        raw = self.text(name, pointer, required)
        if raw is None:
            return None
        try:
            return convert(raw)
        except Refused as refused:
            self.block.error(self.where(name), refused.detail, pointer)
            return None

    def expect(self, name: str, expected: str, meaning: str) -> None:
        """A code that must have one value (orderType I, ieFlag I)."""
        value = self.text(name)
        if value is not None and value != expected:
            self.block.error(self.where(name), f"{name} '{value}' is refused: {meaning}")


def decimal(text: str) -> Decimal:
    """An N19,5 number: ASCII digits and an optional fraction of at most 5 digits after a full stop."""
    # The usual value ("199.00", "2"): ASCII digits with at most one full stop, checked without a regex.
    point = text.find(".")
    digits = text if point < 0 else text[:point] + text[point + 1 :]
    if digits.isdigit() and digits.isascii() and (point < 0 or len(text) - point <= 6) and len(digits) <= 19:
        return Decimal(text)
    match = _DECIMAL.match(text)
    if match is None or not (match[1] or match[2]):
        if "," in text and _DECIMAL.match(text.replace(",", ".")) and "." not in text:
            raise Refused(f"use a full stop: {text} is not a decimal in this standard")
        if "," in text:
            raise Refused(
                f"{text} is not a decimal in this standard: no thousands separators,"
                " and a full stop before the fraction"
            )
        raise Refused(f"'{text}' is not a decimal: expected digits and an optional fraction after a full stop (12.50)")
    fraction = match[2] or ""
    if len(fraction) > 5:
        raise Refused(f"{text} has {len(fraction)} decimal places: the standard allows 5 (N19,5)")
    if len(match[1]) + len(fraction) > 19:
        raise Refused(f"{text} has more than the 19 digits the standard allows (N19,5)")
    return Decimal(text)


def integer(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise Refused(f"'{text}' is not a whole number")
    return int(text)


def china_time(text: str) -> str:
    """A YYYYMMDDhhmmss time in China Standard Time, as ISO 8601 with its offset."""
    if len(text) == 14 and text.isascii() and text.isdigit():
        try:
            at = dt.datetime(
                int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:]),
                tzinfo=CHINA_TIME,
            )  # fmt: skip
        except ValueError:
            pass
        else:
            return at.isoformat()
    raise Refused(f"'{text}' is not a time in the form YYYYMMDDhhmmss (China time, UTC+8)")


def date8(text: str) -> str:
    """A YYYYMMDD date, as ISO 8601."""
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            pass
    raise Refused(f"'{text}' is not a date in the form YYYYMMDD")


def same_amount(a: Decimal, b: Decimal) -> bool:
    """Equal to the fen, as linking compares amounts (clearance.linking)."""
    return a.quantize(FEN, ROUND_HALF_UP) == b.quantize(FEN, ROUND_HALF_UP)


def amount(value: Decimal | None) -> str | None:
    """A decimal as the canonical record's text ("12.50"): exact, never through a float."""
    return None if value is None else str(value)


def present(**fields: Any) -> dict[str, Any]:
    """A record object without the fields that were absent or could not be read (None): a null
    would stop the canonical checks at their structural step, and the block's other errors (a
    quantity of 0) would go unsaid until the next attempt."""
    return {name: value for name, value in fields.items() if value is not None}


# A change or a deletion applies to a declaration (an inventory); an order, a payment or a waybill
# once received is kept as the evidence it was, and a different one under its number is kept beside
# it for customs to judge, not put in its place.
_APP_TYPES = {
    "2": "appType 2 (变更, a change) applies to an inventory (CEB621): an order, payment or waybill received is "
    "kept as evidence, not replaced; send the corrected document as new (appType 1)",
    "3": "appType 3 (删除, a deletion) applies to an inventory (CEB621): an order, payment or waybill received is "
    "kept as evidence, not deleted",
}
ACTIONS: dict[str, Action] = {"1": "new", "2": "change", "3": "delete"}
_APP_STATUSES = {
    "1": "appStatus 1 (暂存, a temporary save) is a draft kept at the E-Port, not a declaration:"
    " declare it with appStatus 2 (申报)",
}


def declaration(head: Fields, time_pointer: str, *, changes: bool = False) -> str | None:
    """Check the submission fields every head starts with; return appTime in canonical form.

    A change or a deletion (appType 2, 3) is taken where ``changes`` (an inventory: the adapter reads
    it as the record's action) and refused elsewhere, rather than read as new; a temporary save is
    the sender's draft, which customs never sees.
    """
    app_type = head.text("appType")
    if app_type is not None and app_type != "1" and not (changes and app_type in ACTIONS):
        detail = _APP_TYPES.get(app_type, f"appType '{app_type}' is not a submission type (1 new, 2 change, 3 delete)")
        head.block.error(head.where("appType"), detail)
    status = head.text("appStatus")
    if status is not None and status != "2":
        detail = _APP_STATUSES.get(status, f"appStatus '{status}' is not a status (1 temporary save, 2 declare)")
        head.block.error(head.where("appStatus"), detail)
    return head.value("appTime", time_pointer, china_time)
