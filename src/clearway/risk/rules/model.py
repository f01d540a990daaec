"""Targeting rules as data: a rule names the fact it detects, says why in one sentence, and cites the law.

A rule is a condition over the risk frame (see ``clearway.risk.rules.conditions``) with a weight,
an outcome (a lane and the action an officer takes), validity dates and a jurisdiction scope, as
yente's matching rules are small named facts with a weight. Rules live in versioned YAML packs
(``clearway.risk.rules.loader``) so that an analyst changes targeting without a release, and every
assessment can record which rule versions it ran (``name@version``) to be reproduced later.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import msgspec

Lane = Literal["green", "yellow", "red", "do_not_load"]
Action = Literal[
    "release",
    "documentary_check",
    "request_for_information",
    "request_for_screening",
    "inspection",
    "do_not_load",
]
Status = Literal["active", "retired"]
Op = Literal[
    "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "contains_any", "is_null", "starts_with", "mentions"
]

LANES: Final[tuple[Lane, ...]] = ("green", "yellow", "red", "do_not_load")
ACTIONS: Final[tuple[Action, ...]] = (
    "release",
    "documentary_check",
    "request_for_information",
    "request_for_screening",
    "inspection",
    "do_not_load",
)
OPS: Final[tuple[Op, ...]] = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "contains",
    "contains_any",
    "is_null",
    "starts_with",
    "mentions",
)
# A hit's lane is the most severe among the hits: an ICS2 "do not load" outranks any inspection.
SEVERITY: Final[dict[Lane, int]] = {"green": 1, "yellow": 2, "red": 3, "do_not_load": 4}
ALL_JURISDICTIONS: Final = "*"
MAX_SCORE: Final = 100

Scalar = str | int | float | bool | dt.date
Value = Scalar | tuple[str, ...] | tuple[int | float, ...]


class Leaf(msgspec.Struct, frozen=True, tag="leaf"):
    """One test of one field: ``{field: price_ratio_min, lt: "0.3"}``; ``value`` is already typed."""

    field: str
    op: Op
    value: Value


class All(msgspec.Struct, frozen=True, tag="all"):
    """True when every condition holds."""

    items: tuple[Condition, ...]


class AnyOf(msgspec.Struct, frozen=True, tag="any"):
    """True when at least one condition holds."""

    items: tuple[Condition, ...]


class Not(msgspec.Struct, frozen=True, tag="not"):
    """True when the condition does not hold (a test on a missing value is false, so its negation is true)."""

    item: Condition


Condition = Leaf | All | AnyOf | Not


class Outcome(msgspec.Struct, frozen=True):
    """What a hit asks for: the lane of the consignment and the action an officer or the carrier takes."""

    lane: Lane
    action: Action


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    """One targeting rule, named for the fact it detects; ``description`` is its user documentation.

    A rule applies to a consignment when the consignment's jurisdiction is in ``jurisdictions`` (or
    the scope is ``["*"]``), its day of receipt is within ``valid_from`` .. ``valid_to`` (inclusive)
    and the rule is active. Several versions of one rule may share a name when their validity
    periods do not overlap: on any day at most one of them applies.
    """

    name: str
    version: int
    description: str
    jurisdictions: tuple[str, ...]
    valid_from: dt.date
    valid_to: dt.date | None = None
    when: Condition
    weight: int = 0
    outcome: Outcome | None = None
    legal_basis: str
    status: Status = "active"

    @property
    def key(self) -> str:
        """The identifier an assessment records, so a hit can be traced to the exact rule text."""
        return f"{self.name}@{self.version}"

    def covers(self, jurisdiction: str | None) -> bool:
        """Whether the rule's scope includes this jurisdiction (``*`` includes every one)."""
        if ALL_JURISDICTIONS in self.jurisdictions:
            return True
        return jurisdiction is not None and jurisdiction in self.jurisdictions

    def in_force(self, day: dt.date) -> bool:
        """Whether the rule is active and valid on this day (both ends inclusive)."""
        if self.status != "active" or day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to


class RulePack(msgspec.Struct, frozen=True, kw_only=True):
    """A versioned set of rules, loaded from one YAML file; its version changes whenever a rule does."""

    name: str
    version: int
    rules: tuple[Rule, ...]

    def rule(self, name: str, day: dt.date | None = None) -> Rule:
        """The rule of that name (the version in force on ``day``, else the latest version)."""
        found = [r for r in self.rules if r.name == name]
        if not found:
            raise KeyError(name)
        if day is not None:
            found = [r for r in found if r.in_force(day)] or found
        return max(found, key=lambda r: r.version)
