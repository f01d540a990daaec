"""Text columns of the risk frame in their matching form, each distinct value normalised once.

The batch checks and rules compare ``clearway.dataset.text.normalise_for_matching`` forms, as the
one-record paths do. Most declarations are ASCII, whose form is only case and spaces, which Polars
computes natively; the other values go through Python once per distinct value in the batch (a
seller's catalogue repeats across thousands of parcels), never once per row.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import polars as pl

from clearway.dataset.text import WHITE_SPACE, is_mixed_script, normalise_for_matching

# What the form replaces by one space: a run of two or more, or one that is not a plain space (the
# same result as replacing every run, without rewriting every description that has a space in it).
_IRREGULAR_SPACES = f"[{WHITE_SPACE}]{{2,}}|[{WHITE_SPACE.removeprefix(' ')}]"


def _ascii(e: pl.Expr) -> pl.Expr:
    return e.str.len_bytes() == e.str.len_chars()


def _non_ascii_distinct(values: pl.Series) -> list[str]:
    distinct = values.drop_nulls().unique()
    return distinct.filter(distinct.str.len_bytes() != distinct.str.len_chars()).to_list()


def _forms(old: list[str]) -> Callable[[pl.Expr], pl.Expr]:
    new = [normalise_for_matching(value) for value in old]

    def form(e: pl.Expr) -> pl.Expr:
        native = e.str.replace_all(_IRREGULAR_SPACES, " ").str.strip_chars(" ").str.to_lowercase()
        if not old:
            return native
        return pl.when(_ascii(e)).then(native).otherwise(e.replace_strict(old, new, default=None, return_dtype=pl.Utf8))

    return form


def _apply(series: pl.Series, expr: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    if isinstance(series.dtype, pl.List):
        return series.list.eval(expr(pl.element()))
    return pl.DataFrame({"v": series}).select(expr(pl.col("v"))).to_series().alias(series.name)


def _form_series(series: pl.Series) -> pl.Series:
    values = series.explode() if isinstance(series.dtype, pl.List) else series
    return _apply(series, _forms(_non_ascii_distinct(values)))


def _mixed_series(series: pl.Series) -> pl.Series:
    is_list = isinstance(series.dtype, pl.List)
    values = series.explode() if is_list else series
    mixed = [value for value in _non_ascii_distinct(values) if is_mixed_script(value)]
    if not mixed:  # the usual case: no list to search (a list.eval costs ~1 ms a column on any batch)
        return pl.repeat(False, len(series), dtype=pl.Boolean, eager=True).alias(series.name)
    if is_list:
        return series.list.eval(pl.element().is_in(mixed)).list.any().fill_null(False)
    return series.is_in(mixed).fill_null(False)


def _mentions_series(pattern: str, series: pl.Series) -> pl.Series:
    is_list = isinstance(series.dtype, pl.List)
    foreign = _non_ascii_distinct(series.explode() if is_list else series)
    compiled = re.compile(pattern)
    hits = [value for value in foreign if compiled.search(normalise_for_matching(value))]

    def test(e: pl.Expr) -> pl.Expr:
        found = e.str.contains(pattern)
        return pl.when(_ascii(e)).then(found).otherwise(e.is_in(hits)) if foreign else found

    return _apply(series, test).list.any() if is_list else _apply(series, test)


def mentions(expr: pl.Expr, pattern: str) -> pl.Expr:
    """Whether a text (Utf8), or any text of a list, has a match of ``pattern`` in its matching form.

    ``pattern`` must be case-insensitive and blind to runs of ASCII white space, as the rules'
    mention patterns are: then an ASCII text matches as written exactly when its form does, and only
    the others need their form (the common case costs one regex scan, as before look-alikes counted).
    """
    return expr.map_batches(functools.partial(_mentions_series, pattern), return_dtype=pl.Boolean, is_elementwise=True)


def matching_form(expr: pl.Expr) -> pl.Expr:
    """A text column (Utf8) in its matching form."""
    return expr.map_batches(_form_series, return_dtype=pl.Utf8, is_elementwise=True)


def matching_forms(expr: pl.Expr) -> pl.Expr:
    """A column of lists of texts (List(Utf8)) with every text in its matching form."""
    return expr.map_batches(_form_series, return_dtype=pl.List(pl.Utf8), is_elementwise=True)


def mixed_script(expr: pl.Expr) -> pl.Expr:
    """Whether a text (Utf8), or any text of a list (List(Utf8)), mixes alphabets in a word; never null."""
    return expr.map_batches(_mixed_series, return_dtype=pl.Boolean, is_elementwise=True)
