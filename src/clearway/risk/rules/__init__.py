"""Targeting rules as data: versioned YAML packs of named, dated, scoped rules (see docs/rules.md).

``load_pack`` reads a pack, ``evaluate_frame`` runs it over a batch as Polars expressions and
``evaluate_row`` over one consignment in plain Python; both give the same verdict.
"""

from clearway.risk.rules.conditions import ConditionError, parse_condition
from clearway.risk.rules.evaluate import RowResult, applicable, evaluate_frame, evaluate_row
from clearway.risk.rules.fields import FIELDS, MissingFields
from clearway.risk.rules.loader import DEFAULT_PACK, RulePackError, load_default_pack, load_pack
from clearway.risk.rules.model import Outcome, Rule, RulePack

__all__ = [
    "DEFAULT_PACK",
    "FIELDS",
    "ConditionError",
    "MissingFields",
    "Outcome",
    "RowResult",
    "Rule",
    "RulePack",
    "RulePackError",
    "applicable",
    "evaluate_frame",
    "evaluate_row",
    "load_default_pack",
    "load_pack",
    "parse_condition",
]
