"""Keyed pseudonymisation and anonymisation of records, over the fields clearway.privacy.personal lists.

A pseudonym is ``psn:`` and the first 20 hex digits (80 bits) of HMAC-SHA256 under a secret key of
a normalised value: case folded, accents stripped, whitespace collapsed (and, for phone numbers,
postcodes and account or document numbers, separators removed). So "Anna  Schmidt" and
"ANNA SCHMIDT" get one pseudonym and the same buyer links across records and exports, while
nobody without the key can tell who it is or test a guess. A different key gives unrelated
pseudonyms: rotating the key unlinks old exports from new ones.

Anonymisation, for retention, replaces every personal value with the fixed ``[removed]``: nothing
links afterwards. Both keep records valid: EORI and VAT numbers, which validation checks for
format and check digits, are removed (None) instead of replaced; all other replacements fit the
length limits of their fields.

These run over millions of records in exports: each record type's paths are compiled once into a
tree, and pseudonyms of repeated values (cities, sellers) come from a cache.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar, Union

from msgspec import structs

from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.dataset.text import matching_spans
from clearway.privacy.personal import PERSON_ADDRESS, PERSON_PARTY, PERSONAL_FIELDS

PREFIX = "psn:"
MARKER = "[removed]"
MIN_KEY_BYTES = 16
_HEX_DIGITS = 20

R = TypeVar("R", bound=Consignment | Order | Payment | Waybill)

# Identifiers that validation checks (format, check digits): no replacement would pass, so they go.
_REMOVED = frozenset({"eori", "vat"})
# Numbers written with varying separators: "+44 20 7946-0958" and "+442079460958" are one phone.
_COMPACT = frozenset({"phone", "postcode", "id_number", "account"})
_SEPARATORS = str.maketrans("", "", " -./()_")
# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t"}) | str.maketrans(
    {"æ": "ae", "œ": "oe", "þ": "th"}
)
# Values shorter than this are not replaced inside free text by redact(): "5" or "DE" alone
# identifies nobody, and replacing them would garble every number in a message.
_MIN_REDACT = 3


def normalise(value: str) -> str:
    """Case folded, accents stripped, whitespace collapsed: the form a pseudonym is computed on."""
    text = value.casefold()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(text.split())


def _compact(value: str) -> str:
    return normalise(value).translate(_SEPARATORS)


# -- the compiled paths ----------------------------------------------------------------------

# A tree of attribute names; a leaf is the personal field's own name (str).
_Node = dict[str, Union["_Node", str]]


def _tree(record_type: type[Any]) -> _Node:
    root: _Node = {}
    for f in PERSONAL_FIELDS[record_type]:
        node = root
        for part in f.path[:-1]:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[f.name] = f.name
    return root


_TREES: dict[type[Any], _Node] = {t: _tree(t) for t in PERSONAL_FIELDS}


def _tree_of(record: object) -> _Node:
    try:
        return _TREES[type(record)]
    except KeyError:
        raise TypeError(f"not a Consignment, Order, Payment or Waybill: {type(record).__name__}") from None


def _rewrite(obj: Any, node: _Node, leaf: Callable[[str, str], str | None]) -> Any:
    """A copy of ``obj`` with ``leaf(field name, value)`` in every personal field that has a value."""
    changes: dict[str, Any] = {}
    for name, child in node.items():
        value = getattr(obj, name)
        if value is None:
            continue
        new = leaf(child, value) if isinstance(child, str) else _rewrite(value, child, leaf)
        if new is not value:
            changes[name] = new
    return structs.replace(obj, **changes) if changes else obj


def _collect(obj: Any, node: _Node, out: list[str]) -> None:
    for name, child in node.items():
        value = getattr(obj, name)
        if value is None:
            continue
        if isinstance(child, str):
            out.append(value)
        else:
            _collect(value, child, out)


# -- pseudonymisation ------------------------------------------------------------------------


class Pseudonymiser:
    """Pseudonyms under one key, with a cache of recent values (exports repeat cities and sellers)."""

    def __init__(self, key: bytes, *, cache_size: int = 65536) -> None:
        if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
            # Names are guessable: the key is all that stands between a pseudonym and its person.
            raise ValueError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} random bytes")
        self._key = key
        self._cached = lru_cache(maxsize=cache_size)(self._compute)

    def _compute(self, value: str, compact: bool) -> str:
        text = _compact(value) if compact else normalise(value)
        return PREFIX + hmac.digest(self._key, text.encode(), "sha256").hex()[:_HEX_DIGITS]

    def value(self, text: str, *, compact: bool = False) -> str:
        """The pseudonym of one value; ``compact`` also ignores separators (numbers, postcodes)."""
        result: str = self._cached(text, compact)
        return result

    def _leaf(self, name: str, value: str) -> str | None:
        if name in _REMOVED:
            return None
        if value == MARKER:
            return value  # removed by retention: all removed buyers must not share one pseudonym
        result: str = self._cached(value, name in _COMPACT)
        return result

    def record(self, record: R) -> R:
        """The same record with every personal field pseudonymised (EORI and VAT removed)."""
        result: R = _rewrite(record, _tree_of(record), self._leaf)
        return result


@lru_cache(maxsize=8)
def _pseudonymiser(key: bytes) -> Pseudonymiser:
    return Pseudonymiser(key)


def pseudonym(value: str, key: bytes) -> str:
    """``psn:`` + 20 hex digits of HMAC-SHA256(key, normalise(value))."""
    return _pseudonymiser(key).value(value)


def pseudonymise(record: R, key: bytes) -> R:
    """The record with every personal field replaced by its pseudonym under ``key``."""
    return _pseudonymiser(key).record(record)


# -- anonymisation ---------------------------------------------------------------------------


def _anonymous(name: str, value: str) -> str | None:
    if name in _REMOVED:
        return None
    return value if value == MARKER else MARKER


def anonymise(record: R) -> R:
    """The record with every personal field replaced by ``[removed]`` (EORI and VAT removed).

    Idempotent: an anonymised record comes back unchanged (the same object).
    """
    result: R = _rewrite(record, _tree_of(record), _anonymous)
    return result


def anonymise_party(party: dict[str, Any]) -> dict[str, Any]:
    """A party as JSON (a pre-loading filing's consignor or consignee), anonymised by the rules for
    a party who may be a person (privacy.personal.PERSON_PARTY): the same result as ``anonymise``
    gives a record's party, for records that are not one of the four."""
    out: dict[str, Any] = {}
    for name, value in party.items():
        rule = PERSON_PARTY.get(name)
        if name == "address" and isinstance(value, dict):
            out[name] = {
                key: (MARKER if (r := PERSON_ADDRESS.get(key)) is not None and r.category is not None else text)
                for key, text in value.items()
            }
        elif rule is not None and rule.category is not None and value is not None:
            anonymous = _anonymous(name, str(value))
            if anonymous is not None:
                out[name] = anonymous
        else:
            out[name] = value
    return out


def personal_values(record: Consignment | Order | Payment | Waybill) -> list[str]:
    """The values of a record's personal fields, as written (to redact them from free text)."""
    out: list[str] = []
    _collect(record, _tree_of(record), out)
    return out


class Redaction:
    """Replaces known personal values in free text by ``[removed]``; prepared once, used on many texts.

    Values are looked for in the matching form of the text (``clearway.dataset.text``) with spaces
    left out, so that an officer's "JOHN SMITH", "John\u00adSmith" (a soft hyphen) or "Jоhn Smith"
    (a Cyrillic о) is removed like "John Smith", and the span of the text as written is replaced. A
    value is removed as whole words only ("Ann" stays in "Annual"). Longer values go first, so that
    "Anna Schmidt" is removed whole before "Anna" is looked for. Values shorter than three
    characters in that form, and the marker itself, are left alone.
    """

    __slots__ = ("values",)

    def __init__(self, values: Iterable[str]) -> None:
        forms = {_spaceless(matching_spans(v)[0]) for v in values if v != MARKER}
        self.values = tuple(sorted((f for f in forms if len(f) >= _MIN_REDACT), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        if not self.values:
            return text
        folded, spans = matching_spans(text)
        kept = [i for i, ch in enumerate(folded) if not ch.isspace()]
        compact = "".join(folded[i] for i in kept)
        removed: list[tuple[int, int]] = []
        for value in self.values:
            start = compact.find(value)
            while start != -1:
                first, last = kept[start], kept[start + len(value) - 1]
                span = (spans[first][0], spans[last][1])
                if _whole(folded, first, last) and not any(a < span[1] and span[0] < b for a, b in removed):
                    removed.append(span)
                start = compact.find(value, start + 1)
        for a, b in sorted(removed, reverse=True):
            text = text[:a] + MARKER + text[b:]
        return text


def _spaceless(text: str) -> str:
    return "".join(text.split())


def _whole(folded: str, first: int, last: int) -> bool:
    """Whether folded[first:last + 1] is not part of a longer word (where it begins or ends with one)."""
    before = first > 0 and folded[first].isalnum() and folded[first - 1].isalnum()
    after = last + 1 < len(folded) and folded[last].isalnum() and folded[last + 1].isalnum()
    return not before and not after


def redact(text: str, values: Iterable[str]) -> str:
    """``text`` with every occurrence of the given personal values replaced by ``[removed]``."""
    return Redaction(values)(text)
