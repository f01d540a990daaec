"""Jurisdictions: one folder each, dated YAML parameters with legal references, and a catalogue
that answers ``params(destination, as_of, context)``."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

from clearway.jurisdictions.loader import JurisdictionError, load_all
from clearway.jurisdictions.model import Jurisdiction, ParameterMissing, Params, Resolved
from clearway.jurisdictions.territories import Movement, Place, Territories

__all__ = [
    "Catalogue",
    "Jurisdiction",
    "JurisdictionError",
    "Movement",
    "ParameterMissing",
    "Params",
    "Place",
    "Resolved",
    "Territories",
]


# How many (jurisdiction, date, context) resolutions are kept; a day's traffic has a few hundred.
_SHARED_CONTEXTS = 20_000


class UnknownDestination(LookupError):
    pass


class Catalogue:
    """Every loaded jurisdiction, with destinations mapped to them (an EU member state -> EU)."""

    def __init__(self, jurisdictions: Mapping[str, Jurisdiction], territories: Territories | None = None) -> None:
        self.jurisdictions = dict(jurisdictions)
        self.territories = territories if territories is not None else _territories()
        self._by_destination: dict[str, tuple[Jurisdiction, str | None]] = {}
        self._shared: dict[tuple[object, ...], dict[str, Resolved | None]] = {}
        for jurisdiction in self.jurisdictions.values():
            if jurisdiction.members:
                for member in jurisdiction.members:
                    self._by_destination[member] = (jurisdiction, member)
            else:
                self._by_destination[jurisdiction.code] = (jurisdiction, None)
        # A territory named by its own code (MC, XI, IC...) is assessed by the destination the law
        # puts it with (Monaco: France, the EU's member); one no jurisdiction assesses stays unknown.
        for code in self.territories.codes():
            territory = self.territories.by_code(code)
            if territory is not None and territory.assessed_as in self._by_destination:
                self._by_destination.setdefault(code, self._by_destination[territory.assessed_as])

    @classmethod
    def load(cls, folders: Iterable[Path] = ()) -> Catalogue:
        return cls(load_all(folders))

    def destinations(self) -> list[str]:
        return sorted(self._by_destination)

    def resolve(self, destination: str) -> tuple[Jurisdiction, str | None]:
        try:
            return self._by_destination[destination]
        except KeyError:
            territory = self.territories.by_code(destination)
            if territory is not None and territory.refusal:
                raise UnknownDestination(f"no import is assessed in {territory.name}: {territory.refusal}") from None
            raise UnknownDestination(
                f"no jurisdiction is configured for destination '{destination}'; "
                f"known: {', '.join(self.destinations())}"
            ) from None

    def home(self, code: str) -> str | None:
        """The customs territory of a plain country code: its jurisdiction's (FR -> EU), or None."""
        found = self._by_destination.get(code)
        return None if found is None else found[0].code

    def locate(self, code: str, postcode: str | None, as_of: dt.date) -> Place:
        """Where a destination or place of dispatch is for customs and VAT (territories.py)."""
        return self.territories.place(code, postcode, as_of, self.home)

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


@functools.lru_cache(maxsize=1)
def _territories() -> Territories:
    # The packaged table is the same for every catalogue: read it once per process.
    return Territories.load()
