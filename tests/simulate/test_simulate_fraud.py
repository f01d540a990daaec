"""Hidden non-compliance: seeded, learnable from who, what, where and when, invisible to linking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from clearway.cli.main import app
from clearway.dataset.records import Consignment
from clearway.simulate import SimulationConfig, Traffic, TruthRecord, generate
from clearway.simulate.catalogue import load_catalogue
from clearway.simulate.fraud import BRANDED_CHAPTERS, FRAUD_PRESETS, KINDS, VAT_RATES, FraudConfig
from clearway.simulate.generator import DEFAULT_START
from clearway.simulate.money import to_eur

DEFAULT, ALTERNATE = FRAUD_PRESETS["default"], FRAUD_PRESETS["alternate"]
# A small population, so that many sellers have a history of 20 parcels or more.
WORLD = {"days": 84.0, "sellers": 600}
COUNT, SEED = 40_000, 21


def run(fraud: FraudConfig | None, count: int = COUNT, seed: int = SEED, **overrides: Any) -> Traffic:
    return generate(count, seed, SimulationConfig(fraud=fraud, **{**WORLD, **overrides}))


@pytest.fixture(scope="module")
def default() -> Traffic:
    return run(DEFAULT)


@pytest.fixture(scope="module")
def alternate() -> Traffic:
    return run(ALTERNATE)


@pytest.fixture(scope="module")
def clean() -> Traffic:
    return run(None)


def encoded(traffic: Traffic) -> list[bytes]:
    streams: list[Any] = [traffic.consignments, traffic.orders, traffic.payments, traffic.waybills]
    out = [msgspec.json.encode([(s.operator_id, s.received_at, s.record) for s in stream]) for stream in streams]
    return [*out, msgspec.json.encode(traffic.truth)]


def found(traffic: Traffic, kind: str | None = None) -> list[tuple[Consignment, TruthRecord]]:
    return [
        (s.record, t)
        for s, t in zip(traffic.consignments, traffic.truth, strict=True)
        if t.finding is not None and (kind is None or t.finding == kind)
    ]


def rate(truths: list[TruthRecord]) -> float:
    return sum(t.finding is not None for t in truths) / len(truths)


def main_chapter(record: Consignment, truth: TruthRecord) -> str:
    """The chapter the sale really is in (the true code for a misclassified sale)."""
    if truth.true_hs_code is not None:
        return truth.true_hs_code[:2]
    return max(record.items, key=lambda i: i.quantity * i.unit_price).hs_code[:2]


# -- reproducibility and isolation -----------------------------------------------------------------------


def test_same_seed_gives_identical_traffic_with_fraud() -> None:
    first = generate(3000, 7, SimulationConfig(fraud=DEFAULT))
    assert encoded(first) == encoded(generate(3000, 7, SimulationConfig(fraud=DEFAULT)))
    assert any(t.finding for t in first.truth)


def test_without_fraud_there_are_no_findings_and_the_traffic_is_unchanged() -> None:
    traffic = generate(3000, 7, SimulationConfig(fraud=None))
    assert encoded(traffic) == encoded(generate(3000, 7))
    assert all(t.finding is None and t.recoverable_eur == 0 and t.true_hs_code is None for t in traffic.truth)


def test_fraud_changes_only_the_sales_it_touches(default: Traffic, clean: Traffic) -> None:
    # Fraud draws from its own generator, so every sale without a finding is as it is without fraud.
    assert [t.reference for t in default.truth] == [t.reference for t in clean.truth]
    pairs = zip(default.consignments, default.truth, clean.consignments, clean.truth, strict=True)
    changed = 0
    for s, t, s0, t0 in pairs:
        if t.finding is None:
            assert s.record == s0.record and t == t0
        else:
            changed += s.record != s0.record
    assert changed > 0.9 * len(found(default))  # a misclassification to the same code cannot happen
    orders = {s.record.order_number: s.record for s in default.orders}
    untouched = {t.order_number for t in default.truth if t.finding is None}
    assert all(orders[o.record.order_number] == o.record for o in clean.orders if o.record.order_number in untouched)


def test_only_single_parcel_sales_without_injected_problems_hide_findings(default: Traffic) -> None:
    assert all(t.problems == [] for _, t in found(default))


def test_old_truth_lines_without_the_new_fields_still_decode(default: Traffic) -> None:
    line = msgspec.json.encode(default.truth[0])
    legacy = msgspec.json.decode(line, type=dict[str, Any])
    for name in ("finding", "recoverable_eur", "true_hs_code"):
        legacy.pop(name)
    decoded = msgspec.json.decode(msgspec.json.encode(legacy), type=TruthRecord)
    assert (decoded.finding, decoded.recoverable_eur, decoded.true_hs_code) == (None, 0, None)


# -- rates and what explains them ------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "low", "high"), [("default", 0.03, 0.12), ("alternate", 0.02, 0.15)])
def test_overall_finding_rate_is_plausible_and_every_kind_occurs(
    preset: str, low: float, high: float, default: Traffic, alternate: Traffic
) -> None:
    traffic = default if preset == "default" else alternate
    assert low <= rate(traffic.truth) <= high
    kinds = {t.finding for _, t in found(traffic)}
    assert kinds == set(KINDS)


def test_sellers_are_heterogeneous(default: Traffic) -> None:
    history: dict[str, list[TruthRecord]] = defaultdict(list)
    for t in default.truth:
        if not t.problems:
            history[t.seller].append(t)
    rates = sorted(rate(ts) for ts in history.values() if len(ts) >= 20)
    assert len(rates) >= 100
    riskiest = rates[-len(rates) // 10 :]
    assert statistics.mean(riskiest) > 0.2
    assert statistics.mean(riskiest) > 8 * statistics.median(rates)
    assert rates[len(rates) // 4] < 0.02  # a quarter of the sellers are all but spotless


def test_the_presets_put_the_risk_in_different_chapters(default: Traffic, alternate: Traffic) -> None:
    profiles = []
    for traffic in (default, alternate):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for s, t in zip(traffic.consignments, traffic.truth, strict=True):
            if not t.problems:
                counts[main_chapter(s.record, t)][0] += 1
                counts[main_chapter(s.record, t)][1] += t.finding is not None
        overall = sum(f for _, f in counts.values()) / sum(n for n, _ in counts.values())
        profiles.append({c: f / n / overall for c, (n, f) in counts.items() if n >= 1000})
    first, second = profiles
    common = first.keys() & second.keys()
    assert len(common) >= 8
    # Relative to each preset's overall rate, some chapter is far riskier under each preset.
    assert max(first[c] / second[c] for c in common) > 2.5
    assert max(second[c] / first[c] for c in common) > 2.5


def test_monthly_rate_follows_the_season() -> None:
    start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    traffic = generate(30_000, 23, SimulationConfig(fraud=DEFAULT, days=365, sellers=600), start=start)
    months: dict[int, list[TruthRecord]] = defaultdict(list)
    for s, t in zip(traffic.consignments, traffic.truth, strict=True):
        months[s.record.transaction.order_date.month].append(t)
    monthly = {m: rate(ts) for m, ts in months.items()}
    assert len(monthly) == 12
    # The default season peaks around 1 December and is lowest in early summer.
    assert min(monthly, key=monthly.__getitem__) in (4, 5, 6, 7, 8)
    assert max(monthly, key=monthly.__getitem__) in (10, 11, 12, 1)
    assert statistics.mean(monthly[m] for m in (10, 11, 12)) > 1.5 * statistics.mean(monthly[m] for m in (5, 6, 7))


def test_drift_changes_behaviour_after_the_drift_day_only(default: Traffic) -> None:
    steady = run(dataclasses.replace(DEFAULT, drift_share=0.0, drift_shift=0.0))
    drift_at = DEFAULT_START + dt.timedelta(days=DEFAULT.drift_day)
    before, after = [], []
    for s, t, t0 in zip(default.consignments, default.truth, steady.truth, strict=True):
        (after if s.record.transaction.order_date >= drift_at else before).append((t, t0))
    # Every sale takes the same fraud draws, so before the drift day the two worlds agree exactly.
    assert before and all(t == t0 for t, t0 in before)
    drifted, unchanged = rate([t for t, _ in after]), rate([t0 for _, t0 in after])
    assert drifted > 1.25 * unchanged
    assert drifted > 1.25 * rate([t for t, _ in before])


# -- what each kind looks like in the documents ----------------------------------------------------------


def test_undervalued_sales_are_consistent_in_every_document(default: Traffic, clean: Traffic) -> None:
    orders = {s.record.order_number: s.record for s in default.orders}
    payments = {s.record.order_number: s.record for s in default.payments}
    true_prices = {s.record.reference: s.record for s in clean.consignments}
    cases = found(default, "undervalued")
    assert len(cases) >= 200
    for c, t in cases:
        order, payment = orders[t.order_number], payments[t.order_number]
        # Three-document matching sees nothing: the order and the payment tell the same low story.
        assert order.goods_value == c.transaction.goods_value == t.declared_value
        assert [(line.sku, line.unit_price) for line in order.lines] == [(i.sku, i.unit_price) for i in c.items]
        assert payment.amount == order.total == c.transaction.amount_paid
        # Only the truth keeps what was really paid.
        assert t.true_value == true_prices[t.reference].transaction.goods_value > t.declared_value
        assert t.true_value_eur > to_eur(t.declared_value, t.currency)
        assert 0.2 <= t.declared_value / t.true_value <= 0.7
        if t.destination_country != "US":  # no VAT in the US, and a chapter's duty may be 0
            assert t.recoverable_eur > 0
        gap = t.true_value_eur - to_eur(t.declared_value, t.currency)
        assert t.recoverable_eur <= gap * (VAT_RATES[t.destination_country] + Decimal("0.12")) + Decimal("0.01")


def test_misclassified_items_carry_another_chapters_code(default: Traffic) -> None:
    catalogue_codes = {kind.hs_code for kind in load_catalogue().types}
    orders = {s.record.order_number: s.record for s in default.orders}
    cases = found(default, "misclassified")
    assert len(cases) >= 100
    zero = 0
    for c, t in cases:
        assert t.true_hs_code is not None
        wrong = [i for i in c.items if i.hs_code[:2] != t.true_hs_code[:2]]
        assert wrong and all(i.hs_code in catalogue_codes for i in c.items)
        order = orders[t.order_number]
        # The description is the true product's; order and declaration agree on everything else.
        assert [(line.description, line.unit_price) for line in order.lines] == [
            (i.description, i.unit_price) for i in c.items
        ]
        assert t.true_value == t.declared_value == order.goods_value
        assert t.recoverable_eur >= 0
        zero += t.recoverable_eur == 0
    assert zero < len(cases) / 2  # most misclassifications move to a lower duty


def test_counterfeits_are_cheap_branded_goods_and_recover_nothing(default: Traffic, clean: Traffic) -> None:
    genuine = {s.record.reference: s.record for s in clean.consignments}
    cases = found(default, "counterfeit")
    assert len(cases) >= 50
    for c, t in cases:
        assert t.recoverable_eur == 0 and t.true_hs_code is None
        assert t.true_value == t.declared_value == c.transaction.goods_value  # the low price was paid
        usual = {i.sku: i.unit_price for i in genuine[t.reference].items}
        cheap = [i for i in c.items if i.unit_price != usual[i.sku]]
        assert len(cheap) == 1 and cheap[0].hs_code[:2] in BRANDED_CHAPTERS
        assert 0.25 <= cheap[0].unit_price / usual[cheap[0].sku] <= 0.55


# -- configuration and command line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"risky_share": 1.2},
        {"risky_share": 0.6, "fraudster_share": 0.5},
        {"undervalue_range": (0.7, 0.3)},
        {"counterfeit_range": (0.0, 0.5)},
        {"kind_weights": (0.0, 0.0, 1.0)},
        {"season_peak_day": 0},
        {"drift_day": -1.0},
        {"seller_spread": -0.1},
    ],
)
def test_invalid_fraud_config_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        dataclasses.replace(DEFAULT, **change)


def test_presets_differ_in_substance() -> None:
    names = [f.name for f in dataclasses.fields(FraudConfig)]
    differing = {name for name in names if getattr(DEFAULT, name) != getattr(ALTERNATE, name)}
    # Latent salt, seller spread, chapter susceptibility, kind mix, season and drift all differ.
    wanted = {"salt", "seller_spread", "chapter_bias", "kind_weights", "season_peak_day", "season_amplitude"}
    assert wanted | {"drift_day", "drift_share"} <= differing


@pytest.mark.parametrize(("preset", "any_finding"), [("none", False), ("default", True)])
def test_simulate_command_takes_a_fraud_preset(tmp_path: Path, preset: str, any_finding: bool) -> None:
    result = CliRunner().invoke(app, ["simulate", "--count", "2000", "--out", str(tmp_path), "--fraud", preset])
    assert result.exit_code == 0, result.output
    truth = msgspec.json.decode(b"[" + b",".join((tmp_path / "truth.ndjson").read_bytes().splitlines()) + b"]")
    assert any(t["finding"] for t in truth) is any_finding
