"""CSV and Parquet intake and export in the flat row layout of :mod:`clearway.intake.layout`.

Reading never raises on bad content: every problem becomes a :class:`Parsed` with errors located
by JSON pointer and row. Whole-file problems (no header, unknown columns, float money columns) are
one ``Parsed`` without a record at row 1 of a CSV file (the header) or row 0 of a Parquet file,
and nothing else is read. CSV rows are numbered from 1 with the header as row 1 (a quoted cell may
span several physical lines; rows count records, not lines); Parquet rows from 1 for the first
data row. Missing files and unknown kinds still raise, as they are the caller's mistakes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import msgspec

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.intake.layout import Layout, assemble, flatten, layout_for
from clearway.intake.parsed import Parsed, T

if TYPE_CHECKING:  # polars takes a fifth of a second to import: only the Parquet functions load it
    import polars as pl

__all__ = ["read_csv", "read_parquet", "write_csv", "write_parquet"]

PathLike = str | os.PathLike[str]
_DOCS = "see docs/formats.md for the columns"


@dataclass(slots=True)
class _Row:
    """One data row: its number, grouping key, non-empty cells and problems of the row itself."""

    number: int
    key: str | None
    cells: dict[str, str]
    errors: list[FieldError] = field(default_factory=list)
    sticky: bool = False  # belongs to whatever record is pending (a read failure mid-record)


def _whole_file(line: int, detail: str) -> Parsed[Any]:
    return Parsed(line, None, [FieldError("", detail)], [line])


def _layout(kind: str, decoder: RecordDecoder[Any]) -> Layout:
    layout = layout_for(kind)
    if decoder.cls is not layout.cls:
        wanted, got = layout.cls.__name__, decoder.cls.__name__
        raise ValueError(f"a {kind} file needs a RecordDecoder({wanted}), not RecordDecoder({got})")
    return layout


def _build(layout: Layout, group: list[_Row], decoder: RecordDecoder[T]) -> Parsed[T]:
    first = group[0].number
    located = [(row.number, error) for row in group for error in row.errors]
    if located:  # the row itself is unreadable: assembling the rest would only add noise
        return Parsed(first, None, [e for _, e in located], [n for n, _ in located])
    obj, located, bad, entry_rows = assemble(layout, [(row.number, row.cells) for row in group])
    record, errors = decoder.convert(obj)
    prefix = f"/{layout.repeated}/"
    for error in errors:
        if error.pointer in bad:
            continue
        row = first
        if layout.repeated and error.pointer.startswith(prefix):
            index = error.pointer[len(prefix) :].split("/", 1)[0]
            if index.isdigit() and int(index) < len(entry_rows):
                row = entry_rows[int(index)]
        located.append((row, error))
    if not located:
        return Parsed(first, record, [])
    located.sort(key=lambda pair: pair[0])
    return Parsed(first, None, [e for _, e in located], [n for n, _ in located])


def _records(layout: Layout, rows: Iterable[_Row], decoder: RecordDecoder[T]) -> Iterator[Parsed[T]]:
    """Group consecutive rows with the same key into records (each row is one without a key)."""
    group: list[_Row] = []
    for row in rows:
        if group and not row.sticky and (row.key is None or row.key != group[0].key):
            yield _build(layout, group, decoder)
            group = []
        group.append(row)
    if group:
        yield _build(layout, group, decoder)


def _header_problem(layout: Layout, header: Sequence[str]) -> str | None:
    unknown = [
        repr(name) if name else f"(no name, column {index})"
        for index, name in enumerate(header, 1)
        if name not in layout.by_name
    ]
    if unknown:
        hint = ""
        if any(sep in name for name in header for sep in ";\t|"):
            hint = " (the file must be comma-separated)"
        return f"unknown columns: {', '.join(unknown)}{hint}; the first row must be the header, {_DOCS}"
    twice = sorted(name for name, count in Counter(header).items() if count > 1)
    if twice:
        return f"columns appear more than once: {', '.join(twice)}"
    return None


def _decode_lines(stream: BinaryIO, bad: dict[int, int]) -> Iterator[str]:
    """The lines of a binary file as text; a line that is not UTF-8 is noted in ``bad``."""
    for number, raw in enumerate(stream, 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = exc.start
            yield raw.decode("utf-8", "replace")


def _text_lines(stream: TextIO, failure: list[str]) -> Iterator[str]:
    try:
        yield from stream
    except UnicodeDecodeError as exc:
        failure.append(str(exc))


def _csv_header(reader: Any, layout: Layout, bad: dict[int, int], failure: list[str]) -> list[str] | str:
    """The header row's column names, or why the file cannot be read at all."""
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        detail = f"the file is not valid UTF-8 ({failure[0]})" if failure else "the file is empty"
        return f"{detail}; a header row is required, {_DOCS}"
    except csv.Error as exc:
        return f"the header row is not valid CSV: {exc}"
    if 1 in bad:
        return f"the file is not valid UTF-8 (line 1, byte offset {bad[1]}); save it as UTF-8"
    if header:
        header[0] = header[0].removeprefix("\ufeff").strip()
    return _header_problem(layout, header) or header


def _utf8_errors(number: int, lines: range, bad: dict[int, int]) -> list[FieldError]:
    return [
        FieldError("", f"row {number} is not valid UTF-8 (line {line}, byte offset {bad[line]}); save it as UTF-8")
        for line in lines
        if line in bad
    ]


def _csv_rows(
    reader: Any, header: list[str], layout: Layout, bad: dict[int, int], failure: list[str]
) -> Iterator[_Row]:
    width = len(header)
    key_index = header.index(layout.key) if layout.key in header else None
    number, seen_lines = 1, reader.line_num
    while True:
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            stuck = reader.line_num == seen_lines  # no progress: stop rather than loop
            seen_lines = reader.line_num
            yield _Row(number, None, {}, [FieldError("", f"row {number} is not valid CSV: {exc}")], stuck)
            if stuck:
                break
            continue
        number += 1
        first_line, seen_lines = seen_lines + 1, reader.line_num
        if all(not cell or cell.isspace() for cell in cells):
            continue
        key = None
        if key_index is not None and key_index < len(cells):
            key = cells[key_index] if cells[key_index] and not cells[key_index].isspace() else None
        errors = _utf8_errors(number, range(first_line, seen_lines + 1), bad) if bad else []
        if len(cells) != width:
            errors.append(FieldError("", f"row {number} has {len(cells)} cells, the header has {width}"))
        if errors:
            yield _Row(number, key, {}, errors)
            continue
        yield _Row(number, key, {n: c for n, c in zip(header, cells, strict=True) if c and not c.isspace()})
    if failure:
        detail = f"the file is not valid UTF-8 after row {number} ({failure[0]}); save it as UTF-8"
        yield _Row(number + 1, None, {}, [FieldError("", detail)], True)


def _read_csv_lines(
    lines: Iterator[str], layout: Layout, decoder: RecordDecoder[T], bad: dict[int, int], failure: list[str]
) -> Iterator[Parsed[T]]:
    reader = csv.reader(lines)
    header = _csv_header(reader, layout, bad, failure)
    if isinstance(header, str):
        yield _whole_file(1, header)
        return
    yield from _records(layout, _csv_rows(reader, header, layout, bad, failure), decoder)


def read_csv(source: TextIO | PathLike, kind: str, decoder: RecordDecoder[T]) -> Iterator[Parsed[T]]:
    """Read a CSV file (a path, read as UTF-8, or an open text stream) of ``kind`` records.

    The header is required; columns may come in any order and unused ones may be left out.
    """
    layout = _layout(kind, decoder)
    bad: dict[int, int] = {}
    failure: list[str] = []
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield from _read_csv_lines(_decode_lines(stream, bad), layout, decoder, bad, failure)
    else:
        yield from _read_csv_lines(_text_lines(source, failure), layout, decoder, bad, failure)


def _used_columns(layout: Layout, rows: list[list[dict[str, str]]]) -> list[str]:
    used = {name for record in rows for row in record for name in row}
    return [c.name for c in layout.columns if c.name in used]


def _table(
    records: Iterable[msgspec.Struct], kind: str, columns: Sequence[str] | None
) -> tuple[list[str], list[dict[str, str]]]:
    layout = layout_for(kind)
    flat = [flatten(layout, record) for record in records]
    names = list(columns) if columns is not None else _used_columns(layout, flat)
    unknown = [name for name in names if name not in layout.by_name]
    if unknown:
        raise ValueError(f"unknown columns for {kind}: {', '.join(unknown)}")
    rows = [row for record in flat for row in record]
    missing = {name for row in rows for name in row} - set(names)
    if missing:
        raise ValueError(f"the records have values in columns left out: {', '.join(sorted(missing))}")
    return names, rows


def write_csv(
    records: Iterable[msgspec.Struct],
    target: TextIO | PathLike,
    kind: str,
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """Write records as CSV in the flat layout; returns the number of data rows written.

    ``columns`` defaults to every column some record uses, in canonical order. A path is written
    as UTF-8 without BOM; an open stream should be opened with ``newline=""``.
    """
    names, rows = _table(records, kind, columns)
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="") as stream:
            return _write_rows(stream, names, rows)
    return _write_rows(target, names, rows)


def _write_rows(stream: TextIO, names: list[str], rows: list[dict[str, str]]) -> int:
    writer = csv.DictWriter(stream, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)


def write_parquet(
    records: Iterable[msgspec.Struct], path: PathLike, kind: str, *, columns: Sequence[str] | None = None
) -> int:
    """Write records as Parquet in the flat layout (all columns strings, absent cells null)."""
    import polars as pl

    names, rows = _table(records, kind, columns)
    frame = pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in names},
        schema=dict.fromkeys(names, pl.String),
    )
    frame.write_parquet(os.fspath(path))
    return len(rows)


def _parquet_cell(value: Any) -> str | None:
    """A typed Parquet value as the canonical text the string layout uses (None when absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value and not value.isspace() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _schema_problem(layout: Layout, schema: pl.Schema) -> str | None:
    import polars as pl

    problem = _header_problem(layout, list(schema.names()))
    if problem is not None:
        return problem
    floats = [n for n, dtype in schema.items() if dtype.is_float() and layout.by_name[n].leaf == "decimal"]
    if floats:
        return f"money must be a decimal or string column, not float: {', '.join(floats)}"
    nested = [n for n, dtype in schema.items() if dtype.is_nested() or dtype in (pl.Binary, pl.Object)]
    if nested:
        return f"columns must hold plain values, not lists, structs or binary: {', '.join(nested)}"
    return None


def _parquet_rows(frame: pl.DataFrame, layout: Layout) -> Iterator[_Row]:
    names = frame.columns
    key_index = names.index(layout.key) if layout.key in names else None
    for number, values in enumerate(frame.iter_rows(), 1):
        cells = {}
        for name, value in zip(names, values, strict=True):
            text = _parquet_cell(value)
            if text is not None:
                cells[name] = text
        if not cells:
            continue
        key = cells.get(names[key_index]) if key_index is not None else None
        yield _Row(number, key, cells)


def read_parquet(path: PathLike | BinaryIO, kind: str, decoder: RecordDecoder[T]) -> Iterator[Parsed[T]]:
    """Read a Parquet file of ``kind`` records in the flat layout (typed or string columns).

    Decimal, integer, boolean, date and datetime columns are turned into their canonical text and
    read like CSV cells; float columns for decimal fields are refused, as floats cannot hold money
    exactly. The file is loaded whole (Parquet is columnar; a million rows is fine).
    """
    import polars as pl

    layout = _layout(kind, decoder)
    try:
        frame = pl.read_parquet(path if not isinstance(path, str | os.PathLike) else os.fspath(path))
    except pl.exceptions.PolarsError as exc:
        yield _whole_file(0, f"not a readable Parquet file: {exc}")
        return
    except (OSError, io.UnsupportedOperation) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        yield _whole_file(0, f"not a readable Parquet file: {exc}")
        return
    problem = _schema_problem(layout, frame.schema)
    if problem is not None:
        yield _whole_file(0, problem)
        return
    yield from _records(layout, _parquet_rows(frame, layout), decoder)
