"""Jurisdictions as data: parameters keyed by effective date, each value with its legal reference.

A parameter is a list of dated entries; the entry in force on a date is the last one whose ``from``
is on or before it. An entry's value may depend on the member state (the EU's VAT rates) or on the
facts of the consignment (Canada's CUSMA courier thresholds depend on origin and channel), so a
value is resolved against a small context. What the engine used is recorded as ``name@from`` so that
every assessment can be reproduced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# The facts of a consignment a parameter value may depend on. Keep this small: anything richer
# belongs in a formula.
CONTEXT_KEYS = frozenset({"member", "origin", "channel", "nature", "transport_mode"})


@dataclass(frozen=True, slots=True)
class Case:
    """One branch of a conditional value: ``when`` maps a context key to the values it matches."""

    when: Mapping[str, frozenset[str]]
    value: Any
    currency: str | None

    def matches(self, context: Mapping[str, str | None]) -> bool:
        return all(context.get(key) in allowed for key, allowed in self.when.items())


@dataclass(frozen=True, slots=True)
class Entry:
    """The value of a parameter from one date until the next entry (or for ever)."""

    start: dt.date
    reference: str
    value: Any = None
    currency: str | None = None
    by_member: Mapping[str, Any] | None = None
    cases: Sequence[Case] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A parameter value as the engine used it, with where it came from."""

    name: str
    value: Any
    start: dt.date
    reference: str
    currency: str | None = None
    version: str = ""  # name@effective-date, filled in on construction

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", f"{self.name}@{self.start.isoformat()}")

    def decimal(self) -> Decimal:
        return Decimal(str(self.value))


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    description: str
    entries: Sequence[Entry]  # sorted by start
    # A parameter set by each member state in its own law (the EU's VAT rates): dated entries per member.
    members: Mapping[str, Sequence[Entry]] | None = None

    def entry_at(self, as_of: dt.date, member: str | None = None) -> Entry | None:
        found = None
        entries = self.entries if self.members is None else self.members.get(member or "", ())
        for entry in entries:
            if entry.start > as_of:
                break
            found = entry
        return found


class ParameterMissing(LookupError):
    """A formula needed a parameter the jurisdiction does not define on that date."""


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    currency: str
    parameters: Mapping[str, Parameter]
    formulas: Mapping[str, Parameter]  # the same dated shape; the value is a formula name
    members: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def first_date(self) -> dt.date:
        return min(p.entries[0].start for p in self.formulas.values())


class Params:
    """The parameters of one jurisdiction on one date for one consignment's context.

    Every lookup is remembered so that the assessment can list the versions it used.
    """

    def __init__(
        self,
        jurisdiction: Jurisdiction,
        as_of: dt.date,
        context: Mapping[str, str | None],
        shared: dict[str, Resolved | None] | None = None,
    ) -> None:
        self.jurisdiction = jurisdiction
        self.as_of = as_of
        self.context = context
        self.used: dict[str, Resolved] = {}
        # Resolutions are the same for every consignment with this date and context: a batch
        # shares them (the catalogue keeps one dict per date and context).
        self._shared: dict[str, Resolved | None] = {} if shared is None else shared

    def find(self, name: str) -> Resolved | None:
        found = self.used.get(name)
        if found is not None:
            return found
        if name in self._shared:
            resolved = self._shared[name]
        else:
            parameter = self.jurisdiction.parameters.get(name)
            resolved = self._shared[name] = self._resolve(name, parameter) if parameter is not None else None
        if resolved is not None:
            self.used[name] = resolved
        return resolved

    def get(self, name: str) -> Resolved:
        resolved = self.find(name)
        if resolved is None:
            raise ParameterMissing(f"{self.jurisdiction.code} has no parameter '{name}' in force on {self.as_of}")
        return resolved

    def value(self, name: str, default: Any = None) -> Any:
        resolved = self.find(name)
        return default if resolved is None else resolved.value

    def formula(self, step: str) -> Resolved:
        key = f"formula.{step}"
        if key in self.used:
            return self.used[key]
        if key in self._shared:
            resolved = self._shared[key]
        else:
            parameter = self.jurisdiction.formulas.get(step)
            resolved = self._shared[key] = self._resolve(key, parameter) if parameter is not None else None
        if resolved is None:
            raise ParameterMissing(f"{self.jurisdiction.code} has no {step} formula in force on {self.as_of}")
        self.used[key] = resolved
        return resolved

    def versions(self) -> list[str]:
        return sorted(r.version for r in self.used.values())

    def _resolve(self, name: str, parameter: Parameter) -> Resolved | None:
        entry = parameter.entry_at(self.as_of, self.context.get("member"))
        if entry is None:
            return None
        value, currency = entry.value, entry.currency
        if entry.by_member is not None:
            member = self.context.get("member")
            if member is None or member not in entry.by_member:
                return None
            value = entry.by_member[member]
        elif entry.cases:
            case = next((c for c in entry.cases if c.matches(self.context)), None)
            if case is None:
                return None
            value, currency = case.value, case.currency or currency
        if value is None:
            # An explicit null ends a parameter: the law that set it no longer applies.
            return None
        return Resolved(name, value, entry.start, entry.reference, currency)
