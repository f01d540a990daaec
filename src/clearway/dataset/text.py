"""Text as matchers compare it, so that look-alike letters, invisible characters and case change nothing.

"Pepper spray" written with a Cyrillic е (U+0435), a soft hyphen (U+00AD) or a zero-width space
(U+200B) reads the same to an officer and is another string to a program. Every matcher of goods
text and names (targeting rules, vague descriptions, screening, the public restrictions lookup,
redaction of free text) therefore compares ``normalise_for_matching`` forms, built in this order:

1. invisible characters are removed: Default_Ignorable_Code_Point (soft hyphen, zero-width space
   and joiners, byte order mark, variation selectors, bidi controls, tags) and every other format
   character (category Cf: Egyptian hieroglyph joiners, Arabic and Kaithi number signs...);
2. NFKC: compatibility forms become plain letters (fullwidth ＡＢＣ, mathematical 𝐀, ligature ﬁ);
3. each character in turn: a blank that is no White_Space (Braille blank, Hangul fillers) becomes a
   space; combining marks (accents, the iota subscript) are dropped, before case is folded, so that
   none of them turns into a letter; dashes and minus signs become "-"; look-alikes are folded onto
   what they imitate by the confusable prototypes of Unicode Technical Standard #39
   (``confusables.txt`` beside this module, with its licence), and Latin letters the standard leaves
   out (small capitals ᴘ, letters with a hook or stroke ƥ) onto their base letter; then case is folded
   and runs of white space become one space, trimmed.

ASCII is kept as written in step 3, where UTS #39 would also merge ASCII letters among themselves
(m with "rn", l with 1 and I, O with 0): "com" would then match "corn". Look-alike attacks use
characters outside ASCII, so only those are folded, onto the ASCII they imitate when they imitate
ASCII: a Cyrillic capital В is read as b, a Greek Η as h, a Cyrillic І as i. The form is
idempotent, and an ASCII text only has its case and spaces changed, which batch code does natively.
Separators between words ("pepper-spray", "pepper_spray") are left to the matchers: rule mentions
accept any run of spaces, hyphens, underscores and dots between words, the restrictions lookup
compares words.

``skeleton`` is UTS #39's own skeleton (NFD, each character by its prototype, NFD again) and
``is_confusable`` compares two texts by it. ``is_mixed_script`` tells a word that mixes Latin,
Greek, Cyrillic, Armenian or Cherokee letters, the alphabets whose letters imitate each other.

Memory is bounded whatever the input (the restrictions lookup is public and unauthenticated): the
folds of single characters and the forms of whole texts are cached by least recent use up to fixed
sizes, about 25 MB in all at worst (see ``FORM_CACHE_BYTES``).
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Final, Generic, NamedTuple, TypeVar

# Characters that are no White_Space but render as an empty cell: the Hangul fillers (which are
# Default_Ignorable, yet most fonts draw them as a blank) and the blank Braille pattern. An officer
# reads "Pepper⠀spray" as two words, so the matching form does too.
BLANKS: Final = "\u115f\u1160\u2800\u3164\uffa0"
# Unicode White_Space, less the control characters a declaration can never contain, and the blanks.
# Spelt out because `\s` means different things to Python's and to Rust's (Polars) regex engines.
WHITE_SPACE: Final = " \t\n\r\f\v\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000" + BLANKS
SPACES_PATTERN: Final = f"[{WHITE_SPACE}]+"
_SPACES: Final = re.compile(SPACES_PATTERN)
_BLANK: Final = re.compile(f"[{BLANKS}]")

# Characters that render as nothing (inclusive ranges): Default_Ignorable_Code_Point from
# DerivedCoreProperties.txt of Unicode 17.0.0, less the Hangul fillers (blanks, above), and the
# other format characters (category Cf) of Unicode 17.0.0, which an attacker can slip into a word
# as well. ``_fold`` drops any other Cf character a later Unicode adds.
IGNORABLE_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x0600, 0x0605),  # Arabic number signs (Cf)
    (0x061C, 0x061C),  # Arabic letter mark
    (0x06DD, 0x06DD),  # Arabic end of ayah (Cf)
    (0x070F, 0x070F),  # Syriac abbreviation mark (Cf)
    (0x0890, 0x0891),  # Arabic pound and piastre marks above (Cf)
    (0x08E2, 0x08E2),  # Arabic disputed end of ayah (Cf)
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated format characters
    (0xFE00, 0xFE0F),  # variation selectors 1-16
    (0xFEFF, 0xFEFF),  # zero width no-break space (byte order mark)
    (0xFFF0, 0xFFF8),  # reserved
    (0xFFF9, 0xFFFB),  # interlinear annotation controls (Cf)
    (0x110BD, 0x110BD),  # Kaithi number sign (Cf)
    (0x110CD, 0x110CD),  # Kaithi number sign above (Cf)
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls (Cf)
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors 17-256, reserved
)
_IGNORABLE: Final = re.compile(
    "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in IGNORABLE_RANGES) + "]+"
)
_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")
_MARKS: Final = frozenset({"Mn", "Me"})
# Dropped wherever they stand: combining marks (after NFKC, a mark left alone has nothing to combine
# with, and casefolding would turn U+0345 into the letter ι) and format characters.
_DROPPED: Final = _MARKS | {"Cf"}
_BLANK_SET: Final = frozenset(BLANKS)
# Dashes, hyphens and minus signs drawn as one stroke: "-", so that "pepper—spray" splits into the
# same words as "pepper-spray" (UTS #39 gives the em dash the katakana ー, a letter, as prototype).
# Wave dashes and double hyphens (〜, ゠, ⹀) look like something else and are left alone.
_DASHES: Final = frozenset(
    "\u02d7\u058a\u05be\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u23af\u2500\u2501\u2796"
    "\u2e17\u2e1a\u2e3a\u2e3b\u2e5d\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
)

# The alphabets whose letters pass for one another (UTS #39's confusable letters are mostly between
# them). Chinese, Japanese and Korean descriptions mix Latin brand names with Han and kana in one
# run of letters as a matter of course, so those scripts do not count as mixing.
ALPHABETS: Final = frozenset({"LATIN", "GREEK", "COPTIC", "CYRILLIC", "ARMENIAN", "CHEROKEE"})
# Greek mu and omega stand for micro and ohm in "5 μm" or "10 kΩ" (NFKC turns the micro and ohm
# signs into them): units, not letters of a word.
_UNIT_LETTERS: Final = frozenset({"\u03bc", "\u03a9"})

# Latin letters UTS #39 leaves without an ASCII prototype although they read as one letter: small
# capitals (ᴘ, ʀ, ꜰ) and letters with a hook, stroke, tail or curl that has no decomposition (ƥ, ɬ,
# ᶈ). Taken from the character names in the Latin and phonetic blocks, so that the table follows
# the Unicode version of the interpreter; turned, reversed and other letter shapes are not matched.
_LATIN_BLOCKS: Final = (
    (0x00C0, 0x024F),  # Latin-1 Supplement (letters), Latin Extended-A and -B
    (0x0250, 0x02AF),  # IPA Extensions
    (0x1D00, 0x1DBF),  # Phonetic Extensions and their Supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2C60, 0x2C7F),  # Latin Extended-C
    (0xA720, 0xA7FF),  # Latin Extended-D
    (0xAB30, 0xAB6F),  # Latin Extended-E
    (0x1DF00, 0x1DFFF),  # Latin Extended-G
)
_LATIN_LETTER: Final = re.compile(
    r"LATIN (?:(?:CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL )?|SMALL CAPITAL LETTER )([A-Z])(?: WITH .+)?"
)

# Descriptions and names are shorter than this and repeat across a batch; a longer text (a public
# query, say) is computed and not kept, so that one text cannot push many others out of the cache.
CACHED_LENGTH: Final = 512
# What the caches may hold at worst, with any input, about 25 MB a process in all (measured with
# tracemalloc): the forms of whole texts (16 MB: some 40,000 descriptions of 40 characters, so that
# a batch's distinct non-ASCII descriptions are folded once for all its rules), whether texts mix
# alphabets (4 MB), and the folds of single characters and their alphabets (entries of at most some
# 300 and 200 bytes: a character and its fold, of at most 18 characters for U+FDFA).
FORM_CACHE_BYTES: Final = 16 << 20
MIXED_CACHE_BYTES: Final = 4 << 20
FOLD_CACHE_SIZE: Final = 16384
ALPHABET_CACHE_SIZE: Final = 8192
# An entry's own cost beyond its key and value (ordered dict slot and link, the tuple, the size).
_ENTRY_BYTES: Final = 200

T = TypeVar("T")


class CacheUsage(NamedTuple):
    entries: int
    bytes: int
    max_bytes: int


class TextCache(Generic[T]):
    """A function of one text, its results kept by least recent use within ``max_bytes``.

    Bounded by memory rather than by count, as ``functools.lru_cache`` is: a count that is safe for
    texts of 512 characters that NFKC expands eighteenfold would keep few of the usual 40-character
    descriptions. A result is computed outside the lock, so two threads may compute it both.
    """

    def __init__(self, compute: Callable[[str], T], max_bytes: int) -> None:
        self._compute = compute
        self._max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[T, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __call__(self, text: str) -> T:
        with self._lock:
            found = self._entries.get(text)
            if found is not None:
                self._entries.move_to_end(text)
                return found[0]
        value = self._compute(text)
        size = _ENTRY_BYTES + sys.getsizeof(text) + (sys.getsizeof(value) if isinstance(value, str) else 0)
        with self._lock:
            if text not in self._entries and size <= self._max_bytes:
                self._entries[text] = (value, size)
                self._bytes += size
                while self._bytes > self._max_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self._bytes -= dropped
        return value

    def cache_info(self) -> CacheUsage:
        with self._lock:
            return CacheUsage(len(self._entries), self._bytes, self._max_bytes)

    def cache_clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def remove_ignorables(text: str) -> str:
    """The text without its invisible characters (Default_Ignorable_Code_Point and format characters)."""
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


@functools.cache
def _latin_bases() -> dict[str, str]:
    """Latin small capitals and hooked or stroked letters by the ASCII letter they are (ᴘ -> p)."""
    table: dict[str, str] = {}
    for start, end in _LATIN_BLOCKS:
        for point in range(start, end + 1):
            found = _LATIN_LETTER.fullmatch(unicodedata.name(chr(point), ""))
            if found is not None:
                table[chr(point)] = found.group(1).lower()
    # UTS #39 makes the c with a bar the prototype of the open e's (ɛ, Greek ε, Ukrainian є, €),
    # which read as an e rather than a c: "pεpper" is pepper.
    table["\ua792"] = table["\ua793"] = "e"
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


def _unmarked(ch: str) -> str:
    """One character without its combining marks, recomposed (é -> e; a Hangul syllable stays whole)."""
    decomposed = unicodedata.normalize("NFD", ch)
    if all(unicodedata.category(c) not in _MARKS for c in decomposed):
        return ch
    return unicodedata.normalize("NFC", _bare(decomposed))


@functools.lru_cache(maxsize=FOLD_CACHE_SIZE)
def _fold(ch: str) -> str:
    """One character (after NFKC) in its matching form: cached, there are few distinct ones in use."""
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
    if ch in _BLANK_SET:
        return " "
    if unicodedata.category(ch) in _DROPPED:
        return ""
    if ch in _DASHES:
        return "-"
    # Marks go before case is folded: casefolding "ᾳ" would make its iota subscript a letter ι.
    bare = _unmarked(ch)
    if bare != ch:
        return "".join(_fold_once(c) for c in bare)
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
    if folded.isascii():
        return _ascii_letters().get(folded, folded)
    return _latin_bases().get(ch, folded)


def normalise_for_matching(text: str) -> str:
    """The form every matcher compares: see the module's documentation (``" PEPPER  Spray"`` -> ``"pepper spray"``)."""
    if text.isascii():
        return _SPACES.sub(" ", text).strip(" ").lower()
    return _cached_form(text) if len(text) <= CACHED_LENGTH else _form(text)


def _form(text: str) -> str:
    folded = "".join(_fold(ch) for ch in unicodedata.normalize("NFKC", _IGNORABLE.sub("", text)))
    return _SPACES.sub(" ", folded).strip(" ")


_cached_form: Final = TextCache(_form, FORM_CACHE_BYTES)


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


@functools.lru_cache(maxsize=ALPHABET_CACHE_SIZE)
def _alphabet(ch: str) -> str | None:
    if ch in _UNIT_LETTERS or not unicodedata.category(ch).startswith("L"):
        return None
    script = unicodedata.name(ch, "").split(" ", 1)[0]
    return script if script in ALPHABETS else None


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", _BLANK.sub(" ", _IGNORABLE.sub("", text)))


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


def _mixed(text: str) -> bool:
    return bool(mixed_script_words(text))


_cached_mixed: Final = TextCache(_mixed, MIXED_CACHE_BYTES)
