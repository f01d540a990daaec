"""What ITMATT and CUSITM share: the category-of-item codes, numbers as the messages write them,
the per-unit arithmetic, and the last step of every item (the canonical checks, named in the
message's own terms).

Both messages describe one postal item the way a CN 22/CN 23 does: a category of item, content
lines with the value and net weight *of the line*, a currency per amount. The canonical record has
one currency per consignment and a unit price and unit net weight per item, so the same rules turn
one into the other whichever syntax carried it.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from clearway.dataset.decode import MISSING_FIELD, RecordDecoder
from clearway.dataset.identifiers import currency_quantum
from clearway.dataset.records import Consignment, Nature
from clearway.messages.model import Mapped, MessageError, RecordKind

# Category of item (CN 23 box "category of item"; CDS NatureTypeCd). Only the codes a public
# implementation confirms (India's FPO module, docs/standards/upu.md): 32 and 91 are probably a
# commercial sample and documents, but no source says so, and a guessed meaning would put an item in
# the wrong customs regime without anyone noticing. They are refused until a source is found.
NATURES: dict[str, tuple[Nature, str]] = {
    "11": ("sale", "sale of goods"),
    "21": ("return", "returned goods"),
    "31": ("gift", "gift"),
}
KNOWN_NATURES = ", ".join(f"{code} ({name})" for code, (_, name) in NATURES.items())

_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?\Z")
_WHOLE = re.compile(r"[0-9]+\Z")
_MICRO = Decimal("0.000001")  # the canonical records' precision (records.py: at most 6 decimals)
DECODER = RecordDecoder(Consignment)


_MARK_NAMES = {".": "a full stop", ",": "a comma"}


def decimal_problem(text: str, mark: str, rule: str) -> str | None:
    """Why ``text`` is not a decimal with ``mark`` as its separator (None when it is one); ``rule``
    says where the separator is set, for the message that refuses the other one."""
    if mark == ".":
        readable = _DECIMAL.match(text) is not None
    else:
        readable = "." not in text and _DECIMAL.match(text.replace(mark, ".", 1)) is not None
    if readable:
        return None
    other = "," if mark == "." else "."
    if other in text and _DECIMAL.match(text.replace(other, ".", 1)):
        return (
            f"{text!r} uses {_MARK_NAMES[other]} as its decimal separator, but {rule}: "
            f"write {text.replace(other, mark, 1)}"
        )
    return (
        f"{text!r} is not a decimal number: expected digits with an optional fraction after "
        f"{_MARK_NAMES.get(mark, repr(mark))}, such as 12{mark}50"
    )


def as_decimal(text: str, mark: str = ".") -> Decimal:
    """``text`` (already checked by :func:`decimal_problem`) as a Decimal."""
    return Decimal(text if mark == "." else text.replace(mark, ".", 1))


def whole_problem(text: str) -> str | None:
    if _WHOLE.match(text):
        return None
    return f"{text!r} is not a whole number of articles"


def per_unit(total: Decimal, units: Decimal) -> Decimal:
    """``total`` shared out over ``units``, to the canonical 6 decimals (half up) when it does not divide."""
    try:
        share = total / units
    except (InvalidOperation, ZeroDivisionError):
        return total  # units is 0: the canonical check refuses the quantity itself
    exponent = share.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        share = share.quantize(_MICRO, ROUND_HALF_UP)
    return share


def unit_price_problem(line_value: Decimal, units: Decimal, unit_price: Decimal, currency: str | None) -> str | None:
    """A unit price rounded to 6 decimals times the quantity must give back the declared line value
    at the currency's minor unit; with tens of thousands of articles it may not, and the duty base
    would then differ from what was declared."""
    if currency is None or units <= 0:
        return None
    try:
        quantum = currency_quantum(currency)
        if (unit_price * units).quantize(quantum, ROUND_HALF_UP) == line_value.quantize(quantum, ROUND_HALF_UP):
            return None
    except InvalidOperation:
        return None
    return (
        f"the line value {line_value} over {units} articles gives a unit price of {unit_price}, which does not "
        f"give back {line_value} {currency}: declare the articles in smaller lines"
    )


@dataclasses.dataclass(slots=True)
class Draft:
    """One item being mapped: the canonical record, where each field came from, what went wrong.

    ``absent`` names the element (or segment) that would have given a field, for fields the message
    left out: when the canonical checks then say "required field is missing", the error names that
    element at its parent's place rather than a bare JSON pointer.
    """

    where: str  # the item itself: its XPath, or its UNH segment
    record: dict[str, Any] = dataclasses.field(default_factory=dict)
    origins: dict[str, str] = dataclasses.field(default_factory=dict)
    errors: list[MessageError] = dataclasses.field(default_factory=list)
    absent: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    def fail(self, where: str, detail: str, pointer: str = "") -> None:
        self.errors.append(MessageError(where, detail, pointer))


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields a message gave (None is a field it left out, not a JSON null)."""
    return {key: value for key, value in fields.items() if value is not None}


def postal_consignment(
    *,
    item_id: str | None,
    destination: Any,
    seller: dict[str, Any],
    buyer: dict[str, Any],
    posted: Any,
    currency: Any,
    goods: Decimal,
    postage: Decimal | None,
    items: list[dict[str, Any]],
    gross: Decimal | None,
    flags: dict[str, Any] | None,
) -> dict[str, Any]:
    """One postal item as the canonical consignment, from ITMATT or CUSITM alike. A postal item has no
    order: its S10 id and posting time stand in (docs/messages.md); one parcel, sent by post."""
    freight = postage if postage is not None else Decimal(0)
    return compact(
        {
            "reference": item_id,
            "destination_country": destination,
            "parties": {"seller": seller, "buyer": buyer},
            "transaction": compact(
                {
                    "order_number": item_id,
                    "order_date": posted,
                    "currency": currency,
                    "goods_value": str(goods),
                    "amount_paid": str(goods + freight),
                    "freight": None if postage is None else str(postage),
                }
            ),
            "items": items,
            "logistics": compact(
                {
                    "transport_document": item_id,
                    "document_type": "upu_s10",
                    "transport_mode": "post",
                    "packages": 1,
                    "gross_weight_kg": None if gross is None else str(gross),
                }
            ),
            "flags": flags or None,
        }
    )


def _covered(pointer: str, taken: set[str]) -> bool:
    probe = pointer
    while probe:
        if probe in taken:
            return True
        probe = probe.rsplit("/", 1)[0]
    return False


def finish(
    draft: Draft,
    *,
    index: int,
    message_type: str,
    message_id: str | None,
    sender: str | None,
    kind: RecordKind = "consignment",
    decoder: RecordDecoder[Any] = DECODER,
) -> Mapped:
    """The item's result: its record checked as the JSON API checks a ``kind`` (``decoder``), every
    error in message terms.

    The canonical checks run even when mapping found errors, so that one answer lists everything
    wrong with the item; a canonical error on a field the mapping already refused is not repeated,
    nor is one missing element that several fields come from (the S10 id is the reference too).
    """
    origins = draft.origins
    origins.setdefault("", draft.where)
    errors = draft.errors
    _, field_errors = decoder.convert(draft.record)
    if field_errors:
        taken = {e.pointer for e in errors if e.pointer}
        probe = Mapped(index, message_type, kind, message_id, None, origins, (), sender)
        for error in field_errors:
            if _covered(error.pointer, taken):
                continue
            missing = draft.absent.get(error.pointer)
            if missing is not None and error.detail == MISSING_FIELD:
                found = MessageError(missing[0], f"required {missing[1]} is missing", error.pointer)
            else:
                found = MessageError(probe.where_of(error.pointer), error.detail, error.pointer)
            if not any(e.where == found.where and e.detail == found.detail for e in errors):
                errors.append(found)
    record = None if errors else draft.record
    return Mapped(index, message_type, kind, message_id, record, origins, tuple(errors), sender)


def refused(index: int, message_type: str, where: str, detail: str) -> Mapped:
    """A message (or an item) that could not be read at all: no record, one error."""
    return Mapped(index, message_type, None, None, None, {}, (MessageError(where, detail),))
