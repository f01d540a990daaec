"""The held-out measures and the noisy variant of the held-out titles."""

from __future__ import annotations

from clearway.classify.evaluate import accuracy, noisy, translate_words
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
