"""Running rules: scope, validity dates, score and lane, and the batch and row paths agreeing on random input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearway.risk.frame import SCHEMA
from clearway.risk.rules.conditions import evaluate, parse_condition, to_polars
from clearway.risk.rules.evaluate import OUTPUT_COLUMNS, RowResult, applicable, evaluate_frame, evaluate_row
from clearway.risk.rules.fields import FIELDS, OP_KINDS, STAGE_COLUMNS, MissingFields
from clearway.risk.rules.model import LANES, OPS, Condition, Outcome, Rule, RulePack

DTYPES: dict[str, Any] = {**SCHEMA, **STAGE_COLUMNS}
AS_OF = dt.date(2026, 12, 31)
UTC = dt.UTC


def rule(name: str, **changes: Any) -> Rule:
    fields: dict[str, Any] = {
        "name": name,
        "version": 1,
        "description": "A fact.",
        "jurisdictions": ("*",),
        "valid_from": dt.date(2024, 1, 1),
        "when": parse_condition({"field": "quality_score", "lt": 50}),
        "weight": 10,
        "legal_basis": "Act",
    }
    fields.update(changes)
    return Rule(**fields)


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "jurisdiction": "EU",
        "received_at": dt.datetime(2026, 3, 1, 12, tzinfo=UTC),
        "quality_score": 10,
    }
    return base | values


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    names = list(rows[0])
    return pl.DataFrame({n: [r[n] for r in rows] for n in names}, schema={n: DTYPES[n] for n in names})


def verdicts(rows: list[dict[str, Any]], rules: list[Rule], as_of: dt.date = AS_OF) -> list[RowResult]:
    """Both paths' verdicts, after checking that they agree."""
    batch = evaluate_frame(frame_of(rows), rules, as_of)
    from_batch = [
        RowResult(hits=r["rule_hits"], versions=r["rule_versions"], score=r["rule_score"], lane=r["rule_lane"])
        for r in batch.select(OUTPUT_COLUMNS).iter_rows(named=True)
    ]
    by_row = [evaluate_row(r, rules, as_of) for r in rows]
    assert from_batch == by_row
    return by_row


def test_the_frame_gains_four_typed_columns_and_keeps_its_own() -> None:
    frame = frame_of([row(), row(quality_score=90)])
    result = evaluate_frame(frame, [rule("low_quality")], AS_OF)
    assert result.columns == [*frame.columns, *OUTPUT_COLUMNS]
    assert dict(result.select(OUTPUT_COLUMNS).schema) == {
        "rule_hits": pl.List(pl.Utf8),
        "rule_versions": pl.List(pl.Utf8),
        "rule_score": pl.Int32,
        "rule_lane": pl.Utf8,
    }
    assert result["rule_hits"].to_list() == [["low_quality"], []]
    assert result["rule_versions"].to_list() == [["low_quality@1"], ["low_quality@1"]]
    # Evaluating again replaces the columns rather than adding a second set.
    assert evaluate_frame(result, [rule("low_quality")], AS_OF).columns == result.columns


@pytest.mark.parametrize(
    ("scope", "jurisdiction", "applies"),
    [
        (("*",), "EU", True),
        (("*",), None, True),
        (("EU",), "EU", True),
        (("EU", "GB"), "GB", True),
        (("EU",), "GB", False),
        (("EU",), None, False),
    ],
)
def test_a_rule_applies_only_within_its_jurisdictions(
    scope: tuple[str, ...], jurisdiction: str | None, applies: bool
) -> None:
    [found] = verdicts([row(jurisdiction=jurisdiction)], [rule("low_quality", jurisdictions=scope)])
    assert found.hits == (["low_quality"] if applies else [])
    assert found.versions == (["low_quality@1"] if applies else [])


START, END = dt.date(2026, 3, 1), dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("received", "applies"),
    [
        (dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC), False),  # the day before valid_from
        (dt.datetime(2026, 3, 1, 0, 0, tzinfo=UTC), True),  # the day of valid_from
        (dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC), True),  # the day of valid_to
        (dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC), False),  # the day after valid_to
        # 1 July 00:30 in Paris is 30 June in UTC: the day of receipt is the UTC day.
        (dt.datetime(2026, 7, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), True),
    ],
)
def test_a_rule_applies_from_the_day_of_valid_from_to_the_day_of_valid_to(received: dt.datetime, applies: bool) -> None:
    dated = rule("low_quality", valid_from=START, valid_to=END)
    [found] = verdicts([row(received_at=received)], [dated])
    assert found.hits == (["low_quality"] if applies else [])


@pytest.mark.parametrize(("as_of", "applies"), [(START - dt.timedelta(days=1), False), (START, True)])
def test_a_row_without_a_receipt_time_is_judged_on_as_of(as_of: dt.date, applies: bool) -> None:
    [found] = verdicts([row(received_at=None)], [rule("low_quality", valid_from=START)], as_of)
    assert bool(found.hits) is applies


def test_each_row_is_judged_by_the_version_in_force_when_it_came_in() -> None:
    old = rule("low_quality", valid_to=dt.date(2025, 12, 31), weight=10)
    new = rule("low_quality", version=2, valid_from=dt.date(2026, 1, 1), weight=30)
    found = verdicts(
        [
            row(received_at=dt.datetime(2025, 12, 31, 12, tzinfo=UTC)),
            row(received_at=dt.datetime(2026, 1, 1, tzinfo=UTC)),
        ],
        [old, new],
    )
    assert [(f.versions, f.score) for f in found] == [(["low_quality@1"], 10), (["low_quality@2"], 30)]


def test_retired_rules_do_not_run() -> None:
    [found] = verdicts([row()], [rule("low_quality", status="retired"), rule("also_low", weight=5)])
    assert (found.hits, found.versions) == (["also_low"], ["also_low@1"])


def test_the_score_is_the_sum_of_the_weights_of_the_hits_capped_at_100() -> None:
    rules = [rule("a", weight=40), rule("b", weight=35), rule("c", weight=20)]
    assert verdicts([row()], rules)[0].score == 95
    assert verdicts([row()], [*rules, rule("d", weight=30)])[0].score == 100
    misses = rule("e", weight=50, when=parse_condition({"field": "quality_score", "gt": 50}))
    assert verdicts([row()], [rule("a", weight=40), misses])[0].score == 40


@pytest.mark.parametrize(
    ("lanes", "expected"),
    [
        ([], None),
        (["green"], "green"),
        (["green", "yellow"], "yellow"),
        (["red", "yellow", "green"], "red"),
        (["yellow", "do_not_load", "red"], "do_not_load"),
    ],
)
def test_the_lane_is_the_most_severe_among_the_hits(lanes: list[str], expected: str | None) -> None:
    actions = {"green": "release", "yellow": "documentary_check", "red": "inspection", "do_not_load": "do_not_load"}
    rules = [rule(f"r{i}", outcome=Outcome(lane=lane, action=actions[lane])) for i, lane in enumerate(lanes)]  # type: ignore[arg-type]
    rules.append(rule("weight_only", weight=5))
    rules.append(
        rule(
            "red_miss", outcome=Outcome("red", "inspection"), when=parse_condition({"field": "quality_score", "gt": 99})
        )
    )
    assert verdicts([row()], rules)[0].lane == expected


def test_no_rules_give_no_hits() -> None:
    [found] = verdicts([row()], [])
    assert found == RowResult(hits=[], versions=[], score=0, lane=None)


def test_an_empty_batch_gets_the_four_columns() -> None:
    empty = frame_of([row()]).clear()
    result = evaluate_frame(empty, [rule("low_quality")], AS_OF)
    assert result.height == 0 and result.columns[-4:] == list(OUTPUT_COLUMNS)


def test_more_than_64_rules_are_counted_in_several_mask_words() -> None:
    many = [rule(f"r{i}", weight=1, when=parse_condition({"field": "quality_score", "lt": i})) for i in range(150)]
    found = verdicts([row(quality_score=q) for q in (0, 70, 149, 200)], many)
    assert [len(f.hits) for f in found] == [149, 79, 0, 0]
    assert [f.score for f in found] == [100, 79, 0, 0]
    assert all(len(f.versions) == 150 for f in found)


def test_a_missing_input_column_is_refused_by_both_paths() -> None:
    rules = [rule("heavy", when=parse_condition({"field": "value_per_kg_eur", "gt": 1}))]
    frame = frame_of([row()])
    with pytest.raises(MissingFields, match=r"\['gross_weight_kg', 'value_eur'\]"):
        evaluate_frame(frame, rules, AS_OF)
    with pytest.raises(MissingFields, match="gross_weight_kg"):
        evaluate_row(row(), rules, AS_OF)
    with pytest.raises(MissingFields, match="jurisdiction"):
        evaluate_frame(frame.drop("jurisdiction"), [], AS_OF)


def test_applicable_lists_the_rules_in_scope_and_force() -> None:
    rules = [
        rule("everywhere"),
        rule("eu_only", jurisdictions=("EU",)),
        rule("later", valid_from=dt.date(2027, 1, 1)),
        rule("retired", status="retired"),
    ]
    pack = RulePack(name="p", version=1, rules=tuple(rules))
    assert [r.name for r in applicable(pack, "EU", AS_OF)] == ["everywhere", "eu_only"]
    assert [r.name for r in applicable(rules, "GB", AS_OF)] == ["everywhere"]
    assert [r.name for r in applicable(pack, "GB", dt.date(2027, 1, 1))] == ["everywhere", "later"]


# --- property: the two paths agree on random frames for random conditions ----------------------------

# A few fields of every kind (derived included); values are drawn from small pools so that the
# conditions' values often meet the rows' values.
FIELD_POOL = [
    "quality_score",
    "buyer_day_count",
    "price_ratio_min",
    "value_eur",
    "gross_weight_kg",
    "origin",
    "nature",
    "seller_has_vat",
    "departure_date",
    "received_at",
    "hs_codes",
    "quality_codes",
    "unit_values_eur",
    "descriptions",
    "value_per_kg_eur",
    "unit_value_min_eur",
    "descriptions_normalised",
    "platform_name",
]
TEXTS = ["CN", "cn", "85", "8517", "851713", "gift", " Gift ", "GIFT", "", "Éclair", "éclair", "Straße", "ΟΔΟΣ", "x y"]
# Look-alikes: a Cyrillic і, a soft hyphen, a zero-width space, a Cyrillic а in "a b".
TEXTS += ["G\u0456ft", "gi\u00adft", "\u200bx y", "\u0430 b", "AB"]
# Separators that mentions accept between words, ASCII and not; blanks, a mark, a small capital.
TEXTS += ["x-1", "x_1", "x\u20141", "b.a", "\u1d00 b", "a\u2800b", "A\u0345b"]
DATES = [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2025, 12, 31)]
INTS = st.integers(min_value=-2, max_value=300)
FLOATS = st.one_of(
    st.sampled_from([0.0, 0.3, 0.5, 1.0, 150.0, 150.01]), st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
)
NUMBERS = st.one_of(INTS, st.sampled_from(["0.3", "1.5", "150", "-0.5", "1e2"]))
TEXT = st.sampled_from(TEXTS)

COLUMN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "quality_score": st.integers(0, 255),
    "buyer_day_count": st.integers(0, 10),
    "price_ratio_min": FLOATS,
    "value_eur": FLOATS,
    "gross_weight_kg": FLOATS,
    "origin": TEXT,
    "nature": TEXT,
    "seller_has_vat": st.booleans(),
    "departure_date": st.sampled_from(DATES),
    "received_at": st.sampled_from(
        [dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC), dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC)]
    ),
    "hs_codes": st.lists(st.one_of(st.none(), TEXT), max_size=3),
    "quality_codes": st.lists(st.one_of(st.none(), TEXT), max_size=3),
    "unit_values_eur": st.lists(st.one_of(st.none(), FLOATS), max_size=3),
    "descriptions": st.lists(st.one_of(st.none(), TEXT), max_size=3),
    "platform_name": st.one_of(st.none(), TEXT),
    "jurisdiction": st.sampled_from(["EU", "GB"]),
}


def _operand(kind: str, op: str) -> st.SearchStrategy[Any]:
    if op == "is_null":
        return st.booleans()
    scalar: st.SearchStrategy[Any] = {
        "string": TEXT,
        "number": NUMBERS,
        "boolean": st.booleans(),
        "date": st.sampled_from(DATES),
    }[kind.removesuffix("_list")]
    if op == "starts_with":
        return st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3))
    if op == "mentions":
        return st.lists(st.sampled_from(["a", "ab", "b a", "x-1", "Ab"]), min_size=1, max_size=3)
    if op in ("in", "not_in", "contains_any"):
        return st.lists(scalar, min_size=1, max_size=3)
    return scalar


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(FIELD_POOL))
    kind = FIELDS[field].kind
    op = draw(st.sampled_from([o for o in OPS if kind in OP_KINDS[o]]))
    return {"field": field, op: draw(_operand(kind, op))}


RAW_CONDITIONS = st.recursive(
    leaves(),
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
    ),
    max_leaves=6,
)


@st.composite
def frames(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 8))
    return [{name: draw(st.one_of(st.none(), values)) for name, values in COLUMN_VALUES.items()} for _ in range(count)]


@st.composite
def random_rules(draw: st.DrawFn) -> list[Rule]:
    found = []
    for i in range(draw(st.integers(0, 4))):
        start = draw(st.sampled_from(DATES))
        lane = draw(st.one_of(st.none(), st.sampled_from(LANES)))
        outcome = None if lane is None else Outcome(lane, "do_not_load" if lane == "do_not_load" else "inspection")
        found.append(
            rule(
                f"r{i}",
                when=parse_condition(draw(RAW_CONDITIONS)),
                jurisdictions=draw(st.sampled_from([("*",), ("EU",), ("GB", "EU"), ("GB",)])),
                valid_from=start,
                valid_to=draw(st.one_of(st.none(), st.just(start))),
                weight=draw(st.integers(0, 100)),
                outcome=outcome,
            )
        )
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=RAW_CONDITIONS, rows=frames())
def test_both_evaluators_agree_on_any_condition(raw: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    cond: Condition = parse_condition(raw)
    in_polars = frame_of(rows).select(to_polars(cond)).to_series().to_list()
    assert in_polars == [evaluate(cond, r) for r in rows]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=random_rules(), rows=frames(), as_of=st.sampled_from(DATES))
def test_evaluate_frame_and_evaluate_row_agree(rules: list[Rule], rows: list[dict[str, Any]], as_of: dt.date) -> None:
    verdicts(rows, rules, as_of)


@pytest.mark.parametrize("text", TEXTS)
def test_both_evaluators_agree_on_mentions_in_a_code_field(text: str) -> None:
    # Rust's and Python's regex engines disagree on word boundaries next to combining marks
    # ("A\u0345b"): mentions are looked for in the matching form, in every field.
    cond = parse_condition({"field": "origin", "mentions": ["a", "x 1", "gift"]})
    row: dict[str, Any] = dict.fromkeys(COLUMN_VALUES)
    row["origin"] = text
    assert frame_of([row]).select(to_polars(cond)).to_series().to_list() == [evaluate(cond, row)]


def test_a_reloaded_rule_takes_effect_though_the_batch_keeps_a_packs_expressions() -> None:
    """The batch path keeps a pack's expressions by the identity of its rules (risk/compiled.py): a
    pack loaded again, same names and a new condition or weight, is new objects and is obeyed."""
    before = [rule("a", weight=40)]
    assert verdicts([row(quality_score=10)], before)[0].score == 40
    assert verdicts([row(quality_score=10)], before)[0].score == 40  # the kept expressions
    after = [rule("a", weight=40, when=parse_condition({"field": "quality_score", "gt": 50}))]
    assert verdicts([row(quality_score=10)], after)[0].score == 0
    assert verdicts([row(quality_score=10)], [rule("a", weight=25)])[0].score == 25
    # Only the four outputs are added: no working column is left behind.
    out = evaluate_frame(frame_of([row()]), after, AS_OF)
    assert out.columns == [*frame_of([row()]).columns, *OUTPUT_COLUMNS]
