"""Prohibited and restricted goods per jurisdiction, for the public lookup (WCO Principle VII).

Data, not code: ``restriction_categories.yaml`` (beside this module) names the categories and the
words that point to each; every jurisdiction folder has a ``restrictions.yaml`` saying, per
category, whether the goods are prohibited or need a licence there, what that means for a buyer,
the law, and the dates it applies. ``lookup(jurisdiction, text, as_of)`` answers which of them a
description such as "pepper spray keyring" touches on a date.

Matching is by whole words of the matching form of ``clearway.dataset.text`` (case, accents,
invisible characters and look-alike letters make no difference: "Pеpper spray" with a Cyrillic е
or a soft hyphen in it is pepper spray), so that "gun" never fires on "begun" and a keyword of
several words must appear in that order. It is a hint for the public, not a
classification: the page says so, and customs targeting keeps its own rules (risk/packs).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from clearway.dataset.text import normalise_for_matching

PACKAGE_DIR = Path(__file__).parent
CATEGORIES_FILE = PACKAGE_DIR / "restriction_categories.yaml"
FILE_NAME = "restrictions.yaml"
# DOMAIN.md's marker for a fact we could not confirm against the legal text: shown to the public too.
UNVERIFIED = "(check)"

Status = Literal["prohibited", "restricted"]
STATUSES: tuple[Status, ...] = ("prohibited", "restricted")
Words = tuple[str, ...]

_TOP_KEYS = {"code", "name", "note", "entries"}
_ENTRY_KEYS = {"category", "status", "meaning", "reference", "valid_from", "valid_to", "authority", "keywords"}
_CATEGORY_KEYS = {"title", "keywords", "unless_preceded_by", "unless_followed_by"}
_WORD = re.compile(r"[^\W_]+")
# A plural is accepted on words long enough that "s" cannot turn one word into another short one.
_PLURAL_MIN = 3


class RestrictionError(ValueError):
    """A restriction file that does not follow the format, with where and why."""


class UnknownJurisdiction(LookupError):
    """No restriction list is loaded for this code."""


def words(text: str) -> Words:
    """The words of a text in its matching form (case, accents, look-alikes folded): what keywords are compared with."""
    return tuple(_WORD.findall(normalise_for_matching(text)))


def _same(text_word: str, keyword_word: str) -> bool:
    if text_word == keyword_word:
        return True
    if len(keyword_word) < _PLURAL_MIN:
        return False
    return text_word in (keyword_word + "s", keyword_word + "es")


@dataclass(frozen=True, slots=True)
class Keyword:
    label: str  # as written in the file, shown as "matched: ..."
    words: Words


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    title: str
    keywords: tuple[Keyword, ...]
    # A keyword does not count right after or before one of these words ("oat milk", "meat thermometer").
    unless_preceded_by: frozenset[str]
    unless_followed_by: frozenset[str]


@dataclass(frozen=True, slots=True)
class Restriction:
    """What one category of goods means in one jurisdiction, from one date (to another, or for ever)."""

    jurisdiction: str
    category: Category
    status: Status
    meaning: str
    reference: str
    valid_from: dt.date
    valid_to: dt.date | None = None  # the last day it applies
    authority: str | None = None  # who issues the licence or permit, for restricted goods
    extra_keywords: tuple[Keyword, ...] = ()

    @property
    def title(self) -> str:
        return self.category.title

    @property
    def verified(self) -> bool:
        """False when the reference carries the "(check)" marker: not yet confirmed against the law."""
        return UNVERIFIED not in self.reference

    def in_force(self, as_of: dt.date) -> bool:
        return self.valid_from <= as_of and (self.valid_to is None or as_of <= self.valid_to)

    def found_in(self, text: Words) -> tuple[str, ...]:
        """The keywords of this restriction that the text mentions, in the order they are listed.

        A keyword found only inside a longer one ("vape" in "disposable vape") is not repeated.
        """
        spans: dict[str, tuple[int, int]] = {}
        for keyword in (*self.category.keywords, *self.extra_keywords):
            span = self._span(text, keyword.words)
            if span is not None and keyword.label not in spans:
                spans[keyword.label] = span
        return tuple(
            label
            for label, (start, end) in spans.items()
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans.values())
        )

    def _span(self, text: Words, keyword: Words) -> tuple[int, int] | None:
        """Where the keyword first occurs in the text (start, end), unless a neighbouring word rules it out."""
        size = len(keyword)
        for start in range(len(text) - size + 1):
            if not all(_same(text[start + i], keyword[i]) for i in range(size)):
                continue
            before = text[start - 1] if start > 0 else None
            after = text[start + size] if start + size < len(text) else None
            if before in self.category.unless_preceded_by or after in self.category.unless_followed_by:
                continue
            return start, start + size
        return None


@dataclass(frozen=True, slots=True)
class Match:
    restriction: Restriction
    keywords: tuple[str, ...]  # what in the text pointed to it; empty when no text was given


@dataclass(frozen=True, slots=True)
class JurisdictionRestrictions:
    code: str
    name: str
    restrictions: tuple[Restriction, ...]
    note: str | None = None
    source: str = ""

    def in_force(self, as_of: dt.date) -> list[Restriction]:
        return [r for r in self.restrictions if r.in_force(as_of)]


def lookup(jurisdiction: JurisdictionRestrictions, text: str | None, as_of: dt.date) -> list[Match]:
    """The restrictions in force on ``as_of`` that ``text`` touches (all of them when it is blank).

    Prohibitions come before restrictions; within each, the order of the file.
    """
    in_force = jurisdiction.in_force(as_of)
    described = words(text or "")
    if not described:
        matches = [Match(r, ()) for r in in_force]
    else:
        matches = [Match(r, found) for r in in_force if (found := r.found_in(described))]
    return sorted(matches, key=lambda m: STATUSES.index(m.restriction.status))


class RestrictionCatalogue:
    """Every loaded restriction list, by jurisdiction code."""

    def __init__(self, lists: Mapping[str, JurisdictionRestrictions]) -> None:
        self.lists = dict(sorted(lists.items()))

    @classmethod
    def load(cls, folders: Iterable[Path] = ()) -> RestrictionCatalogue:
        return cls(load_all(folders))

    def codes(self) -> list[str]:
        return list(self.lists)

    def get(self, code: str) -> JurisdictionRestrictions:
        try:
            return self.lists[code]
        except KeyError:
            raise UnknownJurisdiction(
                f"no restrictions are recorded for jurisdiction '{code}'; known: {', '.join(self.lists)}"
            ) from None

    def lookup(self, code: str, text: str | None, as_of: dt.date) -> list[Match]:
        return lookup(self.get(code), text, as_of)


# -- loading -------------------------------------------------------------------------------------


def load_categories(path: Path = CATEGORIES_FILE) -> dict[str, Category]:
    raw = _read(path)
    categories = raw.get("categories")
    if not isinstance(categories, dict) or not categories:
        raise RestrictionError(f"{path}: expected a mapping 'categories'")
    return {str(code): _category(path, str(code), spec) for code, spec in categories.items()}


def load_file(path: Path, categories: Mapping[str, Category]) -> JurisdictionRestrictions:
    raw = _read(path)
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise RestrictionError(f"{path}: unknown keys {sorted(unknown)}")
    for key in ("code", "name", "entries"):
        if key not in raw:
            raise RestrictionError(f"{path}: '{key}' is required")
    code = str(raw["code"])
    entries = raw["entries"]
    if not isinstance(entries, list) or not entries:
        raise RestrictionError(f"{path}: 'entries' must be a non-empty list")
    restrictions = tuple(_entry(f"{path}: entries[{i}]", code, e, categories) for i, e in enumerate(entries))
    _check_no_overlap(path, restrictions)
    note = raw.get("note")
    return JurisdictionRestrictions(
        code=code, name=str(raw["name"]), restrictions=restrictions, note=str(note) if note else None, source=str(path)
    )


def load_all(
    folders: Iterable[Path] = (), categories_file: Path = CATEGORIES_FILE
) -> dict[str, JurisdictionRestrictions]:
    """The packaged lists, then any extra folders' (a later folder replaces an earlier code)."""
    categories = load_categories(categories_file)
    found: dict[str, JurisdictionRestrictions] = {}
    for root in (PACKAGE_DIR, *folders):
        for path in sorted(root.glob(f"*/{FILE_NAME}")):
            loaded = load_file(path, categories)
            found[loaded.code] = loaded
    return found


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RestrictionError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise RestrictionError(f"{path}: expected a mapping at the top")
    return raw


def _category(path: Path, code: str, spec: object) -> Category:
    where = f"{path}: categories.{code}"
    if not isinstance(spec, dict) or set(spec) - _CATEGORY_KEYS or "title" not in spec:
        raise RestrictionError(f"{where}: expected 'title', 'keywords' and optional {sorted(_CATEGORY_KEYS)}")
    return Category(
        code=code,
        title=_text(where, "title", spec["title"]),
        keywords=_keywords(where, spec.get("keywords"), required=True),
        unless_preceded_by=_single_words(where, "unless_preceded_by", spec.get("unless_preceded_by")),
        unless_followed_by=_single_words(where, "unless_followed_by", spec.get("unless_followed_by")),
    )


def _entry(where: str, code: str, raw: object, categories: Mapping[str, Category]) -> Restriction:
    if not isinstance(raw, dict):
        raise RestrictionError(f"{where}: each entry must be a mapping")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise RestrictionError(f"{where}: unknown keys {sorted(unknown)}")
    category = categories.get(str(raw.get("category")))
    if category is None:
        raise RestrictionError(f"{where}: 'category' must be one of {sorted(categories)}")
    where = f"{where} ({category.code})"
    status = raw.get("status")
    if status not in STATUSES:
        raise RestrictionError(f"{where}: 'status' must be one of {list(STATUSES)}")
    start, end = raw.get("valid_from"), raw.get("valid_to")
    if not isinstance(start, dt.date):
        raise RestrictionError(f"{where}: 'valid_from' must be a date (YYYY-MM-DD)")
    if end is not None and (not isinstance(end, dt.date) or end < start):
        raise RestrictionError(f"{where}: 'valid_to' must be a date on or after 'valid_from'")
    authority = raw.get("authority")
    return Restriction(
        jurisdiction=code,
        category=category,
        status=cast(Status, status),
        meaning=_text(where, "meaning", raw.get("meaning")),
        reference=_text(where, "reference", raw.get("reference")),
        valid_from=start,
        valid_to=end,
        authority=_text(where, "authority", authority) if authority is not None else None,
        extra_keywords=_keywords(where, raw.get("keywords"), required=False),
    )


def _check_no_overlap(path: Path, restrictions: Sequence[Restriction]) -> None:
    # One category has one meaning on a given day; a change in the law is a new dated entry.
    by_category: dict[str, list[Restriction]] = {}
    for r in restrictions:
        by_category.setdefault(r.category.code, []).append(r)
    for code, entries in by_category.items():
        ordered = sorted(entries, key=lambda r: r.valid_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                raise RestrictionError(
                    f"{path}: '{code}' has entries from {earlier.valid_from} and {later.valid_from} that overlap; "
                    "end the earlier one with 'valid_to' the day before"
                )


def _text(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RestrictionError(f"{where}: '{key}' must be a non-empty text")
    return " ".join(value.split())


def _keywords(where: str, raw: object, *, required: bool) -> tuple[Keyword, ...]:
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or not raw:
        raise RestrictionError(f"{where}: 'keywords' must be a non-empty list of words or phrases")
    found: list[Keyword] = []
    for item in raw:
        if not isinstance(item, str) or not words(item):
            raise RestrictionError(f"{where}: keyword {item!r} must be a text with at least one word")
        found.append(Keyword(label=item, words=words(item)))
    return tuple(found)


def _single_words(where: str, key: str, raw: object) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise RestrictionError(f"{where}: '{key}' must be a list of single words")
    folded = [words(str(item)) for item in raw]
    bad = [item for item, w in zip(raw, folded, strict=True) if len(w) != 1]
    if bad:
        raise RestrictionError(f"{where}: '{key}' takes single words, not {bad}")
    return frozenset(w[0] for w in folded)
