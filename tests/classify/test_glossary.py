"""The offline glossaries: Chinese by longest match, Spanish and French by words, English expansions."""

from __future__ import annotations

import dataclasses

from clearway.classify.glossary import Glossary, coverage, glossary
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
    # The English of a Spanish or French word is read as an English title's words are (en.tsv).
    assert read("Camiseta de algodón para niña") == "t-shirt knitted of cotton for girl girls"
    assert read("Gafas de sol") == "sunglasses"
    assert read("Boucles d'oreilles en argent").startswith("earrings")


def test_an_english_word_stays_english_unless_the_text_is_foreign() -> None:
    assert read("coffee table") == "coffee table"
    assert read("bath robe") == "bath robe"
    assert read("robe en coton pour femme") == "dress of cotton for women"


def test_an_empty_english_reads_a_word_as_nothing() -> None:
    # Selling words and colours whose characters would otherwise read as goods: 包 is a bag, 花 flowers.
    assert read("包邮印花连衣裙") == "dress"
    assert read("金色不锈钢项链").startswith("stainless steel necklace")
    assert read("Vestido negro de gasa, nuevo") == "dress of chiffon,"
    # A Spanish "impermeable" is waterproof; the French word is a raincoat.
    assert read("Mochila impermeable para niños").startswith("backpack rucksacks bags rucksack waterproof")
    assert read("Imperméable pour femme").startswith("raincoat")


def test_english_marketplace_words_are_expanded_in_place() -> None:
    assert read("pink hoodie") == "pink hoodie sweatshirt jersey pullover"


def with_english(entries: dict[str, str]) -> Glossary:
    """The shipped glossary with more English entries (phrases too), so that a test does not hang on
    which phrases en.tsv holds."""
    shipped = glossary()
    english = {**shipped.english, **entries}
    starts = shipped.starts | {key.split()[0] for key in entries if " " in key}
    return dataclasses.replace(shipped, english=english, starts=starts)


PHRASES = with_english(
    {
        "power bank": "accumulators lithium-ion",
        "ring light": "luminaires lamps",
        "led strip": "luminaires",
        "led strip lights": "luminaires lighting strings",
        "phone case": "cases containers",
    }
)


def read_with_phrases(text: str) -> str:
    return PHRASES.translate(normalise_for_matching(text), ENGLISH)


def test_an_english_phrase_is_read_as_one_and_keeps_its_words() -> None:
    assert read_with_phrases("20000mAh Power Bank") == "20000mah power bank accumulators lithium-ion"
    assert read_with_phrases("power bank 20000mAh slim") == "power bank accumulators lithium-ion 20000mah slim"


def test_the_longest_english_phrase_is_read_first() -> None:
    assert read_with_phrases("LED strip lights 5m") == "led strip lights luminaires lighting strings 5m"
    assert read_with_phrases("LED strip 5m") == "led strip luminaires 5m"
    # No phrase starts here: the single word, as before ("led" is in en.tsv alone).
    assert read_with_phrases("LED candle") == read("LED candle")
    assert read("LED candle") == "led light-emitting diode light sources candle"
    # A shipped phrase ("led bulb" is a lamp, "led" alone only says the light source).
    assert read("LED bulb").startswith("led bulb lamps light-emitting diode")


def test_the_words_of_a_phrase_are_not_also_read_alone() -> None:
    # An adding glossary keeps the phrase's words, but not their single meanings: "ring" alone is
    # jewellery and "phone" a telephone, which a ring light and a phone case are not.
    assert read_with_phrases("ring light") == "ring light luminaires lamps"
    assert read_with_phrases("phone case") == "phone case cases containers"
    # Around the phrase, single words are read as they always were.
    assert read_with_phrases("earbuds phone case gold ring") == (
        "earbuds headphones earphones phone case cases containers gold ring jewellery"
    )


def test_a_phrase_never_spans_punctuation() -> None:
    assert read_with_phrases("gold ring, light blue") == "gold ring jewellery, light blue"
    assert read_with_phrases("power / bank") == "power / bank"


def test_punctuation_attached_to_a_word_does_not_hide_it() -> None:
    assert read("Earbuds, wireless (hoodie)!") == (
        "earbuds headphones earphones, wireless (hoodie sweatshirt jersey pullover)!"
    )
    assert read("hoodie/sweater") == "hoodie sweatshirt jersey pullover/sweater jersey pullover"
    assert read("Gafas de sol, UV400") == "sunglasses, uv400"
    assert read_with_phrases("Phone Case, Clear") == "phone case cases containers, clear"


def test_the_shipped_english_phrases() -> None:
    phrases = [key for key in glossary().english if " " in key]
    assert len(phrases) >= 100
    # A key of more than three words would never be read.
    assert all(len(key.split()) <= 3 for key in phrases)
    assert read("20000mAh Power Bank, USB-C") == (
        "20000mah power bank accumulators lithium-ion, usb-c electric conductors"
    )
    assert "jewellery" not in read("Ring Light with Tripod")
    assert "telephone" not in read("Phone Case for iPhone 15")
    # The longest first: an air fryer liner is paper, not an air fryer.
    assert read("air fryer liners") == "air fryer liners paper paperboard trays dishes"


def test_a_foreign_words_english_gets_the_english_marketplace_words() -> None:
    """ "pulsera" is a bracelet, and a bracelet is jewellery: without en.tsv's words a translated
    bracelet read as a watch bracelet (chapter 91), as the word-by-word titles of the simulator showed."""
    assert read("pulsera de plata") == "bracelet jewellery of silver"
    assert read("Boucles d'oreilles en argent") == "earrings jewellery of silver"
