"""The outcome of parsing one record of an intake file: the record, or every error located."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

import msgspec

from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, Order, Payment, Waybill

T = TypeVar("T", bound=msgspec.Struct)

Kind = Literal["consignment", "order", "payment", "waybill"]
KINDS: tuple[Kind, ...] = ("consignment", "order", "payment", "waybill")
RECORD_TYPES: dict[str, type[msgspec.Struct]] = {
    "consignment": Consignment,
    "order": Order,
    "payment": Payment,
    "waybill": Waybill,
}


class Parsed(msgspec.Struct, Generic[T], frozen=True):
    """One record of the input: ``record`` when it is valid, else ``None`` and its ``errors``.

    ``line`` is where the record starts: the 1-based line of an NDJSON input, the 1-based CSV row
    (the header is row 1) or the 1-based Parquet data row. A tabular record spans several rows (one
    per item), so ``error_lines`` gives the row of each error, parallel to ``errors``; it is empty
    when every error is at ``line`` (always so for NDJSON). Use :meth:`located_errors` to read both.
    """

    line: int
    record: T | None
    errors: list[FieldError]
    error_lines: list[int] = []

    @property
    def ok(self) -> bool:
        return self.record is not None

    def located_errors(self) -> list[tuple[int, FieldError]]:
        """``(line or row, error)`` for every error."""
        if self.error_lines:
            return list(zip(self.error_lines, self.errors, strict=True))
        return [(self.line, error) for error in self.errors]


def record_type(kind: str) -> type[msgspec.Struct]:
    """The record class of ``kind`` (consignment, order, payment or waybill)."""
    try:
        return RECORD_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}") from None
