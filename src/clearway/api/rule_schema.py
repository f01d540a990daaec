"""The grammar of a targeting rule's ``when`` as JSON Schema, so that a generated client and an
analyst's editor know which fields and ops exist before the server says so.

Built from the rule language's own tables (``risk.rules.fields``: the fields, their kinds, the ops
each kind takes), so it cannot drift from what the compiler accepts. The document states the shape;
what JSON Schema cannot say (a value's kind per field, such as a number for ``value_eur``) is the
compiler's, whose 422 names the part at fault by its JSON pointer (docs/rules.md, Conditions).
"""

from __future__ import annotations

from typing import Any, Final

from clearway.risk.rules.conditions import MAX_DEPTH
from clearway.risk.rules.fields import FIELDS, OP_KINDS
from clearway.risk.rules.model import OPS

NAME: Final = "RuleCondition"
_SELF: Final = {"$ref": f"#/components/schemas/{NAME}"}

# What an op's operand looks like in JSON. Numbers are integers or decimals as text ("0.3"), dates
# are YYYY-MM-DD text: JSON has no date and a binary float would round a threshold.
_SCALAR: Final[dict[str, Any]] = {"type": ["string", "integer", "boolean"]}
_LIST: Final[dict[str, Any]] = {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}}
# Any text, as the compiler takes it (an empty prefix is a prefix of every text, as in Python).
_TEXTS: Final[dict[str, Any]] = {
    "anyOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]
}
_OPERANDS: Final[dict[str, dict[str, Any]]] = {
    "eq": _SCALAR,
    "ne": _SCALAR,
    "lt": {"type": ["string", "integer"]},
    "le": {"type": ["string", "integer"]},
    "gt": {"type": ["string", "integer"]},
    "ge": {"type": ["string", "integer"]},
    "in": _LIST,
    "not_in": _LIST,
    "contains": {"type": ["string", "integer"]},
    "contains_any": _LIST,
    "is_null": {"type": "boolean"},
    "starts_with": _TEXTS,
    "mentions": _TEXTS,
}


def _group(word: str, meaning: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": f"Rule{word.title()}",
        "description": meaning,
        "required": [word],
        "additionalProperties": False,
        "properties": {word: {"type": "array", "minItems": 1, "items": _SELF}},
    }


def components() -> dict[str, dict[str, Any]]:
    """``RuleCondition`` (a group, a negation or one test of one field) and its four forms.

    Each form is a component of its own, titled, so that the recursion goes through objects:
    openapi-python-client cannot parse a union that refers to itself directly, and names inline
    forms by their titles (an "Any" class would shadow typing.Any in the generated code)."""
    testable = sorted(name for name, field in FIELDS.items() if not field.personal)
    # Each op applies to some kinds only: "if the test uses this op, the field is one of these".
    fits = [
        {
            "if": {"properties": {op: _OPERANDS[op]}, "required": [op]},
            "then": {
                "properties": {"field": {"enum": [name for name in testable if FIELDS[name].kind in OP_KINDS[op]]}}
            },
        }
        for op in OPS
    ]
    test: dict[str, Any] = {
        "type": "object",
        "title": "RuleTest",
        "description": "One test of one field: the field and exactly one op with its operand",
        "required": ["field"],
        "minProperties": 2,
        "maxProperties": 2,
        "additionalProperties": False,
        "properties": {
            "field": {
                "enum": testable,
                "description": "A field of the risk frame (no personal field: rules may not single out people)",
            },
            **{op: _OPERANDS[op] for op in OPS},
        },
        "allOf": fits,
    }
    forms = {
        "RuleAll": _group("all", "Every condition holds"),
        "RuleAny": _group("any", "At least one condition holds"),
        "RuleNot": {
            "type": "object",
            "title": "RuleNot",
            "description": "The condition does not hold",
            "required": ["not"],
            "additionalProperties": False,
            "properties": {"not": _SELF},
        },
        "RuleTest": test,
    }
    condition = {
        "description": (
            f"A targeting condition (docs/rules.md, Conditions): all, any, not, or one field test, nested "
            f"at most {MAX_DEPTH} levels. A test on a missing value is false. Numbers are integers or "
            'decimals as text ("0.3"); dates are YYYY-MM-DD.'
        ),
        "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in forms],
    }
    return {NAME: condition, **forms}
