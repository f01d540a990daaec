"""The facts frame: one row per consignment (its latest version), the figures statistics are made of.

Built from five raw frames read from the store (clearway.stats.load): the consignments with what
their stored declaration says, the lifecycle history, the risk results, the assessments and the
inspection outcomes. Everything here is Polars over those frames; no database, no web code.

The frame holds **no personal data**: no name, address, e-mail, phone, identity number or buyer
key of anyone (clearway.privacy.personal lists those fields; none of them is read). Operator ids
name firms, and countries, HS chapters and amounts identify no person. So the frame can be
exported as it is.

=====================  ==================  ===========================================================
column                 dtype               meaning
=====================  ==================  ===========================================================
consignment_id         Utf8                the consignment
version                Int64               its latest version
operator_id            Utf8                who declared it (a firm)
received_at            Datetime(us, UTC)   first receipt of the declaration
released_at            Datetime(us, UTC)   the transition to ``released`` in the history (null: not)
updated_at             Datetime(us, UTC)   last change of its state (incremental refresh reads it)
state                  Utf8                lifecycle state now
lane                   Utf8                lane of the latest decision (null: not decided)
destination            Utf8                country of destination
origin                 Utf8                the seller's country (the country of dispatch)
hs_chapter             Utf8                HS chapter (2 digits) of the item of highest value
channel                Utf8                ``post`` (transport mode post or a UPU S10 item) or ``courier``
relationship           Utf8                B2C, C2C or B2B
collection_model       Utf8                who collects the tax (latest assessment; null: not assessed)
currency               Utf8                currency of the declaration
goods_value            Float64             goods value in that currency
value_eur              Float64             goods value in euro (latest risk result; null: no rate/result)
assessment_currency    Utf8                currency of the latest assessment
duty                   Float64             duty assessed, in the assessment currency
tax                    Float64             tax (VAT/GST) assessed, in the assessment currency
duty_eur               Float64             duty in euro (see ``euro_factor``)
tax_eur                Float64             tax in euro
held                   Boolean             customs held it at least once (any hold reason)
inspected              Boolean             examined: reached ``inspected`` or has a recorded outcome
outcome                Utf8                the latest recorded inspection outcome (null: none)
finding                Boolean             some recorded outcome is other than ``compliant``
refused                Boolean             seized or returned
automatic_release      Boolean             released with no hold and no inspection
late_filing            Boolean             the quality check found it filed late (null: no risk result)
lead_minutes           Float64             minutes from receipt to the end of the departure day (else of
                                           the arrival day); negative: filed after it (null: no date)
=====================  ==================  ===========================================================

Amounts are floats: statistics compare and add them, nobody is charged from them (the revenue
statements keep exact decimals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import polars as pl

from clearway.gc_pause import paused_gc

UTC_TIME = pl.Datetime("us", "UTC")

FACTS_SCHEMA: dict[str, pl.DataType] = {
    "consignment_id": pl.Utf8(),
    "version": pl.Int64(),
    "operator_id": pl.Utf8(),
    "received_at": UTC_TIME,
    "released_at": UTC_TIME,
    "updated_at": UTC_TIME,
    "state": pl.Utf8(),
    "lane": pl.Utf8(),
    "destination": pl.Utf8(),
    "origin": pl.Utf8(),
    "hs_chapter": pl.Utf8(),
    "channel": pl.Utf8(),
    "relationship": pl.Utf8(),
    "collection_model": pl.Utf8(),
    "currency": pl.Utf8(),
    "goods_value": pl.Float64(),
    "value_eur": pl.Float64(),
    "assessment_currency": pl.Utf8(),
    "duty": pl.Float64(),
    "tax": pl.Float64(),
    "duty_eur": pl.Float64(),
    "tax_eur": pl.Float64(),
    "held": pl.Boolean(),
    "inspected": pl.Boolean(),
    "outcome": pl.Utf8(),
    "finding": pl.Boolean(),
    "refused": pl.Boolean(),
    "automatic_release": pl.Boolean(),
    "late_filing": pl.Boolean(),
    "lead_minutes": pl.Float64(),
}

# The raw frames the store readers produce (clearway.stats.load), one row per stored row.
CONSIGNMENTS_RAW: dict[str, pl.DataType] = {
    "consignment_id": pl.Utf8(),
    "version": pl.Int64(),
    "operator_id": pl.Utf8(),
    "state": pl.Utf8(),
    "lane": pl.Utf8(),
    "destination": pl.Utf8(),
    "currency": pl.Utf8(),
    "goods_value": pl.Float64(),
    "received_at": UTC_TIME,
    "updated_at": UTC_TIME,
    "origin": pl.Utf8(),
    "hs_chapter": pl.Utf8(),
    "channel": pl.Utf8(),
    "relationship": pl.Utf8(),
    "departure_date": pl.Date(),
    "arrival_date": pl.Date(),
}
HISTORY_RAW: dict[str, pl.DataType] = {"consignment_id": pl.Utf8(), "to_state": pl.Utf8(), "at": UTC_TIME}
RISK_RAW: dict[str, pl.DataType] = {
    "consignment_id": pl.Utf8(),
    "version": pl.Int64(),
    "value_eur": pl.Float64(),
    "quality_codes": pl.Utf8(),  # the JSON text of the result's list of quality codes
}
ASSESSMENTS_RAW: dict[str, pl.DataType] = {
    "consignment_id": pl.Utf8(),
    "version": pl.Int64(),
    "assessment_currency": pl.Utf8(),
    "collection_model": pl.Utf8(),
    "duty": pl.Float64(),
    "tax": pl.Float64(),
    "intrinsic_value": pl.Float64(),
}
OUTCOMES_RAW: dict[str, pl.DataType] = {"consignment_id": pl.Utf8(), "outcome": pl.Utf8(), "recorded_at": UTC_TIME}

# Only these transitions matter to the facts; the loader reads no others.
HISTORY_STATES = ("released", "held", "inspected")
REFUSED_STATES = ("seized", "returned")


@dataclass(frozen=True)
class Parts:
    """The raw frames of some consignments (all of them, or those changed since a refresh)."""

    consignments: pl.DataFrame
    history: pl.DataFrame
    risk: pl.DataFrame
    assessments: pl.DataFrame
    outcomes: pl.DataFrame

    @classmethod
    def empty(cls) -> Parts:
        return cls(
            *(pl.DataFrame(schema=s) for s in (CONSIGNMENTS_RAW, HISTORY_RAW, RISK_RAW, ASSESSMENTS_RAW, OUTCOMES_RAW))
        )


# -- what the stored declaration says -----------------------------------------------------------
# Partial views of the canonical Consignment JSON: msgspec skips every other field (names and
# addresses included) without building it. Untracked by the cyclic collector, decoded with it paused.


class _Seller(msgspec.Struct, gc=False):
    country: str | None = None


class _Parties(msgspec.Struct, gc=False):
    seller: _Seller = msgspec.field(default_factory=_Seller)


class _Item(msgspec.Struct, gc=False):
    hs_code: str = ""
    quantity: float = 0.0
    unit_price: float = 0.0


class _Logistics(msgspec.Struct, gc=False):
    transport_mode: str | None = None
    document_type: str = "house_waybill"
    departure_date: dt.date | None = None
    arrival_date: dt.date | None = None


class _Flags(msgspec.Struct, gc=False):
    relationship: str = "B2C"


class _Body(msgspec.Struct, gc=False):
    parties: _Parties = msgspec.field(default_factory=_Parties)
    items: list[_Item] = msgspec.field(default_factory=list)
    logistics: _Logistics = msgspec.field(default_factory=_Logistics)
    flags: _Flags = msgspec.field(default_factory=_Flags)


# Not strict: amounts are decimal strings in the stored JSON, read here as floats.
_BODY = msgspec.json.Decoder(_Body, strict=False)
BODY_COLUMNS = ("origin", "hs_chapter", "channel", "relationship", "departure_date", "arrival_date")


def main_chapter(items: Sequence[_Item]) -> str | None:
    """The HS chapter of the item of highest value (quantity x unit price; the first on a tie)."""
    best: _Item | None = None
    for item in items:
        if best is None or item.quantity * item.unit_price > best.quantity * best.unit_price:
            best = item
    return best.hs_code[:2] if best is not None and best.hs_code else None


def channel_of(transport_mode: str | None, document_type: str) -> str:
    """Post when the parcel travels by post or as a UPU S10 item (as the risk frame decides), else courier."""
    return "post" if transport_mode == "post" or document_type == "upu_s10" else "courier"


def body_columns(bodies: Iterable[str | bytes | None]) -> dict[str, list[Any]]:
    """Origin, main HS chapter, channel, relationship and the transport dates of stored declarations.

    A body that cannot be read (it never should) gives nulls rather than stopping the statistics.
    """
    columns: dict[str, list[Any]] = {name: [] for name in BODY_COLUMNS}
    origin, chapter, channel, relationship, departure, arrival = columns.values()
    with paused_gc():
        for text in bodies:
            try:
                body = _BODY.decode(text) if text is not None else None
            except (msgspec.DecodeError, msgspec.ValidationError):
                body = None
            if body is None:
                for column in columns.values():
                    column.append(None)
                continue
            origin.append(body.parties.seller.country)
            chapter.append(main_chapter(body.items))
            channel.append(channel_of(body.logistics.transport_mode, body.logistics.document_type))
            relationship.append(body.flags.relationship)
            departure.append(body.logistics.departure_date)
            arrival.append(body.logistics.arrival_date)
    return columns


# -- assembling the facts ---------------------------------------------------------------------


def euro_factor() -> pl.Expr:
    """Euro per unit of the assessment currency, from figures the store already holds.

    The risk result's ``value_eur`` is the goods value converted at the rate risk used, so: 1 when
    the assessment is in euro; ``value_eur / goods_value`` when the assessment is in the
    declaration's currency; otherwise ``value_eur / intrinsic_value`` (the intrinsic value is the
    same goods in the assessment currency). Null when neither ratio exists (no euro value, or a
    zero value): such duty and tax stay out of the euro totals rather than being guessed.
    """
    currency, value_eur = pl.col("assessment_currency"), pl.col("value_eur")
    return (
        pl.when(currency == "EUR")
        .then(pl.lit(1.0))
        .when((currency == pl.col("currency")) & (pl.col("goods_value") > 0))
        .then(value_eur / pl.col("goods_value"))
        .when(pl.col("intrinsic_value") > 0)
        .then(value_eur / pl.col("intrinsic_value"))
        .otherwise(pl.lit(None, pl.Float64))
    )


def lead_minutes() -> pl.Expr:
    """Minutes from receipt to the end of the departure day (UTC), else of the arrival day.

    The dates carry no hour, so the end of the day is the latest the parcel can have left: the same
    reference the ``late_filing`` quality check uses. Negative when the data came after it.
    """
    day = pl.coalesce(pl.col("departure_date"), pl.col("arrival_date"))
    end_of_day = day.cast(pl.Datetime("us")).dt.replace_time_zone("UTC") + pl.duration(days=1)
    return (end_of_day - pl.col("received_at")).dt.total_microseconds() / 60_000_000


def _latest(frame: pl.DataFrame) -> pl.DataFrame:
    """The row of the highest version of each consignment."""
    return frame.sort("consignment_id", "version").group_by("consignment_id", maintain_order=True).last()


def assemble(parts: Parts) -> pl.DataFrame:
    """The facts frame (FACTS_SCHEMA) of the consignments in ``parts``."""
    history = (
        parts.history.lazy()
        .group_by("consignment_id")
        .agg(
            released_at=pl.col("at").filter(pl.col("to_state") == "released").max(),
            held=(pl.col("to_state") == "held").any(),
            examined=(pl.col("to_state") == "inspected").any(),
        )
    )
    outcomes = (
        parts.outcomes.lazy()
        .sort("recorded_at")
        .group_by("consignment_id")
        .agg(outcome=pl.col("outcome").last(), finding=(pl.col("outcome") != "compliant").any())
    )
    risk = _latest(parts.risk).drop("version").lazy()
    assessments = _latest(parts.assessments).drop("version").lazy()
    state = pl.col("state")
    held = pl.col("held").fill_null(False)
    inspected = pl.col("examined").fill_null(False) | pl.col("outcome").is_not_null()
    frame = (
        parts.consignments.lazy()
        .join(history, on="consignment_id", how="left")
        .join(outcomes, on="consignment_id", how="left")
        .join(risk, on="consignment_id", how="left")
        .join(assessments, on="consignment_id", how="left")
        .with_columns(_factor=euro_factor())
        .with_columns(
            duty_eur=pl.col("duty") * pl.col("_factor"),
            tax_eur=pl.col("tax") * pl.col("_factor"),
            held=held,
            inspected=inspected,
            finding=pl.col("finding").fill_null(False),
            refused=state.is_in(REFUSED_STATES),
            automatic_release=(state == "released") & ~held & ~inspected,
            # The list holds plain codes (no nesting): the code, quoted, is in it or not.
            late_filing=pl.col("quality_codes").str.contains('"late_filing"', literal=True),
            lead_minutes=lead_minutes(),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in FACTS_SCHEMA.items()])
    )
    return frame.collect()


def merge(facts: pl.DataFrame, fresh: pl.DataFrame, reloaded: Iterable[str]) -> pl.DataFrame:
    """``facts`` with the rows of the ``reloaded`` consignments replaced by ``fresh`` (gone if absent)."""
    ids = pl.Series("ids", list(reloaded), dtype=pl.Utf8)
    return pl.concat([facts.filter(~pl.col("consignment_id").is_in(ids.implode())), fresh], how="vertical")


def empty_facts() -> pl.DataFrame:
    return pl.DataFrame(schema=FACTS_SCHEMA)
