"""Customs and VAT territories: where the law places a destination (or a place of dispatch).

A country code is not enough: Monaco is in the Union's customs territory and France's VAT, Büsingen
(a German postcode) is Swiss for customs and VAT, the Canary Islands are in the Union's customs
territory but outside its VAT territory, Ceuta and Melilla outside both. ``territories.yaml``
holds each special territory with its status and legal reference; :class:`Territories` places a
(code, postcode) pair, and :func:`movement` says whether goods going from one place to another are
imported at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

TERRITORIES_FILE = Path(__file__).with_name("territories.yaml")
_TAXES = ("jurisdiction", "not_computed")
_UNIONS = {"EU": "the Union", "GB": "the United Kingdom", "CH": "Switzerland"}


class TerritoryError(ValueError):
    """A malformed territories file, with where and why."""


class OutsideTerritory(LookupError):
    """A place where no configured jurisdiction assesses an import (Ceuta, Heligoland...)."""


@dataclass(frozen=True, slots=True)
class Territory:
    key: str
    name: str
    codes: tuple[str, ...]
    postcodes: Mapping[str, re.Pattern[str]]
    shared_postcodes: Mapping[str, re.Pattern[str]]
    customs: str | None  # the customs territory it is part of (EU, GB, CH), None: none we assess
    vat: str | None  # the VAT territory (EU, GB, CH) or its own code when outside them
    assessed_as: str | None  # the destination whose parameters assess an import there
    tax: Literal["jurisdiction", "not_computed"]
    local_tax: str | None  # what is not computed, when tax is not_computed
    refusal: str | None
    reference: str
    start: dt.date | None = None  # the status holds from this date ...
    before: str | None = None  # ... and before it, this says why no import is assessed


@dataclass(frozen=True, slots=True)
class Place:
    """A destination or place of dispatch as customs and VAT law place it.

    ``customs`` and ``vat`` name the customs and VAT territories (EU, GB, CH, or a country's own
    code); ``assessed_as`` the destination code whose parameters assess an import there.
    """

    code: str
    assessed_as: str
    customs: str | None
    vat: str | None
    territory: Territory | None = None
    # What a consignee's postcode left open (a malformed postcode, one shared with a special
    # territory): (warning code, message, whether it leaves the assessment incomplete).
    notes: tuple[tuple[str, str, bool], ...] = ()

    @property
    def taxed(self) -> bool:
        """Whether the jurisdiction's own import tax is the tax due there (not a local one)."""
        return self.territory is None or self.territory.tax == "jurisdiction"

    @property
    def refusal(self) -> str | None:
        """Why no configured jurisdiction assesses an import here (None: one does)."""
        if self.assessed_as:
            return None
        name = self.territory.name if self.territory is not None else self.code
        reason = self.territory.refusal if self.territory is not None else None
        return f"no import is assessed in {name}: {reason or 'no jurisdiction is configured for it'}"


@dataclass(frozen=True, slots=True)
class Internal:
    """A movement the law treats as internal between places the table puts apart (GB <-> XI)."""

    origins: frozenset[str]
    destinations: frozenset[str]
    code: str
    description: str
    reference: str
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class Movement:
    """How goods going from ``origin`` to ``destination`` are treated.

    kind: ``import`` (customs and VAT import), ``no_import`` (within one customs and VAT territory:
    nothing to assess), ``fiscal_import`` (within the customs territory, into a different VAT
    territory: no duty, the import tax only).
    """

    kind: Literal["import", "no_import", "fiscal_import"]
    code: str = ""
    description: str = ""
    reference: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class Territories:
    territories: Mapping[str, Territory]
    formats: Mapping[str, re.Pattern[str]]
    internal: Sequence[Internal] = ()
    _by_code: dict[str, Territory] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for territory in self.territories.values():
            for code in territory.codes:
                if code in self._by_code:
                    raise TerritoryError(f"code {code} names both {self._by_code[code].key} and {territory.key}")
                self._by_code[code] = territory

    @classmethod
    def load(cls, path: Path = TERRITORIES_FILE) -> Territories:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TerritoryError(f"{path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise TerritoryError(f"{path}: expected a mapping")
        formats = {str(k): re.compile(str(v)) for k, v in (raw.get("countries") or {}).items()}
        territories = {str(key): _territory(path, str(key), spec) for key, spec in raw["territories"].items()}
        for territory in territories.values():
            for country in (*territory.postcodes, *territory.shared_postcodes):
                if country not in formats:
                    raise TerritoryError(f"{path}: {territory.key}: no postcode format for {country}")
        internal = [
            Internal(
                origins=frozenset(entry["from"]),
                destinations=frozenset(entry["to"]),
                code=str(entry["code"]),
                description=" ".join(str(entry["description"]).split()),
                reference=" ".join(str(entry["reference"]).split()),
                warning=" ".join(str(entry["warning"]).split()) if entry.get("warning") else None,
            )
            for entry in raw.get("internal") or ()
        ]
        return cls(territories, formats, internal)

    def codes(self) -> list[str]:
        """Every code that names a territory (ISO 3166-1 or the EU's own: XI, IC, XC, XL)."""
        return sorted(self._by_code)

    def by_code(self, code: str) -> Territory | None:
        return self._by_code.get(code)

    def place(self, code: str, postcode: str | None, as_of: dt.date, home: Callable[[str], str | None]) -> Place:
        """Where ``code`` (+ the consignee's ``postcode``) is, for customs and VAT.

        ``home`` gives the customs territory of a plain country code (the catalogue's jurisdiction:
        FR -> EU), or None when no jurisdiction is configured for it. Codes are matched exactly: a
        lower-case or look-alike code names no territory (the request's own checks refuse it).
        """
        notes: list[tuple[str, str, bool]] = []
        territory = self._by_code.get(code)
        if territory is None and postcode is not None:
            territory = self._by_postcode(code, postcode, notes)
        if territory is None:
            union = home(code)
            return Place(code=code, assessed_as=code, customs=union or code, vat=union or code, notes=tuple(notes))
        if territory.start is not None and as_of < territory.start:
            # Before its status began, the place was outside every territory we assess.
            return Place(
                code=code, assessed_as="", customs=None, vat=None,
                territory=_replace_refusal(territory, territory.before or ""), notes=tuple(notes),
            )  # fmt: skip
        return Place(
            code=code,
            assessed_as=territory.assessed_as or "",
            customs=territory.customs,
            vat=territory.vat,
            territory=territory,
            notes=tuple(notes),
        )

    def _by_postcode(self, country: str, postcode: str, notes: list[tuple[str, str, bool]]) -> Territory | None:
        fmt = self.formats.get(country)
        if fmt is None:
            return None  # no territory is identified by this country's postcodes
        written = postcode.strip().upper()
        if not fmt.fullmatch(written):
            # In a country whose postcodes place special territories (the Canaries, Büsingen...), an
            # unreadable postcode leaves the place unknown: the result says so, it is not complete.
            notes.append(
                (
                    "postcode_not_recognised",
                    f"'{postcode}' is not a {country} postcode, so whether the place is one of {country}'s "
                    f"special territories cannot be told: it is assessed as {country} itself; give the postcode "
                    "as the country writes it to complete the result",
                    True,
                )
            )
            return None
        compact = written.replace(" ", "").replace("-", "")
        # The most specific pattern wins: 97133 (Saint-Barthélemy) and 97150 (Saint-Martin) also fit
        # Guadeloupe's 971xx.
        matches = [
            territory
            for territory in self.territories.values()
            if (pattern := territory.postcodes.get(country)) is not None and pattern.fullmatch(compact)
        ]
        if matches:
            return min(matches, key=lambda found: _openness(found.postcodes[country].pattern, compact))
        for territory in self.territories.values():
            pattern = territory.shared_postcodes.get(country)
            if pattern is not None and pattern.fullmatch(compact):
                notes.append(
                    (
                        "territory_uncertain",
                        f"{country} postcode {postcode} is shared by {territory.name} and places in {country}'s "
                        f"customs and VAT territory; assessed as {country}. If the consignee is in "
                        f"{territory.name}: {_one_line(territory.refusal or territory.local_tax or '')}",
                        True,
                    )
                )
                return None
        return None

    def movement(self, origin: Place, destination: Place) -> Movement:
        """Whether goods from ``origin`` to ``destination`` are imported, and how."""
        for rule in self.internal:
            if _code(origin) in rule.origins and _code(destination) in rule.destinations:
                return Movement(
                    "no_import", rule.code, rule.description, rule.reference,
                    (rule.warning,) if rule.warning else (),
                )  # fmt: skip
        if destination.customs is None or origin.customs != destination.customs:
            return Movement("import")
        union = _UNIONS.get(destination.customs, destination.customs)
        if origin.vat == destination.vat:
            if destination.customs == "EU":
                return Movement(
                    "no_import",
                    "territory.intra_union",
                    "No import: an intra-Union movement of Union goods, dispatched from within the customs and "
                    "VAT territory of the Union; no customs duty or import VAT (VAT on a distance sale to a "
                    "consumer in another member state is the seller's, declared under the One-Stop Shop, "
                    "not at customs)",
                    "Regulation (EU) No 952/2013 (UCC), Art. 5(23)-(24) (Union goods) and Art. 201 (release for "
                    "free circulation applies to non-Union goods only); Council Directive 2006/112/EC, "
                    "Art. 33 and 369a-369k (intra-Community distance sales, OSS)",
                )
            return Movement(
                "no_import",
                "territory.domestic",
                f"No import: the goods are dispatched from within the destination's customs and VAT territory "
                f"({union})",
                _one_line(destination.territory.reference)
                if destination.territory
                else "WCO Revised Kyoto Convention, General Annex, Chapter 2 (import duties and taxes are "
                "charged on goods brought into the customs territory)",
            )
        # Same customs territory, different VAT territories: Union goods (no duty), but the VAT
        # territory they enter taxes them as an import (VAT Directive Art. 30: goods from a
        # territory listed in Art. 6 are imported).
        return Movement(
            "fiscal_import",
            "territory.union_goods",
            f"No customs duty: the goods are dispatched from within the customs territory of {union} "
            f"({_place_name(origin)}); they enter a different VAT territory ({_place_name(destination)}), "
            "so only the import tax applies",
            "Regulation (EU) No 952/2013 (UCC), Art. 5(23) (Union goods) and Art. 4; Council Directive "
            "2006/112/EC, Art. 30 (importation of goods from a territory excluded by Art. 6)"
            if destination.customs == "EU"
            else "; ".join(p.territory.reference for p in (origin, destination) if p.territory is not None),
        )


def _place_name(place: Place) -> str:
    return place.territory.name if place.territory is not None else place.code


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _replace_refusal(territory: Territory, refusal: str) -> Territory:
    return replace(territory, assessed_as=None, customs=None, vat=None, refusal=refusal)


def _territory(path: Path, key: str, spec: Any) -> Territory:
    where = f"{path}: {key}"
    if not isinstance(spec, dict):
        raise TerritoryError(f"{where}: expected a mapping")
    for required in ("name", "reference", "assessed_as", "customs", "vat"):
        if required not in spec:
            raise TerritoryError(f"{where}: '{required}' is required")
    tax = spec.get("tax", "jurisdiction")
    if tax not in _TAXES:
        raise TerritoryError(f"{where}: 'tax' must be one of {_TAXES}")
    assessed_as = spec["assessed_as"]
    if assessed_as is None and not spec.get("refusal"):
        raise TerritoryError(f"{where}: a territory no jurisdiction assesses needs its 'refusal'")
    if tax == "not_computed" and not spec.get("local_tax"):
        raise TerritoryError(f"{where}: a tax not computed needs 'local_tax' saying which")
    start = spec.get("from")
    if start is not None and (not isinstance(start, dt.date) or not spec.get("before")):
        raise TerritoryError(f"{where}: 'from' must be a date, with 'before' saying the earlier status")
    return Territory(
        key=key,
        name=str(spec["name"]),
        codes=tuple(str(c) for c in spec.get("codes") or ()),
        postcodes={str(k): re.compile(str(v)) for k, v in (spec.get("postcodes") or {}).items()},
        shared_postcodes={str(k): re.compile(str(v)) for k, v in (spec.get("shared_postcodes") or {}).items()},
        customs=spec["customs"],
        vat=spec["vat"],
        assessed_as=assessed_as,
        tax=tax,
        local_tax=_one_line(str(spec["local_tax"])) if spec.get("local_tax") else None,
        refusal=_one_line(str(spec["refusal"])) if spec.get("refusal") else None,
        reference=_one_line(str(spec["reference"])),
        start=start,
        before=_one_line(str(spec["before"])) if spec.get("before") else None,
    )


def _openness(pattern: str, postcode: str) -> int:
    """How open the alternative of ``pattern`` that matches ``postcode`` is: its character classes
    (0 for a postcode written out, as Saint-Barthélemy's 97133 is)."""
    inner = pattern[1:-1] if pattern.startswith("(") and pattern.endswith(")") else pattern
    if "(" in inner or ")" in inner:  # not a plain list of alternatives: take it whole
        return pattern.count("[")
    matching = [alt for alt in inner.split("|") if re.fullmatch(alt, postcode)]
    return min((alt.count("[") for alt in matching), default=pattern.count("["))


def _code(place: Place) -> str:
    """The code that names the place: its territory's (Northern Ireland is XI however the request
    named it, by the code or by a BT postcode), else the code given."""
    if place.territory is not None and place.territory.codes:
        return place.territory.codes[0]
    return place.code
