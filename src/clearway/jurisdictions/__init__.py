"""Jurisdictions: one folder each, dated YAML parameters with legal references, and a catalogue
that answers ``params(destination, as_of, context)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from clearway.jurisdictions.loader import JurisdictionError, load_all
from clearway.jurisdictions.model import Jurisdiction, ParameterMissing, Params, Resolved

__all__ = ["Catalogue", "Jurisdiction", "JurisdictionError", "ParameterMissing", "Params", "Resolved"]


# How many (jurisdiction, date, context) resolutions are kept; a day's traffic has a few hundred.
_SHARED_CONTEXTS = 20_000


class UnknownDestination(LookupError):
    pass


class Catalogue:
    """Every loaded jurisdiction, with destinations mapped to them (an EU member state -> EU)."""

    def __init__(self, jurisdictions: Mapping[str, Jurisdiction]) -> None:
        self.jurisdictions = dict(jurisdictions)
        self._by_destination: dict[str, tuple[Jurisdiction, str | None]] = {}
        self._shared: dict[tuple[object, ...], dict[str, Resolved | None]] = {}
        for jurisdiction in self.jurisdictions.values():
            if jurisdiction.members:
                for member in jurisdiction.members:
                    self._by_destination[member] = (jurisdiction, member)
            else:
                self._by_destination[jurisdiction.code] = (jurisdiction, None)

    @classmethod
    def load(cls, folders: Iterable[Path] = ()) -> Catalogue:
        return cls(load_all(folders))

    def destinations(self) -> list[str]:
        return sorted(self._by_destination)

    def resolve(self, destination: str) -> tuple[Jurisdiction, str | None]:
        try:
            return self._by_destination[destination]
        except KeyError:
            raise UnknownDestination(
                f"no jurisdiction is configured for destination '{destination}'; "
                f"known: {', '.join(self.destinations())}"
            ) from None

    def params(self, destination: str, as_of: dt.date, context: Mapping[str, str | None]) -> Params:
        jurisdiction, member = self.resolve(destination)
        full = {**context, "member": member}
        key = (jurisdiction.code, as_of, tuple(sorted(full.items(), key=lambda kv: kv[0])))
        shared = self._shared.get(key)
        if shared is None:
            if len(self._shared) >= _SHARED_CONTEXTS:
                self._shared.clear()  # a bound, not an LRU: contexts repeat within a batch
            shared = self._shared[key] = {}
        return Params(jurisdiction, as_of, full, shared)
