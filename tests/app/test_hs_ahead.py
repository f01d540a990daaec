"""The HS check computed ahead in another process: the same answers as here, and none from another model."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from clearway.app.classification import pipeline_stage
from clearway.app.hs_ahead import CheckAhead, _pool, check_ahead
from clearway.app.intake import CHUNK, FIRST_CHUNK, _growing, _read_ahead
from clearway.classify.classifier import Classifier
from clearway.classify.mismatch import check_codes
from clearway.risk.hs_mismatch import HsMismatchStage, far_of
from clearway.settings import Settings
from tests.conftest import NO_MODEL

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


@pytest.fixture(scope="module")
def digest(hs_model_dir: Path, hs_classifier: Classifier) -> str:
    return str(hs_classifier.manifest["model_sha256"])


def test_the_other_process_answers_as_this_one(hs_model_dir: Path, hs_classifier: Classifier, digest: str) -> None:
    expected = HsMismatchStage(Counting(hs_classifier)).labels(DESCRIPTIONS, CODES)
    assert any(expected)
    counting = Counting(hs_classifier)
    stage = HsMismatchStage(counting)
    ahead = CheckAhead(stage, _pool(hs_model_dir, digest))
    assert ahead.ask(DESCRIPTIONS, CODES) == 4
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
    ahead = CheckAhead(stage, _pool(hs_model_dir, "0" * 64))
    ahead.ask(DESCRIPTIONS, CODES)
    _settled(stage)
    assert all(future.exception() is not None for future, _ in stage._pending.values())
    assert stage.labels(DESCRIPTIONS, CODES) == expected
    assert counting.pairs == 4


def test_check_ahead_needs_the_pipelines_stage_and_may_be_switched_off(hs_model: str) -> None:
    settings = Settings(hs_model_dir=hs_model)
    stage = pipeline_stage(settings)
    assert stage is not None
    with check_ahead(settings, stage) as ahead:
        assert isinstance(ahead, CheckAhead)
        ahead.ask(DESCRIPTIONS, CODES)
        assert stage._pending
    assert not stage._pending  # what was not taken is forgotten with the block
    with check_ahead(Settings(hs_model_dir=NO_MODEL), None) as ahead:
        assert ahead is None
    with check_ahead(Settings(hs_model_dir=hs_model, hs_check_ahead=False), stage) as ahead:
        assert ahead is None
    # A stage of no loaded model (built by hand) has no digest to hold the other process to.
    with check_ahead(settings, HsMismatchStage(lambda pairs: [])) as ahead:
        assert ahead is None


def test_ingest_shows_each_chunk_before_handing_out_the_one_before() -> None:
    events: list[str] = []

    def chunks() -> Iterator[list[Any]]:
        for n in range(3):
            events.append(f"read {n}")
            yield [n]

    for chunk in _read_ahead(chunks(), lambda c: events.append(f"ask {c[0]}")):
        events.append(f"run {chunk[0]}")
    assert events == ["read 0", "ask 0", "read 1", "ask 1", "run 0", "read 2", "ask 2", "run 1", "run 2"]


def test_a_files_chunks_start_small_and_double_up_to_the_usual_size() -> None:
    assert list(itertools.islice(_growing(FIRST_CHUNK, CHUNK), 7)) == [500, 1000, 2000, 4000, 8000, 10000, 10000]
