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


def test_an_attempt_counts_its_records_only_when_it_completes() -> None:
    """A transaction run again (app.concurrency.retry_conflicts) must not count its batch twice:
    the failed attempt keeps its seconds, not its records or batch."""
    clock = Clock()
    times = StageTimes(clock)

    def attempt(seconds: float, fails: bool) -> None:
        with times.once():
            with times.stage("record", 500):
                clock.now += seconds
            if fails:
                raise RuntimeError("deadlock detected")

    with pytest.raises(RuntimeError):
        attempt(2.0, fails=True)
    attempt(1.0, fails=False)
    assert times.snapshot() == {"record": StageTotal(3.0, 500, 1)}


def test_nothing_is_counted_before_the_attempt_ends() -> None:
    clock = Clock()
    times = StageTimes(clock)
    heard: list[tuple[str, int]] = []
    times.listen(lambda stage, _seconds, records: heard.append((stage, records)))
    with times.once():
        with times.stage("link", 7):
            clock.now += 0.5
        with times.once():  # nested: held until the outer attempt ends
            times.add("commit", 0.1, 7)
        assert times.snapshot() == {} and heard == []
    assert heard == [("link", 7), ("commit", 7)]
    assert times.snapshot()["commit"] == StageTotal(0.1, 7, 1)


def test_an_attempt_holds_back_only_its_own_totals() -> None:
    clock = Clock()
    times, other = StageTimes(clock), StageTimes(clock)
    with times.once():
        other.add("link", 0.5, 3)
        assert other.snapshot() == {"link": StageTotal(0.5, 3, 1)}
    assert times.snapshot() == {}
