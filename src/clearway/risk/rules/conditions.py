"""The condition language of targeting rules, and its two evaluators (Polars for batches, Python for one row).

A condition is YAML or JSON an analyst can read::

    {all: [{field: nature, eq: gift}, {any: [{field: relationship, eq: B2C}, {field: platform_name, is_null: false}]}]}

Leaves test one field of the risk frame with one op. Logic is two-valued: a test on a missing
value (null) is false, so ``{not: {field: x, gt: 3}}`` is true when ``x`` is missing. Both evaluators
are written independently from the same definition and a property test checks that they agree;
the batch path is what the pipeline runs, the row path explains one decision and guards the first.

Fields come from a registry: the frame columns (``clearway.risk.frame.SCHEMA``), the columns other
risk stages add before rules run, and a few derived values the language has no arithmetic for.
Personal fields are refused (rules must not single out people; see ``fields``), and free text is
compared in its matching form on both sides, so that "Pеpper spray" with a Cyrillic е still hits.

A condition nests at most ``MAX_DEPTH`` levels of all, any and not: deeper is refused when parsed,
so that no evaluator ever recurses without bound on what an analyst sent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import polars as pl

from clearway.dataset.errors import join
from clearway.dataset.text import normalise_for_matching
from clearway.risk.matching import matching_form, matching_forms, mentions
from clearway.risk.rules.fields import FIELDS, OP_KINDS, Kind, field_value
from clearway.risk.rules.model import OPS, All, AnyOf, Condition, Leaf, Not, Op, Value

# Levels of all, any and not: the default pack needs 3; a profile deeper than 32 is unreadable anyway.
MAX_DEPTH: Final = 32
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ConditionError(ValueError):
    """A condition that does not follow the language: where (text and an RFC 6901 pointer) and why.

    ``pointer`` locates the faulty part from the condition's root (``/all/1/not/field``); ``personal``
    says that the condition tests a personal field, which no rule may do.
    """

    def __init__(self, message: str, pointer: str = "", *, personal: bool = False) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.personal = personal


# --- parsing and validation ---------------------------------------------------------------------


def parse_condition(raw: object, where: str = "when", pointer: str = "", depth: int = 0) -> Condition:
    """The typed condition of a YAML/JSON mapping, or a ConditionError saying where and why."""
    if depth > MAX_DEPTH:
        raise ConditionError(f"{where}: conditions nest more than {MAX_DEPTH} levels deep", pointer)
    if not isinstance(raw, dict):
        raise ConditionError(
            f"{where}: expected a mapping: {{all: [...]}}, {{any: [...]}}, {{not: ...}} or {{field: ...}}", pointer
        )
    if "field" in raw:
        return _leaf(raw, where, pointer)
    if len(raw) != 1:
        raise ConditionError(
            f"{where}: expected one of all, any, not or a field test, got keys {sorted(map(str, raw))}", pointer
        )
    ((key, body),) = raw.items()
    if key in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise ConditionError(f"{where}.{key}: expected a non-empty list of conditions", join(pointer, key))
        items = tuple(
            parse_condition(item, f"{where}.{key}[{i}]", join(join(pointer, key), i), depth + 1)
            for i, item in enumerate(body)
        )
        return All(items) if key == "all" else AnyOf(items)
    if key == "not":
        return Not(parse_condition(body, f"{where}.not", join(pointer, "not"), depth + 1))
    raise ConditionError(
        f"{where}: unknown key {key!r} (expected all, any, not or field){_hint(key, ['all', 'any', 'not'])}",
        join(pointer, str(key)),
    )


def _hint(word: object, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _leaf(raw: dict[Any, Any], where: str, pointer: str) -> Leaf:
    name = raw["field"]
    if not isinstance(name, str) or name not in FIELDS:
        raise ConditionError(f"{where}: unknown field {name!r}{_hint(name, FIELDS)}", join(pointer, "field"))
    if FIELDS[name].personal:
        raise ConditionError(
            f"{where}: field {name!r} holds personal data, which rules may not test (screening matches "
            "parties against lists: test screening_hits instead)",
            join(pointer, "field"),
            personal=True,
        )
    where = f"{where} ({name})"
    ops = [key for key in raw if key != "field"]
    if len(ops) != 1:
        raise ConditionError(f"{where}: a field test takes exactly one op, got {sorted(map(str, ops))}", pointer)
    op = ops[0]
    at = join(pointer, str(op))
    if op not in OPS:
        raise ConditionError(f"{where}: unknown op {op!r}{_hint(op, OPS)} (ops: {', '.join(OPS)})", at)
    kind = FIELDS[name].kind
    if kind not in OP_KINDS[op]:
        allowed = [o for o in OPS if kind in OP_KINDS[o]]
        message = f"{where}: op {op!r} does not apply to a {kind} field (ops for it: {', '.join(allowed)})"
        raise ConditionError(message, at)
    return Leaf(name, op, _operand(op, kind, raw[op], f"{where}.{op}", at))


def _operand(op: Op, kind: Kind, raw: object, where: str, at: str) -> Value:
    element = kind.removesuffix("_list")
    if op == "is_null":
        if not isinstance(raw, bool):
            raise ConditionError(f"{where}: expected true or false", at)
        return raw
    if op in ("starts_with", "mentions"):
        prefixes = raw if isinstance(raw, list) else [raw]
        if not prefixes:
            raise ConditionError(f"{where}: expected a text or a non-empty list of texts", at)
        texts = tuple(_string(p, where, at) for p in prefixes)
        if op == "mentions" and any(not _WORDS.fullmatch(t) for t in texts):
            raise ConditionError(f"{where}: mentions takes words of letters, digits, spaces and hyphens", at)
        return texts
    if op in ("in", "not_in", "contains_any"):
        if not isinstance(raw, list) or not raw:
            raise ConditionError(f"{where}: expected a non-empty list", at)
        values = [_scalar(element, v, f"{where}[{i}]", join(at, i)) for i, v in enumerate(raw)]
        return tuple(values)  # type: ignore[return-value]  # one kind per list, checked by _scalar
    return _scalar(element, raw, where, at)


def _string(raw: object, where: str, at: str) -> str:
    if isinstance(raw, bool):
        raise ConditionError(
            f"{where}: got the boolean {raw}; quote the text (YAML reads NO, YES, ON, OFF as booleans)", at
        )
    if isinstance(raw, int | float):
        message = f"{where}: got the number {raw}; quote codes as text (an HS prefix '0402' keeps its zero)"
        raise ConditionError(message, at)
    if not isinstance(raw, str):
        raise ConditionError(f"{where}: expected text, got {type(raw).__name__}", at)
    return raw


def _scalar(kind: str, raw: object, where: str, at: str) -> str | int | float | bool | dt.date:
    if kind == "string":
        return _string(raw, where, at)
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise ConditionError(f"{where}: expected true or false, got {raw!r}", at)
        return raw
    if kind == "date":
        # JSON has no date: a rule sent over the API (or stored as JSON) writes it as YYYY-MM-DD text.
        if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                raise ConditionError(f"{where}: {raw!r} is not a calendar date", at) from None
        if not isinstance(raw, dt.date) or isinstance(raw, dt.datetime):
            raise ConditionError(f"{where}: expected a date (YYYY-MM-DD), got {raw!r}", at)
        return raw
    # Numbers: an int, or a decimal written as a quoted string so that YAML never rounds it.
    if isinstance(raw, float):
        raise ConditionError(f"{where}: write decimal numbers as quoted strings ('{raw}'), not {raw!r}", at)
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ConditionError(f"{where}: expected a number (an integer or a quoted decimal), got {raw!r}", at)
    if isinstance(raw, int):
        return raw
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        raise ConditionError(f"{where}: {raw!r} is not a decimal number", at) from None
    if not number.is_finite():
        raise ConditionError(f"{where}: {raw!r} is not a finite number", at)
    return float(number)


def fields_read(cond: Condition) -> set[str]:
    """The input columns a condition needs (a derived field needs its sources)."""
    if isinstance(cond, Leaf):
        spec = FIELDS[cond.field]
        return set(spec.derived.sources) if spec.derived is not None else {cond.field}
    if isinstance(cond, Not):
        return fields_read(cond.item)
    return set().union(*(fields_read(item) for item in cond.items))


# --- the batch evaluator -------------------------------------------------------------------------


def to_polars(cond: Condition) -> pl.Expr:
    """A Boolean expression without nulls over the risk frame: a test on a null is false."""
    if isinstance(cond, Leaf):
        return _leaf_expr(cond).fill_null(False)
    if isinstance(cond, Not):
        return ~to_polars(cond.item)
    items = [to_polars(item) for item in cond.items]
    return pl.all_horizontal(items) if isinstance(cond, All) else pl.any_horizontal(items)


def _column(name: str) -> pl.Expr:
    spec = FIELDS[name]
    if spec.derived is not None:
        return spec.derived.expr()  # descriptions_normalised is in matching form already
    if spec.free_text:
        return matching_form(pl.col(name)) if spec.kind == "string" else matching_forms(pl.col(name))
    return pl.col(name)


def _any_prefix(expr: pl.Expr, prefixes: list[str]) -> pl.Expr:
    return pl.any_horizontal([expr.str.starts_with(p) for p in prefixes])


def _members(value: Value, kind: Kind, free_text: bool = False) -> list[Any]:
    # Numbers compare as Float64 on both sides (see below); lists of text stay text, in matching form
    # when the field is free text (the column is too).
    items = list(value) if isinstance(value, tuple) else [value]
    if kind in ("number", "number_list"):
        return [float(v) for v in items if isinstance(v, int | float)]
    return [normalise_for_matching(v) if free_text and isinstance(v, str) else v for v in items]


# Plain ASCII words, so that the word boundaries of Rust's regex (Polars) and Python's agree.
_WORDS: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")
# What parts a mention's words: spaces and hyphens as the analyst wrote them ("e-liquid", "stun gun").
_APART: Final = re.compile(r"[ -]+")
# What the text may have between them: any run of ASCII white space (spelt out: ``\s`` differs between
# the two engines), hyphens (the matching form writes every dash as "-"), underscores and dots, so
# that "pepper-spray", "Pepper—spray", "pepper_spray" and "pepper.spray" all mention pepper spray.
MENTION_SEPARATORS: Final = r"[ \t\n\r\f\v_.\-]+"


def mention_pattern(words: Sequence[str]) -> str:
    """One case-insensitive whole-word pattern for a list of words or phrases.

    The words of a phrase may be apart by any run of ``MENTION_SEPARATORS`` in the text.
    """
    phrases = (MENTION_SEPARATORS.join(re.escape(part) for part in _APART.split(w)) for w in words)
    return r"(?i)\b(?:" + "|".join(phrases) + r")\b"


def _leaf_expr(leaf: Leaf) -> pl.Expr:
    op, value, spec = leaf.op, leaf.value, FIELDS[leaf.field]
    kind = spec.kind
    if op == "is_null":
        col = spec.derived.expr() if spec.derived is not None else pl.col(leaf.field)
        return col.is_null() if value else col.is_not_null()
    col = _column(leaf.field)
    if kind == "number":
        # Compare in Float64 so that no literal is cast to a narrower column type (a UInt8 vs 300).
        col = col.cast(pl.Float64)
    elif kind == "number_list":
        col = col.cast(pl.List(pl.Float64))
    members = _members(value, kind, spec.free_text and op != "mentions")
    if op in ("in", "not_in"):
        found = col.is_in(pl.Series(members).implode())
        return found if op == "in" else ~found
    if op == "contains_any":
        return col.list.eval(pl.element().is_in(pl.Series(members).implode())).list.any()
    if op == "contains":
        return col.list.contains(members[0])
    if op == "starts_with":
        if kind == "string_list":
            return col.list.eval(_any_prefix(pl.element(), members)).list.any()
        return _any_prefix(col, members)
    if op == "mentions":
        # Every mention is looked for in the matching form, whatever the field: the two regex engines
        # disagree on word boundaries next to non-ASCII marks, and the form has none of them.
        return mentions(col, mention_pattern(members))
    compared: pl.Expr = _COMPARE[op](col, pl.lit(members[0]))
    return compared


_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


# --- the row evaluator ---------------------------------------------------------------------------


def evaluate(cond: Condition, row: Mapping[str, Any]) -> bool:
    """Whether the condition holds for one row (a dict of the frame's columns), in plain Python."""
    if isinstance(cond, Leaf):
        found = field_value(cond.field, row)
        free_text = FIELDS[cond.field].free_text
        if (free_text and cond.op != "is_null") or cond.op == "mentions":
            return _test(cond, _matching(found), free_text=free_text)
        return _test(cond, found)
    if isinstance(cond, Not):
        return not evaluate(cond.item, row)
    if isinstance(cond, All):
        return all(evaluate(item, row) for item in cond.items)
    return any(evaluate(item, row) for item in cond.items)


def _matching(found: Any) -> Any:
    if isinstance(found, str):
        return normalise_for_matching(found)
    if isinstance(found, list):
        return [None if text is None else normalise_for_matching(text) for text in found]
    return found


def _test(leaf: Leaf, found: Any, free_text: bool = False) -> bool:
    op, value = leaf.op, leaf.value
    if op == "is_null":
        return (found is None) is value
    if found is None:
        return False
    if free_text and op != "mentions" and isinstance(value, str | tuple):
        value = (
            normalise_for_matching(value)
            if isinstance(value, str)
            else tuple(normalise_for_matching(v) if isinstance(v, str) else v for v in value)  # type: ignore[assignment]
        )
    if op == "in":
        return found in value  # type: ignore[operator]
    if op == "not_in":
        return found not in value  # type: ignore[operator]
    if op == "contains":
        return value in found
    if op == "contains_any":
        return any(item in value for item in found if item is not None)  # type: ignore[operator]
    if op == "starts_with":
        texts = found if isinstance(found, list) else [found]
        return any(text is not None and text.startswith(value) for text in texts)
    if op == "mentions":
        compiled = _compiled(tuple(value))  # type: ignore[arg-type]
        texts = found if isinstance(found, list) else [found]
        return any(text is not None and compiled.search(text) is not None for text in texts)
    return bool(_COMPARE[op](found, value))


# --- text, for the documentation -----------------------------------------------------------------

_SYMBOLS: Final = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def to_text(cond: Condition) -> str:
    """The condition as one line of text for the rule catalogue (``a ≥ 3 and (b = x or c is null)``)."""
    if isinstance(cond, Not):
        return f"not ({to_text(cond.item)})"
    if isinstance(cond, All | AnyOf):
        joiner = " and " if isinstance(cond, All) else " or "
        return joiner.join(_nested(item) for item in cond.items)
    value = cond.value
    if cond.op == "is_null":
        return f"{cond.field} is {'' if value else 'not '}null"
    if isinstance(value, tuple):
        shown = _show(value[0]) if len(value) == 1 else "[" + ", ".join(_show(v) for v in value) + "]"
    else:
        shown = _show(value)
    if cond.op in _SYMBOLS:
        return f"{cond.field} {_SYMBOLS[cond.op]} {shown}"
    words = {
        "in": "in",
        "not_in": "not in",
        "contains": "contains",
        "contains_any": "contains any of",
        "mentions": "mentions",
    }
    return f"{cond.field} {words.get(cond.op, 'starts with')} {shown}"


def _nested(cond: Condition) -> str:
    return f"({to_text(cond)})" if isinstance(cond, All | AnyOf) and len(cond.items) > 1 else to_text(cond)


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@functools.lru_cache(maxsize=256)
def _compiled(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(mention_pattern(words))
