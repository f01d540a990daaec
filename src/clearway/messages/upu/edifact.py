"""UN/EDIFACT interchanges read with pydifact, their envelope checked, each message's segments numbered.

pydifact tokenises and parses (release character, service string advice, composites); this module
checks what pydifact leaves to its caller: that the interchange is UNB ... UNZ, that every message is
UNH ... UNT, and that the control counts agree (UNT's segment count, UNZ's message count and their
references), so that a message cut short or a lost message is an error, not a quieter item.

Places are named as EDIFACT's own error reports (CONTRL) name them: ``segment N TAG, element E.C``,
N counted within the message from UNH = 1 (as UNT counts), E the data element after the tag and C
the component within a composite, both from 1. Envelope segments are counted within the interchange
from UNB = 1 (the UNA service string advice is not a segment).
"""

from __future__ import annotations

import dataclasses
import warnings

from pydifact.constants import EDI_DEFAULT_DIRECTORY, EDI_DEFAULT_VERSION, Element
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.segments import Segment, SegmentFactory

from clearway.messages.model import MessageError

# pydifact reads a character at a time in Python (about 1 MB/s here): the bound keeps one request to
# about a second of work. A postal item takes 500 to 1,000 bytes, so this is well over 1,000 items.
MAX_BYTES = 1024 * 1024
# UNB syntax identifiers (ISO 9735 character repertoires) and the codec that reads each.
CHARSETS = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}
# ISO 9735's default service characters when there is no UNA: component ':', element '+', decimal '.',
# release '?', segment "'". (pydifact's own default decimal mark is ',', which is not the standard's.)
DEFAULT_DECIMAL_MARK = "."


@dataclasses.dataclass(frozen=True, slots=True)
class EdifactRefused(Exception):
    """Why an interchange was not read at all: where and what."""

    where: str
    detail: str


@dataclasses.dataclass(frozen=True, slots=True)
class Placed:
    """A segment and its position (within its message, or within the interchange for UNB and UNZ)."""

    position: int
    segment: Segment

    @property
    def tag(self) -> str:
        return self.segment.tag

    def value(self, element: int, component: int | None = None) -> str:
        """Data element ``element`` (from 1), or its ``component`` (from 1); "" when not there."""
        elements = self.segment.elements
        if element > len(elements):
            return ""
        value = elements[element - 1]
        if isinstance(value, list):
            index = (component or 1) - 1
            return value[index] if index < len(value) else ""
        return value if component in (None, 1) else ""

    def components(self, element: int) -> list[str]:
        elements = self.segment.elements
        if element > len(elements):
            return []
        value = elements[element - 1]
        return list(value) if isinstance(value, list) else [value]

    def where(self, element: int | None = None, component: int | None = None) -> str:
        place = f"segment {self.position} {self.tag}"
        if element is None:
            return place
        return f"{place}, element {element}" if component is None else f"{place}, element {element}.{component}"


@dataclasses.dataclass(slots=True)
class EdiMessage:
    """One UNH ... UNT message: its header, its body (what is between) and any envelope error."""

    number: int  # its place in the interchange, from 1
    header: Placed
    body: list[Placed]
    errors: list[MessageError]

    @property
    def kind(self) -> str:
        return self.header.value(2, 1)


@dataclasses.dataclass(frozen=True, slots=True)
class EdiInterchange:
    sender: str | None  # UNB interchange sender identification (0004)
    decimal_mark: str
    messages: list[EdiMessage]


class _Segments(SegmentFactory):
    """Plain segments: pydifact would otherwise look up a directory for every service segment (and
    warn that it has none), which costs more than the tokenising itself."""

    @staticmethod
    def create_segment(
        name: str,
        *elements: Element,
        validate: bool = True,
        version: str = EDI_DEFAULT_VERSION,
        directory: str = EDI_DEFAULT_DIRECTORY,
    ) -> Segment:
        if elements:
            return Segment(name, *elements)
        # Only an element-less segment ("BGM'") warns; it is read as it is. Catching warnings around
        # every segment cost a tenth of reading a CUSITM interchange (bench/messages.py --stages).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return Segment(name)


def _charset(data: bytes) -> tuple[str, str]:
    """The syntax identifier of the UNB and its codec, read from the bytes (the text needs them)."""
    separator = b"+"
    if data.startswith(b"UNA"):
        if len(data) < 9:
            raise EdifactRefused("UNA", "the service string advice needs its six characters")
        separator = data[4:5]
    start = data.find(b"UNB" + separator)
    if start < 0:
        raise EdifactRefused("interchange", "no UNB interchange header: an interchange is UNB ... UNZ")
    identifier = data[start + 4 : start + 8].decode("ascii", errors="replace")
    codec = CHARSETS.get(identifier)
    if codec is None:
        accepted = ", ".join(CHARSETS)
        raise EdifactRefused(
            "interchange segment 1 UNB, element 1.1", f"syntax identifier {identifier!r} is not one of {accepted}"
        )
    return identifier, codec


def _segments(data: bytes) -> list[Segment]:
    if len(data) > MAX_BYTES:
        raise EdifactRefused("", f"the interchange is {len(data):,} bytes, more than the {MAX_BYTES:,} accepted")
    if not data.strip():
        raise EdifactRefused("", "the interchange is empty")
    identifier, codec = _charset(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise EdifactRefused(f"byte {exc.start}", f"not {identifier} text ({codec}): {exc.reason}") from None
    text = text.strip()
    advice = text[3:9] if text.startswith("UNA") else ""
    terminator, release = (advice[5], advice[3]) if len(advice) == 6 else ("'", "?")
    if not text.endswith(terminator) or text.endswith(release + terminator):
        detail = f"the last segment has no terminator ({terminator}): the interchange is cut short"
        raise EdifactRefused("end of the interchange", detail)
    try:
        return list(Parser(factory=_Segments()).parse(text))
    except EDISyntaxError as exc:
        raise EdifactRefused(
            "interchange", f"not well-formed EDIFACT: {str(exc).removeprefix('EDIFACT Syntax Error: ')}"
        ) from None
    except (ValueError, IndexError, TypeError) as exc:  # a segment tag that is not 3 capitals, an empty UNB
        raise EdifactRefused("interchange", f"not well-formed EDIFACT: {exc}") from None


def _count_problem(place: Placed, element: int, expected: int, counted: str) -> MessageError | None:
    said = place.value(element)
    if said == str(expected):
        return None
    return MessageError(
        place.where(element), f"{place.tag} counts {said or 'nothing'}, but there are {expected} {counted}"
    )


def read(data: bytes) -> EdiInterchange:
    """The interchange's messages with their segments numbered, or :class:`EdifactRefused`."""
    segments = _segments(data)
    decimal_mark = DEFAULT_DECIMAL_MARK
    if segments and segments[0].tag == "UNA":
        advice = segments.pop(0).elements[0]
        decimal_mark = advice[2] if isinstance(advice, str) and len(advice) == 6 else DEFAULT_DECIMAL_MARK
    if not segments or segments[0].tag != "UNB":
        tag = segments[0].tag if segments else "nothing"
        raise EdifactRefused(
            "interchange segment 1", f"an interchange starts with UNB (after an optional UNA), not {tag}"
        )
    unb = Placed(1, segments[0])
    messages: list[EdiMessage] = []
    current: EdiMessage | None = None
    unz: Placed | None = None
    for position, segment in enumerate(segments[1:], start=2):
        if unz is not None:
            raise EdifactRefused(
                f"interchange segment {position} {segment.tag}", "a segment after UNZ, the interchange's end"
            )
        tag = segment.tag
        if tag == "UNH":
            if current is not None:
                current.errors.append(
                    MessageError(current.header.where(), "the message has no UNT before the next UNH")
                )
                messages.append(current)
            current = EdiMessage(len(messages) + 1, Placed(1, segment), [], [])
        elif tag == "UNT":
            if current is None:
                raise EdifactRefused(f"interchange segment {position} UNT", "a UNT without its UNH")
            unt = Placed(len(current.body) + 2, segment)
            problem = _count_problem(unt, 1, len(current.body) + 2, "segments from UNH to UNT")
            if problem is not None:
                current.errors.append(problem)
            if unt.value(2) != current.header.value(1):
                current.errors.append(
                    MessageError(
                        unt.where(2), f"the reference {unt.value(2)!r} is not the UNH's {current.header.value(1)!r}"
                    )
                )
            messages.append(current)
            current = None
        elif tag == "UNZ":
            unz = Placed(position, segment)
        elif tag in ("UNG", "UNE"):
            raise EdifactRefused(
                f"interchange segment {position} {tag}", "functional groups (UNG ... UNE) are not read"
            )
        elif current is None:
            raise EdifactRefused(f"interchange segment {position} {tag}", "a segment outside any UNH ... UNT message")
        else:
            current.body.append(Placed(len(current.body) + 2, segment))
    if current is not None:
        current.errors.append(
            MessageError(current.header.where(), "the message has no UNT (the interchange may be cut short)")
        )
        messages.append(current)
    if unz is None:
        raise EdifactRefused("interchange", "no UNZ at the end: the interchange may be cut short")
    place = Placed(unz.position, unz.segment)
    for problem in (
        _count_problem(place, 1, len(messages), "messages in the interchange"),
        None
        if unz.value(2) == unb.value(5)
        else MessageError(place.where(2), f"the reference {unz.value(2)!r} is not the UNB's {unb.value(5)!r}"),
    ):
        if problem is not None:
            raise EdifactRefused(f"interchange {problem.where}", problem.detail)
    return EdiInterchange(unb.value(2, 1) or None, decimal_mark, messages)
