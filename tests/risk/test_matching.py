"""The batch forms of text columns agree with the one-text functions, for text and lists of text."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from clearway.dataset.text import is_mixed_script, normalise_for_matching
from clearway.risk.matching import matching_form, matching_forms, mentions, mixed_script
from clearway.risk.rules.conditions import mention_pattern

# ASCII with every kind of white space, look-alikes, invisible characters, accents, other scripts.
_ALPHABET = "aBpe yr\t\n\x0b\x1c-_." + "\u0435\u0440\u0410\u00ad\u200b\u00a0\u3000é\u0301ﬁＰ手Ω"
# Blanks, dashes, a mark that casefolds to a letter, a format character, a small capital.
_ALPHABET += "\u2800\u3164\u2014\u2212\uff0d\u0345\U00013430\u1d18"
# "Pepper spray" as the security review wrote it, and with separators that rule mentions accept.
LOOK_ALIKES = [
    "Pepper\u2800spray",
    "Pepper\u3164spray",
    "Pepper\u115fspray",
    "Pep\u0345per spray",
    "Pep\U00013430per spray",
    "Pep\u0600per spray",
    "\u1d18epper spray",
    "Pepper\u2014spray",
    "Pepper\u2013spray",
    "Pepper\uff0dspray",
    "Pepper-spray",
    "pepper_spray",
    "PEPPER.SPRAY",
    "pepper - spray",
]
TEXT = st.one_of(st.none(), st.text(st.sampled_from(_ALPHABET), max_size=10))
SAMPLES = ["Pepper spray", "P\u0435pper  SPRAY", "pep\u00adper", *LOOK_ALIKES]
TEXTS = st.lists(st.one_of(st.none(), st.sampled_from(SAMPLES), TEXT))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_the_form_of_a_text_column(values: list[str | None]) -> None:
    forms = pl.Series(values, dtype=pl.Utf8).to_frame("t").select(matching_form(pl.col("t"))).to_series()
    assert forms.to_list() == [None if v is None else normalise_for_matching(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXTS), max_size=6))
def test_the_forms_of_a_list_column(rows: list[list[str | None] | None]) -> None:
    frame = pl.DataFrame({"t": rows}, schema={"t": pl.List(pl.Utf8)})
    forms = frame.select(matching_forms(pl.col("t"))).to_series().to_list()
    expected = [None if r is None else [None if v is None else normalise_for_matching(v) for v in r] for r in rows]
    assert forms == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), TEXTS), max_size=6),
    st.sampled_from(["pepper spray", "pep", "e y", "ﬁ", "pepper-spray", "p-e"]),
)
def test_mentions_and_mixed_scripts_of_a_list_column(rows: list[list[str | None] | None], words: str) -> None:
    frame = pl.DataFrame({"t": rows}, schema={"t": pl.List(pl.Utf8)})
    pattern = mention_pattern([words]) if words.isascii() else f"(?i){words}"
    found = frame.select(hit=mentions(pl.col("t"), pattern).fill_null(False), mixed=mixed_script(pl.col("t"))).rows()
    compiled = re.compile(pattern)
    for row, (hit, mixed) in zip(rows, found, strict=True):
        texts = [v for v in row or [] if v is not None]
        assert hit is any(compiled.search(normalise_for_matching(v)) for v in texts), row
        assert mixed is any(is_mixed_script(v) for v in texts), row


def test_only_non_ascii_values_are_looked_at_in_python() -> None:
    frame = pl.DataFrame({"t": ["  PEPPER\tspray ", "P\u0435pper spray", None]})
    assert frame.select(matching_form(pl.col("t"))).to_series().to_list() == ["pepper spray", "pepper spray", None]
    assert frame.select(mixed_script(pl.col("t"))).to_series().to_list() == [False, True, False]


def test_every_look_alike_of_pepper_spray_is_mentioned_on_both_paths() -> None:
    pattern = mention_pattern(["pepper spray"])
    values = [*LOOK_ALIKES, "Pepper spray", "pepper grinder", "peppers pray", "pepperspray"]
    frame = pl.DataFrame({"t": values, "l": [[v] for v in values]})
    found = frame.select(one=mentions(pl.col("t"), pattern), many=mentions(pl.col("l"), pattern)).rows()
    expected = [True] * (len(LOOK_ALIKES) + 1) + [False] * 3
    assert [one for one, _ in found] == expected
    assert [many for _, many in found] == expected
    compiled = re.compile(pattern)
    assert [compiled.search(normalise_for_matching(v)) is not None for v in values] == expected
