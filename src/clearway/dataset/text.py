"""Text as matchers compare it, so that look-alike letters, invisible characters and case change nothing.

"Pepper spray" written with a Cyrillic е (U+0435), a soft hyphen (U+00AD) or a zero-width space
(U+200B) reads the same to an officer and is another string to a program. Every matcher of goods
text and names (targeting rules, vague descriptions, screening, the public restrictions lookup,
redaction of free text) therefore compares ``normalise_for_matching`` forms, built in this order:

1. Default_Ignorable_Code_Point characters are removed: they render as nothing (soft hyphen,
   zero-width space and joiners, byte order mark, variation selectors, bidi controls, tags);
2. NFKC: compatibility forms become plain letters (fullwidth ＡＢＣ, mathematical 𝐀, ligature ﬁ);
3. look-alikes are folded onto what they imitate, by the confusable prototypes of Unicode Technical
   Standard #39 (``confusables.txt`` beside this module, with its licence); then case is folded,
   combining marks (accents) are dropped and runs of white space become one space, trimmed.

ASCII is kept as written in step 3, where UTS #39 would also merge ASCII letters among themselves
(m with "rn", l with 1 and I, O with 0): "com" would then match "corn". Look-alike attacks use
characters outside ASCII, so only those are folded, onto the ASCII they imitate when they imitate
ASCII: a Cyrillic capital В is read as b, a Greek Η as h, a Cyrillic І as i. The form is
idempotent, and an ASCII text only has its case and spaces changed, which batch code does natively.

``skeleton`` is UTS #39's own skeleton (NFD, each character by its prototype, NFD again) and
``is_confusable`` compares two texts by it. ``is_mixed_script`` tells a word that mixes Latin,
Greek, Cyrillic, Armenian or Cherokee letters, the alphabets whose letters imitate each other.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from importlib import resources
from typing import Final

# Unicode White_Space, less the control characters a declaration can never contain. Spelt out
# because `\s` means different things to Python's and to Rust's (Polars) regex engines.
WHITE_SPACE: Final = " \t\n\r\f\v\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SPACES_PATTERN: Final = f"[{WHITE_SPACE}]+"
_SPACES: Final = re.compile(SPACES_PATTERN)

# Default_Ignorable_Code_Point, from DerivedCoreProperties.txt of Unicode 17.0.0 (inclusive ranges).
IGNORABLE_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated format characters
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors 1-16
    (0xFEFF, 0xFEFF),  # zero width no-break space (byte order mark)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # reserved
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors 17-256, reserved
)
_IGNORABLE: Final = re.compile(
    "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in IGNORABLE_RANGES) + "]+"
)
_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")
_MARKS: Final = frozenset({"Mn", "Me"})

# The alphabets whose letters pass for one another (UTS #39's confusable letters are mostly between
# them). Chinese, Japanese and Korean descriptions mix Latin brand names with Han and kana in one
# run of letters as a matter of course, so those scripts do not count as mixing.
ALPHABETS: Final = frozenset({"LATIN", "GREEK", "COPTIC", "CYRILLIC", "ARMENIAN", "CHEROKEE"})
# Greek mu and omega stand for micro and ohm in "5 μm" or "10 kΩ" (NFKC turns the micro and ohm
# signs into them): units, not letters of a word.
_UNIT_LETTERS: Final = frozenset({"\u03bc", "\u03a9"})


def remove_ignorables(text: str) -> str:
    """The text without its Default_Ignorable_Code_Point characters (they render as nothing)."""
    return text if text.isascii() else _IGNORABLE.sub("", text)


@functools.cache
def _prototypes() -> dict[int, str]:
    """UTS #39 prototypes by code point, as ``str.translate`` takes them."""
    table: dict[int, str] = {}
    data = resources.files("clearway.dataset").joinpath("confusables.txt").read_text(encoding="utf-8")
    for line in data.splitlines():
        if line and not line.startswith("#"):
            source, *prototype = line.split()
            table[int(source, 16)] = "".join(chr(int(point, 16)) for point in prototype)
    return table


def skeleton(text: str) -> str:
    """The UTS #39 skeleton: two texts that look alike have the same one (``paypal``, ``pаypаl``)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(_prototypes()))


def is_confusable(first: str, second: str) -> bool:
    """Whether two texts look alike (UTS #39: they have the same skeleton)."""
    return skeleton(first) == skeleton(second)


@functools.cache
def _ascii_letters() -> dict[str, str]:
    """ASCII letters by their UTS #39 prototype when it is another ASCII text: "rn" -> "m"."""
    return {
        prototype: chr(point)
        for point, prototype in _prototypes().items()
        if chr(point).isascii() and chr(point).islower() and prototype.isascii()
    }


def _bare(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) not in _MARKS)


@functools.cache
def _fold(ch: str) -> str:
    """One character (after NFKC) in its matching form: cached, there are few distinct ones."""
    folded = _fold_once(ch)
    # A few prototypes of 17.0.0 are themselves confusable (Ϛ -> σ -> o): fold to a fixed point, so
    # that the form of a form is the form.
    for _ in range(4):
        if folded.isascii():
            break
        again = "".join(_fold_once(c) for c in unicodedata.normalize("NFKC", folded))
        if again == folded:
            break
        folded = again
    return folded


def _fold_once(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    lower = ch.casefold()
    # The character's own prototype first, before case is folded: a capital В is B and a Greek Ν is N,
    # while their lower cases в and ν are a small capital and a v. TR39 writes capital I as l (they
    # look alike): a capital whose prototype is l imitates I.
    for candidate in (skeleton(ch), skeleton(lower)):
        if candidate.isascii():
            if candidate == "l" and ch != lower:
                return "i"
            folded = candidate.lower()
            return _ascii_letters().get(folded, folded)
    folded = unicodedata.normalize("NFC", _bare(skeleton(lower)).casefold())
    return _ascii_letters().get(folded, folded) if folded.isascii() else folded


def normalise_for_matching(text: str) -> str:
    """The form every matcher compares: see the module's documentation (``" PEPPER  Spray"`` -> ``"pepper spray"``)."""
    if text.isascii():
        return _SPACES.sub(" ", text).strip(" ").lower()
    return _cached_form(text) if len(text) <= CACHED_LENGTH else _form(text)


# Descriptions and names are shorter than this and repeat across a batch; a longer text (a public
# query, say) is computed and not kept, so that nobody can fill the cache with big strings.
CACHED_LENGTH: Final = 512


def _form(text: str) -> str:
    folded = "".join(_fold(ch) for ch in unicodedata.normalize("NFKC", _IGNORABLE.sub("", text)))
    return _SPACES.sub(" ", folded).strip(" ")


_cached_form: Final = functools.lru_cache(maxsize=1 << 16)(_form)


def matching_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``normalise_for_matching(text)`` without the trimming and collapsing of spaces, with the span
    of ``text`` each of its characters comes from: to find a value in the matching form and act on
    the text as written (redaction). Each character is taken alone, which differs from the whole
    text only where NFKC would compose two characters that the fold then takes apart anyway."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    for index, ch in enumerate(text):
        if _IGNORABLE.fullmatch(ch):
            continue
        folded = "".join(_fold(c) for c in unicodedata.normalize("NFKC", ch))
        out.append(folded)
        spans.extend([(index, index + 1)] * len(folded))
    return "".join(out), spans


@functools.cache
def _alphabet(ch: str) -> str | None:
    if ch in _UNIT_LETTERS or not unicodedata.category(ch).startswith("L"):
        return None
    script = unicodedata.name(ch, "").split(" ", 1)[0]
    return script if script in ALPHABETS else None


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", _IGNORABLE.sub("", text))


def _mixes(word: str) -> bool:
    return len({a for ch in word if (a := _alphabet(ch)) is not None}) > 1


def _words(text: str) -> Iterator[str]:
    return (m.group() for m in _LETTER_RUN.finditer(_plain(text)))


def mixed_script_words(text: str) -> list[str]:
    """The words of the text that mix letters of two alphabets (Latin, Greek, Cyrillic...), as NFKC gives them."""
    if text.isascii():
        return []
    return [word for word in _words(text) if _mixes(word)]


def unmask(text: str) -> str:
    """The text without invisible characters, in NFKC, and with every word that mixes alphabets in its
    matching form: where transliteration starts from, so that "Реtrov" with a Cyrillic Р is read
    "petrov" rather than "retrov", while a word wholly in Cyrillic is left to be transliterated."""
    if text.isascii():
        return text

    def read(word: re.Match[str]) -> str:
        return normalise_for_matching(word.group()) if _mixes(word.group()) else word.group()

    return _LETTER_RUN.sub(read, _plain(text))


def is_mixed_script(text: str) -> bool:
    """Whether a word of the text mixes two alphabets, as "Pepper" with a Cyrillic е does."""
    if text.isascii():
        return False
    return _cached_mixed(text) if len(text) <= CACHED_LENGTH else bool(mixed_script_words(text))


@functools.lru_cache(maxsize=1 << 16)
def _cached_mixed(text: str) -> bool:
    return bool(mixed_script_words(text))
