"""Intake parsers: NDJSON, CSV and Parquet files into typed records with precise per-record errors.

Pure parsing: no web framework, database or HTTP client is imported here. Every parser yields one
:class:`Parsed` per record, holding the record or its errors located by JSON pointer and line/row.
"""

from clearway.intake.layout import columns
from clearway.intake.ndjson import NdjsonResult, TooManyLines, iter_ndjson_lines, parse_ndjson
from clearway.intake.parsed import KINDS, Kind, Parsed, record_type
from clearway.intake.sniff import Format, UnknownFormat, detect_format, detect_kind
from clearway.intake.tabular import read_csv, read_parquet, write_csv, write_parquet

__all__ = [
    "KINDS",
    "Format",
    "Kind",
    "NdjsonResult",
    "Parsed",
    "TooManyLines",
    "UnknownFormat",
    "columns",
    "detect_format",
    "detect_kind",
    "iter_ndjson_lines",
    "parse_ndjson",
    "read_csv",
    "read_parquet",
    "record_type",
    "write_csv",
    "write_parquet",
]
