"""Prohibited and restricted goods as data: every file loads strictly, and the lookup matches words, not letters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clearway.jurisdictions import Catalogue
from clearway.jurisdictions.restrictions import (
    UNVERIFIED,
    RestrictionCatalogue,
    RestrictionError,
    UnknownJurisdiction,
    load_all,
    load_categories,
    lookup,
    words,
)

TODAY = dt.date(2026, 3, 1)
CATALOGUE = RestrictionCatalogue.load()
CATEGORIES = load_categories()


def categories(code: str, text: str | None, as_of: dt.date = TODAY) -> set[str]:
    return {m.restriction.category.code for m in CATALOGUE.lookup(code, text, as_of)}


def test_every_loaded_jurisdiction_has_its_restrictions() -> None:
    assert CATALOGUE.codes() == sorted(Catalogue.load().jurisdictions)
    assert len(CATALOGUE.codes()) >= 14


@pytest.mark.parametrize("code", CATALOGUE.codes())
def test_every_entry_has_a_reference_a_date_and_a_meaning(code: str) -> None:
    found = CATALOGUE.get(code)
    assert found.code == code and found.name
    assert len(found.restrictions) >= 8, "a jurisdiction covers the common categories"
    for r in found.restrictions:
        assert r.reference.strip() and len(r.reference) > 10, r
        assert isinstance(r.valid_from, dt.date) and dt.date(1990, 1, 1) <= r.valid_from <= dt.date(2030, 1, 1)
        assert r.valid_to is None or r.valid_to >= r.valid_from
        assert r.meaning.endswith(".") and len(r.meaning) > 30, r.meaning
        assert r.status in ("prohibited", "restricted")
        assert r.verified == (UNVERIFIED not in r.reference)
    # Some categories every destination states: the public asks about these most.
    assert {r.category.code for r in found.restrictions} >= {"narcotics", "firearms", "medicines"}


def test_the_vocabulary_has_no_keyword_that_another_already_covers() -> None:
    for category in CATEGORIES.values():
        seen = [k.words for k in category.keywords]
        assert len(seen) == len(set(seen)), category.code
    used = {r.category.code for found in CATALOGUE.lists.values() for r in found.restrictions}
    assert used == set(CATEGORIES), "every category is used by at least one jurisdiction"


def test_words_fold_case_accents_and_punctuation() -> None:
    assert words("Spray au POIVRE, 50 ml!") == ("spray", "au", "poivre", "50", "ml")
    assert words("Cigarro eletrônico") == ("cigarro", "eletronico")
    assert words("knuckle-duster") == ("knuckle", "duster")
    assert words("   ") == ()


CASES = [
    # (jurisdiction, what the public types, the categories expected: none is a valid answer)
    ("GB", "pepper spray keyring", {"self_defence_sprays"}),
    ("GB", "PEPPER-SPRAY", {"self_defence_sprays"}),
    ("GB", "Pfefferspray", {"self_defence_sprays"}),
    ("GB", "kitchen knife set", set()),
    ("GB", "flick knife", {"offensive_weapons"}),
    ("GB", "brass knuckles", {"offensive_weapons"}),
    ("GB", "hot glue gun", set()),
    ("GB", "massage gun", set()),
    ("GB", "airsoft rifle", {"firearms"}),
    ("GB", "pistol grip drill", set()),
    ("GB", "bullet journal", set()),
    ("GB", "replica rolex watch", {"counterfeits"}),
    ("GB", "replica football shirt", set()),
    ("GB", "fake eyelashes", set()),
    ("GB", "counterfeit detector pen", set()),
    ("GB", "disposable vapes", {"nicotine_vaping"}),
    ("GB", "e-cigarette starter kit", {"nicotine_vaping"}),
    ("GB", "cigarette lighter", set()),
    ("GB", "beef jerky", {"animal_products"}),
    ("GB", "meat thermometer", set()),
    ("GB", "oat milk", set()),
    ("GB", "milk chocolate bar", set()),
    ("GB", "shea butter body cream", set()),
    ("GB", "ham radio antenna", set()),
    ("GB", "tomato seeds", {"plants_seeds"}),
    ("GB", "seed bead necklace", set()),
    ("GB", "ceramic plant pot", set()),
    ("GB", "artificial plants", set()),
    ("GB", "snake plant", {"plants_seeds"}),
    ("GB", "melatonin gummies", {"medicines"}),
    ("GB", "carved ivory figurine", {"endangered_species"}),
    ("GB", "ivory colour silk scarf", set()),
    ("GB", "cannabis leaf print socks", set()),
    ("GB", "women's silk blouse", set()),
    ("SG", "chewing gum", {"chewing_gum"}),
    ("SG", "bubblegum pink dress", set()),
    ("SG", "CBD oil", {"narcotics"}),
    ("AU", "CBD oil", {"medicines"}),
    ("US", "CBD oil", set()),
    ("GB", "chewing gum", set()),
    ("US", "Xinjiang cotton shirt", {"forced_labour"}),
    ("US", "switchblade", {"offensive_weapons"}),
    ("EU", "cat fur hat", {"cat_dog_fur"}),
    ("EU", "faux fur coat", set()),
    ("EU", "antique roman coin", {"cultural_goods"}),
    ("EU", "antique brass door knob", set()),
    ("BR", "cigarro eletrônico", {"nicotine_vaping"}),
    ("MX", "vapeador desechable", {"nicotine_vaping"}),
    ("CA", "bear spray", {"self_defence_sprays"}),
    ("JP", "sausages", {"animal_products"}),
    ("NZ", "Manuka honey", {"animal_products"}),
    ("NZ", "honey blonde wig", set()),
]


@pytest.mark.parametrize(("code", "text", "expected"), CASES)
def test_lookup_matches_the_categories_the_text_names_and_no_others(code: str, text: str, expected: set[str]) -> None:
    assert categories(code, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "P\u0435pper spray",  # a Cyrillic е
        "Pep\u00adper spray",  # a soft hyphen
        "Pep\u200bper spr\u200bay",  # zero-width spaces
        "\u0420\u0415\u0420\u0420\u0415R SPRAY",  # Cyrillic capitals
        "ｐｅｐｐｅｒ　ｓｐｒａｙ",  # fullwidth letters and space
        "Pepper\u2800spray",  # Braille pattern blank
        "Pepper\u3164spray",  # Hangul filler
        "Pepper\uffa0spray",  # halfwidth Hangul filler
        "Pep\u0345per spray",  # combining ypogegrammeni, which casefolds to ι
        "Pep\U00013430per spray",  # Egyptian hieroglyph joiner (a format character)
        "Pep\u070fper spr\U000110bday",  # Syriac abbreviation mark, Kaithi number sign
        "Pepper-spray",
        "Pepper\u2014spray",  # em dash
        "Pepper\u2212spray",  # minus sign
        "Pepper\uff0dspray",  # fullwidth hyphen-minus
        "\u1d18epper spray",  # Latin letter small capital P
    ],
)
def test_look_alike_spellings_find_the_restriction(text: str) -> None:
    assert "self_defence_sprays" in categories("GB", text)
    assert words(text) == ("pepper", "spray")


def test_a_keyword_inside_another_word_does_not_match() -> None:
    assert categories("GB", "gunmetal grey hoodie") == set()
    assert categories("GB", "hamster cage") == set()
    assert categories("GB", "vapeur steamer") == set()


def test_the_matched_keywords_are_reported_once_the_longest_kept() -> None:
    [match] = CATALOGUE.lookup("GB", "Disposable vape, 5000 puffs", TODAY)
    assert match.keywords == ("disposable vape",)
    [match] = CATALOGUE.lookup("GB", "beef jerky and cheese", TODAY)
    assert match.keywords == ("beef", "jerky", "cheese")


def test_without_text_every_restriction_in_force_comes_back_prohibitions_first() -> None:
    every = CATALOGUE.lookup("GB", "", TODAY)
    assert len(every) == len(CATALOGUE.get("GB").in_force(TODAY))
    statuses = [m.restriction.status for m in every]
    assert statuses == sorted(statuses, key=("prohibited", "restricted").index)
    assert all(m.keywords == () for m in every)


@pytest.mark.parametrize(
    ("code", "category", "as_of", "status"),
    [
        ("AU", "nicotine_vaping", dt.date(2021, 9, 30), None),
        ("AU", "nicotine_vaping", dt.date(2023, 6, 1), "restricted"),
        ("AU", "nicotine_vaping", dt.date(2024, 1, 15), "prohibited"),
        ("AU", "nicotine_vaping", dt.date(2024, 3, 1), "prohibited"),
        ("EU", "cultural_goods", dt.date(2025, 6, 27), "prohibited"),
        ("EU", "cultural_goods", dt.date(2025, 6, 28), "restricted"),
        ("MX", "nicotine_vaping", dt.date(2020, 2, 19), None),
        ("MX", "nicotine_vaping", dt.date(2026, 1, 16), "prohibited"),
        ("GB", "animal_products", dt.date(2025, 4, 12), "prohibited"),
        ("US", "forced_labour", dt.date(2022, 6, 20), None),
    ],
)
def test_the_entry_in_force_depends_on_the_date(code: str, category: str, as_of: dt.date, status: str | None) -> None:
    found = [r for r in CATALOGUE.get(code).in_force(as_of) if r.category.code == category]
    assert len(found) <= 1, "one meaning per category on a day"
    assert (found[0].status if found else None) == status


def test_the_dated_entries_say_different_things() -> None:
    before = CATALOGUE.lookup("GB", "cheese", dt.date(2025, 4, 11))
    after = CATALOGUE.lookup("GB", "cheese", dt.date(2025, 4, 12))
    assert before[0].restriction.meaning != after[0].restriction.meaning
    assert "EU included" in after[0].restriction.meaning


def test_an_unknown_jurisdiction_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownJurisdiction, match="known: AU, BR"):
        CATALOGUE.lookup("ZZ", "knife", TODAY)


def test_lookup_takes_the_loaded_list_directly() -> None:
    assert {m.restriction.category.code for m in lookup(CATALOGUE.get("SG"), "gum base", TODAY)} == {"chewing_gum"}


# -- the file format is checked strictly -----------------------------------------------------------

GOOD_ENTRY = """
  - category: narcotics
    status: prohibited
    meaning: Drugs may not be imported.
    reference: Drugs Act 1971, s.3
    valid_from: 2021-01-01
"""


def _folder(tmp_path: Path, body: str, code: str = "XX") -> Path:
    folder = tmp_path / code.lower()
    folder.mkdir(parents=True)
    (folder / "restrictions.yaml").write_text(f"code: {code}\nname: Example\nentries:\n{body}", encoding="utf-8")
    return tmp_path


def test_an_extra_folder_adds_a_jurisdiction_and_may_replace_a_packaged_one(tmp_path: Path) -> None:
    lists = load_all([_folder(tmp_path / "a", GOOD_ENTRY), _folder(tmp_path / "b", GOOD_ENTRY, code="GB")])
    assert [r.category.code for r in lists["XX"].restrictions] == ["narcotics"]
    assert len(lists["GB"].restrictions) == 1 and "EU" in lists


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (GOOD_ENTRY.replace("narcotics", "narcotix"), "'category' must be one of"),
        (GOOD_ENTRY.replace("prohibited", "banned"), "'status' must be one of"),
        (GOOD_ENTRY.replace("    reference: Drugs Act 1971, s.3\n", ""), "'reference' must be a non-empty text"),
        (GOOD_ENTRY.replace("2021-01-01", "soon"), "'valid_from' must be a date"),
        (GOOD_ENTRY + "    valid_to: 2020-01-01\n", "'valid_to' must be a date on or after"),
        (GOOD_ENTRY + "    colour: red\n", "unknown keys"),
        (GOOD_ENTRY + "    keywords: ['!!']\n", "at least one word"),
        (GOOD_ENTRY + GOOD_ENTRY, "overlap"),
        ("", "'entries' must be a non-empty list"),
    ],
)
def test_a_bad_file_fails_at_load_naming_where_and_why(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RestrictionError, match=message):
        load_all([_folder(tmp_path, body)])


def test_a_category_filter_takes_single_words(tmp_path: Path) -> None:
    path = tmp_path / "categories.yaml"
    path.write_text("categories:\n  x:\n    title: X\n    keywords: [a b]\n    unless_followed_by: [two words]\n")
    with pytest.raises(RestrictionError, match="single words"):
        load_categories(path)
