"""Text preparation and the TF-IDF vectors."""

from __future__ import annotations

import numpy as np

from clearway.classify.features import (
    MAX_CHARS,
    REMEMBERED_LENGTH,
    Vectoriser,
    _prepared,
    stem,
    terms_of,
    words_of,
)


def test_stems() -> None:
    assert [stem(w) for w in ["dresses", "boxes", "batteries", "women's", "glass", "bus", "shoes"]] == [
        "dress", "box", "battery", "women", "glass", "bus", "shoe",
    ]  # fmt: skip


def test_noise_and_brands_are_dropped() -> None:
    words = words_of(
        "2024 NEW Hot Sale Cadbury Women's Floral Dress XL Red 250ml 3pcs Free Shipping", frozenset({"cadbury"})
    )
    assert words == ["women", "dress"]


def test_look_alikes_and_invisible_characters_read_as_plain_words() -> None:
    assert words_of("Dr\u0435ss\u200b") == words_of("Dress") == ["dress"]  # Cyrillic е, zero-width space


def test_hyphenated_words_also_read_in_parts() -> None:
    assert words_of("wrist-watches", english=None) == ["wrist-watch", "wrist", "watch"]


def test_only_the_start_of_a_long_text_is_read() -> None:
    assert words_of("lamp " * 10_000, english=None) == ["lamp"] * (MAX_CHARS // 5)


def test_terms() -> None:
    assert terms_of(["cotton", "dress"], (4,)) == [
        "w:cotton", "w:dress", "b:cotton_dress", "c: cot", "c:cott", "c:otto", "c:tton", "c:ton ",
        "c: dre", "c:dres", "c:ress", "c:ess ",
    ]  # fmt: skip


def test_vectors_have_unit_length_and_unknown_texts_are_empty() -> None:
    vectoriser = Vectoriser.fit([["cotton", "dress"], ["steel", "knife"], ["cotton", "shirt"]], char_sizes=(4,))
    x = vectoriser.transform([["cotton", "shirt"], ["zzzz"], []])
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    assert abs(norms[0] - 1.0) < 1e-9 and norms[1] == 0 and norms[2] == 0
    again = Vectoriser.from_arrays(vectoriser.to_arrays())
    assert (again.transform([["cotton", "shirt"]]) != x[0]).nnz == 0


def test_long_words_are_read_but_not_remembered() -> None:
    """A public page reads any text: a hostile 300-character word must be read like any other and
    then forgotten, not kept in the caches that spare real titles' short words their preparation."""
    hostile = "cotton" * 50
    words_of("shirt")  # remembered now
    before = _prepared.cache_info().currsize
    assert words_of(f"{hostile} shirt") == [hostile, "shirt"]
    assert _prepared.cache_info().currsize == before
    vectoriser = Vectoriser.fit([["cotton", "dress"], ["cotton", "shirt"]], char_sizes=(4,))
    x = vectoriser.transform([[hostile, "shirt"]])
    assert x.nnz > 0  # its character n-grams ("cott", "otto"...) count
    assert hostile not in vectoriser._word_columns and "shirt" in vectoriser._word_columns
    assert len(hostile) > REMEMBERED_LENGTH


def test_chapter_62s_not_knitted_is_not_read_as_knitted() -> None:
    """ "not" is a stop word; "(not knitted or crocheted)" must not read as chapter 61's "knitted or
    crocheted", or the two chapters' texts of one garment are the same words."""
    woven = words_of("Shirts; men's or boys' (not knitted or crocheted), of cotton", english=None)
    knitted = words_of("Shirts; men's or boys', knitted or crocheted, of cotton", english=None)
    assert "knitted" not in woven and "woven" in woven
    assert "knitted" in knitted and "woven" not in knitted
    assert words_of("dress, not knitted") == ["dress", "woven"]
