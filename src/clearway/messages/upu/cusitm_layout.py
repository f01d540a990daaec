"""Which segments a CUSITM message carries, where each belongs, and reading their elements.

The UPU's CUSITM guide is not public: the segments and qualifiers below are the UN CUSDEC message's,
as public customs guides use them (docs/messages.md marks each one confirmed or inferred). The
header segments come before the first CST; a CST opens a content line, and the line segments after
it belong to that line; a COM (phone, e-mail) follows the NAD of its party.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clearway.messages.upu.common import Draft, as_decimal, decimal_problem
from clearway.messages.upu.edifact import EdiMessage, Placed

Key = tuple[str, str]  # a segment's tag and qualifier: ("MOA", "40")
Line = tuple[Placed, dict[Key, Placed]]  # a content line: its CST and its other segments by key

# (tag, qualifier) -> what it carries. Header segments come before the first CST; a CST opens a
# content line, and the line segments after it belong to that line. COM follows its NAD.
HEADER = {
    ("BGM", ""): "the S10 item id",
    ("DTM", "137"): "the posting date and time",
    ("GIS", ""): "the category of item",
    ("MEA", "AAD"): "the item's gross weight",
    ("MOA", "64"): "the postage",
    ("NAD", "CZ"): "the sender (consignor)",
    ("NAD", "CN"): "the addressee (consignee)",
}
LINE = {
    ("FTX", "AAA"): "the description",
    ("QTY", "1"): "the number of articles",
    ("MOA", "40"): "the value of the line",
    ("MEA", "AAC"): "the net weight of the line",
    ("LOC", "27"): "the country of origin",
}
CONTACT = {("COM", "TE"): "phone", ("COM", "EM"): "email"}
QUALIFIER_AT = {
    "DTM": (1, 1),
    "MOA": (1, 1),
    "QTY": (1, 1),
    "NAD": (1, None),
    "FTX": (1, None),
    "LOC": (1, None),
    "MEA": (2, 1),
    "COM": (1, 2),
}
# The header segments an item cannot do without, and the canonical field each gives.
REQUIRED = {
    ("BGM", ""): "/logistics/transport_document",
    ("DTM", "137"): "/transaction/order_date",
    ("GIS", ""): "/flags/nature",
    ("MEA", "AAD"): "/logistics/gross_weight_kg",
    ("NAD", "CZ"): "/parties/seller",
    ("NAD", "CN"): "/parties/buyer",
}
DATE_FORMATS = {"204": ("%Y%m%d%H%M%S", "CCYYMMDDHHMMSS"), "203": ("%Y%m%d%H%M", "CCYYMMDDHHMM")}


def named(key: Key) -> str:
    return f"{key[0]}+{key[1]}" if key[1] else key[0]


READS = ", ".join(named(k) for k in (*HEADER, ("CST", ""), *LINE, *CONTACT))


class Fields:
    """Reads one segment's elements into a draft, noting each value's place as the field's origin."""

    __slots__ = ("draft", "mark", "place")

    def __init__(self, draft: Draft, place: Placed, mark: str) -> None:
        self.draft = draft
        self.place = place
        self.mark = mark

    def text(self, element: int, component: int | None, pointer: str, what: str) -> str | None:
        value = self.place.value(element, component)
        if not value:
            label = f"{element}.{component}" if component else str(element)
            self.draft.absent[pointer] = (self.place.where(), f"element {label} ({what}) of {self.place.tag}")
            return None
        self.draft.origins[pointer] = self.place.where(element, component)
        return value

    def decimal(self, element: int, component: int | None, pointer: str, what: str) -> Decimal | None:
        value = self.text(element, component, pointer, what)
        if value is None:
            return None
        problem = decimal_problem(value, self.mark, f"this interchange's decimal mark is {self.mark!r} (UNA)")
        if problem is not None:
            self.draft.fail(self.place.where(element, component), problem, pointer)
            return None
        return as_decimal(value, self.mark)

    def kilograms(self, pointer: str, what: str) -> Decimal | None:
        unit = self.place.value(3, 1)
        if unit != "KGM":
            self.draft.fail(
                self.place.where(3, 1), f"weights are read in kilograms (KGM), not {unit or 'no unit'!r}", pointer
            )
            return None
        return self.decimal(3, 2, pointer, what)


def segment_key(place: Placed) -> Key:
    at = QUALIFIER_AT.get(place.tag)
    return (place.tag, "" if at is None else place.value(*at))


def sort_segments(draft: Draft, message: EdiMessage) -> tuple[dict[Key, Placed], list[Line], dict[str, list[Placed]]]:
    """The message's segments by role: header segments by key, content lines (each from its CST), and
    each NAD's COM segments; a segment Clearway does not read, or out of its place, is an error."""
    header: dict[Key, Placed] = {}
    lines: list[Line] = []
    contacts: dict[str, list[Placed]] = {}
    party: str | None = None
    for place in message.body:
        key = segment_key(place)
        if place.tag == "CST":
            lines.append((place, {}))
        elif key in LINE:
            if lines and key in lines[-1][1]:
                draft.fail(place.where(), f"a second {named(key)} in the line of {lines[-1][0].where()}")
            elif lines:
                lines[-1][1][key] = place
            else:
                draft.fail(
                    place.where(), f"{named(key)} ({LINE[key]}) belongs to a content line: it follows that line's CST"
                )
        elif key in HEADER:
            if lines:
                draft.fail(place.where(), f"{named(key)} ({HEADER[key]}) belongs before the first CST")
            elif key in header:
                draft.fail(place.where(), f"a second {named(key)}; the first is {header[key].where()}")
            else:
                header[key] = place
                party = key[1] if place.tag == "NAD" else None
        elif key in CONTACT and party is not None and not lines:
            contacts.setdefault(party, []).append(place)
        elif key in CONTACT:
            draft.fail(place.where(), "COM (a phone or e-mail) follows the NAD of its party")
        elif place.tag in QUALIFIER_AT:
            draft.fail(
                place.where(*QUALIFIER_AT[place.tag]),
                f"{place.tag} qualifier {key[1]!r} is not one Clearway reads in CUSITM (it reads {READS})",
            )
        else:
            draft.fail(place.where(), f"{place.tag} is not a segment Clearway reads in CUSITM (it reads {READS})")
    return header, lines, contacts


def posting(draft: Draft, place: Placed) -> str | None:
    value = Fields(draft, place, ".").text(1, 2, "/transaction/order_date", "the date and time")
    if value is None:
        return None
    code = place.value(1, 3) or ("204" if len(value) == 14 else "203")
    pattern = DATE_FORMATS.get(code)
    if pattern is None:
        draft.fail(
            place.where(1, 3),
            f"date format {code!r} is not read: 204 (CCYYMMDDHHMMSS) or 203 (CCYYMMDDHHMM)",
            "/transaction/order_date",
        )
        return None
    try:
        # EDIFACT times carry no offset: CUSITM's are read as UTC (docs/messages.md).
        return dt.datetime.strptime(value, pattern[0]).replace(tzinfo=dt.UTC).isoformat()
    except ValueError:
        draft.fail(
            place.where(1, 2),
            f"{value!r} is not a date and time in format {code} ({pattern[1]})",
            "/transaction/order_date",
        )
        return None
