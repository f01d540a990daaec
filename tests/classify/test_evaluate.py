"""The held-out measures, the noisy variant of the held-out titles, and the labelled listings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clearway.classify.evaluate import accuracy, evaluate_listings, noisy, read_listings, translate_words
from clearway.classify.lexicon import MARKETING_WORDS


def test_accuracy_at_two_four_and_six_digits() -> None:
    predicted = [["610910", "620520"], ["620442"], [], ["851713", "851830", "950300"]]
    truth = ["610910", "620449", "950300", "950300"]
    assert accuracy(predicted, truth) == {"top1_2": 0.5, "top1_4": 0.5, "top1_6": 0.25, "top3_6": 0.5}


def test_noisy_titles_are_deterministic_and_keep_the_goods() -> None:
    titles = [noisy("cotton t-shirt", seed) for seed in range(200)]
    assert titles == [noisy("cotton t-shirt", seed) for seed in range(200)]
    assert len(set(titles)) > 50
    english = [t for t in titles if "cotton" in t.lower()]
    assert len(english) > 120  # about one in five is translated
    # The noise is not only the classifier's own list of selling words.
    assert any(w.lower() not in MARKETING_WORDS for t in titles for w in t.split()[:1])


def test_translation_reads_the_glossary_backwards() -> None:
    assert translate_words("cotton dress", "es").split() == ["algodon", "vestido"]
    assert translate_words("cotton dress", "zh") == "棉连衣裙"
    assert translate_words("zorblax dress", "fr") == "zorblax robe"


LISTINGS = Path(__file__).resolve().parents[2] / "data" / "evaluation" / "listings.ndjson"


def test_the_labelled_listings_read_and_each_label_is_an_hs_2022_subheading() -> None:
    from clearway.classify.data import load

    listings = read_listings(LISTINGS)
    assert len(listings) == 117
    known = set(load(Path(__file__).resolve().parents[2] / "data" / "reference").subheadings)
    assert {code for _, code in listings} <= known


def test_a_malformed_listing_is_named_by_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "listings.ndjson"
    good = '{"item": {"description": "mug"}, "hs6": "691110"}\n'
    bad.write_text(good + '{"item": {"description": "cup"}, "hs6": "6911"}\n')
    with pytest.raises(ValueError, match="line 2: 'hs6' must be six digits"):
        read_listings(bad)
    bad.write_text('{"item": {"title": "mug"}, "hs6": "691110"}\n')
    with pytest.raises(ValueError, match="line 1: unknown field"):
        read_listings(bad)


def test_listings_are_scored_whole_on_titles_and_by_the_baseline(hs_classifier: Any) -> None:
    listings = read_listings(LISTINGS)
    report = evaluate_listings(hs_classifier, listings)
    assert report["items"] == 117
    for side in ("model", "model_titles_only", "baseline_nearest_neighbour"):
        assert set(report[side]) == {"top1_2", "top1_4", "top1_6", "top3_6"}
        assert 0 <= report[side]["top1_6"] <= report[side]["top1_4"] <= report[side]["top1_2"] <= 1
    # Not a target, a floor that catches a broken pipeline (chance is well under 1 %).
    assert report["model"]["top1_2"] > 0.5
    wrong = [(item, "010121") for item, _ in listings]  # every label a live horse
    assert evaluate_listings(hs_classifier, wrong)["model"]["top1_6"] < 0.05
