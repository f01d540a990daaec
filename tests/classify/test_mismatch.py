"""check_codes: planted mismatches are called far, right codes are not, bad codes get precise errors."""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from typing import Any

import pytest

from clearway.classify import data
from clearway.classify.classifier import Classifier, Invalid, Item, Suggestions
from clearway.classify.evaluate import noisy
from clearway.classify.mismatch import FAR, PARALLEL, SUPPORTED, CodeCheck, check_codes
from tests.conftest import REFERENCE


def checks(classifier: Classifier, pairs: list[tuple[str, str]]) -> list[CodeCheck]:
    out = check_codes(classifier, pairs)
    assert all(isinstance(c, CodeCheck) for c in out), out
    return out  # type: ignore[return-value]


def test_planted_chapter_mismatches_are_far(hs_classifier: Classifier) -> None:
    planted = [
        ("hair straightener", "150430"),  # HMRC's own example: fish oil for a hair straightener
        ("books", "391810"),
        ("smartphone 128GB", "620442"),
        ("stuffed toy teddy bear", "870323"),
        ("lipstick", "940370"),
    ]
    for check in checks(hs_classifier, planted):
        assert check.verdict == "chapter" and check.far, check
        assert check.suggestions and check.suggestions[0].code[:2] != check.declared[:2]
        assert check.why.startswith("the description points to chapter")


def test_right_codes_are_not_far(hs_classifier: Classifier) -> None:
    right = [
        ("smartphone 128GB", "8517130000"),
        ("lipstick", "33041000"),
        ("stuffed toy teddy bear", "950300"),
        ("sunglasses", "900410"),
        ("electric toothbrush", "850980"),
    ]
    for check in checks(hs_classifier, right):
        assert check.verdict == "consistent" and not check.far, check
        assert check.support > 0.3


def test_a_heading_mismatch_within_the_chapter(hs_classifier: Classifier) -> None:
    (check,) = checks(hs_classifier, [("smartphone 128GB", "851830")])  # headphones, same chapter 85
    assert check.verdict == "heading" and check.far and "heading 8517" in check.why


def test_hmrc_wrong_pairs_are_mostly_caught(hs_classifier: Classifier) -> None:
    with (REFERENCE / "hmrc-fpo" / "incorrect_code_desc_pairs.csv").open(encoding="utf-8", newline="") as handle:
        rows = [(r["GDSDESC"], r["CMDTYCODE_Seen"]) for r in csv.DictReader(handle)]
    results = check_codes(hs_classifier, rows)
    assert len(results) == len(rows)
    # Two of HMRC's declared codes have 7 digits: precise errors, not a verdict.
    assert sum(isinstance(r, Invalid) and "has 7 digits" in r.error for r in results) == 2
    # No right code is on this list: none may be called consistent.
    assert not any(isinstance(r, CodeCheck) and r.verdict == "consistent" for r in results)
    assert sum(isinstance(r, CodeCheck) and r.far for r in results) >= 3


def test_a_vague_description_decides_nothing(hs_classifier: Classifier) -> None:
    (check,) = checks(hs_classifier, [("gift", "950300")])
    assert check.verdict == "undecided" and not check.far and "too vague" in check.why


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("61O910", "characters other than digits"),  # a letter O
        ("６１０９１０", "characters other than digits"),  # fullwidth digits are not ASCII digits
        ("6109", "has 4 digits"),
        ("12345678901", "has 11 digits"),
        ("9999999999", "999999 is no HS 2022 subheading"),
        ("", "empty"),
    ],
)
def test_invalid_declared_codes_get_precise_errors(hs_classifier: Classifier, code: str, message: str) -> None:
    (result,) = check_codes(hs_classifier, [("cotton t-shirt", code)])
    assert isinstance(result, Invalid) and message in result.error


def test_dots_and_spaces_in_a_declared_code_are_read_through(hs_classifier: Classifier) -> None:
    (check,) = checks(hs_classifier, [("cotton t-shirt", "6109.10 00")])
    assert check.declared == "61091000" and check.verdict == "consistent"


def test_answers_stay_in_order_in_bulk(hs_classifier: Classifier) -> None:
    pairs = [("smartphone", "851713"), ("smartphone", "XX"), ("", "851713"), ("books", "391810")] * 50
    results = check_codes(hs_classifier, pairs)
    assert len(results) == 200
    for i in range(0, 200, 4):
        first, second, third, fourth = results[i : i + 4]
        assert isinstance(first, CodeCheck) and first.verdict == "consistent"
        assert isinstance(second, Invalid) and isinstance(third, Invalid) and "empty" in third.error
        assert isinstance(fourth, CodeCheck) and fourth.far
    assert results[0].to_json()["suggestions"][0]["code"] == "851713"  # type: ignore[union-attr]


def test_a_repeated_description_is_classified_once_and_answered_as_alone(
    hs_classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = [("cotton t-shirt", "851713"), ("leather wallet", "420232"), ("cotton t-shirt", "610910")] * 3
    pairs += [("cotton t-shirt", "61O910"), ("", "610910"), ("", "851713")]
    alone = [check_codes(hs_classifier, [pair])[0].to_json() for pair in pairs]
    ranked: list[str] = []
    rankings = hs_classifier.rankings

    def counting(items: list[Item]) -> Any:
        ranked.extend(item.description for item in items)
        return rankings(items)

    monkeypatch.setattr(hs_classifier, "rankings", counting)
    assert [c.to_json() for c in check_codes(hs_classifier, pairs)] == alone
    assert sorted(ranked) == ["", "cotton t-shirt", "leather wallet"]


def noisy_pairs() -> list[tuple[str, str]]:
    """Noisy titles of reference descriptions under their own code and under another's, and HMRC's
    wrong pairs: a spread of consistent, undecided and far verdicts."""
    examples = [e for e in data.load(REFERENCE).examples if e.source != "nomenclature"]
    pairs = []
    for i in range(150):
        example = examples[(i * 97) % len(examples)]
        title = noisy(example.text, i)
        pairs += [(title, example.code), (title, examples[(i * 31 + 7) % len(examples)].code)]
    with (REFERENCE / "hmrc-fpo" / "incorrect_code_desc_pairs.csv").open(encoding="utf-8", newline="") as handle:
        pairs += [(r["GDSDESC"], r["CMDTYCODE_Seen"]) for r in csv.DictReader(handle)]
    return [*pairs, ("gift", "950300"), ("Nike", "851713"), ("zxqv wubbly", "851713")]


def summed_one_by_one(classifier: Classifier, description: str, code: str) -> tuple[str, float, float]:
    """The verdict as a loop over the candidates computes it, with a dict per chapter and heading:
    what check_codes did before it summed a chunk's candidates in arrays."""
    (ranking,) = classifier.rankings([Item(description)])
    answer = classifier.answer(ranking, 0)
    if not isinstance(answer, Suggestions) or ranking.rows[0] < 0:
        return "undecided", 0.0, 0.0
    row = ranking.rows[0]
    codes = classifier.index.codes_array[ranking.ranked[row]].tolist()
    chapters: dict[str, float] = {}
    headings: dict[str, float] = {}
    for candidate, confidence in zip(codes, ranking.confidence[row].tolist(), strict=True):
        chapter_key, heading_key = same_chapter(candidate[:2]), PARALLEL.get(candidate[:4], candidate[:4])
        chapters[chapter_key] = chapters.get(chapter_key, 0.0) + confidence
        headings[heading_key] = headings.get(heading_key, 0.0) + confidence
    chapter = chapters.get(same_chapter(code[:2]), 0.0)
    heading = headings.get(PARALLEL.get(code[:4], code[:4]), 0.0)
    if answer.why is not None and answer.why.startswith("no word"):
        return "undecided", heading, chapter
    if chapter < FAR and max(chapters.values()) >= SUPPORTED:
        return "chapter", heading, chapter
    if heading < FAR and max(headings.values()) >= SUPPORTED:
        return "heading", heading, chapter
    return ("undecided" if max(chapters.values()) < SUPPORTED else "consistent"), heading, chapter


def same_chapter(chapter: str) -> str:
    return "61" if chapter == "62" else chapter


def test_the_summed_support_is_the_one_by_one_sum(hs_classifier: Classifier) -> None:
    pairs = noisy_pairs()
    results = check_codes(hs_classifier, pairs)
    verdicts: Counter[str] = Counter()
    for (description, raw), result in zip(pairs, results, strict=True):
        if isinstance(result, Invalid):
            continue
        expected = summed_one_by_one(hs_classifier, description, result.declared)
        assert (result.verdict, result.support, result.chapter_support) == expected, (description, raw)
        verdicts[result.verdict] += 1
    assert sum(verdicts.values()) >= 300 and set(verdicts) == {"consistent", "undecided", "chapter", "heading"}


def test_only_far_verdicts_are_explained_when_asked(hs_classifier: Classifier) -> None:
    pairs = noisy_pairs()
    everything = check_codes(hs_classifier, pairs)
    far_only = check_codes(hs_classifier, pairs, explain="far")
    assert any(isinstance(c, CodeCheck) and c.far for c in far_only)
    for full, lean in zip(everything, far_only, strict=True):
        if isinstance(full, CodeCheck) and not full.far:
            assert isinstance(lean, CodeCheck) and lean.suggestions == ()
            assert dataclasses.replace(full, suggestions=()) == lean
        else:
            assert full == lean


def test_knitted_against_woven_is_not_far(hs_classifier: Classifier) -> None:
    """A title that does not say how its fabric is made supports both chapters 61 and 62: the model's
    lean to one is no evidence against the other (mismatch.PARALLEL)."""
    titles = ["Men's polyester coat", "Baby polyester romper", "Scarf navy blue", "Men's cotton shirt"]
    woven = ["620140", "620930", "621490", "620520"]
    knitted = ["610130", "611130", "611710", "610510"]
    for title, code in zip(titles * 2, woven + knitted, strict=True):
        [check] = check_codes(hs_classifier, [(title, code)])
        assert isinstance(check, CodeCheck) and not check.far, (title, code, check)
    # Other goods stay far: a coat declared as a phone.
    [phone] = check_codes(hs_classifier, [("Men's polyester coat", "851762")])
    assert isinstance(phone, CodeCheck) and phone.verdict == "chapter"
    assert "61/62" in phone.why
    # A garment code far from the goods is named with its knitted twin: the support is theirs together.
    [coat_as_case] = check_codes(hs_classifier, [("Silicone phone case", "620140")])
    assert isinstance(coat_as_case, CodeCheck) and coat_as_case.far
    assert "not 61/62" in coat_as_case.why or "not 6101/6201" in coat_as_case.why, coat_as_case.why
