"""Every jurisdiction's YAML cases: a quote request, a date, and the expected lines and totals.

The files are meant to be read and written by a tax expert: ``cases/<code>.yaml`` holds a list of
cases, each with the request (the public quote contract), optional reference data it needs (tariff
measures, registered scheme numbers), and what the assessment must say.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from clearway.jurisdictions import Catalogue
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess
from clearway.revenue.model import Assessment, PriorUsage
from clearway.revenue.quote import QuoteDecoder, to_shipment
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import Registration, RegistrySnapshot
from clearway.revenue.tariff import TariffBook, TariffMeasure
from clearway.revenue.tariff_csv import parse_duty_expression

CASES = Path(__file__).with_name("cases")
CATALOGUE = Catalogue.load()
RATES = EcbRates()
MINIMUM_CASES = 5


def _load() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append((f"{path.stem}: {case['name']}", case))
    return found


ALL = _load()


def _jsonable(value: Any) -> Any:
    # YAML reads dates as dates; the quote contract takes ISO strings, as JSON would carry them.
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _sources(case: dict[str, Any], jurisdiction: str) -> Sources:
    measures = [
        TariffMeasure(
            jurisdiction=m.get("jurisdiction", jurisdiction),
            code=str(m["code"]),
            terms=parse_duty_expression(str(m["duty"])),
            start=m.get("start", dt.date(2000, 1, 1)),
            end=m.get("end"),
            origins=m.get("origins"),
            expression=str(m["duty"]),
            reference=m.get("reference", "case tariff"),
        )
        for m in case.get("tariff", ())
    ]
    registry = [
        Registration(scheme=r["scheme"], number=str(r["number"]), holder=r.get("holder", "case"), start=r["start"])
        for r in case.get("registry", ())
    ]
    return Sources(rates=RATES, tariff=TariffBook(measures), registry=RegistrySnapshot(registry))


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:f}"


def _line_key(line: dict[str, Any]) -> tuple[str, int, str]:
    return (str(line["code"]), int(line.get("item") or 0), str(line.get("amount")))


def assessment_of(case: dict[str, Any]) -> Assessment:
    """What the engine assesses for a case's request, with the case's reference data."""
    request, errors = QuoteDecoder().convert(_jsonable(case["request"]))
    assert request is not None, errors
    jurisdiction = CATALOGUE.resolve(request.destination)[0].code
    shipment = to_shipment(request)
    if "prior" in case:
        shipment = msgspec.structs.replace(
            shipment, prior=PriorUsage(**{k: Decimal(v) for k, v in case["prior"].items()})
        )
    return assess(shipment, CATALOGUE, _sources(case, jurisdiction))


@pytest.mark.parametrize(("name", "case"), ALL, ids=[name for name, _ in ALL])
def test_case(name: str, case: dict[str, Any]) -> None:
    assessment = assessment_of(case)
    expect = case["expect"]
    got = {
        # An unknown figure is null in a case, as in the API.
        "duty": _text(assessment.duty),
        "tax": _text(assessment.tax),
        "fees": _text(assessment.fees),
        "total": _text(assessment.total),
        "irg_category": assessment.irg_category,
        "collection_model": assessment.collection_model,
        "complete": assessment.complete,
        "lines": [
            {"code": line.code, "amount": None if line.amount is None else f"{line.amount:f}"}
            | ({"item": line.item} if line.item is not None else {})
            for line in assessment.lines
            if line.kind != "info"
        ],
        "warnings": sorted(w.code for w in assessment.warnings),
    }
    wanted = {key: expect[key] for key in got if key in expect}
    if "lines" in wanted:
        # Lines are compared as a set with multiplicity: a case states what is charged, not in which
        # order the engine writes the steps.
        wanted["lines"] = sorted(
            (
                {k: (str(v) if k == "amount" and v is not None else v) for k, v in line.items()}
                for line in wanted["lines"]
            ),
            key=_line_key,
        )
        got["lines"] = sorted(got["lines"], key=_line_key)
    if "warnings" in wanted:
        wanted["warnings"] = sorted(wanted["warnings"])
    for key in ("duty", "tax", "fees", "total"):
        if key in wanted and wanted[key] is not None:
            wanted[key] = str(wanted[key])
    assert {key: got[key] for key in wanted} == wanted, msgspec.json.format(msgspec.json.encode(assessment)).decode()
    for key in ("duty", "tax", "fees", "total", "irg_category", "collection_model"):
        assert key in expect, f"{name}: every case states its {key}"


def test_every_jurisdiction_has_enough_cases() -> None:
    counts: dict[str, int] = dict.fromkeys(CATALOGUE.jurisdictions, 0)
    for _, case in ALL:
        counts[CATALOGUE.resolve(case["request"]["destination"])[0].code] += 1
    assert {code: n for code, n in counts.items() if n < MINIMUM_CASES} == {}
