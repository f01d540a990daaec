"""Aggregation and splitting: the same buyer's consignments of the same day, added up.

Splitting an order into several parcels keeps each under a threshold (EUR 150, a de minimis) that
the whole would cross. The buyer is recognised by their normalised name and address (an identity
number when one is declared), kept as a keyed hash: the store can add up a person's parcels without
holding who they are in another table. Names and addresses are taken in their matching form
(``clearway.dataset.text``), so that "Аnna" with a Cyrillic А is the same buyer as "Anna"; an ASCII
name gets the key it always had.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping

import polars as pl

from clearway.dataset.text import normalise_for_matching

_SPACES = re.compile(r"[^0-9a-z]+")


def _norm(text: str | None) -> str:
    text = text or ""
    # ASCII needs only its case folded (the substitution below does the rest): the common case stays cheap.
    return _SPACES.sub(" ", text.casefold() if text.isascii() else normalise_for_matching(text)).strip()


def buyer_keys(frame: pl.DataFrame, secret: bytes) -> list[str]:
    """One key per row: the identity number if declared, else the name with the address."""
    keys = []
    for destination, buyer_id, name, address in zip(
        frame["destination"], frame["buyer_id"], frame["buyer_name"], frame["buyer_address"], strict=True
    ):
        identity = f"id:{buyer_id}" if buyer_id else f"na:{_norm(name)}|{_norm(address)}"
        keys.append(hmac.new(secret, f"{destination}|{identity}".encode(), hashlib.sha256).hexdigest()[:32])
    return keys


def add_buyer_day(
    frame: pl.DataFrame,
    secret: bytes,
    earlier: Mapping[tuple[str, str], tuple[int, float]],
    day: dt.date | None = None,
) -> pl.DataFrame:
    """Add ``buyer_key``, ``buyer_day_count`` and ``buyer_day_value_eur``.

    The day is the day the consignments are assessed (``day``), or each one's day of receipt.
    ``earlier`` maps (buyer key, ISO day) to what the store already holds for that buyer and day
    (consignments assessed in earlier batches): count and value in euro. Within the batch the totals
    run in row order: a consignment counts the buyer's earlier ones and itself, never those after it,
    so that a batch decides each consignment as it would have been decided alone, in that order
    (the bulk and single-record paths store the same: tests/app/test_bulk_equivalence.py).
    """
    day_column = pl.lit(day.isoformat()) if day is not None else pl.col("received_at").dt.date().cast(pl.Utf8)
    # Replayed history (no day given) runs in order of receipt, whatever order the rows were read in
    # (training reads oldest first, drift newest first); a batch being decided runs in its own order.
    order = ["row"] if day is not None else ["received_at", "row"]
    with_keys = frame.with_columns(
        pl.Series("buyer_key", buyer_keys(frame, secret), dtype=pl.Utf8),
        day_column.alias("_day"),
    ).sort(order)
    prior = pl.DataFrame(
        {
            "buyer_key": [k for k, _ in earlier],
            "_day": [d for _, d in earlier],
            "_pn": [n for n, _ in earlier.values()],
            "_pv": [v for _, v in earlier.values()],
        },
        schema={"buyer_key": pl.Utf8, "_day": pl.Utf8, "_pn": pl.UInt32, "_pv": pl.Float64},
    )
    group = ["buyer_key", "_day"]
    running = with_keys.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over(group).alias("_n"),
        pl.col("value_eur").fill_null(0.0).cum_sum().over(group).alias("_v"),
    ).join(prior, on=group, how="left", maintain_order="left")
    return (
        running.with_columns(
            (pl.col("_n") + pl.col("_pn").fill_null(0)).alias("buyer_day_count"),
            (pl.col("_v") + pl.col("_pv").fill_null(0.0)).alias("buyer_day_value_eur"),
        )
        .drop("_day", "_n", "_v", "_pn", "_pv")
        .sort("row")
    )
