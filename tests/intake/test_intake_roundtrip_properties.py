"""Round-trip properties: whatever text a valid record carries, NDJSON and CSV give it back unchanged.

The properties beside the parsers prove that arbitrary bytes never crash them; these prove the
other half, that a valid record is never altered or rejected on the way through: line separators
inside strings (U+2028, U+2029, U+0085), quotes, commas, byte-order marks. C0 control characters
(NUL, a lone carriage return, line feeds) are refused by the records themselves.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import _VISIBLE, Consignment
from clearway.intake import parse_ndjson, read_csv, write_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DECODER = RecordDecoder(Consignment)
BASE, _errors = DECODER.decode((FIXTURES / "consignment.json").read_bytes())
assert BASE is not None and not _errors
R = msgspec.structs.replace

# Characters that break line- or cell-based formats, mixed into otherwise arbitrary text.
AWKWARD = ["\u2028", "\u2029", "\x85", "\x9f", '"', ",", ";", "\ufeff", " ", "'", "\\"]
chars = st.characters(blacklist_categories=["Cs"], blacklist_characters=[chr(c) for c in [*range(32), 127]])
text = st.lists(st.sampled_from(AWKWARD) | chars, min_size=1, max_size=30).map("".join)


def bounded(max_size: int, *, optional: bool = False) -> st.SearchStrategy[Any]:
    # A cell of nothing but white space is an absent value in CSV by design (spreadsheets pad cells).
    # So is one of blanks only (records._VISIBLE: Python's and JSON Schema's blanks alike, U+0085, U+FEFF).
    value = text.filter(lambda s: len(s) <= max_size and re.search(_VISIBLE, s) is not None)
    return st.none() | value if optional else value


@st.composite
def consignments(draw: st.DrawFn, reference: str) -> Consignment:
    buyer = BASE.parties.buyer
    assert buyer.address is not None
    items = [
        R(
            item,
            description=draw(bounded(512)),
            brand=draw(bounded(200, optional=True)),
            model=draw(bounded(200, optional=True)),
        )
        for item in BASE.items
    ]
    address = R(
        buyer.address, line1=draw(bounded(500)), line2=draw(bounded(500, optional=True)), city=draw(bounded(200))
    )
    parties = R(
        BASE.parties,
        buyer=R(buyer, name=draw(bounded(200)), address=address, email=draw(bounded(500, optional=True))),
        seller=R(BASE.parties.seller, name=draw(bounded(200))),
    )
    record = R(BASE, reference=reference, parties=parties, items=items)
    # Only records the platform itself accepts: the property is about keeping them intact.
    decoded, errors = DECODER.decode(msgspec.json.encode(record))
    assume(decoded is not None and not errors)
    return record


def batches() -> st.SearchStrategy[list[Consignment]]:
    return st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True).flatmap(
        lambda ns: st.tuples(*(consignments(f"RT-{n}") for n in ns)).map(list)
    )


def encoded(records: list[Any]) -> list[bytes]:
    return [msgspec.json.encode(r) for r in records]


def show(records: list[Consignment]) -> None:
    """Failing examples are printed as their JSON (the structs' own repr is empty in the report)."""
    for line in encoded(records):
        note(line.decode())


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(records=batches(), crlf=st.booleans())
def test_valid_records_survive_ndjson(records: list[Consignment], crlf: bool) -> None:
    show(records)
    body = (b"\r\n" if crlf else b"\n").join(encoded(records))
    result = parse_ndjson(body, DECODER)
    assert [p.errors for p in result.parsed] == [[] for _ in records]
    assert encoded(result.records) == encoded(records)


@PROPERTY
@given(records=batches())
def test_valid_records_survive_csv(records: list[Consignment]) -> None:
    show(records)
    buffer = io.StringIO(newline="")
    write_csv(records, buffer, "consignment")
    back = list(read_csv(io.StringIO(buffer.getvalue(), newline=""), "consignment", DECODER))
    assert [p.errors for p in back] == [[] for _ in records]
    assert encoded([p.record for p in back]) == encoded(records)


@PROPERTY
@given(records=batches())
def test_valid_records_survive_a_csv_file(records: list[Consignment], tmp_path_factory: Any) -> None:
    show(records)
    path = tmp_path_factory.mktemp("csv") / "consignments.csv"
    write_csv(records, path, "consignment")
    back = list(read_csv(path, "consignment", DECODER))
    assert [p.errors for p in back] == [[] for _ in records]
    assert encoded([p.record for p in back]) == encoded(records)
