"""Tell an intake file's format and record kind from its name."""

from __future__ import annotations

import os
import re
from pathlib import PurePath
from typing import Literal, cast

from clearway.intake.parsed import Kind

__all__ = ["Format", "UnknownFormat", "detect_format", "detect_kind"]

Format = Literal["ndjson", "csv", "parquet"]
_FORMATS: dict[str, Format] = {
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
    ".csv": "csv",
    ".parquet": "parquet",
}
# The kind is a word of the name: "orders.csv" and "2026-11_waybills.ndjson" match, "border.csv" not.
_KIND = re.compile(r"(?<![a-z])(consignment|order|payment|waybill)s?(?![a-z])")


class UnknownFormat(ValueError):
    """The file name does not end in an extension of a supported format."""


def detect_format(path: str | os.PathLike[str]) -> Format:
    """``ndjson`` (.ndjson, .jsonl, .json), ``csv`` (.csv) or ``parquet`` (.parquet); case-insensitive."""
    suffix = PurePath(path).suffix.lower()
    try:
        return _FORMATS[suffix]
    except KeyError:
        name = PurePath(path).name
        raise UnknownFormat(
            f"cannot tell the format of {name!r} from its extension {suffix or '(none)'}; "
            "use .ndjson, .jsonl or .json for NDJSON, .csv for CSV or .parquet for Parquet"
        ) from None


def detect_kind(path: str | os.PathLike[str]) -> Kind | None:
    """The record kind named in the file name (consignment, order, payment, waybill), else None.

    Only the file name counts, not its directories; a name that mentions two kinds is ambiguous and
    gives None.
    """
    found = {match.group(1) for match in _KIND.finditer(PurePath(path).name.lower())}
    if len(found) != 1:
        return None
    return cast(Kind, found.pop())
