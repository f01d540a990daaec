"""Load jurisdiction folders: ``<code>/params.yaml``, checked strictly so a typo fails at start-up.

A new jurisdiction is a folder, not code: it names the formulas it uses (see
``clearway.revenue.formulas``) and gives their parameters with dates and legal references.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from clearway.jurisdictions.model import CONTEXT_KEYS, Case, Entry, Jurisdiction, Parameter

PACKAGE_DIR = Path(__file__).parent
_TOP_KEYS = {"code", "name", "currency", "members", "parameters", "formulas"}
_ENTRY_KEYS = {"from", "value", "currency", "by_member", "cases", "reference", "note"}


class JurisdictionError(ValueError):
    """A jurisdiction file that does not follow the format, with where and why."""


def load_folder(folder: Path) -> Jurisdiction:
    path = folder / "params.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise JurisdictionError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise JurisdictionError(f"{path}: expected a mapping at the top")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise JurisdictionError(f"{path}: unknown keys {sorted(unknown)}")
    for key in ("code", "name", "currency", "formulas"):
        if key not in raw:
            raise JurisdictionError(f"{path}: '{key}' is required")
    parameters = {
        name: _parameter(path, name, spec) for name, spec in _mapping(path, "parameters", raw.get("parameters")).items()
    }
    formulas = {
        name: _parameter(path, f"formulas.{name}", spec)
        for name, spec in _mapping(path, "formulas", raw["formulas"]).items()
    }
    members = {str(k): str(v) for k, v in _mapping(path, "members", raw.get("members")).items()}
    return Jurisdiction(
        code=str(raw["code"]),
        name=str(raw["name"]),
        currency=str(raw["currency"]),
        parameters=parameters,
        formulas=formulas,
        members=members,
        source=str(path),
    )


def load_all(folders: Iterable[Path] = ()) -> dict[str, Jurisdiction]:
    """The packaged jurisdictions, then any extra folders (a later folder replaces an earlier code)."""
    found: dict[str, Jurisdiction] = {}
    for root in (PACKAGE_DIR, *folders):
        for params in sorted(root.glob("*/params.yaml")):
            jurisdiction = load_folder(params.parent)
            found[jurisdiction.code] = jurisdiction
    return found


def _mapping(path: Path, where: str, value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise JurisdictionError(f"{path}: '{where}' must be a mapping")
    return value


def _parameter(path: Path, name: str, spec: object) -> Parameter:
    where = f"{path}: {name}"
    if isinstance(spec, dict) and isinstance(spec.get("members"), dict):
        members = {str(code): _entries(f"{where} [{code}]", raw) for code, raw in spec["members"].items()}
        return Parameter(name=name, description=str(spec.get("description", "")), entries=(), members=members)
    if not isinstance(spec, dict):
        raise JurisdictionError(f"{where}: expected 'description' and 'values' (or 'members')")
    return Parameter(
        name=name, description=str(spec.get("description", "")), entries=_entries(where, spec.get("values"))
    )


def _entries(where: str, raw: object) -> tuple[Entry, ...]:
    if not isinstance(raw, list) or not raw:
        raise JurisdictionError(f"{where}: expected a non-empty list of dated values")
    entries = [_entry(where, item) for item in raw]
    starts = [e.start for e in entries]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise JurisdictionError(f"{where}: entries must be in strictly increasing 'from' order")
    return tuple(entries)


def _entry(where: str, raw: object) -> Entry:
    if not isinstance(raw, dict):
        raise JurisdictionError(f"{where}: each value must be a mapping")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise JurisdictionError(f"{where}: unknown keys {sorted(unknown)}")
    start = raw.get("from")
    if not isinstance(start, dt.date):
        raise JurisdictionError(f"{where}: 'from' must be a date (YYYY-MM-DD)")
    reference = raw.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise JurisdictionError(f"{where} from {start}: every value needs its legal 'reference'")
    shapes = [key for key in ("value", "by_member", "cases") if key in raw]
    if len(shapes) != 1:
        raise JurisdictionError(f"{where} from {start}: give exactly one of value, by_member, cases")
    where = f"{where} from {start}"
    by_member = raw.get("by_member")
    if by_member is not None and not isinstance(by_member, dict):
        raise JurisdictionError(f"{where}: 'by_member' must map member state codes to values")
    return Entry(
        start=start,
        reference=reference.strip(),
        value=_value(where, raw.get("value")),
        currency=_currency(where, raw.get("currency")),
        by_member={str(k): _value(where, v) for k, v in by_member.items()} if by_member is not None else None,
        cases=tuple(_case(where, c) for c in raw.get("cases") or ()),
        note=raw.get("note"),
    )


def _case(where: str, raw: object) -> Case:
    if not isinstance(raw, dict) or "value" not in raw:
        raise JurisdictionError(f"{where}: each case needs a 'value' (and optional 'when', 'currency')")
    when = raw.get("when") or {}
    if not isinstance(when, dict) or set(when) - CONTEXT_KEYS:
        raise JurisdictionError(f"{where}: 'when' may test only {sorted(CONTEXT_KEYS)}")
    return Case(
        when={k: frozenset([v] if isinstance(v, str) else map(str, v)) for k, v in when.items()},
        value=_value(where, raw["value"]),
        currency=_currency(where, raw.get("currency")),
    )


def _currency(where: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 3 or not value.isupper():
        raise JurisdictionError(f"{where}: 'currency' must be an ISO 4217 code")
    return value


def _value(where: str, value: Any) -> Any:
    # Amounts and rates are written as strings so that YAML never turns them into floats; they stay
    # strings here (an HS prefix "0402" must keep its zero) and the engine reads them as Decimal.
    if isinstance(value, float):
        raise JurisdictionError(f"{where}: write decimal numbers as quoted strings, not {value!r}")
    if isinstance(value, list):
        return tuple(_value(where, v) for v in value)
    if isinstance(value, dict):
        return {str(k): _value(where, v) for k, v in value.items()}
    return value
