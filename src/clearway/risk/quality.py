"""Data quality of declarations: the WCO 2022 data quality standard as checks over the risk frame.

The standard asks for data that is timely, accurate, complete and consistent; each check gives a code:

- completeness: ``missing_placi_element`` (the ICS2 PLACI "7+1": consignor name and address,
  consignee name and address, description, packages, gross weight, transport document) and
  ``incomplete_low_value_data_set`` (the elements the flow's data set requires, QualityConfig);
- accuracy: ``vague_description``, ``mixed_script_text`` (a word of a description or a party's name
  mixes alphabets, as "Pеpper" with a Cyrillic е: a look-alike spelling that hides the goods or the
  party from matching, or a keyboard switched mid-word), ``hs_not_in_nomenclature``,
  ``hs_code_does_not_match_description`` (the HS classification assistant finds the declared code's
  chapter or heading far from what the description supports: the ``hs_mismatches`` column, which
  clearway.risk.hs_mismatch adds before quality runs; without it, the check finds nothing),
  ``value_zero_or_one``, ``unit_value_far_below_reference``, ``unit_value_far_above_reference``,
  ``weight_implausible``;
- consistency: ``item_values_inconsistent`` (item lines do not add up to the goods value),
  ``gift_not_c2c`` (a gift must go from one private person to another), ``duplicate_item_description``;
- timeliness: ``late_filing``.

Quality is a score with reasons, not a verdict: it feeds targeting and the operators' quality report,
and never refuses a declaration by itself. Batches are assessed with Polars (``assess_quality``);
``quality_of`` is an independent plain Python version for one record, so that a property test can
hold each to the other. A null input never raises a code in either: a check fires on evidence only.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl

from clearway.dataset.records import Address
from clearway.dataset.text import is_mixed_script
from clearway.gc_pause import paused_gc
from clearway.risk.compiled import ByIdentity
from clearway.risk.frame import RiskInput
from clearway.risk.hs_mismatch import COLUMN as HS_COLUMN
from clearway.risk.matching import matching_forms, mixed_script
from clearway.risk.reference import QualityReference, ReferencePrices, is_blank, is_blank_expr, normalise

# Penalties out of 100. Heaviest where customs cannot assess the parcel at all (no PLACI data: ICS2
# would not accept the filing) or cannot tell what is in it (vague text, an HS code that does not
# exist); then what hides revenue (values of 0 or 1, far below the usual price, gifts that were
# sales); lightest where an honest mistake is the likely cause (over-valuation, a duplicated line).
# Mixed alphabets in a word weigh as hidden revenue does: rarely honest, and what they hide is found
# anyway by matching the folded text, so the code is the trace left for targeting and the operator.
DEFAULT_WEIGHTS: Mapping[str, int] = {
    "missing_placi_element": 40,
    "incomplete_low_value_data_set": 15,
    "vague_description": 25,
    "mixed_script_text": 15,
    "hs_not_in_nomenclature": 25,
    # Lighter than a code that does not exist: the assistant can be wrong, and the code may be right.
    "hs_code_does_not_match_description": 15,
    "value_zero_or_one": 20,
    "unit_value_far_below_reference": 20,
    "unit_value_far_above_reference": 10,
    "weight_implausible": 10,
    "item_values_inconsistent": 15,
    "gift_not_c2c": 15,
    "duplicate_item_description": 5,
    "late_filing": 20,
}

# The codes, in the order ``quality_codes`` lists them: completeness, accuracy, consistency, timeliness.
CODES: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)

# Frame text columns a flow's data set may require (the frame's own and those added below).
REQUIRABLE: frozenset[str] = frozenset(
    {"seller_address", "buyer_address", "buyer_id", "buyer_email", "buyer_phone", "consignee_address"}
    | {"platform_name", "tax_scheme_id"}
)

_ADDRESSES = ("buyer_address", "seller_address")

# The PLACI 7+1 elements that are text (descriptions, packages and gross weight are checked apart).
PLACI_TEXT = ("seller_name", "seller_address", "consignee_name", "consignee_address", "transport_document")
# The names checked for mixed alphabets, besides the descriptions.
NAMES = ("seller_name", "buyer_name", "consignee_name")

# Columns the checks need beyond the frame's contract, added by ``with_quality_inputs``.
QUALITY_INPUTS: dict[str, pl.DataType | type[pl.DataType]] = {
    "seller_address": pl.Utf8,  # line1, postcode and city, as the frame's buyer_address
    "consignee_address": pl.Utf8,  # the consignee's address, else the buyer's
    "packages": pl.UInt16,
    "unit_prices": pl.List(pl.Float64),  # in the declared currency (a value of "1" is a currency fact)
}


@dataclass(frozen=True, slots=True)
class QualityConfig:
    """Thresholds of the checks and the weight of each code in the score (defaults documented inline)."""

    # Unit value against the HS-6 median: a fifth or less is the undervaluation band targeting uses
    # (simulated undervaluation declares 10-30% of the price paid); five times is a likely typo.
    price_ratio_low: float = 0.2
    price_ratio_high: float = 5.0
    # Departure dates carry no time, so the filing is due ``minutes`` before the end of that day
    # (UTC): only filings certain to be late are flagged. Sea: 24 hours before loading (ICS2).
    minutes_before_departure: int = 60
    minutes_before_departure_by_mode: Mapping[str, int] = field(default_factory=lambda: {"sea": 24 * 60})
    # Gross weight per package: an envelope alone weighs about 5 g; couriers take no piece over 70 kg.
    min_kg_per_package: float = 0.005
    max_kg_per_package: float = 70.0
    # Goods value per kg of gross weight (checked above EUR 1): below 10 cents it is bulk rubble, not a
    # parcel; above EUR 100,000 it is worth more than gold, so the weight or the value is wrong.
    min_eur_per_kg: float = 0.1
    max_eur_per_kg: float = 100_000.0
    # Item lines may differ from the goods value by rounding: 0.01 plus 0.5% of the value.
    value_tolerance: float = 0.01
    value_tolerance_share: float = 0.005
    # The data set each flow requires, by channel and (in addition) by destination. China's
    # cross-border retail import checks the buyer's identity document against the payer.
    required_by_channel: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"post": _ADDRESSES, "courier": _ADDRESSES}
    )
    required_by_destination: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"CN": ("buyer_id",)})
    weights: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        # Read-only views: the batch path keeps the expressions built from a configuration (by its
        # identity, risk/compiled.py), so a table changed in place would part the two paths.
        for name in ("minutes_before_departure_by_mode", "required_by_channel", "required_by_destination", "weights"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        if not 0 < self.price_ratio_low < 1 < self.price_ratio_high:
            raise ValueError("price ratios must satisfy 0 < low < 1 < high")
        if self.minutes_before_departure < 0 or any(m < 0 for m in self.minutes_before_departure_by_mode.values()):
            raise ValueError("minutes before departure must be 0 or more")
        if not 0 < self.min_kg_per_package < self.max_kg_per_package:
            raise ValueError("weight bounds must satisfy 0 < min < max")
        if not 0 < self.min_eur_per_kg < self.max_eur_per_kg:
            raise ValueError("value per kg bounds must satisfy 0 < min < max")
        if self.value_tolerance < 0 or self.value_tolerance_share < 0:
            raise ValueError("value tolerances must be 0 or more")
        required = [*self.required_by_channel.values(), *self.required_by_destination.values()]
        unknown = {e for elements in required for e in elements} - REQUIRABLE
        if unknown:
            raise ValueError(f"cannot require {sorted(unknown)}; choose from {sorted(REQUIRABLE)}")
        if set(self.weights) != set(CODES) or any(not 0 <= w <= 100 for w in self.weights.values()):
            raise ValueError(f"weights must give each of {CODES} a whole number from 0 to 100")

    def data_sets(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(frame column, its value, elements required) for each non-empty required data set."""
        sets = [("channel", k, e) for k, e in self.required_by_channel.items()]
        return [s for s in sets + [("destination", k, e) for k, e in self.required_by_destination.items()] if s[2]]

    def lead_minutes(self, transport_mode: str | None) -> int:
        """Minutes before the end of the departure day by which a filing is due."""
        return self.minutes_before_departure_by_mode.get(transport_mode or "", self.minutes_before_departure)


# --- the frame's extra columns ---------------------------------------------------------------------


def _address(address: Address | None) -> str | None:
    if address is None:
        return None
    return " ".join(p for p in (address.line1, address.postcode or "", address.city) if p)


def with_quality_inputs(frame: pl.DataFrame, inputs: Sequence[RiskInput]) -> pl.DataFrame:
    """The frame ``build_frame(inputs, ...)`` made, with the QUALITY_INPUTS columns added.

    Unit prices are gathered flat and grouped by Polars on the frame's ``row`` (null for a record
    without items): building 200,000 small Python lists into a list column costs more than all the
    quality checks.
    """
    sellers, consignees, packages, rows, prices, references = [], [], [], [], [], []
    with paused_gc():
        for row, entry in enumerate(inputs):
            c = entry.consignment
            references.append(c.reference)
            sellers.append(_address(c.parties.seller.address))
            consignees.append(_address((c.parties.consignee or c.parties.buyer).address))
            packages.append(c.logistics.packages)
            rows.extend([row] * len(c.items))
            prices.extend([float(i.unit_price) for i in c.items])
    if not pl.Series(references, dtype=pl.Utf8).equals(frame["reference"]):
        raise ValueError("the frame was not built from these inputs, in this order")
    flat = pl.DataFrame({"row": rows, "unit_prices": prices}, schema={"row": pl.UInt32, "unit_prices": pl.Float64})
    grouped = flat.group_by("row").agg("unit_prices")
    extra: dict[str, list[Any]] = {"seller_address": sellers, "consignee_address": consignees, "packages": packages}
    return frame.join(grouped, on="row", how="left", maintain_order="left").select(
        *frame.columns, *(pl.Series(k, v, dtype=QUALITY_INPUTS[k]) for k, v in extra.items()), "unit_prices"
    )


# --- batch checks ----------------------------------------------------------------------------------


def _any(column: str | pl.Expr, predicate: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """Whether any element of a list column satisfies ``predicate`` (false for a null list)."""
    values = pl.col(column) if isinstance(column, str) else column
    return values.list.eval(predicate(pl.element()).fill_null(False)).list.any().fill_null(False)


def _zero_or_one(e: pl.Expr) -> pl.Expr:
    return (e == 0.0) | (e == 1.0)


def price_ratios(prices: ReferencePrices) -> pl.Expr:
    """Each item's unit value in euro over its HS-6 median (null where either is unknown)."""
    if not prices.prices:
        return pl.lit(None, dtype=pl.List(pl.Float64))
    keys = list(prices.prices)
    medians = pl.col("hs_codes").list.eval(
        pl.element()
        .str.slice(0, 6)
        .replace_strict(keys, [prices.prices[k].median for k in keys], default=None, return_dtype=pl.Float64)
    )
    return pl.col("unit_values_eur") / medians


def normalised_descriptions() -> pl.Expr:
    """Each item's description as ``normalise`` gives it (computed once, read by two checks)."""
    return matching_forms(pl.col("descriptions"))


def checks(
    reference: QualityReference, config: QualityConfig, ratios: pl.Expr, normalised: pl.Expr
) -> dict[str, pl.Expr]:
    """One never-null Boolean expression per code (true: the record has that problem).

    ``ratios`` is ``price_ratios(reference.prices)`` and ``normalised`` is
    ``normalised_descriptions()``, or columns holding them, so that a batch computes each once.
    """
    col, blank = pl.col, is_blank_expr
    terms, regex = sorted(reference.vague.terms), reference.vague.regex
    subheadings = sorted(reference.nomenclature.subheadings)

    def vague(text: pl.Expr) -> pl.Expr:
        return text.is_in(terms) | text.str.contains(regex) if regex is not None else text.is_in(terms)

    gross, packages, value = col("gross_weight_kg"), col("packages"), col("value_eur")
    placi = pl.any_horizontal(
        *(blank(col(c)) for c in PLACI_TEXT),
        col("descriptions").is_null() | (col("descriptions").list.len() == 0) | _any("descriptions", blank),
        packages.is_null() | (packages < 1),
        gross.is_null() | (gross <= 0),
    )
    required = [
        col(column).eq_missing(key) & pl.any_horizontal(blank(col(e)) for e in elements)
        for column, key, elements in config.data_sets()
    ]
    per_package, per_kg = gross / packages, value / gross
    weight = (
        (gross > 0)
        & (packages >= 1)
        & ((per_package < config.min_kg_per_package) | (per_package > config.max_kg_per_package))
    ).fill_null(False) | (
        (gross > 0) & (value > 1) & ((per_kg < config.min_eur_per_kg) | (per_kg > config.max_eur_per_kg))
    ).fill_null(False)
    total = (col("quantities") * col("unit_prices")).list.sum()
    goods = col("goods_value")
    tolerance = config.value_tolerance + config.value_tolerance_share * goods.abs()
    lead = col("transport_mode").replace_strict(
        dict(config.minutes_before_departure_by_mode), default=config.minutes_before_departure, return_dtype=pl.Int64
    )
    deadline = col("departure_date").cast(pl.Datetime("us", "UTC")) + pl.duration(days=1) - pl.duration(minutes=lead)
    flags = {
        "missing_placi_element": placi,
        "incomplete_low_value_data_set": pl.any_horizontal(required) if required else pl.lit(False),
        "vague_description": _any(normalised, vague),
        "mixed_script_text": pl.any_horizontal(mixed_script(col(c)) for c in ("descriptions", *NAMES)),
        "hs_not_in_nomenclature": _any("hs_codes", lambda e: ~e.str.slice(0, 6).is_in(subheadings).fill_null(False)),
        "hs_code_does_not_match_description": col(HS_COLUMN).list.len() > 0,
        "value_zero_or_one": ~col("nature").eq_missing("documents")
        & (_zero_or_one(goods).fill_null(False) | _any("unit_prices", _zero_or_one)),
        "unit_value_far_below_reference": ratios.list.min() < config.price_ratio_low,
        "unit_value_far_above_reference": ratios.list.max() > config.price_ratio_high,
        "weight_implausible": weight,
        "item_values_inconsistent": (total - goods).abs() > tolerance,
        "gift_not_c2c": col("nature").eq_missing("gift") & ~col("relationship").eq_missing("C2C"),
        "duplicate_item_description": normalised.list.n_unique() < col("descriptions").list.len(),
        "late_filing": col("received_at") > deadline,
    }
    return {code: flags[code].fill_null(False) for code in CODES}


def assess_quality(
    frame: pl.DataFrame, reference: QualityReference, config: QualityConfig | None = None
) -> pl.DataFrame:
    """The frame with ``quality_codes``, ``quality_score`` and ``price_ratio_min`` added.

    ``frame`` is a risk frame with the QUALITY_INPUTS columns (``with_quality_inputs``).
    ``quality_codes`` (List(Utf8)) lists the codes found, in CODES order; ``quality_score`` (UInt8)
    is 100 less the weights of those codes, at least 0; ``price_ratio_min`` (Float64) is the lowest
    ratio of an item's unit value in euro to its HS-6 median, null when no item has a reference.
    """
    config = config or _DEFAULT_CONFIG
    missing = [c for c in QUALITY_INPUTS if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks {missing}: add them with with_quality_inputs")
    if HS_COLUMN not in frame.columns:  # the HS stage did not run: no evidence, no finding
        frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias(HS_COLUMN))
    bits, mask, penalty = _EXPRESSIONS.get((reference, config), lambda: _expressions(reference, config))
    # Eager steps, not one lazy query: Polars' planner costs more than the checks on the small
    # batches of HTTP and Kafka (a batch of 100: 17 ms lazy, 9 ms eager), and nothing here gains
    # from its optimisations (every column is computed once, then read).
    return (
        frame.with_columns(_ratios=price_ratios(reference.prices), _normalised=normalised_descriptions())
        .with_columns(bits)
        .with_columns(price_ratio_min=pl.col("_ratios").list.min(), _mask=mask, _penalty=penalty)
        .join(_code_lists(), on="_mask", how="left", maintain_order="left")
        .select(
            *frame.columns,
            "quality_codes",
            quality_score=(100 - pl.col("_penalty")).clip(0, 100).cast(pl.UInt8),
            price_ratio_min="price_ratio_min",
        )
    )


_DEFAULT_CONFIG = QualityConfig()
# Built once per reference and configuration: building them took a batch of 100 about as long as
# evaluating them (clearway.risk.compiled).
_EXPRESSIONS: ByIdentity[tuple[list[pl.Expr], pl.Expr, pl.Expr]] = ByIdentity()


def _expressions(reference: QualityReference, config: QualityConfig) -> tuple[list[pl.Expr], pl.Expr, pl.Expr]:
    """Each check as a column, the bit mask of the codes found and the score's penalty.

    Each check becomes a column once, read by the mask and the penalty: written into both as
    expressions, every check ran twice (a batch of 100 took 30 ms, 18 ms this way).
    """
    flags = checks(reference, config, pl.col("_ratios"), pl.col("_normalised"))
    bits = [flag.alias(f"_q{bit}") for bit, flag in enumerate(flags.values())]
    # The codes found are a bit mask, joined to the list of codes it stands for: building the lists
    # row by row costs more than all the checks together.
    mask = pl.sum_horizontal(pl.col(f"_q{bit}").cast(pl.UInt16) * (1 << bit) for bit in range(len(flags)))
    penalty = pl.sum_horizontal(pl.col(f"_q{bit}").cast(pl.Int64) * config.weights[c] for bit, c in enumerate(flags))
    return bits, mask, penalty


@functools.cache
def _code_lists() -> pl.DataFrame:
    """Every combination of codes by its bit mask (bit i: CODES[i]), 2 ** len(CODES) rows."""
    masks = range(1 << len(CODES))
    lists = [[c for bit, c in enumerate(CODES) if m >> bit & 1] for m in masks]
    return pl.DataFrame(
        {"_mask": masks, "quality_codes": lists}, schema={"_mask": pl.UInt16, "quality_codes": pl.List(pl.Utf8)}
    )


# --- one record, in plain Python ---------------------------------------------------------------------


def price_ratio_of(row: Mapping[str, Any], prices: ReferencePrices) -> list[float]:
    """Each item's unit value in euro over its HS-6 median, for the items where both are known."""
    ratios = []
    for code, value in zip(row["hs_codes"] or [], row["unit_values_eur"] or [], strict=False):
        median = prices.median(code)
        if value is not None and median is not None:
            ratios.append(value / median)
    return ratios


def quality_of(
    row: Mapping[str, Any], reference: QualityReference, config: QualityConfig | None = None
) -> tuple[int, list[str]]:
    """The score and codes of one frame row (as ``frame.row(i, named=True)`` gives it)."""
    config = config or QualityConfig()
    descriptions: list[str | None] = row["descriptions"] or []
    codes: list[str | None] = row["hs_codes"] or []
    gross, packages, value, goods = row["gross_weight_kg"], row["packages"], row["value_eur"], row["goods_value"]
    unit_prices: list[float | None] = row["unit_prices"] or []

    placi_text = any(is_blank(row[c]) for c in PLACI_TEXT) or not descriptions or any(map(is_blank, descriptions))
    placi = placi_text or (packages or 0) < 1 or (gross or 0) <= 0
    incomplete = any(
        row[column] == key and any(is_blank(row[e]) for e in elements) for column, key, elements in config.data_sets()
    )
    weight = False
    if gross is not None and gross > 0:
        kg = gross / packages if packages is not None and packages >= 1 else None
        eur = value / gross if value is not None and value > 1 else None
        weight = (kg is not None and not config.min_kg_per_package <= kg <= config.max_kg_per_package) or (
            eur is not None and not config.min_eur_per_kg <= eur <= config.max_eur_per_kg
        )
    inconsistent = False
    if row["quantities"] is not None and row["unit_prices"] is not None and goods is not None:
        pairs = zip(row["quantities"], unit_prices, strict=False)
        total = sum(q * p for q, p in pairs if q is not None and p is not None)
        inconsistent = abs(total - goods) > config.value_tolerance + config.value_tolerance_share * abs(goods)
    late = False
    if row["departure_date"] is not None and row["received_at"] is not None:
        end_of_day = dt.datetime.combine(row["departure_date"] + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        late = row["received_at"] > end_of_day - dt.timedelta(minutes=config.lead_minutes(row["transport_mode"]))
    ratios = price_ratio_of(row, reference.prices)
    normalised = [None if d is None else normalise(d) for d in descriptions]
    found = {
        "missing_placi_element": placi,
        "incomplete_low_value_data_set": incomplete,
        "vague_description": any(d is not None and reference.vague.is_vague(d) for d in descriptions),
        "mixed_script_text": any(t is not None and is_mixed_script(t) for t in [*descriptions, *map(row.get, NAMES)]),
        "hs_not_in_nomenclature": any(c is None or c[:6] not in reference.nomenclature.subheadings for c in codes),
        "hs_code_does_not_match_description": bool(row.get(HS_COLUMN)),
        "value_zero_or_one": row["nature"] != "documents"
        and (goods in (0.0, 1.0) or any(p in (0.0, 1.0) for p in unit_prices)),
        "unit_value_far_below_reference": bool(ratios) and min(ratios) < config.price_ratio_low,
        "unit_value_far_above_reference": bool(ratios) and max(ratios) > config.price_ratio_high,
        "weight_implausible": weight,
        "item_values_inconsistent": inconsistent,
        "gift_not_c2c": row["nature"] == "gift" and row["relationship"] != "C2C",
        "duplicate_item_description": len(set(normalised)) < len(normalised),
        "late_filing": late,
    }
    hits = [code for code in CODES if found[code]]
    return max(0, 100 - sum(config.weights[c] for c in hits)), hits


# --- the per-operator report -----------------------------------------------------------------------


def quality_report(frame_with_quality: pl.DataFrame, by: str = "operator_id", period: str = "1d") -> pl.DataFrame:
    """Per ``by`` and period of ``received_at`` (a Polars duration such as "1d", "1w", "1mo"):
    ``records``, ``mean_quality_score`` and ``share_<code>`` for every code (0 to 1), sorted.

    Operators are told where their data falls short over time (Framework of Standards, partnerships),
    so every code has its column even when no record in the period has it.
    """
    shares = [pl.col("quality_codes").list.contains(c).mean().alias(f"share_{c}") for c in CODES]
    return (
        frame_with_quality.lazy()
        .group_by(by, pl.col("received_at").dt.truncate(period).alias("period_start"))
        .agg(
            pl.len().alias("records"),
            pl.col("quality_score").cast(pl.Float64).mean().alias("mean_quality_score"),
            *shares,
        )
        .sort(by, "period_start")
        .collect()
    )
