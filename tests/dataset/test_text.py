"""The matching form of text: invisible characters, compatibility forms, look-alikes and case make no difference."""

from __future__ import annotations

import re
import sys
import unicodedata
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearway.dataset import text as text_module
from clearway.dataset.text import (
    BLANKS,
    CACHED_LENGTH,
    FORM_CACHE_BYTES,
    IGNORABLE_RANGES,
    MIXED_CACHE_BYTES,
    WHITE_SPACE,
    TextCache,
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
    # The security review's second round: blanks that are no White_Space, a mark that casefolds to a
    # letter, format characters that are not Default_Ignorable, small capitals.
    "Pepper\u2800spray",  # Braille pattern blank
    "Pepper\u3164spray",  # Hangul filler
    "Pepper\uffa0spray",  # halfwidth Hangul filler
    "Pepper\u115fspray",  # Hangul choseong filler
    "Pepper\u1160spray",  # Hangul jungseong filler
    "Pep\u0345per spray",  # combining ypogegrammeni, which casefolds to ι
    "Pep\U00013430per spray",  # Egyptian hieroglyph vertical joiner (Cf)
    "Pep\u0600per spray",  # Arabic number sign (Cf)
    "Pep\u070fper spray",  # Syriac abbreviation mark (Cf)
    "Pep\U000110bdper spray",  # Kaithi number sign (Cf)
    "\u1d18epper spray",  # Latin letter small capital P
    "\u1d18\u1d07\u1d18\u1d18\u1d07\u0280 \ua731\u1d18\u0280\u1d00\u028f",  # small capitals throughout
    "\u01a5epper spray",  # p with hook
    "P\u03b5pper spray",  # Greek small epsilon (UTS #39 gives it the prototype ꞓ)
]

# Dashes and minus signs that read as the hyphen of "pepper-spray" (rule mentions accept it between words).
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58", "\ufe63", "\uff0d"]


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
        ("\u1fb3\u0345", "a"),  # marks go before case is folded: no ι from the iota subscript
        ("\u0392\u0435\u0432", "beb"),  # a Cyrillic в is a small capital B, and that is a b
        ("Crème brûlée", "creme brulee"),
        ("Straße", "strasse"),
        ("手机壳 iPhone", "手机壳 iphone"),  # other scripts are left as they are, case folded
        ("Иванов", normalise_for_matching("Иванов")),
    ],
)
def test_the_matching_form(written: str, expected: str) -> None:
    assert normalise_for_matching(written) == expected


@pytest.mark.parametrize("dash", DASHES)
def test_every_dash_is_a_hyphen(dash: str) -> None:
    assert normalise_for_matching(f"Pepper{dash}spray") == "pepper-spray"
    assert "-" not in normalise_for_matching("\u30fc\u4e00")  # letters that look like one stay letters


def test_blanks_are_spaces() -> None:
    for blank in BLANKS:
        assert normalise_for_matching(f"a{blank}b") == "a b", hex(ord(blank))
        assert re.fullmatch(f"[{WHITE_SPACE}]", blank), hex(ord(blank))  # so a blank description is blank
    assert matching_spans("a\u2800b")[0] == "a b"


def test_every_format_character_is_invisible() -> None:
    invisible = {point for start, end in IGNORABLE_RANGES for point in range(start, end + 1)}
    for point in range(sys.maxunicode + 1):
        if unicodedata.category(chr(point)) == "Cf":
            assert point in invisible, hex(point)
            assert normalise_for_matching(f"a{chr(point)}b") == "ab", hex(point)


def test_combining_marks_are_dropped_before_case_is_folded() -> None:
    for point in range(0x0300, 0x0370):  # the combining diacritical marks, U+0345 among them
        assert normalise_for_matching(f"a{chr(point)}b") == "ab", hex(point)


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


def test_the_caches_stay_within_their_bounds() -> None:
    # The restrictions lookup is public: whatever anyone sends, what is kept stays bounded. 200,000
    # distinct texts, and more distinct characters than the fold cache holds.
    texts = [f"{i} P\u0435pper spray" for i in range(200_000)]
    letters = [chr(p) for p in range(0x4E00, 0x9FFF)] + [chr(p) for p in range(0xAC00, 0xAC00 + 4000)]
    for text in [*texts, *letters]:
        normalise_for_matching(text)
        is_mixed_script(text)
    forms, mixed = text_module._cached_form.cache_info(), text_module._cached_mixed.cache_info()
    assert forms.max_bytes == FORM_CACHE_BYTES and mixed.max_bytes == MIXED_CACHE_BYTES
    assert 0 < forms.bytes <= forms.max_bytes and 0 < mixed.bytes <= mixed.max_bytes
    assert forms.entries < len(texts) and mixed.entries < len(texts)  # the oldest were let go
    for cached in (text_module._fold, text_module._alphabet):
        info = cached.cache_info()
        assert info.maxsize is not None and info.currsize == info.maxsize
    assert normalise_for_matching(texts[0]) == "0 pepper spray"  # let go, computed again


def test_a_text_cache_counts_what_it_keeps() -> None:
    calls: list[str] = []

    def compute(text: str) -> str:
        calls.append(text)
        return text * 18  # as U+FDFA expands under NFKC

    cache = TextCache(compute, max_bytes=4096)
    for i in range(100):
        assert cache(f"é{i}") == f"é{i}" * 18
    info = cache.cache_info()
    assert 0 < info.entries < 100 and info.bytes <= 4096
    calls.clear()
    assert cache("é99") == "é99" * 18 and calls == []  # the most recent are kept
    assert cache("é0") == "é0" * 18 and calls == ["é0"]  # the oldest are not
    assert cache("x" * 5000) == "x" * 90000 and cache.cache_info().bytes <= 4096  # too big to keep
    cache.cache_clear()
    assert cache.cache_info() == (0, 0, 4096)
