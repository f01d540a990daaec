"""Duty measures from a UK Trade Tariff API v2 commodity document (JSON:API, ``/api/v2/commodities/{id}``).

The API lists, under one declarable commodity, every measure that applies to it, the ones set on
its heading and chapter included. Only what TariffMeasure can compute exactly is kept: duty
measures (measure type series C) whose components are percentages or money per kg, 100 kg, item,
1000 items or litre. Anything else is skipped and counted with its reason, never approximated:
a wrong duty is worse than a missing one, which the assessment reports. docs/tariff.md has the
list. The content is the UK Trade Tariff's, under the Open Government Licence v3.0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from clearway.dataset.identifiers import COUNTRIES
from clearway.revenue.tariff import DutyTerm, TariffMeasure, TermOp, Unit

ERGA_OMNES = "1011"
# TARIC's country codes that differ from ISO 3166-1 (Serbia). Its other own codes (EU, XC Ceuta,
# XL Melilla, XK Kosovo, the Q*/Z* stores and supplies) are no origin a declaration can give.
TARIC_TO_ISO = {"XS": "RS"}
# Measure type (series C) -> what the measure is (see tariff.MEASURE_TYPES). Quotas need an order
# number, end-use measures and the vessel/airworthiness suspensions an authorisation or certificate.
MEASURE_TYPES: dict[str, str] = {
    "103": "third_country",  # third country duty
    "105": "end_use",  # non-preferential duty under end-use
    "106": "preference",  # customs union duty
    "112": "suspension",  # autonomous tariff suspension
    "115": "end_use",  # autonomous suspension under end-use
    "117": "end_use",  # suspension: vessels, platforms, aircraft (certificate)
    "119": "end_use",  # airworthiness tariff suspension (certificate)
    "122": "quota",  # non-preferential tariff quota
    "123": "quota",  # non-preferential tariff quota under end-use
    "141": "preference",  # preferential suspension
    "142": "preference",  # tariff preference
    "143": "quota",  # preferential tariff quota
    "145": "end_use",  # preference under end-use
    "146": "quota",  # preferential tariff quota under end-use
}
# Measurement units of specific duties (TARIC codes) -> TariffMeasure units.
UNITS: dict[str, Unit] = {"KGM": "kg", "DTN": "100kg", "NAR": "item", "MIL": "1000items", "LTR": "l"}
# A component's operator, by the abbreviation the API gives and, failing that, by the TARIC duty
# expression id: 01 the first amount, 02 minus, 04/19/20 plus, 15 minimum, 17 maximum.
# A minus is kept as a "+" term with a negative amount.
_OPERATORS: dict[str, tuple[TermOp, int]] = {
    "%": ("+", 1),
    "+": ("+", 1),
    "-": ("+", -1),
    "MIN": ("min", 1),
    "MAX": ("max", 1),
}
_BY_ID = {"01": "%", "02": "-", "04": "+", "15": "MIN", "17": "MAX", "19": "+", "20": "+"}


class SkippedMeasure(msgspec.Struct, frozen=True, kw_only=True):
    measure_id: str
    measure_type: str
    reason: str


class UkTariffImport(msgspec.Struct, frozen=True, kw_only=True):
    """The measures kept, the duty measures skipped with why, and how many others were ignored."""

    code: str
    measures: list[TariffMeasure]
    skipped: list[SkippedMeasure]
    ignored: int  # not duty measures: VAT, supplementary units, controls (series other than C)


class UkTariffError(ValueError):
    """The document is not a UK Trade Tariff v2 commodity (what is missing, where)."""


class _Skip(Exception):
    pass


def measures_from_uk_tariff(
    document: Mapping[str, Any], *, source: str, jurisdiction: str = "GB"
) -> list[TariffMeasure]:
    """The duty measures of a commodity document; see ``read_uk_tariff`` for what is skipped."""
    return read_uk_tariff(document, source=source, jurisdiction=jurisdiction).measures


def read_uk_tariff(document: Mapping[str, Any], *, source: str, jurisdiction: str = "GB") -> UkTariffImport:
    """Read a commodity document; load it with ``json.loads(text, parse_float=Decimal)`` for exact amounts."""
    try:
        data = document["data"]
        attributes = data["attributes"]
        code = str(attributes["goods_nomenclature_item_id"])
        measure_refs = data["relationships"]["import_measures"]["data"]
    except (KeyError, TypeError) as exc:
        raise UkTariffError(
            f"not a UK Trade Tariff v2 commodity document ({exc!r}): it needs data.attributes."
            "goods_nomenclature_item_id and data.relationships.import_measures"
        ) from None
    if not (code.isdigit() and len(code) == 10):
        raise UkTariffError(f"data.attributes.goods_nomenclature_item_id: '{code}' is not a 10-digit commodity code")
    try:
        included = {(item.get("type"), str(item.get("id"))): item for item in document.get("included") or []}
    except AttributeError:
        raise UkTariffError("'included' is not a list of records") from None
    reader = _Reader(included)
    measures: list[TariffMeasure] = []
    skipped: list[SkippedMeasure] = []
    ignored = 0
    for ref in measure_refs:
        try:
            measure = included.get(("measure", str(ref["id"])))
            if measure is None:
                raise UkTariffError(f"measure {ref['id']} is listed under import_measures but not included")
            type_id = str(_related(measure, "measure_type") or "")
            measure_type = included.get(("measure_type", type_id))
            series = measure_type["attributes"].get("measure_type_series_id") if measure_type else None
            if series != "C" or not measure["attributes"].get("import", True):
                ignored += 1
                continue
            try:
                measures.append(reader.measure(measure, type_id, code=code, jurisdiction=jurisdiction, source=source))
            except _Skip as skip:
                skipped.append(SkippedMeasure(measure_id=str(measure["id"]), measure_type=type_id, reason=str(skip)))
        except (KeyError, TypeError, AttributeError) as exc:
            raise UkTariffError(f"import measure {ref!r} or a record it refers to is malformed: {exc!r}") from None
    return UkTariffImport(code=code, measures=measures, skipped=skipped, ignored=ignored)


def _related(item: Mapping[str, Any], name: str) -> Any:
    """The id of a to-one relationship, or the list of ids of a to-many one (None when absent)."""
    data = (item.get("relationships") or {}).get(name, {}).get("data")
    if isinstance(data, list):
        return [str(ref["id"]) for ref in data]
    return None if data is None else str(data["id"])


def _date(value: Any) -> dt.date | None:
    # "2021-01-01T00:00:00.000Z": TARIC validity is in whole days, the end day included.
    try:
        return None if not value else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UkTariffError(f"'{value}' is not a date") from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that gives the float back: 176.8, not 176.80000000000001
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise _Skip(f"duty amount {value!r} is not a number") from None


class _Reader:
    def __init__(self, included: Mapping[tuple[Any, str], Mapping[str, Any]]) -> None:
        self.included = included

    def measure(
        self, measure: Mapping[str, Any], type_id: str, *, code: str, jurisdiction: str, source: str
    ) -> TariffMeasure:
        attributes = measure["attributes"]
        kind = MEASURE_TYPES.get(type_id)
        if kind is None:
            raise _Skip(f"measure type {type_id} is not one Clearway applies")
        if _related(measure, "order_number") is not None:
            kind = "quota"
        start = _date(attributes.get("effective_start_date"))
        if start is None:
            raise _Skip("no effective_start_date")
        expression_id = _related(measure, "duty_expression")
        expression = self.included.get(("duty_expression", expression_id or ""), {}).get("attributes", {})
        return TariffMeasure(
            jurisdiction=jurisdiction,
            code=code,
            terms=self.terms(_related(measure, "measure_components") or []),
            start=start,
            end=_date(attributes.get("effective_end_date")),
            origins=self.origins(measure),
            measure_type=kind,
            expression=str(expression.get("base") or ""),
            reference=" ".join(_related(measure, "legal_acts") or []),
            source=source,
        )

    def terms(self, component_ids: list[str]) -> list[DutyTerm]:
        components = []
        for component_id in component_ids:
            component = self.included.get(("measure_component", component_id))
            if component is None:
                raise _Skip(f"measure component {component_id} is not included")
            components.append(component["attributes"])
        if not components:
            raise _Skip("no duty components (a duty set by conditions)")
        # TARIC numbers the duty expressions in the order they are written: 01, 04, 15, 17, 19, 20.
        components.sort(key=lambda c: str(c.get("duty_expression_id")))
        return [self.term(c, first=i == 0) for i, c in enumerate(components)]

    def term(self, component: Mapping[str, Any], *, first: bool) -> DutyTerm:
        expression_id = str(component.get("duty_expression_id"))
        symbol = component.get("duty_expression_abbreviation") or _BY_ID.get(expression_id)
        operator = _OPERATORS.get(str(symbol))
        if operator is None or (symbol == "%") != first:
            raise _Skip(f"duty expression {expression_id} ({symbol}) is not supported")
        if component.get("duty_amount") is None:
            raise _Skip(f"duty expression {expression_id} has no amount")
        op, sign = operator
        amount = sign * _decimal(component["duty_amount"])
        currency = component.get("monetary_unit_code")
        unit_code = component.get("measurement_unit_code")
        if not currency and not unit_code:
            return DutyTerm(op=op, kind="ad_valorem", amount=amount)
        if not currency or not unit_code:
            raise _Skip(f"an amount of {currency or 'no currency'} per {unit_code or 'nothing'} is not a duty")
        qualifier = component.get("measurement_unit_qualifier_code")
        unit = UNITS.get(str(unit_code))
        if unit is None or qualifier:
            raise _Skip(f"duty per {unit_code}{qualifier or ''}: the declaration gives no such quantity")
        return DutyTerm(op=op, kind="specific", amount=amount, currency=str(currency), unit=unit)

    def origins(self, measure: Mapping[str, Any]) -> list[str] | None:
        area = _related(measure, "geographical_area")
        excluded: set[str] = set()
        for excluded_id in _related(measure, "excluded_countries") or []:
            excluded |= self.members(excluded_id)
        if area == ERGA_OMNES and not excluded:
            return None
        if area is None:
            raise _Skip("no geographical area")
        countries = self.members(area) - excluded
        if not countries:
            raise _Skip(f"geographical area {area} has no ISO 3166 country")
        return sorted(countries)

    def members(self, area: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """The ISO 3166 countries of an area: itself, or its members' (groups may hold groups)."""
        record = self.included.get(("geographical_area", area))
        children = _related(record, "children_geographical_areas") if record else None
        if not children:
            if area.isdigit():
                raise _Skip(f"the members of geographical area {area} are not included")
            country = TARIC_TO_ISO.get(area, area)
            return {country} if country in COUNTRIES else set()
        found: set[str] = set()
        for child in children:
            if child != area and child not in seen:
                found |= self.members(child, seen | {area})
        return found
