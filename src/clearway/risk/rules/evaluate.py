"""Run targeting rules: over a whole batch as Polars expressions, or over one row in plain Python.

A rule applies to a consignment when the consignment's jurisdiction is in the rule's scope and the
day it was received (UTC; ``as_of`` when not known) is within the rule's validity: a batch replayed
next year is judged by the rules in force when each declaration came in, as the law requires.

The batch path adds four columns to the risk frame:

=================  ============  ==============================================================
column             dtype         meaning
=================  ============  ==============================================================
rule_hits          List(Utf8)    names of the rules that hit, in pack order
rule_versions      List(Utf8)    ``name@version`` of every rule evaluated for the row (hit or not)
rule_score         Int32         sum of the weights of the hits, capped at 100
rule_lane          Utf8          the most severe lane among the hits' outcomes, null when none
=================  ============  ==============================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec
import polars as pl

from clearway.risk.compiled import ByIdentity
from clearway.risk.rules.conditions import evaluate, fields_read, to_polars
from clearway.risk.rules.fields import MissingFields
from clearway.risk.rules.model import ALL_JURISDICTIONS, MAX_SCORE, SEVERITY, Lane, Rule, RulePack

OUTPUT_COLUMNS: Final = ("rule_hits", "rule_versions", "rule_score", "rule_lane")
_ROUTING: Final = ("jurisdiction", "received_at")


class RowResult(msgspec.Struct, frozen=True):
    """The rules' verdict on one consignment: the same four values as the batch columns."""

    hits: list[str]
    versions: list[str]
    score: int
    lane: Lane | None


def _active(rules: RulePack | Iterable[Rule]) -> list[Rule]:
    found = rules.rules if isinstance(rules, RulePack) else rules
    return [rule for rule in found if rule.status == "active"]


def applicable(rules: RulePack | Iterable[Rule], jurisdiction: str | None, as_of: dt.date) -> list[Rule]:
    """The active rules whose scope covers the jurisdiction and that are valid on ``as_of``."""
    return [rule for rule in _active(rules) if rule.covers(jurisdiction) and rule.in_force(as_of)]


def inputs_needed(rules: Iterable[Rule]) -> set[str]:
    """The frame columns the rules read, with the two that route a row to its rules."""
    return set(_ROUTING).union(*(fields_read(rule.when) for rule in rules))


# --- the batch path ------------------------------------------------------------------------------


def evaluate_frame(frame: pl.DataFrame, rules: RulePack | Iterable[Rule], as_of: dt.date) -> pl.DataFrame:
    """The frame with ``rule_hits``, ``rule_versions``, ``rule_score`` and ``rule_lane`` added."""
    chosen = _active(rules)
    missing = inputs_needed(chosen) - set(frame.columns)
    if missing:
        raise MissingFields(missing)
    frame = frame.drop(OUTPUT_COLUMNS, strict=False)
    if not chosen:
        return frame.with_columns(
            pl.lit([], dtype=pl.List(pl.Utf8)).alias("rule_hits"),
            pl.lit([], dtype=pl.List(pl.Utf8)).alias("rule_versions"),
            pl.lit(0, dtype=pl.Int32).alias("rule_score"),
            pl.lit(None, dtype=pl.Utf8).alias("rule_lane"),
        )
    applies, masks_of = _EXPRESSIONS.get(chosen, lambda: _expressions(chosen))
    # Each rule's verdict on a row is a bit: which rules were evaluated and which hit make two bit masks
    # (a 64-bit word per 64 rules). Rows share few distinct masks, so the four outputs are built once
    # per distinct mask and joined back: assembling lists of names row by row is ten times slower.
    # Eager steps: a lazy query's planning cost more than the rules on a small batch (HTTP, Kafka).
    masks = (
        frame.with_columns(_day_expr(frame.schema["received_at"], as_of).alias(_DAY))
        .with_columns(applies)
        .select(masks_of)
    )
    keys = masks.columns
    verdicts = _verdicts(masks.unique(), chosen)
    joined = masks.join(verdicts, on=keys, how="left", maintain_order="left").drop(keys)
    return frame.hstack(joined)


_WORD: Final = 64
_DAY: Final = "__rule_day"
# A pack's expressions, built once per set of rules (clearway.risk.compiled): building them took a
# batch of 100 longer than evaluating them.
_EXPRESSIONS: ByIdentity[tuple[list[pl.Expr], list[pl.Expr]]] = ByIdentity()


def _expressions(rules: list[Rule]) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Whether each rule applies to a row (a column each), and the bit masks made of them."""
    flags = [f"__rule_applies_{i}" for i in range(len(rules))]
    applies = [_applies(rule, pl.col(_DAY)).alias(flag) for rule, flag in zip(rules, flags, strict=True)]
    starts = range(0, len(rules), _WORD)
    masks = [
        *(_mask(flags[w : w + _WORD]).alias(f"__rules_applied_{w}") for w in starts),
        *(_mask(flags[w : w + _WORD], rules[w : w + _WORD]).alias(f"__rules_hit_{w}") for w in starts),
    ]
    return applies, masks


def _mask(flags: list[str], rules: list[Rule] | None = None) -> pl.Expr:
    bits = []
    for bit, flag in enumerate(flags):
        on = pl.col(flag) if rules is None else pl.col(flag) & to_polars(rules[bit].when)
        bits.append(pl.when(on).then(pl.lit(1 << bit, dtype=pl.UInt64)).otherwise(pl.lit(0, dtype=pl.UInt64)))
    return pl.sum_horizontal(bits)


def _verdicts(distinct: pl.DataFrame, rules: list[Rule]) -> pl.DataFrame:
    """The four outputs for each distinct pair of masks, computed in Python like the row path."""
    columns: dict[str, list[Any]] = {name: [] for name in (*distinct.columns, *OUTPUT_COLUMNS)}
    for row in distinct.iter_rows(named=True):
        evaluated = [r for i, r in enumerate(rules) if row[f"__rules_applied_{i - i % _WORD}"] >> i % _WORD & 1]
        hits = [r for i, r in enumerate(rules) if row[f"__rules_hit_{i - i % _WORD}"] >> i % _WORD & 1]
        verdict = _verdict(evaluated, hits)
        for name, value in row.items():
            columns[name].append(value)
        columns["rule_hits"].append(verdict.hits)
        columns["rule_versions"].append(verdict.versions)
        columns["rule_score"].append(verdict.score)
        columns["rule_lane"].append(verdict.lane)
    schema: dict[str, pl.DataType] = {name: pl.UInt64() for name in distinct.columns}
    schema |= {"rule_hits": pl.List(pl.Utf8()), "rule_versions": pl.List(pl.Utf8()), "rule_score": pl.Int32()}
    schema["rule_lane"] = pl.Utf8()
    return pl.DataFrame(columns, schema=schema)


def _day_expr(dtype: pl.DataType, as_of: dt.date) -> pl.Expr:
    received = pl.col("received_at")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC"):
        received = received.dt.convert_time_zone("UTC")
    return received.dt.date().fill_null(pl.lit(as_of))


def _applies(rule: Rule, day: pl.Expr) -> pl.Expr:
    in_force = day >= pl.lit(rule.valid_from)
    if rule.valid_to is not None:
        in_force = in_force & (day <= pl.lit(rule.valid_to))
    if ALL_JURISDICTIONS in rule.jurisdictions:
        return in_force
    return in_force & pl.col("jurisdiction").is_in(pl.Series(list(rule.jurisdictions)).implode()).fill_null(False)


# --- the row path --------------------------------------------------------------------------------


def evaluate_row(row: Mapping[str, Any], rules: RulePack | Iterable[Rule], as_of: dt.date) -> RowResult:
    """The rules' verdict on one row (a dict of frame columns), computed without Polars."""
    chosen = _active(rules)
    missing = inputs_needed(chosen) - set(row)
    if missing:
        raise MissingFields(missing)
    day = _row_day(row["received_at"], as_of)
    jurisdiction = row["jurisdiction"]
    evaluated = [rule for rule in chosen if rule.covers(jurisdiction) and rule.in_force(day)]
    return _verdict(evaluated, [rule for rule in evaluated if evaluate(rule.when, row)])


def _verdict(evaluated: list[Rule], hits: list[Rule]) -> RowResult:
    # The same arithmetic for both paths: which rules ran and which hit are what the paths compute.
    lanes: list[Lane] = [rule.outcome.lane for rule in hits if rule.outcome is not None]
    return RowResult(
        hits=[rule.name for rule in hits],
        versions=[rule.key for rule in evaluated],
        score=min(sum(rule.weight for rule in hits), MAX_SCORE),
        lane=max((SEVERITY[lane], lane) for lane in lanes)[1] if lanes else None,
    )


def _row_day(received: dt.datetime | None, as_of: dt.date) -> dt.date:
    if received is None:
        return as_of
    if received.tzinfo is not None:
        received = received.astimezone(dt.UTC)
    return received.date()
