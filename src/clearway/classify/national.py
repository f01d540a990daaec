"""National tariff lines under an HS-6 subheading: the hook by which suggestions carry them.

The classifier suggests HS-6 codes, which every jurisdiction shares; the 8- or 10-digit lines
under them are national. A caller that has a jurisdiction's tariff loaded passes something that
answers ``lines(jurisdiction, hs6)`` (the ``NationalLines`` protocol); ``CodeLines`` is a plain one
built from (jurisdiction, code, description) rows, e.g. the codes of the loaded tariff measures.
A jurisdiction it does not know raises ``UnknownJurisdiction``, which names the ones it knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


class UnknownJurisdiction(ValueError):
    """No tariff lines are loaded for the jurisdiction asked about."""


@dataclass(frozen=True, slots=True)
class NationalLine:
    code: str  # 8 or 10 digits, starting with the HS-6 subheading
    description: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "description": self.description}


class NationalLines(Protocol):
    def knows(self, jurisdiction: str) -> bool:
        """Whether lines are loaded for the jurisdiction."""
        ...

    def lines(self, jurisdiction: str, hs6: str) -> Sequence[NationalLine]:
        """The national lines under ``hs6``, in code order; raises UnknownJurisdiction."""
        ...


class CodeLines:
    """National lines from plain rows; codes that are not 7 to 10 digits are ignored."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        by: dict[tuple[str, str], dict[str, str]] = {}
        self._jurisdictions: set[str] = set()
        for jurisdiction, code, description in rows:
            self._jurisdictions.add(jurisdiction)
            if code.isascii() and code.isdigit() and 7 <= len(code) <= 10:
                by.setdefault((jurisdiction, code[:6]), {}).setdefault(code, description)
        self._lines = {key: tuple(NationalLine(c, d) for c, d in sorted(codes.items())) for key, codes in by.items()}

    def knows(self, jurisdiction: str) -> bool:
        return jurisdiction in self._jurisdictions

    def lines(self, jurisdiction: str, hs6: str) -> Sequence[NationalLine]:
        if jurisdiction not in self._jurisdictions:
            known = ", ".join(sorted(self._jurisdictions)) or "none"
            raise UnknownJurisdiction(f"no tariff lines are loaded for jurisdiction {jurisdiction!r} (loaded: {known})")
        return self._lines.get((jurisdiction, hs6), ())
