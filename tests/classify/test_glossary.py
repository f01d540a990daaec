"""The offline glossaries: Chinese by longest match, Spanish and French by words, English expansions."""

from __future__ import annotations

from clearway.classify.glossary import coverage, glossary
from clearway.dataset.text import normalise_for_matching

ENGLISH = frozenset({"table", "coffee", "pan", "robe", "bath"})


def read(text: str) -> str:
    return glossary().translate(normalise_for_matching(text), ENGLISH)


def test_coverage_is_a_few_hundred_words_a_language() -> None:
    counts = coverage()
    assert counts["zh"] >= 350 and counts["es"] >= 250 and counts["fr"] >= 250 and counts["en"] >= 100


def test_chinese_longest_match() -> None:
    assert read("女士纯棉连衣裙") == "women cotton dress"
    # 笔记本电脑 (laptop) wins over 笔记本 (notebook) + 电脑 (computer).
    assert read("笔记本电脑").startswith("laptop ")
    assert read("口红").startswith("lipstick")  # 口 is read ロ in the matching form, the key too
    assert read("T恤 纯棉").startswith("t-shirt")


def test_unknown_chinese_characters_are_dropped_and_latin_kept() -> None:
    assert read("蓝牙耳机 Pro 齉") == "bluetooth headphones earphones pro"


def test_spanish_and_french_with_accents_folded_and_phrases_first() -> None:
    assert read("Camiseta de algodón para niña") == "t-shirt de cotton for girl girls"
    assert read("Gafas de sol") == "sunglasses"
    assert read("Boucles d'oreilles en argent").startswith("earrings")


def test_an_english_word_stays_english_unless_the_text_is_foreign() -> None:
    assert read("coffee table") == "coffee table"
    assert read("bath robe") == "bath robe"
    assert read("robe en coton pour femme") == "dress en cotton for women"


def test_english_marketplace_words_are_expanded_in_place() -> None:
    assert read("pink hoodie") == "pink hoodie sweatshirt jersey pullover"
