"""Load a rule pack from YAML, checked strictly so that a typo fails when the pack is loaded, not in traffic.

The format is documented in docs/rules.md. Like the jurisdiction files, decimal numbers are quoted
strings (YAML floats are refused), dates are unquoted YAML dates, and every rule cites its legal
basis: a rule that selects consignments for control must be able to say under which law.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any, Final, get_args

import yaml

from clearway.risk.rules.conditions import ConditionError, parse_condition
from clearway.risk.rules.model import ACTIONS, ALL_JURISDICTIONS, LANES, MAX_SCORE, Outcome, Rule, RulePack, Status

PACKS_DIR: Final = Path(__file__).resolve().parents[1] / "packs"
DEFAULT_PACK: Final = PACKS_DIR / "default.yaml"

_PACK_KEYS: Final = {"name", "version", "rules"}
_RULE_REQUIRED: Final = ("name", "version", "description", "jurisdictions", "valid_from", "when", "legal_basis")
_RULE_KEYS: Final = {*_RULE_REQUIRED, "valid_to", "weight", "outcome", "status"}
_SNAKE: Final = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_CODE: Final = re.compile(r"[A-Z]{2,3}")
# A second sentence starts after a full stop, a space and a capital ("... price. It ...").
_SENTENCE_BREAK: Final = re.compile(r"[.!?]\s+[A-Z]")


class RulePackError(ValueError):
    """A rule pack that does not follow the format, with the rule and the reason.

    ``pointer`` locates the fault inside its rule (RFC 6901, ``/when/all/0/field``; "" for the whole
    rule or the pack), so that an API can point into the rule it was sent; ``personal`` says that
    the rule tests a personal field (see ``clearway.risk.rules.fields``).
    """

    def __init__(self, message: str, pointer: str = "", *, personal: bool = False) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.personal = personal


def load_pack(source: Path | str) -> RulePack:
    """The rule pack of a YAML file (a ``Path``) or of YAML text (a ``str``)."""
    origin = str(source) if isinstance(source, Path) else "<text>"
    try:
        text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise RulePackError(f"{origin}: {exc}") from exc
    except RecursionError:
        # PyYAML composes nested collections recursively; conditions may not nest that deep anyway.
        raise RulePackError(f"{origin}: the YAML nests too deeply to be a rule pack") from None
    return parse_pack(raw, origin)


def load_default_pack() -> RulePack:
    """The demo pack shipped with Clearway (``risk/packs/default.yaml``)."""
    return load_pack(DEFAULT_PACK)


def parse_pack(raw: object, origin: str = "<pack>") -> RulePack:
    """The rule pack of already parsed YAML/JSON, validated as ``load_pack`` does."""
    if not isinstance(raw, dict):
        raise RulePackError(f"{origin}: expected a mapping with name, version and rules")
    unknown = set(map(str, raw)) - _PACK_KEYS
    if unknown:
        raise RulePackError(f"{origin}: unknown keys {sorted(unknown)} (expected {sorted(_PACK_KEYS)})")
    missing = sorted(_PACK_KEYS - set(raw))
    if missing:
        raise RulePackError(f"{origin}: '{missing[0]}' is required")
    name = _text(origin, "name", raw["name"])
    version = _version(origin, raw["version"])
    items = raw["rules"]
    if not isinstance(items, list) or not items:
        raise RulePackError(f"{origin}: 'rules' must be a non-empty list")
    rules = tuple(_rule(origin, index, item) for index, item in enumerate(items, start=1))
    _check_versions(origin, rules)
    return RulePack(name=name, version=version, rules=rules)


def _rule(origin: str, index: int, raw: object) -> Rule:
    where = f"{origin}: rule {index}"
    if not isinstance(raw, dict):
        raise RulePackError(f"{where}: expected a mapping")
    if isinstance(raw.get("name"), str):
        where = f"{origin}: rule '{raw['name']}'"
    unknown = set(map(str, raw)) - _RULE_KEYS
    if unknown:
        raise RulePackError(f"{where}: unknown keys {sorted(unknown)}")
    missing = [key for key in _RULE_REQUIRED if key not in raw]
    if missing:
        raise RulePackError(f"{where}: {', '.join(repr(k) for k in missing)} required")
    name = raw["name"]
    if not isinstance(name, str) or not _SNAKE.fullmatch(name):
        raise RulePackError(f"{where}: 'name' must be snake_case, named for the fact the rule detects")
    valid_from = _date(where, "valid_from", raw["valid_from"])
    valid_to = None if raw.get("valid_to") is None else _date(where, "valid_to", raw["valid_to"])
    if valid_to is not None and valid_to < valid_from:
        raise RulePackError(f"{where}: 'valid_to' {valid_to} is before 'valid_from' {valid_from}")
    weight = raw.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_SCORE:
        raise RulePackError(f"{where}: 'weight' must be an integer from 0 to {MAX_SCORE}, got {weight!r}")
    outcome = None if raw.get("outcome") is None else _outcome(where, raw["outcome"])
    if weight == 0 and outcome is None:
        raise RulePackError(f"{where}: a rule needs a weight above 0 or an outcome, else a hit changes nothing")
    status = raw.get("status", "active")
    if status not in get_args(Status):
        raise RulePackError(f"{where}: 'status' must be active or retired, got {status!r}")
    try:
        when = parse_condition(raw["when"], "when")
    except ConditionError as exc:
        raise RulePackError(f"{where}: {exc}", "/when" + exc.pointer, personal=exc.personal) from None
    return Rule(
        name=name,
        version=_version(where, raw["version"]),
        description=_description(where, raw["description"]),
        jurisdictions=_jurisdictions(where, raw["jurisdictions"]),
        valid_from=valid_from,
        valid_to=valid_to,
        when=when,
        weight=weight,
        outcome=outcome,
        legal_basis=_text(where, "legal_basis", raw["legal_basis"]),
        status=status,
    )


def _text(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulePackError(f"{where}: '{key}' must be non-empty text")
    return " ".join(value.split())


def _version(where: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RulePackError(f"{where}: 'version' must be an integer of 1 or more, got {value!r}")
    return value


def _date(where: str, key: str, value: object) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RulePackError(f"{where}: '{key}' must be a date (YYYY-MM-DD, unquoted), got {value!r}")
    return value


def _description(where: str, value: object) -> str:
    # The description is the rule's user documentation, shown to officers and operators beside a hit.
    text = _text(where, "description", value)
    if not text[0].isupper() or not text.endswith(".") or _SENTENCE_BREAK.search(text[:-1]):
        raise RulePackError(f"{where}: 'description' must be one sentence (a capital, a full stop at the end)")
    return text


def _jurisdictions(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(code, str) for code in value):
        raise RulePackError(f"{where}: 'jurisdictions' must be a non-empty list of codes, or ['*'] for all")
    if ALL_JURISDICTIONS in value:
        if len(value) > 1:
            raise RulePackError(f"{where}: 'jurisdictions': '*' already means all, list it alone")
        return (ALL_JURISDICTIONS,)
    bad = [code for code in value if not _CODE.fullmatch(code)]
    if bad:
        raise RulePackError(f"{where}: 'jurisdictions' holds {bad}: expected codes such as EU, GB, US (quote NO)")
    if len(set(value)) != len(value):
        raise RulePackError(f"{where}: 'jurisdictions' lists a code twice")
    return tuple(value)


def _outcome(where: str, value: object) -> Outcome:
    if not isinstance(value, dict) or set(value) != {"lane", "action"}:
        raise RulePackError(f"{where}: 'outcome' must be a mapping of exactly 'lane' and 'action'")
    lane: Any = value["lane"]
    action: Any = value["action"]
    if lane not in LANES:
        raise RulePackError(f"{where}: outcome lane {lane!r} is not one of {', '.join(LANES)}")
    if action not in ACTIONS:
        raise RulePackError(f"{where}: outcome action {action!r} is not one of {', '.join(ACTIONS)}")
    # ICS2 "do not load" is both where the consignment goes and what the carrier must do; keep them together.
    if (lane == "do_not_load") != (action == "do_not_load"):
        raise RulePackError(f"{where}: lane do_not_load goes with action do_not_load, and only with it")
    return Outcome(lane=lane, action=action)


def _check_versions(origin: str, rules: tuple[Rule, ...]) -> None:
    # A name may carry several versions (a threshold changed from a date, another for one jurisdiction),
    # never two active for the same jurisdiction on the same day, so that a hit's name identifies one
    # rule text for any consignment.
    by_name: dict[str, list[Rule]] = {}
    for rule in rules:
        by_name.setdefault(rule.name, []).append(rule)
    for name, versions in by_name.items():
        numbers = [r.version for r in versions]
        if len(set(numbers)) != len(numbers):
            raise RulePackError(f"{origin}: rule '{name}': version {max(numbers, key=numbers.count)} appears twice")
        active = [r for r in versions if r.status == "active"]
        for first, second in itertools.combinations(active, 2):
            if _overlap(first, second):
                raise RulePackError(
                    f"{origin}: rule '{name}': versions {first.version} and {second.version} apply to the same "
                    "jurisdiction on the same days (end one with valid_to, or narrow the jurisdictions)"
                )


def _overlap(first: Rule, second: Rule) -> bool:
    scopes = set(first.jurisdictions), set(second.jurisdictions)
    if ALL_JURISDICTIONS not in scopes[0] | scopes[1] and not scopes[0] & scopes[1]:
        return False
    early, late = sorted((first, second), key=lambda r: r.valid_from)
    return early.valid_to is None or early.valid_to >= late.valid_from
