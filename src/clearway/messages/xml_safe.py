"""XML read safely: no entities, no DTD, no network, bounded size and depth, the prolog's encoding honoured.

Operators' messages come from outside: a DOCTYPE could declare entities that expand to gigabytes or
read local files, a deep tree could exhaust the stack of whatever walks it. lxml is told not to
resolve entities, load DTDs or touch the network, and a document that carries a DOCTYPE at all is
refused (no standard message here has one). The encoding is the XML declaration's (China's messages
may be declared GB2312 or GB18030): lxml decodes the bytes as the prolog says.
"""

from __future__ import annotations

import dataclasses
import re
import threading

from lxml import etree

MAX_BYTES = 5 * 1024 * 1024  # one message; a batch endpoint splits before this applies
MAX_DEPTH = 48  # the deepest standard message here nests about 8 levels

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}


@dataclasses.dataclass(frozen=True, slots=True)
class XmlRefused(Exception):
    """Why an XML document was not read: where (line and column when known) and what."""

    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}" if self.where else self.detail


class _NoExternal(etree.Resolver):
    """Refuses every external resource: libxml2 still opens a DOCTYPE's SYSTEM file with the
    options above (seen under strace), so nothing outside the message is ever read."""

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> None:
        raise XmlRefused("DOCTYPE", f"an external resource is not read ({system_url or public_id})")


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser = etree.XMLParser(**_PARSER_OPTIONS)  # type: ignore[call-overload]
    parser.resolvers.add(_NoExternal())
    return parser


class _Parsers(threading.local):
    """One hardened parser per thread, made once: a new parser for every message cost a tenth of
    lxml's parse of a CEB621 (bench/messages.py). lxml resets a parser's state for each document;
    its options and resolver are the same for every message, so nothing carries from one to the next."""

    def __init__(self) -> None:
        self.parser = _parser()


_PARSERS = _Parsers()


def _declares_doctype(data: bytes) -> bool:
    """A DOCTYPE comes before the root element: look for it in the whole prolog (comments may pad
    it to any length), in the document's own encoding family: ASCII-compatible, or UTF-16/32 told
    by their byte order mark or zeros. Past this first look, the parser's resolver and the check of
    what it parsed still refuse one (parse)."""
    text: str | bytes = data
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):  # fmt: skip
        if data.startswith(bom):
            text = data.decode(codec, errors="ignore")
            break
    else:
        if data[:2] in (b"<\x00", b"\x00<"):
            text = data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", errors="ignore")
    if isinstance(text, str):
        root = _ROOT_START_TEXT.search(text)
        return "<!DOCTYPE" in text[: root.start() if root else len(text)].upper()
    root_at = _ROOT_START.search(text)
    return b"<!DOCTYPE" in text[: root_at.start() if root_at else len(text)].upper()


_ROOT_START = re.compile(rb"<[A-Za-z_]")
_ROOT_START_TEXT = re.compile(r"<[A-Za-z_]")


def parse(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> etree._Element:
    """The root element of ``data``, or :class:`XmlRefused` saying precisely why not."""
    if len(data) > max_bytes:
        raise XmlRefused("", f"the message is {len(data):,} bytes, more than the {max_bytes:,} accepted")
    if not data.strip():
        raise XmlRefused("", "the message is empty")
    if _declares_doctype(data):
        raise XmlRefused("DOCTYPE", "a document type declaration is not accepted (it could declare entities)")
    try:
        root = etree.fromstring(data, _PARSERS.parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise XmlRefused(f"line {line}, column {column}", f"not well-formed XML: {exc.msg}") from None
    except XmlRefused:
        raise
    except (LookupError, ValueError) as exc:  # an encoding the prolog names that does not exist
        raise XmlRefused("XML declaration", f"cannot read the document: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise XmlRefused("DOCTYPE", "a document type declaration is not accepted (it could declare entities)")
    _check_depth(root, max_depth)
    return root


class _DepthProbes(threading.local):
    """Per thread (lxml's compiled XPath objects are not to be shared between threads), the XPath
    that finds the first element nested deeper than a limit: evaluated in C, it costs a tenth of
    walking the tree in Python, which mattered for the per-message budget (bench/messages.py)."""

    def __init__(self) -> None:
        self.by_limit: dict[int, etree.XPath] = {}

    def first_below(self, max_depth: int) -> etree.XPath:
        probe = self.by_limit.get(max_depth)
        if probe is None:
            probe = self.by_limit[max_depth] = etree.XPath("(/*" + "/*" * max_depth + ")[1]")
        return probe


_DEPTH_PROBES = _DepthProbes()


def _check_depth(root: etree._Element, max_depth: int) -> None:
    found = _DEPTH_PROBES.first_below(max_depth)(root)
    if isinstance(found, list) and found:
        element = found[0]
        if isinstance(element, etree._Element):
            raise XmlRefused(element.getroottree().getpath(element), f"elements nest more than {max_depth} deep")


def path_of(element: etree._Element) -> str:
    """An XPath to ``element`` with the document's own prefixes (``/ceb:CEB311Message/ceb:Order[2]``)."""
    return element.getroottree().getpath(element)
