"""The fields a rule condition may test, with their kinds: the frame, the stages before rules, derived values.

The registry is built from ``clearway.risk.frame.SCHEMA`` and the columns the quality, screening,
aggregation and jurisdiction stages add, so that a rule naming a column no stage produces fails when
its pack is loaded. A few derived values stand in for arithmetic the condition language does not
have; each is written twice (a Polars expression and a Python function), like the two evaluators.

Two marks decide how a field may be tested:

- ``personal``: the column copies a person's data (a name, an address, an e-mail...), as
  ``clearway.privacy.personal`` decides. Rules may not test it: an analyst reading a rule's hits next
  to the pseudonyms could otherwise re-identify buyers one guess at a time. Screening, the separate
  engine that matches names against sanctions lists and watchlists, still reads them, and rules
  read its verdict (``screening_hits``); quality checks read them too and give codes, not values.
- ``free_text``: written by the declarant (descriptions, the platform's name). Its values and the
  rule's are compared in their matching form (``clearway.dataset.text``), so that look-alike
  letters, invisible characters and case cannot slip goods past a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from clearway.dataset.records import Consignment
from clearway.dataset.text import normalise_for_matching
from clearway.privacy.personal import PERSONAL_FIELDS
from clearway.risk.frame import SCHEMA
from clearway.risk.matching import matching_forms
from clearway.risk.rules.model import Op

Kind = Literal["string", "number", "boolean", "date", "datetime", "string_list", "number_list"]

# Columns the quality, screening, aggregation and jurisdiction stages add before rules run.
STAGE_COLUMNS: Final[dict[str, pl.DataType | type[pl.DataType]]] = {
    "quality_score": pl.UInt8,
    "quality_codes": pl.List(pl.Utf8),
    "price_ratio_min": pl.Float64,
    "screening_score": pl.Float64,
    "screening_hits": pl.List(pl.Utf8),
    # Imported partner administrations' alerts the consignment matches, "finding:PARTNER:alert id"
    # (clearway.risk.partner_alerts): the seller's identifiers are compared as pseudonyms only.
    "partner_alerts": pl.List(pl.Utf8),
    # Items whose declared HS code is far from what their description supports, as the HS
    # classification assistant judges (clearway.risk.hs_mismatch): "chapter|heading:item:declared:codes".
    "hs_mismatches": pl.List(pl.Utf8),
    "buyer_day_count": pl.UInt32,
    "buyer_day_value_eur": pl.Float64,
    "jurisdiction": pl.Utf8,
    "operator_trust": pl.Utf8,
    "seller_trust": pl.Utf8,
}

# Frame columns copied from a party, by the field of the declaration each copies (the consignee's name
# falls back on the buyer's). A column is personal when that field is in clearway.privacy.personal's list.
PARTY_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "seller_name": ("parties", "seller", "name"),
    "buyer_name": ("parties", "buyer", "name"),
    "buyer_address": ("parties", "buyer", "address", "line1"),
    "buyer_id": ("parties", "buyer", "id_number"),
    "buyer_email": ("parties", "buyer", "email"),
    "buyer_phone": ("parties", "buyer", "phone"),
    "consignee_name": ("parties", "consignee", "name"),
}
_PERSONAL_PATHS: Final = frozenset(f.path for f in PERSONAL_FIELDS[Consignment])
PERSONAL: Final = frozenset(column for column, path in PARTY_SOURCES.items() if path in _PERSONAL_PATHS)

# Text the declarant writes freely, compared in its matching form. Codes (HS codes, countries,
# currencies, natures) are checked by validation and compared as they are.
FREE_TEXT: Final = frozenset({"descriptions", "platform_name", "descriptions_normalised"})


class MissingFields(ValueError):
    """The frame or row lacks a column a rule reads (the stage that adds it has not run)."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = sorted(set(missing))
        super().__init__(f"missing input columns {self.missing} (the stages that add them must run before rules)")


@dataclass(frozen=True, slots=True)
class Derived:
    """A value computed from other columns, defined twice (Polars and Python) like the evaluators."""

    sources: tuple[str, ...]
    expr: Callable[[], pl.Expr]
    compute: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Field:
    """A field a condition may test: its kind decides the ops it accepts and how values are typed."""

    name: str
    kind: Kind
    origin: Literal["frame", "stage", "derived"]
    derived: Derived | None = None
    personal: bool = False
    free_text: bool = False


def _value_per_kg(row: Mapping[str, Any]) -> float | None:
    value, weight = row["value_eur"], row["gross_weight_kg"]
    if value is None or weight is None or not weight > 0:
        return None
    result: float = value / weight
    return result


def _min_unit_value(row: Mapping[str, Any]) -> float | None:
    values = row["unit_values_eur"]
    return None if values is None else min((v for v in values if v is not None), default=None)


def _normalised_descriptions(row: Mapping[str, Any]) -> list[str | None] | None:
    found = row["descriptions"]
    return None if found is None else [None if d is None else normalise_for_matching(d) for d in found]


DERIVED: Final[dict[str, tuple[Kind, Derived]]] = {
    # Goods value per kilo: implausible ratios reveal a wrong weight or a wrong value.
    "value_per_kg_eur": (
        "number",
        Derived(
            ("value_eur", "gross_weight_kg"),
            lambda: pl.when(pl.col("gross_weight_kg") > 0).then(pl.col("value_eur") / pl.col("gross_weight_kg")),
            _value_per_kg,
        ),
    ),
    # The cheapest item line, for price bands that do not need a reference price.
    "unit_value_min_eur": (
        "number",
        Derived(("unit_values_eur",), lambda: pl.col("unit_values_eur").list.min(), _min_unit_value),
    ),
    # Descriptions in their matching form (case, spaces, look-alikes), so a keyword list needs no variants.
    "descriptions_normalised": (
        "string_list",
        Derived(("descriptions",), lambda: matching_forms(pl.col("descriptions")), _normalised_descriptions),
    ),
}


def _kind(dtype: Any) -> Kind:
    if isinstance(dtype, pl.List):
        inner = _kind(dtype.inner)
        if inner == "string":
            return "string_list"
        if inner == "number":
            return "number_list"
        raise TypeError(f"no condition kind for a list of {dtype.inner}")
    if dtype == pl.Utf8:
        return "string"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Datetime:
        return "datetime"
    if dtype.is_numeric():
        return "number"
    raise TypeError(f"no condition kind for {dtype}")


def _registry() -> dict[str, Field]:
    fields = {
        name: Field(name, _kind(dtype), "frame", personal=name in PERSONAL, free_text=name in FREE_TEXT)
        for name, dtype in SCHEMA.items()
    }
    fields.update({name: Field(name, _kind(dtype), "stage") for name, dtype in STAGE_COLUMNS.items()})
    for name, (kind, derived) in DERIVED.items():
        # A value computed from a personal field is personal too.
        personal = any(source in PERSONAL for source in derived.sources)
        fields[name] = Field(name, kind, "derived", derived, personal=personal, free_text=name in FREE_TEXT)
    return fields


FIELDS: Final[Mapping[str, Field]] = _registry()

_SCALAR_KINDS: Final = {"string", "number", "boolean", "date"}
OP_KINDS: Final[dict[Op, frozenset[str]]] = {
    "eq": frozenset(_SCALAR_KINDS),
    "ne": frozenset(_SCALAR_KINDS),
    "lt": frozenset({"number", "date"}),
    "le": frozenset({"number", "date"}),
    "gt": frozenset({"number", "date"}),
    "ge": frozenset({"number", "date"}),
    "in": frozenset({"string", "number"}),
    "not_in": frozenset({"string", "number"}),
    "contains": frozenset({"string_list", "number_list"}),
    "contains_any": frozenset({"string_list", "number_list"}),
    "is_null": frozenset({"string", "number", "boolean", "date", "datetime", "string_list", "number_list"}),
    "starts_with": frozenset({"string", "string_list"}),
    # A word or phrase appears in the text (whole words, any case): descriptions naming goods.
    "mentions": frozenset({"string", "string_list"}),
}


def field_value(name: str, row: Mapping[str, Any]) -> Any:
    """The value of a field in a row, computing a derived field from its sources."""
    spec = FIELDS[name]
    needed = spec.derived.sources if spec.derived is not None else (name,)
    missing = [column for column in needed if column not in row]
    if missing:
        raise MissingFields(missing)
    return spec.derived.compute(row) if spec.derived is not None else row[name]
