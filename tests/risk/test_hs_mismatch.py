"""The HS stage of risk: labels per far item, one classifier call per batch, look-alikes read plainly."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import pytest

from clearway.classify.classifier import Classifier
from clearway.classify.mismatch import check_codes
from clearway.risk.hs_mismatch import AHEAD_PIECE, HsMismatchStage, describe, far_of


@pytest.fixture(scope="module")
def classifier(hs_classifier: Classifier) -> Classifier:
    return hs_classifier


class Counting:
    """check_codes, counting its calls and the pairs it was asked about."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.calls: list[list[tuple[str, str]]] = []

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[object]:
        self.calls.append(list(pairs))
        return list(check_codes(self.classifier, pairs))


def test_a_t_shirt_under_a_phone_code_is_labelled_with_the_suggested_codes(classifier: Classifier) -> None:
    stage = HsMismatchStage(Counting(classifier))
    [labels] = stage.labels([["Women's silk blouse", "Men's cotton T-shirt"]], [["620610", "851713"]])
    [label] = labels
    verdict, item, declared, codes = label.split(":", 3)
    assert (verdict, item, declared) == ("chapter", "2", "851713")
    assert codes.split(",")[0].startswith("610910=")
    text = describe(labels)
    assert "item 2 declared under 851713" in text and "chapter 85" in text and "610910 (" in text


@pytest.mark.parametrize(
    ("description", "code"),
    [
        ("Men's cotton T-shirt", "610910"),  # the right code
        ("Men's cotton T-shirt", "610990"),  # the right heading, another material: not far
        ("gift", "851713"),  # vague: undecided, nothing said against the code
        ("stuff", "851713"),
        ("Nike", "851713"),  # only a brand
        ("\U0001f381\U0001f381\U0001f381", "851713"),  # emoji alone
        ("Men's cotton T-shirt", "61091"),  # not a code at all: the quality check says so, not this one
        ("Men's cotton T-shirt", "85A713"),
    ],
)
def test_no_label_where_the_description_does_not_contradict_the_code(
    classifier: Classifier, description: str, code: str
) -> None:
    stage = HsMismatchStage(Counting(classifier))
    assert stage.labels([[description]], [[code]]) == [[]]


def test_lookalike_letters_and_invisible_characters_read_as_the_plain_text(classifier: Classifier) -> None:
    checker = Counting(classifier)
    stage = HsMismatchStage(checker)
    # Cyrillic "о" and "е", a zero-width space and a soft hyphen, other case and spacing.
    tricky = "MEN'S  c\u043etton T-SHIRT\u200b"
    plain = "men's cotton t-shirt"
    found = stage.labels([[plain], [tricky]], [["851713"], ["851713"]])
    assert found[0] == found[1] and found[0][0].startswith("chapter:1:851713:")
    assert len(checker.calls) == 1 and len(checker.calls[0]) == 1  # one pair once: the same text


def test_one_call_per_batch_and_known_pairs_are_not_asked_again(classifier: Classifier) -> None:
    checker = Counting(classifier)
    stage = HsMismatchStage(checker, remembered=3)
    descriptions = [["Men's cotton T-shirt"], ["Men's cotton T-shirt", "Leather wallet"], ["Leather wallet"], [], None]
    codes = [["851713"], ["851713", "420232"], ["420232"], [], None]
    first = stage.labels(descriptions, codes)
    assert len(checker.calls) == 1 and len(checker.calls[0]) == 2
    assert first[0][0].startswith("chapter:1:") and first[1][0].startswith("chapter:1:") and first[2:] == [[], [], []]
    assert stage.labels(descriptions, codes) == first and len(checker.calls) == 1
    # A batch of more new pairs than it remembers still labels every item of the batch.
    many = [[f"Men's cotton T-shirt {n}"] for n in range(6)]
    assert all(row and row[0].startswith("chapter:1:") for row in stage.labels(many, [["851713"]] * 6))


def test_a_10000_character_title_is_answered(classifier: Classifier) -> None:
    stage = HsMismatchStage(Counting(classifier))
    title = "Men's cotton T-shirt " + "super deal free shipping " * 400
    assert stage.labels([[title]], [["851713"]])[0][0].startswith("chapter:1:851713:")


# -- answers asked ahead (another process computes them: app/hs_ahead.py) ------------------------------

PLANTED = ([["Men's cotton T-shirt", "Women's silk blouse"], ["Wireless earbuds"]], [["851713", "620610"], ["610910"]])


def _ready(classifier: Classifier) -> Any:
    """A Submit that answers at once, as the other process would once done."""

    def submit(pairs: list[tuple[str, str]]) -> Future[list[Any]]:
        future: Future[list[Any]] = Future()
        future.set_result([far_of(answer) for answer in check_codes(classifier, pairs)])
        return future

    return submit


def test_answers_asked_ahead_are_taken_and_not_computed_again(classifier: Classifier) -> None:
    expected = HsMismatchStage(Counting(classifier)).labels(*PLANTED)
    assert any(expected), "the planted batch must have a far item"
    counting = Counting(classifier)
    stage = HsMismatchStage(counting)
    assert len(stage.ask_ahead(*PLANTED, _ready(classifier))) == 3
    assert stage.labels(*PLANTED) == expected
    assert counting.calls == []  # every answer came from ahead
    assert stage.ask_ahead(*PLANTED, _ready(classifier)) == []  # known now: not asked again


def test_answers_not_ready_are_computed_here_without_waiting(classifier: Classifier) -> None:
    expected = HsMismatchStage(Counting(classifier)).labels(*PLANTED)
    counting = Counting(classifier)
    stage = HsMismatchStage(counting)
    never: list[Future[list[Any]]] = []

    def submit(pairs: list[tuple[str, str]]) -> Future[list[Any]]:
        never.append(Future())  # never answered: waiting for it would hang the batch
        return never[-1]

    stage.ask_ahead(*PLANTED, submit)
    done: list[list[list[str]]] = []
    worker = threading.Thread(target=lambda: done.append(stage.labels(*PLANTED)))
    worker.start()
    worker.join(timeout=60)
    assert done == [expected]
    assert [len(call) for call in counting.calls] == [3]
    assert all(f.cancelled() for f in never)


def test_a_piece_that_failed_is_computed_here(classifier: Classifier) -> None:
    expected = HsMismatchStage(Counting(classifier)).labels(*PLANTED)
    counting = Counting(classifier)
    stage = HsMismatchStage(counting)

    def submit(pairs: list[tuple[str, str]]) -> Future[list[Any]]:
        future: Future[list[Any]] = Future()
        future.set_exception(RuntimeError("the other process died"))
        return future

    stage.ask_ahead(*PLANTED, submit)
    assert stage.labels(*PLANTED) == expected
    assert [len(call) for call in counting.calls] == [3]


def test_answers_asked_ahead_in_pieces_cover_a_batch_larger_than_a_piece(classifier: Classifier) -> None:
    texts = [[f"cotton t-shirt style {n}"] for n in range(AHEAD_PIECE + 7)]
    codes = [["851713"] for _ in texts]
    pieces: list[int] = []
    ready = _ready(classifier)

    def submit(pairs: list[tuple[str, str]]) -> Future[list[Any]]:
        pieces.append(len(pairs))
        return ready(pairs)  # type: ignore[no-any-return]

    counting = Counting(classifier)
    stage = HsMismatchStage(counting)
    stage.ask_ahead(texts, codes, submit)
    assert pieces == [AHEAD_PIECE, 7]
    assert stage.labels(texts, codes) == HsMismatchStage(Counting(classifier)).labels(texts, codes)
    assert counting.calls == []


def test_dropping_what_was_asked_cancels_it(classifier: Classifier) -> None:
    stage = HsMismatchStage(Counting(classifier))
    futures: list[Future[list[Any]]] = []

    def submit(pairs: list[tuple[str, str]]) -> Future[list[Any]]:
        futures.append(Future())
        return futures[-1]

    stage.ask_ahead(*PLANTED, submit)
    stage.drop_ahead()
    assert futures and all(f.cancelled() for f in futures)
    assert len(stage.ask_ahead(*PLANTED, submit)) == 3  # forgotten: asked again


def test_settling_keeps_the_ready_answers_and_cancels_the_rest(classifier: Classifier) -> None:
    """A batch whose declarations waited took nothing: its ready answers are remembered for when they
    are decided, and what is not ready is cancelled, so that nothing asked lingers."""
    counting = Counting(classifier)
    stage = HsMismatchStage(counting)
    ready = _ready(classifier)
    pending: list[Future[list[Any]]] = []

    def half(pairs: list[tuple[str, str]]) -> Future[list[Any]]:
        if pending:  # the second piece never answers
            pending.append(Future())
            return pending[-1]
        pending.append(ready(pairs))
        return pending[-1]

    texts = [[f"cotton t-shirt style {n}"] for n in range(AHEAD_PIECE + 3)]
    codes = [["851713"] for _ in texts]
    asked = stage.ask_ahead(texts, codes, half)
    stage.settle(asked)
    assert not stage._pending
    assert pending[1].cancelled()
    expected = HsMismatchStage(Counting(classifier)).labels(texts, codes)
    assert stage.labels(texts, codes) == expected
    assert [len(call) for call in counting.calls] == [3]  # only the cancelled piece's pairs
