"""The rule pack format: a good pack loads typed, and each kind of mistake is refused with the rule and why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from clearway.risk.rules.loader import DEFAULT_PACK, RulePackError, load_default_pack, load_pack, parse_pack
from clearway.risk.rules.model import Leaf, Outcome, Rule, RulePack

GOOD = """
name: demo
version: 3
rules:
  - name: declared_value_below_reference_price
    version: 1
    description: An item is declared at less than 30 % of the reference price.
    jurisdictions: ["*"]
    valid_from: 2024-01-01
    valid_to: 2025-12-31
    weight: 40
    outcome: {lane: yellow, action: request_for_information}
    legal_basis: UCC Art. 70
    when: {field: price_ratio_min, lt: "0.3"}
  - name: declared_value_below_reference_price
    version: 2
    description: An item is declared at less than 20 % of the reference price.
    jurisdictions: ["*"]
    valid_from: 2026-01-01
    weight: 45
    legal_basis: UCC Art. 70
    when: {field: price_ratio_min, lt: "0.2"}
  - name: goods_for_norway
    version: 1
    description: The consignment goes to Norway or the United Kingdom.
    jurisdictions: ["NO", GB]
    valid_from: 2024-01-01
    status: retired
    outcome: {lane: red, action: inspection}
    legal_basis: Act 1
    when: {field: destination, in: ["NO", GB]}
"""


def rule_yaml(**changes: object) -> str:
    """A pack of one good rule with some keys changed (None removes a key)."""
    rule: dict[str, object] = {
        "name": "low_quality_declaration",
        "version": 1,
        "description": "The data-quality score is below 50.",
        "jurisdictions": ["EU"],
        "valid_from": dt.date(2024, 1, 1),
        "weight": 25,
        "legal_basis": "UCC Art. 15",
        "when": {"field": "quality_score", "lt": 50},
    }
    for key, value in changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    return yaml.safe_dump({"name": "p", "version": 1, "rules": [rule]}, sort_keys=False)


def test_a_good_pack_loads_typed() -> None:
    pack = load_pack(GOOD)
    assert (pack.name, pack.version, len(pack.rules)) == ("demo", 3, 3)
    first = pack.rules[0]
    assert first == Rule(
        name="declared_value_below_reference_price",
        version=1,
        description="An item is declared at less than 30 % of the reference price.",
        jurisdictions=("*",),
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2025, 12, 31),
        when=Leaf("price_ratio_min", "lt", 0.3),
        weight=40,
        outcome=Outcome(lane="yellow", action="request_for_information"),
        legal_basis="UCC Art. 70",
    )
    assert first.key == "declared_value_below_reference_price@1"
    assert (pack.rules[1].outcome, pack.rules[1].status) == (None, "active")
    assert pack.rules[2].jurisdictions == ("NO", "GB") and pack.rules[2].status == "retired"


def test_the_version_in_force_is_found_by_day() -> None:
    pack = load_pack(GOOD)
    name = "declared_value_below_reference_price"
    assert pack.rule(name, dt.date(2025, 12, 31)).version == 1
    assert pack.rule(name, dt.date(2026, 1, 1)).version == 2
    assert pack.rule(name).version == 2
    with pytest.raises(KeyError):
        pack.rule("no_such_rule")


def test_a_pack_loads_from_a_file_and_the_default_pack_is_packaged(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_pack(path) == load_pack(GOOD)
    assert isinstance(load_default_pack(), RulePack) and DEFAULT_PACK.is_file()


def test_a_missing_file_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match=r"missing\.yaml"):
        load_pack(tmp_path / "missing.yaml")


def test_the_text_of_a_rule_is_kept_on_one_line() -> None:
    pack = load_pack(rule_yaml(legal_basis="UCC\n  Art. 15,\n  Art. 46"))
    assert pack.rules[0].legal_basis == "UCC Art. 15, Art. 46"


PACK_ERRORS: list[tuple[str, str]] = [
    ("name: [unclosed", r"<text>: while parsing"),
    ("- a list", r"<text>: expected a mapping with name, version and rules"),
    ("name: p\nversion: 1\nrules: []\nowner: me", r"unknown keys \['owner'\]"),
    ("name: p\nrules: []", r"'version' is required"),
    ("name: p\nversion: 0\nrules: []", r"'version' must be an integer of 1 or more, got 0"),
    ("name: ''\nversion: 1\nrules: []", r"'name' must be non-empty text"),
    ("name: p\nversion: 1\nrules: []", r"'rules' must be a non-empty list"),
    ("name: p\nversion: 1\nrules: [3]", r"rule 1: expected a mapping"),
]


@pytest.mark.parametrize(("text", "message"), PACK_ERRORS)
def test_a_malformed_pack_is_refused(text: str, message: str) -> None:
    with pytest.raises(RulePackError, match=message):
        load_pack(text)


RULE_ERRORS: list[tuple[dict[str, object], str]] = [
    ({"owner": "me"}, r"rule 'low_quality_declaration': unknown keys \['owner'\]"),
    ({"legal_basis": None}, r"'legal_basis' required"),
    ({"legal_basis": " "}, r"'legal_basis' must be non-empty text"),
    ({"when": None, "version": None}, r"'version', 'when' required"),
    ({"name": "LowQuality"}, r"rule 'LowQuality': 'name' must be snake_case"),
    ({"name": 7}, r"rule 1: 'name' must be snake_case"),
    ({"version": "1"}, r"'version' must be an integer of 1 or more, got '1'"),
    ({"version": True}, r"'version' must be an integer"),
    ({"description": "no capital."}, r"'description' must be one sentence"),
    ({"description": "No full stop"}, r"'description' must be one sentence"),
    ({"description": "Two sentences. Here is the second."}, r"'description' must be one sentence"),
    ({"jurisdictions": "EU"}, r"'jurisdictions' must be a non-empty list of codes"),
    ({"jurisdictions": []}, r"'jurisdictions' must be a non-empty list of codes"),
    ({"jurisdictions": ["*", "EU"]}, r"'\*' already means all, list it alone"),
    ({"jurisdictions": ["eu"]}, r"'jurisdictions' holds \['eu'\]"),
    ({"jurisdictions": [False]}, r"'jurisdictions' must be a non-empty list of codes"),
    ({"jurisdictions": ["EU", "EU"]}, r"lists a code twice"),
    ({"valid_from": "2024-01-01"}, r"'valid_from' must be a date \(YYYY-MM-DD, unquoted\), got '2024-01-01'"),
    ({"valid_from": dt.datetime(2024, 1, 1, 12)}, r"'valid_from' must be a date"),
    ({"valid_to": dt.date(2023, 12, 31)}, r"'valid_to' 2023-12-31 is before 'valid_from' 2024-01-01"),
    ({"weight": 101}, r"'weight' must be an integer from 0 to 100, got 101"),
    ({"weight": -1}, r"'weight' must be an integer from 0 to 100"),
    ({"weight": 2.5}, r"'weight' must be an integer from 0 to 100, got 2.5"),
    ({"weight": 0}, r"needs a weight above 0 or an outcome"),
    ({"outcome": {"lane": "red"}}, r"'outcome' must be a mapping of exactly 'lane' and 'action'"),
    ({"outcome": {"lane": "orange", "action": "inspection"}}, r"outcome lane 'orange' is not one of green, yellow"),
    ({"outcome": {"lane": "red", "action": "seize"}}, r"outcome action 'seize' is not one of release"),
    ({"outcome": {"lane": "red", "action": "do_not_load"}}, r"lane do_not_load goes with action do_not_load"),
    ({"outcome": {"lane": "do_not_load", "action": "inspection"}}, r"lane do_not_load goes with action do_not_load"),
    ({"status": "draft"}, r"'status' must be active or retired, got 'draft'"),
    (
        {"when": {"field": "quality_score", "lt": 0.5}},
        r"rule 'low_quality_declaration': when \(quality_score\)\.lt: write",
    ),
    ({"when": {"field": "quality_scor", "lt": 50}}, r"unknown field 'quality_scor'; did you mean 'quality_score'"),
    ({"when": {"field": "origin", "eq": False}}, r"quote the text \(YAML reads NO"),
]


@pytest.mark.parametrize(("changes", "message"), RULE_ERRORS)
def test_a_malformed_rule_is_refused_with_its_name(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RulePackError, match=message):
        load_pack(rule_yaml(**changes))


def test_unquoted_no_is_caught_as_a_boolean() -> None:
    text = GOOD.replace('{field: destination, in: ["NO", GB]}', "{field: destination, eq: NO}")
    with pytest.raises(RulePackError, match=r"got the boolean False; quote the text"):
        load_pack(text)


def _versions(*specs: tuple[int, list[str], dt.date, dt.date | None, str]) -> dict[str, object]:
    rules = []
    for version, scope, start, end, status in specs:
        rules.append(
            {
                "name": "late_filing",
                "version": version,
                "description": "The declaration came late.",
                "jurisdictions": scope,
                "valid_from": start,
                "valid_to": end,
                "weight": 10,
                "legal_basis": "Act",
                "status": status,
                "when": {"field": "quality_codes", "contains": "late_filing"},
            }
        )
    return {"name": "p", "version": 1, "rules": rules}


JAN, JUN, DEC = dt.date(2024, 1, 1), dt.date(2024, 6, 30), dt.date(2024, 12, 31)
NEXT = dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    "specs",
    [
        [(1, ["*"], JAN, DEC, "active"), (2, ["*"], NEXT, None, "active")],  # one after the other
        [(1, ["EU"], JAN, None, "active"), (2, ["GB"], JAN, None, "active")],  # side by side
        [(1, ["*"], JAN, None, "retired"), (2, ["*"], JAN, None, "active")],  # the old one retired
    ],
)
def test_versions_of_a_rule_may_differ_in_time_scope_or_status(specs: list[tuple[object, ...]]) -> None:
    assert len(parse_pack(_versions(*specs)).rules) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([(1, ["*"], JAN, None, "active"), (2, ["*"], NEXT, None, "active")], r"versions 1 and 2 apply to the same"),
        ([(1, ["*"], JAN, DEC, "active"), (2, ["*"], DEC, None, "active")], r"versions 1 and 2 apply to the same"),
        ([(1, ["EU", "GB"], JAN, None, "active"), (2, ["GB"], JUN, None, "active")], r"versions 1 and 2"),
        ([(1, ["*"], JAN, DEC, "active"), (2, ["GB"], JUN, None, "active")], r"versions 1 and 2"),
        ([(1, ["*"], JAN, DEC, "active"), (1, ["*"], NEXT, None, "active")], r"version 1 appears twice"),
    ],
)
def test_versions_of_a_rule_never_apply_together(specs: list[tuple[object, ...]], message: str) -> None:
    with pytest.raises(RulePackError, match=rf"rule 'late_filing': {message}"):
        parse_pack(_versions(*specs))  # type: ignore[arg-type]


def test_a_condition_error_points_into_its_rule() -> None:
    when = {"all": [{"field": "quality_score", "lt": 50}, {"field": "buyer_email", "is_null": False}]}
    with pytest.raises(
        RulePackError, match=r"rule 'low_quality_declaration': when\.all\[1\]: field 'buyer_email'"
    ) as e:
        load_pack(rule_yaml(when=when))
    assert e.value.pointer == "/when/all/1/field" and e.value.personal
    with pytest.raises(RulePackError) as other:
        load_pack(rule_yaml(description="no capital."))
    assert other.value.pointer == "" and not other.value.personal


def test_a_pack_nested_beyond_what_yaml_can_read_is_a_pack_error() -> None:
    deep = "name: p\nversion: 1\nrules:\n  - when: " + "{not: " * 3000 + "{field: origin, eq: CN}" + "}" * 3000
    with pytest.raises(RulePackError, match="nests too deeply"):
        load_pack(deep)
