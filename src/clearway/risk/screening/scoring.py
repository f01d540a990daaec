"""How alike two names (or two addresses) are, in [0, 1], and the blocking keys that find alike pairs.

Score. Both sides are normalised (normalise.py), transliteration variants are folded (Aleksandr /
Alexander, Sergeevich / Sergeyevich, Khalid / Halid: ``fold``), and the score is the best of these
similarities, each 1 - edits / letters of the longer string (OSA: Levenshtein where swapping two
neighbouring letters is one edit, the commonest typo); spaces are not counted:

- the words sorted and joined: word order does not matter ("PETROV, Ivan" / "Ivan Petrov");
- the words joined as written: "Abdul Rahman" / "Abdulrahman", "Wang Xiaoming" / "王小明";
- for names of two words or more on both sides, 1.0 when all the words of one are words of the other
  ("Ivan Petrov" / "Ivan Sergeyevich Petrov": middle names and patronymics come and go), else how
  well each word of the shorter name is found in the other, one word for one, weighted by length, a
  word counting only when at most a typo away. One shared word proves nothing ("Ali", "Trading"),
  hence the two words. Addresses do not use this: "80 High Street" is in every town;
- when either name is in Arabic script, whose transliteration has no short vowels ("mhmd" for محمد),
  0.95 times the similarity of the consonant skeletons (vowels, w and y dropped, doubled letters
  single: "Mohammed" -> "mhmd"), for skeletons of four letters or more: weaker evidence, hence 0.95.

Loose form. A name is also compared in a loose form (``phonetic``: Arabic article and "ibn/ben/bin",
"Abdul/Abd al" unified, apostrophes inside words, stops, r/l and, in words of five letters or more,
vowels made one), scoring 0.95 times its similarity: "Usama bin Ladin" / "Osama bin Laden",
"Qasem Soleimani" / "Salimani". On the labelled pairs of data/screening (published aliases of
listed parties, hard negatives) it lifted held-out F1 from 0.871 to 0.937 at 0.88 (bench/
screening_quality.py), which is also the threshold the calibration part chooses at or above the
blocking floor. A one-word name of eight letters or more found as a word of the other scores 0.9
when the other's remaining words only say what kind of body it is ("Vnesheconombank" / "State
Corporation Vnesheconombank", "Sberbank" / "PAO Sberbank Rossii"): a given name alone is not the
person ("Alexander" / "Alexander Petrov") and a part of a name is not the whole ("Hezbollah" /
"Kata'ib Hezbollah"). It costs one held-out pair with an acronym ("Minerven" / "CVG Minerven"):
held-out F1 0.935 (was 0.937), calibration 0.907 (was 0.905).

Why not rapidfuzz's token_sort_ratio / token_set_ratio: their Indel distance counts a dropped letter
as half a changed one, and token_set_ratio lets a shared word carry short names, so names one letter
apart pass 0.88: "Li Yang" / "Lei Yang" scores 0.93 there, 0.86 here. Pinyin stays the weak spot:
syllables one letter apart are other names, and "Jing Yang" / "Jiang Yang" still scores 0.89.

Words that describe a business (normalise.GENERIC_WORDS: trading, electronics, logistics...) cannot
make a match: the score is at most that of the names without them ("Horizon Electronics" / "Roujon
Electronics" scores as "horizon" / "roujon"), a name made only of such words matches only another
such name, and a name with a distinctive word never matches one without.

Blocking. Each listed value is filed under keys, and a name is only scored against the values sharing
a key with it: its words (not numbers), every word of five letters or more with one letter deleted
(two words one edit apart share such a key), its two joined forms (as written, words sorted) and,
from 9 to 20 letters, those with one letter deleted, and its consonant skeletons (Arabic-script
values are looked up by Latin names' skeletons and the other way round). Keys come from the
distinctive words only. At 0.88 a pair keeps a word or a joined form within one edit; the tests
check blocking against brute force (at 0.85 it would miss about 2% of the pairs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from rapidfuzz.distance import OSA

from clearway.risk.screening.normalise import GENERIC_WORDS, is_abjad, name_token_forms, normalise_address

# The lowest threshold at which blocking finds every pair brute force finds (test_matcher.py).
BLOCKING_FLOOR = 0.88
SKELETON_WEIGHT = 0.95
LOOSE_WEIGHT = 0.95
CONTAINED_WORD_MIN = 8
CONTAINED_SCORE = 0.9
MIN_SKELETON = 4
WORD_MIN = 0.85
DELETE_MIN_TOKEN = 5
DELETE_MIN_COMPACT = 9
DELETE_MAX_COMPACT = 20
_VOWELS = re.compile(r"[aeiouwy]+")
_DOUBLED = re.compile(r"(.)\1+")
# Spellings that transliteration schemes choose between, folded to one (in one pass, longest first):
# Aleksandr / Alexander, Schostakowitsch / Shostakovich, Yekaterina / Ekaterina, Dmitrij / Dmitriy.
# A word's first j or y stays: in pinyin it tells Yang from Jiang and from Liang.
_FOLDS = {
    "tsch": "ch", "sch": "sh", "tch": "ch", "ks": "x", "ck": "k", "ph": "f", "kh": "h",
    "je": "e", "ye": "e", "j": "i", "y": "i", "w": "v", "q": "k",
}  # fmt: skip
_FOLD = re.compile(r"tsch|sch|tch|ks|ck|ph|kh|[jy]e|(?<=[a-z])[jy]|w|q")
_similarity = OSA.normalized_similarity
# The loose form's letters: voiced and voiceless stops one, r and l one, the h after d, t, g dropped,
# the Korean digraphs eo and eu read o and u and, in words of five letters or more, every vowel one.
# Transliterations disagree mostly there: Usama / Osama, Qasem Soleimani / Salimani, Wuhayshi /
# Wahishi, Qaida / Qaeda, Kim Jong Un / 김정은 (Gim Jeongeun), Pak / 박 (Bak), Ri / 리 (Li), Qadhafi /
# Qaddafi. In shorter words a vowel is the identity: pinyin's Li / Lei, Yang / Yong are other names.
_LOOSE_CONSONANTS = str.maketrans("gbdr", "kptl")
_LOOSE_VOWELS = str.maketrans("eiouy", "aaaaa")
_LOOSE_DIGRAPHS = re.compile(r"(?<=[dtg])h|eo|eu")
LOOSE_VOWELS_MIN = 5


def fold(text: str) -> str:
    """Text with its transliteration variants folded and doubled letters made single."""
    return _DOUBLED.sub(r"\1", _FOLD.sub(lambda m: _FOLDS[m.group()], text))


def phonetic(word: str) -> str:
    """A word's loose form: folded, then its stops, r/l, vowels (long words) and doubled letters made one."""
    loose = _LOOSE_DIGRAPHS.sub(lambda m: m.group()[1:], fold(word)).translate(_LOOSE_CONSONANTS)
    if len(loose) >= LOOSE_VOWELS_MIN:
        loose = loose.translate(_LOOSE_VOWELS)
    return _DOUBLED.sub(r"\1", loose)


def skeleton(text: str) -> str:
    """The consonants of a transliteration, doubled ones single: ``"mohammed"`` -> ``"mhmd"``."""
    return _DOUBLED.sub(r"\1", _VOWELS.sub("", text))


@dataclass(frozen=True, slots=True)
class Prepared:
    """A name or an address in the forms the score compares, computed once per distinct value.

    ``core`` is the name without its generic words when it has both kinds, else None;
    ``all_generic`` says it has only generic words; ``loose`` is the name's loose form (names only).
    """

    tokens: frozenset[str]
    count: int
    compact: str
    sorted_compact: str
    skeleton: str
    token_skeletons: frozenset[str]
    abjad: bool
    core: Prepared | None = None
    all_generic: bool = False
    loose: Prepared | None = None


def _forms(written: list[str], abjad: bool, skeletons: bool = True) -> Prepared:
    tokens = fold(" ".join(written)).split()
    return Prepared(
        tokens=frozenset(tokens),
        count=len(set(tokens)),
        compact="".join(tokens),
        sorted_compact="".join(sorted(tokens)),
        skeleton=skeleton("".join(written)) if skeletons else "",
        token_skeletons=frozenset(skeleton(w) for w in written) if skeletons else frozenset(),
        abjad=abjad,
    )


def _with_core(written: list[str], abjad: bool, skeletons: bool, spell: Callable[[str], str]) -> Prepared:
    full = _forms([spell(w) for w in written], abjad, skeletons)
    distinctive = [w for w in written if w not in GENERIC_WORDS]
    if len(distinctive) == len(written):
        return full
    if not distinctive:
        return replace(full, all_generic=True)
    return replace(full, core=_forms([spell(w) for w in distinctive], abjad, skeletons))


def prepare_name(raw: str) -> Prepared:
    """A name's compared forms, with its core when it mixes generic and distinctive words, and its loose form."""
    written, loose = name_token_forms(raw)
    abjad = is_abjad(raw)
    strict = _with_core(written, abjad, True, str)
    return replace(strict, loose=_with_core(loose, False, False, phonetic))


def prepare_address(raw: str) -> Prepared:
    """An address's compared forms (addresses have no skeletons: they are not looked up across scripts)."""
    return _forms(normalise_address(raw).split(), abjad=False, skeletons=False)


def _covered(small: frozenset[str], large: frozenset[str]) -> float:
    """How well each word of one name is found among the other's, one word for one, weighted by length.

    A word only counts as found when it is at most a typo away (``WORD_MIN``): short words one letter
    apart are other names ("Li" / "Liu", "Hao" / "Chao", "Jing" / "Jiang").
    """
    pairs = sorted(((_similarity(w, o), w, o) for w in small for o in large), reverse=True)
    taken: set[str] = set()
    found: set[str] = set()
    total = 0.0
    for s, w, o in pairs:
        if s >= WORD_MIN and w not in found and o not in taken:
            found.add(w)
            taken.add(o)
            total += len(w) * s
    return total / sum(len(w) for w in small)


# The words around an organisation's name that say what kind of body it is ("State Corporation
# Vnesheconombank", "Bank Melli"): the one-word rule only looks past these, so a given name alone
# ("Alexander") does not hit a person ("Alexander Petrov"), nor a name a part of a longer one
# ("Hezbollah" / "Kata'ib Hezbollah").
_ORGANISATION_SPELLED = frozenset(
    {
        "state", "corporation", "corp", "company", "co", "bank", "public", "joint", "stock", "open",
        "closed", "national", "federal", "the", "of", "and", "limited", "ltd", "llc", "jsc", "pjsc",
        "ojsc", "cjsc", "inc", "sa", "ag", "gmbh", "fzco", "fze", "plc", "unitary", "enterprise", "pao", "oao",
        "zao", "ooo", "ao",
        "organization", "organisation", "authority", "agency", "ministry", "institute", "airlines",
        "mobile", "telecom", "telecommunications", "communications", "airline", "oil", "gas", "petroleum",
        # the country in an organisation's name ("Sberbank Rossii")
        "russia", "rossii", "rossiya", "russian", "iran", "iranian", "syria", "syrian", "korea", "dprk",
        "venezuela", "belarus", "cuba", "china", "myanmar",
    }
)  # fmt: skip


def _base(a: Prepared, b: Prepared, sets: bool) -> float:
    best = max(_similarity(a.sorted_compact, b.sorted_compact), _similarity(a.compact, b.compact))
    if sets:
        if a.tokens <= b.tokens or b.tokens <= a.tokens:
            return 1.0
        # The name with fewer words (then fewer letters) is looked for in the other: the score is symmetric.
        small, large = sorted((a, b), key=lambda p: (p.count, len(p.compact), sorted(p.tokens)))
        best = max(best, _covered(small.tokens, large.tokens))
    elif (a.count == 1) != (b.count == 1):
        # A one-word name long enough to be distinctive ("Vnesheconombank", "Syriatel") found as a
        # word of the other: "State Corporation Vnesheconombank". Short ones prove nothing ("Ali").
        single, other = (a, b) if a.count == 1 else (b, a)
        rest = other.tokens - {single.compact}
        if len(single.compact) >= CONTAINED_WORD_MIN and single.compact in other.tokens and rest <= _ORGANISATION_WORDS:
            best = max(best, CONTAINED_SCORE)
    if (a.abjad or b.abjad) and len(a.skeleton) >= MIN_SKELETON and len(b.skeleton) >= MIN_SKELETON:
        best = max(best, SKELETON_WEIGHT * _similarity(a.skeleton, b.skeleton))
    return float(best)


def similarity(a: Prepared, b: Prepared, use_sets: bool = True) -> float:
    """The score of two prepared values (see the module docstring)."""
    strict = _strict_similarity(a, b, use_sets)
    if strict < LOOSE_WEIGHT and a.loose is not None and b.loose is not None:
        return max(strict, LOOSE_WEIGHT * _strict_similarity(a.loose, b.loose, use_sets))
    return strict


def _strict_similarity(a: Prepared, b: Prepared, use_sets: bool) -> float:
    if not a.compact or not b.compact:
        return 0.0
    sets = use_sets and a.count >= 2 and b.count >= 2
    if a.tokens == b.tokens:
        return 1.0
    full = _base(a, b, sets)
    if a.core is None and b.core is None and not (a.all_generic or b.all_generic):
        return full
    if a.all_generic or b.all_generic:
        return full if a.all_generic and b.all_generic else 0.0
    return min(full, _base(a.core or a, b.core or b, sets))


def score(a: str, b: str) -> float:
    """How alike two names are, in [0, 1] (see the module docstring)."""
    return similarity(prepare_name(a), prepare_name(b))


def score_address(a: str, b: str) -> float:
    """How alike two addresses are, in [0, 1]: as names, without the word-subset rule."""
    return similarity(prepare_address(a), prepare_address(b), use_sets=False)


def _deletions(text: str) -> list[str]:
    return [text[:i] + text[i + 1 :] for i in range(len(text))]


def _loose_keys(loose: Prepared) -> set[str]:
    """The loose form's keys: its words and joined forms, and the joined forms with one letter deleted.

    Not its words with a letter deleted: with vowels made one, those collide across thousands of
    names and multiplied the candidates sevenfold in bench/screening.py. A loose match (0.95 times
    the loose similarity) needs the joined forms within about an edit, or a word in common.
    """
    source = loose.core or loose
    keys = {"~" + w for w in source.tokens if len(w) >= 2 and not w.isdigit()}
    for compact in {source.compact, source.sorted_compact}:
        keys.add("~" + compact)
        if DELETE_MIN_COMPACT <= len(compact) <= DELETE_MAX_COMPACT:
            keys.update("~" + d for d in _deletions(compact))
    return keys


def blocking_keys(p: Prepared, skeleton_spaces: tuple[str, ...]) -> set[str]:
    """The keys a value is filed or looked up under; skeleton keys in each namespace given."""
    if p.loose is not None:  # the loose form's joined forms, in a namespace of their own
        return _loose_keys(p.loose) | blocking_keys(replace(p, loose=None), skeleton_spaces)
    if p.all_generic:  # matches only names of generic words: keys of their own
        return {"G" + k for k in blocking_keys(replace(p, all_generic=False), ())}
    source = p.core or p
    keys: set[str] = set()
    for token in source.tokens:
        if token.isdigit():  # a house number or a postcode alone says little: left to the compact keys
            continue
        if len(token) >= 2:
            keys.add(token)
        if len(token) >= DELETE_MIN_TOKEN:
            keys.update(_deletions(token))
    for compact in {source.compact, source.sorted_compact}:
        keys.add("=" + compact)
        if DELETE_MIN_COMPACT <= len(compact) <= DELETE_MAX_COMPACT:
            keys.update("=" + d for d in _deletions(compact))
    for space in skeleton_spaces:
        keys.update(space + s for s in source.token_skeletons if len(s) >= 2)
        if len(source.skeleton) >= MIN_SKELETON:
            keys.add(space + "=" + source.skeleton)
    return keys


# In the normalised form the names are compared in ("russia" is "rusia", doubled letters single).
_ORGANISATION_WORDS = GENERIC_WORDS | frozenset(
    token for word in _ORGANISATION_SPELLED for token in prepare_name(word).tokens
)
