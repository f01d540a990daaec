"""check_codes: planted mismatches are called far, right codes are not, bad codes get precise errors."""

from __future__ import annotations

import csv

import pytest

from clearway.classify.classifier import Classifier, Invalid
from clearway.classify.mismatch import CodeCheck, check_codes
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
