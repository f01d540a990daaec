"""Watchlists and sanctions lists, read from the files they are published in.

Screening takes its lists as files an administrator imports, never from the network at run time, so
that what a consignment was screened against can always be said. Three formats are read:

- our watchlist CSV, with the header ``list,entry_id,kind,value,country,program`` (``country`` and
  ``program`` may be left out or empty). ``kind`` is party, address, phone, email or
  transport_document; ``country`` is an ISO 3166 alpha-2 code. One row per value: an entry with
  aliases has one row per alias under the same ``entry_id``;
- the US Treasury's OFAC SDN list as ``sdn.csv``: no header, twelve columns (ent_num, SDN_Name,
  SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks),
  ``-0-`` for an empty field. Individuals are written "LAST, First": both that and "First LAST" are
  kept. Vessels and aircraft are not parties to a consignment and are skipped. Aliases (alt.csv) and
  addresses (add.csv) are separate files not read here;
- the UN Security Council consolidated list XML: INDIVIDUALS/INDIVIDUAL (FIRST_NAME to FOURTH_NAME,
  NAME_ORIGINAL_SCRIPT, INDIVIDUAL_ALIAS/ALIAS_NAME) and ENTITIES/ENTITY (FIRST_NAME is the name,
  ENTITY_ALIAS/ALIAS_NAME), keyed by DATAID, with UN_LIST_TYPE as the programme.

The lists' own country fields are free text (nationalities, addresses), so ``country`` stays empty
for OFAC and UN entries rather than guessing a code. A malformed file raises ``ListFormatError``
naming the line, so that an administrator can fix the file rather than import half of it.

The XML is parsed with expat through ElementTree's tree builder, without defusedxml (not a
dependency): any DOCTYPE or ENTITY declaration is refused as soon as expat meets it, before an entity
could be declared, so neither entity expansion ("billion laughs") nor external entities can occur;
the official list has neither.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Literal, NoReturn, get_args
from xml.parsers import expat

import msgspec

Kind = Literal["party", "address", "phone", "email", "transport_document"]
KINDS: tuple[str, ...] = get_args(Kind)
CSV_COLUMNS = ("list", "entry_id", "kind", "value", "country", "program")
_REQUIRED = ("list", "entry_id", "kind", "value")
OFAC_COLUMNS = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign",
    "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks",
)  # fmt: skip
OFAC_EMPTY = "-0-"
_OFAC_SKIPPED_TYPES = {"vessel", "aircraft"}
_COUNTRY = re.compile(r"[A-Z]{2}")
_PROGRAM_SPLIT = re.compile(r"\]\s*\[")


class WatchEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One value of one entry of a list: a name, an address, a phone, an e-mail or a transport document."""

    list_name: str
    entry_id: str
    kind: Kind
    value: str
    country: str | None = None
    program: str | None = None


class ListFormatError(ValueError):
    """A list file that cannot be read; ``line`` is where (1-based), when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank CSV row with the line it ends on."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, row
    except csv.Error as exc:
        raise ListFormatError(f"not CSV: {exc}", reader.line_num) from None


# --- our watchlist CSV ---------------------------------------------------------------------------


def _header(line: int, row: list[str]) -> list[str]:
    names = [cell.strip() for cell in row]
    expected = ",".join(CSV_COLUMNS)
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if unknown:
        raise ListFormatError(f"unknown column {unknown[0]!r} in the header (expected {expected})", line)
    if len(set(names)) != len(names):
        raise ListFormatError(f"a column appears twice in the header (expected {expected})", line)
    missing = [n for n in _REQUIRED if n not in names]
    if missing:
        raise ListFormatError(f"missing column {missing[0]!r} in the header (expected {expected})", line)
    return names


def read_watchlist_csv(text: str) -> list[WatchEntry]:
    """The entries of a watchlist in our CSV format (see the module docstring)."""
    rows = _rows(text)
    first = next(rows, None)
    if first is None:
        raise ListFormatError(f"empty file: expected the header {','.join(CSV_COLUMNS)}")
    names = _header(*first)
    entries: list[WatchEntry] = []
    for line, row in rows:
        if len(row) != len(names):
            raise ListFormatError(f"expected {len(names)} fields, got {len(row)}", line)
        cells = {name: cell.strip() for name, cell in zip(names, row, strict=True)}
        for name in _REQUIRED:
            if not cells[name]:
                raise ListFormatError(f"{name} is empty", line)
        kind = cells["kind"]
        if kind not in KINDS:
            raise ListFormatError(f"kind {kind!r} is not one of {', '.join(KINDS)}", line)
        country = cells.get("country", "").upper() or None
        if country is not None and not _COUNTRY.fullmatch(country):
            raise ListFormatError(f"country {cells['country']!r} is not an ISO 3166 alpha-2 code", line)
        entries.append(
            WatchEntry(
                list_name=cells["list"],
                entry_id=cells["entry_id"],
                kind=kind,  # type: ignore[arg-type]  # checked against KINDS just above
                value=cells["value"],
                country=country,
                program=cells.get("program") or None,
            )
        )
    return entries


# --- OFAC SDN (sdn.csv) --------------------------------------------------------------------------


def _ofac_program(raw: str | None) -> str | None:
    """``"SDGT] [IFSR"`` (how sdn.csv writes several programmes) -> ``"SDGT; IFSR"``."""
    if raw is None:
        return None
    parts = [p.strip(" []") for p in _PROGRAM_SPLIT.split(raw)]
    return "; ".join(p for p in parts if p) or None


def reorder_individual(name: str) -> str | None:
    """``"LAST, First Middle"`` -> ``"First Middle LAST"``; None when the name has no such comma."""
    last, comma, first = name.partition(",")
    if not comma or not last.strip() or not first.strip():
        return None
    return f"{first.strip()} {last.strip()}"


def read_ofac_sdn_csv(text: str, list_name: str = "OFAC-SDN") -> list[WatchEntry]:
    """The parties of the OFAC SDN list in its ``sdn.csv`` format (see the module docstring)."""
    entries: list[WatchEntry] = []
    for line, row in _rows(text):
        if len(row) == 1 and row[0].strip() == "\x1a":  # the DOS end-of-file mark the official file ends with
            continue
        if len(row) != len(OFAC_COLUMNS):
            raise ListFormatError(
                f"expected {len(OFAC_COLUMNS)} fields ({', '.join(OFAC_COLUMNS)}), got {len(row)}", line
            )
        cells = [None if cell.strip() == OFAC_EMPTY else cell.strip() for cell in row]
        ent_num, name, sdn_type, program = cells[0], cells[1], cells[2], cells[3]
        if ent_num is None or not ent_num.isdigit():
            raise ListFormatError(f"ent_num {row[0]!r} is not a number (sdn.csv has no header row)", line)
        if not name:
            raise ListFormatError(f"entry {ent_num} has no SDN_Name", line)
        kind_of_sdn = (sdn_type or "").casefold()
        if kind_of_sdn in _OFAC_SKIPPED_TYPES:
            continue
        values = [name]
        if kind_of_sdn == "individual" and (reordered := reorder_individual(name)) is not None:
            values.append(reordered)
        programs = _ofac_program(program)
        entries.extend(
            WatchEntry(list_name=list_name, entry_id=ent_num, kind="party", value=v, program=programs) for v in values
        )
    return entries


# --- UN Security Council consolidated list (XML) -------------------------------------------------


def _parse_xml(text: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The document's root and the line each element starts on; DOCTYPE and ENTITY declarations refused."""
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate(encoding="utf-8")  # the text is decoded already; we hand expat UTF-8
    parser.buffer_text = True

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber

    def end(tag: str) -> None:
        builder.end(tag)

    def refuse(*_: object) -> NoReturn:
        raise ListFormatError("DOCTYPE and ENTITY declarations are refused", parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text.removeprefix("\ufeff").encode("utf-8"), True)
    except expat.ExpatError as exc:
        raise ListFormatError(f"not well-formed XML: {expat.ErrorString(exc.code)}", exc.lineno) from None
    return builder.close(), lines


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return " ".join((found.text or "").split()) if found is not None else ""


def _un_entries(
    element: ET.Element, line: int, list_name: str, name_tags: tuple[str, ...], alias_tag: str
) -> list[WatchEntry]:
    tag = element.tag
    entry_id = _text(element, "DATAID")
    if not entry_id:
        raise ListFormatError(f"{tag} without DATAID", line)
    name = " ".join(part for part in (_text(element, t) for t in name_tags) if part)
    if not name:
        raise ListFormatError(f"{tag} {entry_id} has no name ({name_tags[0]})", line)
    values = [name, _text(element, "NAME_ORIGINAL_SCRIPT")]
    values += [_text(alias, "ALIAS_NAME") for alias in element.findall(alias_tag)]
    program = _text(element, "UN_LIST_TYPE") or None
    kept = dict.fromkeys(v for v in values if v)  # aliases often repeat the name: keep each value once
    return [WatchEntry(list_name=list_name, entry_id=entry_id, kind="party", value=v, program=program) for v in kept]


def read_un_consolidated_xml(text: str, list_name: str = "UN-SC") -> list[WatchEntry]:
    """The individuals and entities of the UN Security Council consolidated list, with their aliases."""
    root, lines = _parse_xml(text)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(f"the root element is {root.tag}, expected CONSOLIDATED_LIST", lines.get(root))
    entries: list[WatchEntry] = []
    individual_names = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    for element in root.findall("INDIVIDUALS/INDIVIDUAL"):
        entries += _un_entries(element, lines[element], list_name, individual_names, "INDIVIDUAL_ALIAS")
    for element in root.findall("ENTITIES/ENTITY"):
        entries += _un_entries(element, lines[element], list_name, ("FIRST_NAME",), "ENTITY_ALIAS")
    return entries
