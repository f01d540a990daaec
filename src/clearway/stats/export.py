"""Exports of the facts frame: CSV for spreadsheets, Parquet for analysis tools (Polars, pandas, R).

The facts hold no personal data (clearway.stats.facts says why), so the export is the frame of the
window as it is: operator ids, countries, HS chapters, amounts, states, times. Nothing else (no
party, no address, no buyer key) is ever read into it. Times are UTC; in CSV as ISO 8601.
"""

from __future__ import annotations

import io
from typing import Literal

import polars as pl

from clearway.stats.facts import FACTS_SCHEMA
from clearway.stats.queries import Window, within

ExportFormat = Literal["csv", "parquet"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet")
MEDIA_TYPES: dict[ExportFormat, str] = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
EXPORT_COLUMNS = tuple(FACTS_SCHEMA)


def export_frame(facts: pl.DataFrame, window: Window) -> pl.DataFrame:
    """The facts of the window, oldest receipt first."""
    return within(facts, window).select(EXPORT_COLUMNS).sort("received_at", "consignment_id")


def export_bytes(frame: pl.DataFrame, fmt: ExportFormat) -> bytes:
    buffer = io.BytesIO()
    if fmt == "csv":
        frame.write_csv(buffer, datetime_format="%Y-%m-%dT%H:%M:%S%.6fZ")
    else:
        frame.write_parquet(buffer, compression="zstd", statistics=True)
    return buffer.getvalue()
