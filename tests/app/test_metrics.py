"""The metrics: what the application counts, every one documented, and counts that add up across
processes in multiprocess mode (real processes, one directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from clearway.app import metrics
from clearway.clearance.lifecycle import State
from clearway.clearance.model import SubmissionResult

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
SRC = Path(__file__).resolve().parents[2] / "src"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_metric_is_documented() -> None:
    text = DOCS.read_text()
    names = {m.name for m in REGISTRY.collect() if m.name.startswith("clearway_")}
    names |= {"clearway_queue_depth", "clearway_webhook_backlog", "clearway_webhook_oldest_pending_seconds"}
    typed = {
        f"{n}_total"
        if n
        in {
            "clearway_records",
            "clearway_decisions",
            "clearway_messages",
            "clearway_stage_seconds",
            "clearway_stage_records",
        }
        else n
        for n in names
    }
    assert len(names) >= 10
    missing = [n for n in typed if f"`{n}`" not in text and f"`{n}_total`" not in text]
    assert missing == []


def test_results_are_counted_by_kind_outcome_and_state() -> None:
    name = "clearway_records_total"
    labels = {"stage": "intake", "kind": "waybill"}
    before = {o: sample(name, **labels, outcome=o) for o in ("accepted", "rejected")}
    released = sample("clearway_decisions_total", state="released")
    results = [
        SubmissionResult(index=0, status="accepted", state=State.RELEASED),
        SubmissionResult(index=1, status="rejected"),
        SubmissionResult(index=2, status="accepted"),
    ]
    assert metrics.counted("waybill", results) is results
    assert sample(name, **labels, outcome="accepted") - before["accepted"] == 2
    assert sample(name, **labels, outcome="rejected") - before["rejected"] == 1
    # Only consignments are decided: a document's state is not a decision.
    assert sample("clearway_decisions_total", state="released") == released
    metrics.count_mixed(["consignment", "order"], results[:2])
    assert sample("clearway_decisions_total", state="released") == released + 1


def test_every_stage_of_the_pipeline_is_counted() -> None:
    """clearance.stages' totals reach the shared counters: records per stage per second is rate()."""
    from clearway.clearance.stages import STAGES

    before = sample("clearway_stage_records_total", stage="link"), sample("clearway_stage_seconds_total", stage="link")
    STAGES.add("link", 0.25, 40)
    after = sample("clearway_stage_records_total", stage="link"), sample("clearway_stage_seconds_total", stage="link")
    assert (after[0] - before[0], round(after[1] - before[1], 6)) == (40, 0.25)


def test_a_message_is_accepted_partial_or_refused() -> None:
    def grew(outcome: str, statuses: list[str]) -> float:
        before = sample("clearway_messages_total", standard="upu", outcome=outcome)
        metrics.count_message("upu", statuses)
        return sample("clearway_messages_total", standard="upu", outcome=outcome) - before

    assert grew("accepted", ["accepted", "duplicate"]) == 1
    assert grew("partial", ["accepted", "rejected"]) == 1
    assert grew("refused", ["rejected", "conflict"]) == 1


COUNT = """
import sys
from clearway.app import metrics
assert metrics.multiprocess()
metrics.RECORDS.labels(stage="intake", kind="order", outcome="accepted").inc(int(sys.argv[1]))
metrics.set_kafka_lag("intake", 0, int(sys.argv[1]))
"""
RENDER = """
import sys
from clearway.app import metrics
from clearway.store.engine import create_engine
sys.stdout.write(metrics.render(create_engine(sys.argv[1])).decode())
"""


def test_counts_from_several_processes_add_up(tmp_path: Path, engine: sa.Engine, database_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", COUNT, str(n)], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", RENDER, database_url], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out)
        for s in family.samples
    }
    key = (("kind", "order"), ("outcome", "accepted"), ("stage", "intake"))
    assert found[("clearway_records_total", key)] == 7
    assert ("clearway_queue_depth", (("queue", "officer"),)) in found
