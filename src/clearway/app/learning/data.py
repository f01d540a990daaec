"""Labelled, assessed consignments for the targeting model: from simulated traffic or from files.

The model learns from the risk frame after data quality, screening and rules (the pipeline's own
risk step, so a feature means in training what it means in production), joined with what an
inspection found. In simulated traffic the truth says what an inspection would find
(``TruthRecord.finding``, ``recoverable_eur``); the visible injected problems that an inspection
confirms count as findings too (prohibited goods, undervaluation that documents already showed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import msgspec
import polars as pl

from clearway.app.risk.service import nomenclature
from clearway.clearance.risk_step import RiskStep
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment
from clearway.intake.ndjson import parse_ndjson
from clearway.jurisdictions import Catalogue
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates, RiskInput, build_frame
from clearway.risk.lanes import LaneSettings
from clearway.risk.quality import with_quality_inputs
from clearway.risk.reference import GENERIC_STOP_WORDS, QualityReference, ReferencePrices, VagueTerms
from clearway.risk.rules.loader import load_default_pack
from clearway.simulate import SimulationConfig, TruthRecord, generate
from clearway.simulate.fraud import FRAUD_PRESETS
from clearway.simulate.model import Traffic

# Share of the simulated window whose accepted declarations teach the reference prices (the rest
# is assessed against them, as the pipeline assesses new traffic against learnt prices).
_PRICE_WINDOW = 0.25
_CHUNK = 100_000
_NO_LINE_LIMIT = 1 << 40  # a file given on the command line, not an HTTP batch
# The tax rate applied to an undervaluation the documents showed (the hidden kind carries its own).
_VISIBLE_RATE = Decimal("0.2")
LABEL_SCHEMA = {
    "operator_id": pl.Utf8,
    "reference": pl.Utf8,
    "label": pl.Int8,
    "revenue_eur": pl.Float64,
    "finding": pl.Utf8,
}


def offline_step(inputs: Sequence[RiskInput], euro: EuroRates, vague: VagueTerms | None = None) -> RiskStep:
    """A risk step without a store: the default rules, reference prices learnt from ``inputs``."""
    prices = ReferencePrices.learn(with_quality_inputs(build_frame(inputs, euro), inputs)) if inputs else None
    return RiskStep(
        catalogue=Catalogue.load(),
        euro=euro,
        quality=QualityReference(vague or VagueTerms(GENERIC_STOP_WORDS), nomenclature(), prices or ReferencePrices()),
        rules=list(load_default_pack().rules),
        lanes=LaneSettings(),
        secret=b"offline-learning-history-secret!",
    )


def assess(inputs: Sequence[RiskInput], step: RiskStep | None = None) -> pl.DataFrame:
    """The assessed risk frame of a history, each consignment on its own day, in chunks."""
    euro = step.euro if step is not None else EuroRates(EcbRates())
    ordered = sorted(inputs, key=lambda i: i.received_at)
    if step is None:
        step = offline_step(ordered[: max(1, int(len(ordered) * _PRICE_WINDOW))], euro)
    parts = [step.frame(ordered[i : i + _CHUNK], {}, None) for i in range(0, len(ordered), _CHUNK)]
    if not parts:
        raise ValueError("no consignments to assess")
    return pl.concat(parts, how="vertical_relaxed").drop("row").with_row_index("row")


def finding_of(t: TruthRecord) -> tuple[str | None, Decimal]:
    """What an inspection of this consignment would find, and the revenue it would recover (EUR)."""
    if t.missed:  # the inspection saw nothing: recorded as compliant, as a real miss would be
        return None, Decimal(0)
    if t.finding is not None:
        return t.finding, t.recoverable_eur
    if "prohibited_keyword" in t.problems:
        return "prohibited", Decimal(0)
    if "undervaluation" in t.problems or "gift_misuse" in t.problems:
        declared_eur = t.true_value_eur * t.declared_value / t.true_value if t.true_value else Decimal(0)
        gap = t.true_value_eur - declared_eur if "undervaluation" in t.problems else t.true_value_eur
        return ("undervalued" if "undervaluation" in t.problems else "other"), (gap * _VISIBLE_RATE).quantize(
            Decimal("0.01")
        )
    return None, Decimal(0)


def labels_of(truth: Sequence[TruthRecord]) -> pl.DataFrame:
    found = [finding_of(t) for t in truth]
    return pl.DataFrame(
        {
            "operator_id": [t.consignment_operator for t in truth],
            "reference": [t.reference for t in truth],
            "label": [int(kind is not None) for kind, _ in found],
            "revenue_eur": [float(revenue) for _, revenue in found],
            "finding": [kind for kind, _ in found],
        },
        schema=LABEL_SCHEMA,
    )


def labelled(inputs: Sequence[RiskInput], truth: Sequence[TruthRecord]) -> pl.DataFrame:
    """The assessed frame of ``inputs`` with ``label``, ``revenue_eur`` and ``finding`` from ``truth``."""
    frame = assess(inputs)
    joined = frame.join(labels_of(truth), on=["operator_id", "reference"], how="left")
    if joined["label"].null_count():
        raise ValueError(f"{joined['label'].null_count()} consignments have no truth record")
    return joined.sort("received_at", maintain_order=True)


def from_traffic(traffic: Traffic) -> pl.DataFrame:
    inputs = [RiskInput(s.record, s.operator_id, s.received_at) for s in traffic.consignments]
    return labelled(inputs, traffic.truth)


def simulated_history(
    count: int, seed: int, *, days: float = 112.0, fraud: str = "default", start: dt.datetime | None = None
) -> pl.DataFrame:
    """A labelled history generated on the spot (``clearway simulate`` with a fraud preset)."""
    if fraud not in FRAUD_PRESETS:
        raise ValueError(f"unknown fraud preset {fraud!r}: expected one of {', '.join(FRAUD_PRESETS)}")
    config = SimulationConfig(days=days, fraud=FRAUD_PRESETS[fraud])
    return from_traffic(generate(count, seed, config, start))


def read_consignments(path: Path) -> list[Consignment]:
    """Every declaration of an NDJSON file, through the intake's own parser; the first bad line is a
    ValueError naming the file, the line and the field."""
    result = parse_ndjson(path.read_bytes(), RecordDecoder(Consignment), max_lines=_NO_LINE_LIMIT)
    for line in result.failed[:1]:
        error = line.errors[0]
        raise ValueError(f"{path}:{line.line}: {error.pointer or '/'}: {error.detail}")
    return result.records


def from_directory(folder: Path) -> pl.DataFrame:
    """A ``clearway simulate --out DIR`` folder: consignments.ndjson with truth.ndjson beside it."""
    consignments, truth_file = folder / "consignments.ndjson", folder / "truth.ndjson"
    for path in (consignments, truth_file):
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing (expected the output of 'clearway simulate --out')")
    decoder = msgspec.json.Decoder(TruthRecord)
    truth = [decoder.decode(line) for line in truth_file.read_bytes().splitlines() if line.strip()]
    records = read_consignments(consignments)
    if len(records) != len(truth):
        raise ValueError(f"{len(records)} consignments but {len(truth)} truth records in {folder}")
    inputs = [RiskInput(r, t.consignment_operator, t.received_at) for r, t in zip(records, truth, strict=True)]
    return labelled(inputs, truth)
