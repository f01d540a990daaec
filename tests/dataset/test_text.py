"""The matching form of text: invisible characters, compatibility forms, look-alikes and case make no difference."""

from __future__ import annotations

import re
import unicodedata
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearway.dataset.text import (
    CACHED_LENGTH,
    IGNORABLE_RANGES,
    is_confusable,
    is_mixed_script,
    matching_spans,
    mixed_script_words,
    normalise_for_matching,
    remove_ignorables,
    skeleton,
    unmask,
)

# "Pepper spray" as an attacker writes it: each reads "Pepper spray" on screen.
PEPPER_SPRAY = [
    "Pepper spray",
    "P\u0435pper spray",  # Cyrillic е
    "Pep\u00adper spray",  # soft hyphen
    "Pep\u200bper spray",  # zero-width space
    "Pe\u200dp\u200cper\ufeff spray",  # zero-width joiner and non-joiner, byte order mark
    "Pepper spray\ufe0f",  # variation selector
    "\u0420\u0415\u0420\u0420\u0415R SPRAY",  # Cyrillic capitals Р and Е
    "Ｐｅｐｐｅｒ ｓｐｒａｙ",  # fullwidth
    "𝐏𝐞𝐩𝐩𝐞𝐫 𝐬𝐩𝐫𝐚𝐲",  # mathematical bold
    "P\u0435ppe\u0433 spr\u0430\u0443",  # Cyrillic е, г, а, у
    "  PEPPER\u00a0\u2003SPRAY\t",  # no-break and em spaces, upper case
    "Pe\u0301pper spray",  # a combining accent
]


@pytest.mark.parametrize("written", PEPPER_SPRAY)
def test_every_disguise_of_pepper_spray_reads_pepper_spray(written: str) -> None:
    assert normalise_for_matching(written) == "pepper spray"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("T\u0430\u0455er", "taser"),  # Cyrillic а, ѕ
        ("\u0410\u041c\u041cUNITION", "ammunition"),  # Cyrillic А, М: capitals read as the Latin they copy
        ("KN\u0406FE", "knife"),  # Cyrillic І reads as I, not as the l that TR39 gives
        ("\u0397\u0395R\u039f\u0399\u039d", "heroin"),  # Greek capitals Η, Ε, Ο, Ι, Ν
        ("\u03a1ASSPORT", "passport"),  # Greek capital rho reads as P
        ("e\u2010liquid", "e-liquid"),  # a Unicode hyphen
        ("Crème brûlée", "creme brulee"),
        ("Straße", "strasse"),
        ("手机壳 iPhone", "手机壳 iphone"),  # other scripts are left as they are, case folded
        ("Иванов", normalise_for_matching("Иванов")),
    ],
)
def test_the_matching_form(written: str, expected: str) -> None:
    assert normalise_for_matching(written) == expected


def test_ascii_keeps_its_letters() -> None:
    # UTS #39 merges m with "rn" and l with 1: "com" would match "corn". ASCII is not folded.
    assert normalise_for_matching("Corn com 1l0O") == "corn com 1l0o"
    assert skeleton("com") == skeleton("corn")  # while the skeleton itself follows the standard


def test_ascii_takes_the_fast_path_and_non_ascii_the_same_form() -> None:
    assert normalise_for_matching(" a\tb  c ") == "a b c"
    assert normalise_for_matching(" a\tb  c é") == "a b c e"


def test_long_texts_are_computed_not_cached() -> None:
    text = "P\u0435pper " * (CACHED_LENGTH // 4)
    assert normalise_for_matching(text) == ("pepper " * (CACHED_LENGTH // 4)).strip()
    assert is_mixed_script(text)


@given(st.text(max_size=30))
def test_the_form_of_a_form_is_the_form(text: str) -> None:
    once = normalise_for_matching(text)
    assert normalise_for_matching(once) == once


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=30))
def test_ascii_text_only_changes_case_and_spaces(text: str) -> None:
    assert normalise_for_matching(text) == re.sub("[ \t\n\r\f\v]+", " ", text).strip(" ").lower()


def test_default_ignorables_are_removed() -> None:
    for start, end in IGNORABLE_RANGES:
        for point in (start, end):
            assert remove_ignorables(f"a{chr(point)}b") == "ab", hex(point)
    assert remove_ignorables("a b") == "a b"


def test_the_skeleton_is_uts39s() -> None:
    assert skeleton("\u0440\u0430ypal") == skeleton("paypal")  # Cyrillic р, а
    assert is_confusable("Ρepper", "Pepper")  # Greek capital rho
    assert not is_confusable("pepper", "pipper")
    assert skeleton("1") == "l" and skeleton("0") == "O"
    assert unicodedata.is_normalized("NFD", skeleton("é"))


@pytest.mark.parametrize(
    ("text", "mixed"),
    [
        ("P\u0435pper spray", ["P\u0435pper"]),
        ("J\u043ehn Smith", ["J\u043ehn"]),
        ("Pep\u200bp\u0435r", ["Pepp\u0435r"]),  # an invisible character does not split the word
        ("Pepper spray", []),
        ("Иванов Пётр", []),  # wholly Cyrillic
        ("Иванов Peter", []),  # two scripts, but not in one word
        ("手机壳iPhone保护", []),  # Latin brand names run into Chinese as a matter of course
        ("10 kΩ resistor, 100 μF, 5 µm", []),  # units, not letters
        ("ＡＢＣ", []),
        ("αβγ abc", []),
        ("Ρepper", ["Ρepper"]),  # Greek capital rho
    ],
)
def test_mixed_script_words(text: str, mixed: list[str]) -> None:
    assert mixed_script_words(text) == mixed
    assert is_mixed_script(text) is bool(mixed)


def test_unmask_folds_only_the_words_that_mix_alphabets() -> None:
    assert unmask("Ivan \u0420\u0435trov") == "Ivan petrov"  # Cyrillic Р, е in a Latin word
    assert unmask("Иван Петров") == "Иван Петров"  # left for transliteration
    assert unmask("J\u200bohn") == "John"


def test_matching_spans_point_back_into_the_text() -> None:
    text = "JO\u00adHN ｓｍｉｔｈ"
    folded, spans = matching_spans(text)
    assert folded == "john smith"
    assert len(spans) == len(folded)
    start, end = spans[folded.index("smith")][0], spans[-1][1]
    assert text[start:end] == "ｓｍｉｔｈ"
    assert text[spans[0][0] : spans[3][1]] == "JO\u00adHN"


def test_the_table_is_uts39_17_0_0_with_its_licence() -> None:
    text = resources.files("clearway.dataset").joinpath("confusables.txt").read_text(encoding="utf-8")
    assert "version 17.0.0" in text and "SPDX-License-Identifier: Unicode-3.0" in text
    assert sum(1 for line in text.splitlines() if line and not line.startswith("#")) == 6565
