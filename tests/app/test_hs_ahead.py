"""The HS check computed ahead in another process: the same answers as here, and none from another model."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import pytest

from clearway.app.classification import pipeline_stage
from clearway.app.demo import register_traffic_operators
from clearway.app.hs_ahead import _POOLS, CheckAhead, check_ahead, shutdown_pools, start
from clearway.app.platform import Clearway
from clearway.classify.classifier import Classifier
from clearway.classify.mismatch import check_codes
from clearway.risk.hs_mismatch import HsMismatchStage, far_of
from clearway.settings import Settings
from clearway.simulate import generate
from tests.app.test_bulk_equivalence import in_bulk, plan, snapshot
from tests.conftest import NO_MODEL, empty

DESCRIPTIONS = [["Men's cotton T-shirt", "Women's silk blouse"], ["Wireless earbuds"], ["Stainless steel water bottle"]]
CODES = [["851713", "620610"], ["610910"], ["851713"]]


class Counting:
    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.pairs = 0

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[object]:
        self.pairs += len(pairs)
        return list(check_codes(self.classifier, pairs, explain="far"))


def _settled(stage: HsMismatchStage, timeout: float = 120.0) -> None:
    """Wait until every piece asked ahead is answered (a fresh process imports and loads first)."""
    deadline = time.monotonic() + timeout
    while not all(future.done() for future, _ in stage._pending.values()):
        assert time.monotonic() < deadline, "the HS check process did not answer"
        time.sleep(0.05)


@pytest.fixture(scope="module", autouse=True)
def _no_process_left() -> Iterator[None]:
    yield
    shutdown_pools()


@pytest.fixture(scope="module")
def digest(hs_model_dir: Path, hs_classifier: Classifier) -> str:
    return str(hs_classifier.manifest["model_sha256"])


def test_the_other_process_answers_as_this_one(hs_model_dir: Path, hs_classifier: Classifier, digest: str) -> None:
    expected = HsMismatchStage(Counting(hs_classifier)).labels(DESCRIPTIONS, CODES)
    assert any(expected)
    counting = Counting(hs_classifier)
    stage = HsMismatchStage(counting)
    ahead = CheckAhead(stage, hs_model_dir, digest)
    assert len(ahead.ask(DESCRIPTIONS, CODES)) == 4
    _settled(stage)
    assert stage.labels(DESCRIPTIONS, CODES) == expected
    assert counting.pairs == 0  # all four came from the other process
    pairs = [("men's cotton t-shirt", "851713"), ("wireless earbuds", "610910")]
    assert ahead.submit(pairs).result(timeout=120) == [far_of(c) for c in check_codes(hs_classifier, pairs)]


def test_a_process_with_another_model_answers_nothing(hs_model_dir: Path, hs_classifier: Classifier) -> None:
    """Retrained between the two loads: the other process refuses, and every answer is computed here."""
    expected = HsMismatchStage(Counting(hs_classifier)).labels(DESCRIPTIONS, CODES)
    counting = Counting(hs_classifier)
    stage = HsMismatchStage(counting)
    ahead = CheckAhead(stage, hs_model_dir, "0" * 64)
    ahead.ask(DESCRIPTIONS, CODES)
    _settled(stage)
    assert all(future.exception() is not None for future, _ in stage._pending.values())
    assert stage.labels(DESCRIPTIONS, CODES) == expected
    assert counting.pairs == 4


def test_check_ahead_needs_a_loaded_models_stage(hs_model: str) -> None:
    settings = Settings(hs_model_dir=hs_model)
    stage = pipeline_stage(settings)
    assert stage is not None
    with check_ahead(Path(hs_model), stage) as ahead:
        assert isinstance(ahead, CheckAhead)
        ahead.ask(DESCRIPTIONS, CODES)
        assert stage._pending
    assert not stage._pending  # what was not taken is forgotten with the block
    with check_ahead(Path(NO_MODEL), None) as ahead:
        assert ahead is None
    # A stage of no loaded model (built by hand) has no digest to hold the other process to.
    with check_ahead(Path(hs_model), HsMismatchStage(lambda pairs: [])) as ahead:
        assert ahead is None


def test_a_process_that_cannot_start_leaves_the_check_here(
    hs_model_dir: Path, hs_classifier: Classifier, digest: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no semaphores here")

    monkeypatch.setattr("clearway.app.hs_ahead.ProcessPoolExecutor", no_process)
    shutdown_pools()
    counting = Counting(hs_classifier)
    stage = HsMismatchStage(counting)
    ahead = CheckAhead(stage, hs_model_dir, digest)
    assert ahead.ask(DESCRIPTIONS, CODES) == []
    assert ahead.ask(DESCRIPTIONS, CODES) == []  # not tried again for this file
    assert stage.labels(DESCRIPTIONS, CODES) == HsMismatchStage(Counting(hs_classifier)).labels(DESCRIPTIONS, CODES)
    assert counting.pairs == 4


def test_a_process_that_cannot_start_leaves_no_check_ahead(
    hs_model: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no semaphores here")

    stage = pipeline_stage(Settings(hs_model_dir=hs_model))
    monkeypatch.setattr("clearway.app.hs_ahead.ProcessPoolExecutor", no_process)
    shutdown_pools()
    start(Path(hs_model), stage)  # nothing raised: the check will run here
    with check_ahead(Path(hs_model), stage) as ahead:
        assert ahead is None
    assert "cannot start" in caplog.text


def test_start_begins_the_process_before_any_question(hs_model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started ahead of the first file, its process runs before anything is asked of it (and loads
    its model meanwhile: that its answers then come from that model is tested above)."""
    monkeypatch.setattr("clearway.app.hs_ahead._cpus", lambda: 2)  # as on the two-core machines
    shutdown_pools()
    stage = pipeline_stage(Settings(hs_model_dir=hs_model))
    start(Path(hs_model), stage)
    [pool] = _POOLS.values()
    deadline = time.monotonic() + 120
    while not any(p.is_alive() for p in (pool._processes or {}).values()):
        assert time.monotonic() < deadline, "the HS check process never started"
        time.sleep(0.05)
    start(Path(hs_model), stage)  # once per model: the same process
    assert list(_POOLS.values()) == [pool]


def test_ingest_with_the_check_ahead_stores_what_it_stores_without(
    hs_service: Clearway, tmp_path_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every answer the pipeline needs is waited for here (a slow pipeline), so that all of them come
    from the other process: the stored rows must be those of a run that checks in this process."""
    taken: list[tuple[int, int]] = []
    original = HsMismatchStage._take_ahead

    def patient(self: HsMismatchStage, pairs: list[Any], batch: dict[Any, Any]) -> list[Any]:
        futures.wait({self._pending[key][0] for key in pairs}, timeout=120)
        left = original(self, pairs, batch)
        taken.append((len(pairs), len(left)))
        return left

    monkeypatch.setattr(HsMismatchStage, "_take_ahead", patient)
    traffic = generate(30, 11)
    steps = plan(traffic, True, frozenset())  # documents first: the declarations are decided at once
    rows = []
    for ahead in (True, False):
        empty(hs_service.engine)
        register_traffic_operators(hs_service, traffic)
        in_bulk(hs_service, steps, tmp_path_factory.mktemp("ahead"), check_ahead=ahead)
        rows.append(snapshot(hs_service))
    assert taken and sum(n for n, _ in taken) > 0
    assert all(left == 0 for _, left in taken)  # nothing computed here
    for table in rows[1]:
        assert rows[0][table] == rows[1][table], table
