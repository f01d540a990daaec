"""The flat row layout shared by CSV and Parquet files, derived from the record types.

Every leaf field of a record is one column named by its dotted path (``parties.buyer.address.city``).
The repeated sub-records (``Consignment.items``, ``Order.lines``) are columns prefixed ``items.`` /
``lines.`` and take one row per entry; consecutive rows with the same grouping key (``reference``
for consignments, ``order_number`` for orders) make up one record. Payments and waybills are one
row per record. docs/formats.md describes the layout for people; this module is its definition.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import msgspec

from clearway.dataset.errors import FieldError, join
from clearway.intake.parsed import KINDS, record_type

__all__ = ["Column", "Layout", "columns", "flatten", "layout_for"]

Leaf = Literal["str", "int", "decimal", "bool", "date", "datetime"]
# Decimal fields that measure goods rather than money; every other Decimal field is an amount.
_MEASURES = frozenset({"quantity", "gross_weight_kg", "net_weight_kg"})
_GROUPING = {"consignment": ("reference", "items"), "order": ("order_number", "lines")}
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its dotted ``name`` and where its value goes.

    ``path`` are the keys inside the record, or inside one entry of the repeated sub-record when
    ``repeated``. ``required`` means the record cannot be valid without it (the field and all the
    sub-records holding it are required).
    """

    name: str
    path: tuple[str, ...]
    leaf: Leaf
    repeated: bool
    required: bool
    money: bool

    def pointer(self, index: int | None = None, repeated_field: str = "") -> str:
        """The JSON pointer of this column's field (``index`` is the entry of a repeated column)."""
        pointer = ""
        if self.repeated:
            pointer = join(join(pointer, repeated_field), index if index is not None else 0)
        for key in self.path:
            pointer = join(pointer, key)
        return pointer


@dataclass(frozen=True, slots=True)
class Layout:
    kind: str
    cls: type[msgspec.Struct]
    key: str | None  # the grouping column, None when every row is a record
    repeated: str | None  # the field of the repeated sub-record (items / lines)
    columns: tuple[Column, ...]
    by_name: dict[str, Column]


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """The type without Annotated and Optional, and whether None was allowed."""
    optional = False
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            optional = optional or len(options) < len(typing.get_args(tp))
            if len(options) != 1:
                raise TypeError(f"the flat layout cannot hold the union {tp!r}")
            tp = options[0]
        else:
            return tp, optional


def _leaf(tp: Any) -> Leaf:
    if typing.get_origin(tp) is Literal or tp is str:
        return "str"
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is Decimal:
        return "decimal"
    if tp is dt.datetime:
        return "datetime"
    if tp is dt.date:
        return "date"
    raise TypeError(f"the flat layout has no column type for {tp!r}")


def _walk(
    cls: type[msgspec.Struct], prefix: tuple[str, ...], repeated: bool, required: bool, out: list[Column]
) -> None:
    for field in msgspec.structs.fields(cls):
        tp, optional = _unwrap(field.type)
        path = (*prefix, field.encode_name)
        needed = required and field.required and not optional
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            _walk(tp, path, repeated, needed, out)
        elif typing.get_origin(tp) is list and not prefix and not repeated:
            entry, _ = _unwrap(typing.get_args(tp)[0])
            _walk(entry, (), True, True, out)
        else:
            name = ".".join(path)
            leaf = _leaf(tp)
            money = leaf == "decimal" and field.encode_name not in _MEASURES
            out.append(Column(name, path, leaf, repeated, needed, money))


def _build(kind: str) -> Layout:
    cls = record_type(kind)
    key, repeated = _GROUPING.get(kind, (None, None))
    found: list[Column] = []
    _walk(cls, (), False, True, found)
    named = [
        Column(f"{repeated}.{c.name}", c.path, c.leaf, True, c.required, c.money) if c.repeated else c for c in found
    ]
    # The record's own columns first, then the repeated entry's: the order a spreadsheet reads well.
    named.sort(key=lambda c: c.repeated)
    return Layout(kind, cls, key, repeated, tuple(named), {c.name: c for c in named})


_LAYOUTS: dict[str, Layout] = {kind: _build(kind) for kind in KINDS}


def layout_for(kind: str) -> Layout:
    """The layout of ``kind``; raises ValueError for an unknown kind."""
    record_type(kind)
    return _LAYOUTS[kind]


def columns(kind: str) -> list[str]:
    """Every column name of ``kind`` in canonical order."""
    return [c.name for c in layout_for(kind).columns]


def coerce(column: Column, cell: str) -> tuple[Any, str | None]:
    """The value of a non-empty cell for ``column``, or the cell and why it does not fit.

    Only the conversions a string column needs: whole numbers, decimals (exactly, never through
    float) and booleans. Strings, codes, dates and times stay text and are checked by the record
    type itself, so ``0`` never becomes a date and an empty cell never becomes a number.
    """
    leaf = column.leaf
    if leaf == "str" or leaf == "date" or leaf == "datetime":
        return cell, None
    text = cell.strip()
    if leaf == "int":
        if _INT.fullmatch(text):
            return int(text), None
        return cell, f"expected a whole number, got {cell!r}"
    if leaf == "decimal":
        if _DECIMAL.fullmatch(text):
            return Decimal(text), None
        return cell, f"expected a decimal number such as 12.50, got {cell!r}"
    lowered = text.lower()
    if lowered in _TRUE:
        return True, None
    if lowered in _FALSE:
        return False, None
    return cell, f"expected true or false, got {cell!r}"


def put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``value`` at ``path`` in nested dicts, creating the dicts on the way."""
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def cell_text(value: Any) -> str:
    """A record value as a cell: booleans as true/false, everything else as its canonical text."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _flatten_into(value: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten_into(item, f"{name}.", out)
        elif item is not None:
            out[name] = cell_text(item)


def flatten(layout: Layout, record: msgspec.Struct) -> list[dict[str, str]]:
    """The rows of one record: column name to cell text, absent fields left out."""
    if not isinstance(record, layout.cls):
        raise TypeError(f"expected a {layout.cls.__name__}, got {type(record).__name__}")
    raw = msgspec.to_builtins(record)
    entries: list[dict[str, Any]] = raw.pop(layout.repeated, []) if layout.repeated else []
    first: dict[str, str] = {}
    _flatten_into(raw, "", first)
    if not entries:
        return [first]
    rows = []
    for index, entry in enumerate(entries):
        row = first if index == 0 else {layout.key: first[layout.key]} if layout.key else {}
        _flatten_into(entry, f"{layout.repeated}.", row)
        rows.append(row)
    return rows


def assemble(
    layout: Layout, group: list[tuple[int, dict[str, str]]]
) -> tuple[dict[str, Any], list[tuple[int, FieldError]], set[str], list[int]]:
    """The nested object of one record from its rows (``(row number, non-empty cells)``).

    Returns the object, the errors found on the way (each with its row), the pointers of cells
    that could not be coerced (the record type would report them again, less clearly) and the row
    of each entry of the repeated sub-record.
    """
    obj: dict[str, Any] = {}
    errors: list[tuple[int, FieldError]] = []
    bad: set[str] = set()
    entries: list[dict[str, Any]] = []
    entry_rows: list[int] = []
    first_row, first = group[0]
    by_name = layout.by_name
    for row, cells in group:
        entry: dict[str, Any] = {}
        for name, cell in cells.items():
            column = by_name[name]
            if not column.repeated:
                if row != first_row:
                    if name != layout.key and cell != first.get(name):
                        said = f"says {first[name]!r}" if name in first else "leaves it empty"
                        detail = f"row {row} says {cell!r} but the record's first row (row {first_row}) {said}"
                        errors.append((row, FieldError(column.pointer(), detail)))
                    continue
                target, pointer = obj, column.pointer()
            else:
                target, pointer = entry, column.pointer(len(entries), layout.repeated or "")
            value, problem = coerce(column, cell)
            if problem is not None:
                errors.append((row, FieldError(pointer, problem)))
                bad.add(pointer)
            put(target, column.path, value)
        if entry:
            entries.append(entry)
            entry_rows.append(row)
    if entries and layout.repeated:
        obj[layout.repeated] = entries
    return obj, errors, bad, entry_rows
