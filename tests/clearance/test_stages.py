"""Per-stage totals (clearance.stages): the arithmetic, with a clock that the test moves."""

from __future__ import annotations

import pytest

from clearway.clearance.stages import ORDER, StageTimes, StageTotal, since


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_stage_adds_its_time_records_and_one_batch() -> None:
    clock = Clock()
    times = StageTimes(clock)
    with times.stage("link", 40):
        clock.now += 0.25
    with times.stage("link", 10):
        clock.now += 0.5
    assert times.snapshot() == {"link": StageTotal(0.75, 50, 2)}


def test_a_stage_that_raises_still_counts() -> None:
    clock = Clock()
    times = StageTimes(clock)

    def fail() -> None:
        with times.stage("store", 3):
            clock.now += 1.0
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        fail()
    assert times.snapshot()["store"] == StageTotal(1.0, 3, 1)


def test_snapshot_lists_stages_in_pipeline_order_then_others() -> None:
    times = StageTimes(Clock())
    for name in ("zeta", "commit", "decode", "risk"):
        times.add(name, 1.0, 1)
    assert list(times.snapshot()) == ["decode", "risk", "commit", "zeta"]
    assert ORDER.index("decode") < ORDER.index("risk") < ORDER.index("commit")


def test_since_keeps_only_what_ran_between_two_snapshots() -> None:
    times = StageTimes(Clock())
    times.add("decode", 2.0, 100)
    times.add("risk", 1.0, 50)
    before = times.snapshot()
    times.add("risk", 0.5, 25)
    times.add("revenue", 0.25, 25)
    assert since(before, times.snapshot()) == {"risk": StageTotal(0.5, 25, 1), "revenue": StageTotal(0.25, 25, 1)}
