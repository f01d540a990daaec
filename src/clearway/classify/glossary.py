"""The offline glossaries: Chinese, Spanish and French goods words read as English, and English
marketplace words given the nomenclature's wording.

The files beside this module (``glossaries/zh.tsv``, ``es.tsv``, ``fr.tsv``, ``en.tsv`` and
``en-phrases.tsv``) were written for Clearway: a few hundred common goods nouns, garments, materials
and gender or age words per language, and English marketplace phrases (docs/classification.md says
what they cover). No translation service or model is used.

- Chinese has no spaces: each run of Han characters is read by longest match over the glossary,
  left to right; a character the glossary does not know is dropped.
- Latin-script text is read in words: runs of letters and digits, inner hyphens and apostrophes
  kept ("flip-flops", "d'oreilles"), so that punctuation around a word ("earbuds,", "(hoodie)") does
  not hide it. At each word the longest phrase of up to three words that a glossary knows is read
  first, then single words; a phrase never spans punctuation ("gold ring, light blue" holds no
  "ring light"). Punctuation is kept where it stands (the features drop it).
- Spanish and French (accents folded) put their English in the phrase's place ("gafas de sol" ->
  "sunglasses"). A word that is also English ("table", "robe", "pan"; a word of the nomenclature or
  of the English glossary, such as "jersey" or "t-shirt") is translated only when the text shows other
  signs of that language (a second glossary word or one of its function words), so that "coffee
  table" stays a table, "Women's Jersey Dress" a knitted dress, and "robe en coton" becomes a dress.
- English marketplace words (``en.tsv``) and phrases (``en-phrases.tsv``) keep their place and add
  the nomenclature's words beside them ("hoodie" -> "hoodie sweatshirt jersey pullover", "power
  bank" -> "power bank accumulators lithium-ion"). When a phrase is read, its words are not also read alone: a phrase is
  there because its words mean something else alone ("ring" is jewellery, "ring light" a lamp;
  "phone" a telephone, "phone case" a case), and its entry repeats any single word's wording that
  does apply.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

LANGUAGES: Final = ("zh", "es", "fr")
# English words, and English phrases of two or three words: one table, two files (phrases apart, read first).
_ENGLISH: Final = ("en", "en-phrases")
# Han characters, and the kana the matching form may turn some of them into (UTS #39 reads 口 as ロ).
_HAN: Final = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Function words that tell Spanish or French text from English: their presence lets a glossary word
# that is also English be read in that language.
_FUNCTION_WORDS: Final = {
    "es": frozenset(
        [
            "de",
            "del",
            "la",
            "el",
            "los",
            "las",
            "para",
            "con",
            "sin",
            "y",
            "en",
            "una",
            "un",
            "por",
            "mujer",
            "hombre",
            "nino",
            "nina",
        ]
    ),
    "fr": frozenset(
        [
            "de",
            "du",
            "la",
            "le",
            "les",
            "des",
            "pour",
            "avec",
            "sans",
            "et",
            "en",
            "une",
            "un",
            "au",
            "aux",
            "femme",
            "homme",
            "enfant",
        ]
    ),
}
_LONGEST_PHRASE: Final = 3
# How the glossaries are read: raised when the reading changes (2: a foreign word's English is read
# through the English glossary), so that a model trained with the old reading is stale.
_READING: Final = 2
# A word as the glossaries read it (the words of features.py), captured so that splitting a text keeps
# what lies between two words: spaces alone, which a phrase may cross, or punctuation, which it may not.
_WORD: Final = re.compile(r"([^\W_]+(?:[-'][^\W_]+)*)")


def _read(name: str) -> dict[str, str]:
    from clearway.dataset.text import normalise_for_matching

    text = resources.files("clearway.classify").joinpath(f"glossaries/{name}.tsv").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        source, _, target = line.partition("\t")
        # Keys in the matching form, as the text they are looked up in (口 is read ロ there too).
        key = normalise_for_matching(source)
        table.setdefault(key, target.strip().lower())
    return table


@dataclass(frozen=True, slots=True)
class Glossary:
    chinese: dict[str, str]
    words: dict[str, dict[str, str]]  # language -> phrase (folded, spaced) -> English
    english: dict[str, str]
    longest_han: int
    mixed: tuple[tuple[str, str], ...]  # Chinese entries with a Latin letter ("t恤"), replaced as they stand
    starts: frozenset[str] = frozenset()  # first words of the phrases (Spanish, French and English)
    known: frozenset[str] = frozenset()  # every Spanish and French glossary key
    # The English glossary's single words ("t-shirt", "jersey", "leggings"): English too, like the
    # nomenclature's words, so a Spanish or French entry of the same spelling does not take them over
    # in an English title.
    english_keys: frozenset[str] = frozenset()

    def translate(self, text: str, english_words: frozenset[str] = frozenset()) -> str:
        """``text`` (already in matching form) with its Chinese, Spanish and French goods words in English
        and its English marketplace words and phrases given the nomenclature's words beside them."""
        if not text.isascii():
            for mixed, english in self.mixed:
                text = text.replace(mixed, f" {english} ")
            text = _HAN.sub(lambda run: f" {self._han(run.group())} ", text)
        # Words and what lies between them, alternately: gap, word, gap, word, ..., gap.
        parts = _WORD.split(text)
        if len(parts) == 1:
            return text
        words, gaps = parts[1::2], parts[2::2]  # gaps[i] follows words[i]
        out = [parts[0]]
        for first, count, read in self._latin(words, gaps, english_words):
            out += (read, gaps[first + count - 1])
        return " ".join("".join(out).split())

    def _han(self, run: str) -> str:
        out: list[str] = []
        start = 0
        while start < len(run):
            for length in range(min(self.longest_han, len(run) - start), 0, -1):
                found = self.chinese.get(run[start : start + length])
                if found is not None:
                    out.append(found)
                    start += length
                    break
            else:
                start += 1
        return " ".join(out)

    def _evidence(self, words: Sequence[str], english_words: frozenset[str]) -> dict[str, int]:
        """How many words of the text are a language's own: function words and glossary words
        that are not also English."""
        counts = {}
        for language, table in self.words.items():
            function = _FUNCTION_WORDS[language]
            counts[language] = sum(
                1
                for w in words
                if w in function or (w in table and w not in english_words and w not in self.english_keys)
            )
        return counts

    def _latin(
        self, words: list[str], gaps: list[str], english_words: frozenset[str]
    ) -> Iterator[tuple[int, int, str]]:
        """(first word, number of words, how they read), left to right, every word read once."""
        evidence = self._evidence(words, english_words)
        ranked = sorted(self.words, key=lambda lang: -evidence[lang])
        index = 0
        while index < len(words):
            word = words[index]
            step, replacement = 1, None
            # Most words start no phrase and are in no Spanish or French glossary: one set lookup each.
            longest = 1
            if word in self.starts:
                while (
                    longest < _LONGEST_PHRASE and index + longest < len(words) and gaps[index + longest - 1].isspace()
                ):
                    longest += 1
            # Longest first; at one length Spanish and French before English. An English single word is
            # looked up last, after the loop, as it always was.
            for length in range(longest, 0, -1):
                phrase = " ".join(words[index : index + length])
                if length > 1 or word in self.known:
                    replacement = self._foreign(phrase, length, ranked, evidence, english_words)
                    if replacement is not None:
                        # Read as an English title's words are: "pulsera" is a bracelet, and a
                        # bracelet is jewellery (en.tsv), as the Chinese words' English already is.
                        replacement = self._in_english(replacement)
                if replacement is None and length > 1:
                    replacement = self._beside(phrase)
                if replacement is not None:
                    step = length
                    break
            if replacement is None:
                replacement = self._beside(word) or word
            yield index, step, replacement
            index += step

    def _in_english(self, text: str) -> str:
        """English words with the English marketplace glossary's words beside them, phrases first."""
        words = text.split()
        out: list[str] = []
        index = 0
        while index < len(words):
            step, read = 1, None
            for length in range(min(_LONGEST_PHRASE, len(words) - index), 1, -1):
                read = self._beside(" ".join(words[index : index + length]))
                if read is not None:
                    step = length
                    break
            out.append(read or self._beside(words[index]) or words[index])
            index += step
        return " ".join(out)

    def _beside(self, phrase: str) -> str | None:
        """The English phrase or word with the English glossary's words beside it; None if it has none."""
        extra = self.english.get(phrase)
        return None if extra is None else f"{phrase} {extra}"

    def _foreign(
        self, phrase: str, length: int, ranked: list[str], evidence: dict[str, int], english_words: frozenset[str]
    ) -> str | None:
        """The English of a Spanish or French phrase or word, in the language the text leans to first."""
        for language in ranked:
            found = self.words[language].get(phrase)
            if found is None:
                continue
            # One English word alone is read as English unless the text leans to the language.
            if length == 1 and (phrase in english_words or phrase in self.english_keys) and evidence[language] < 2:
                continue
            return found
        return None


@functools.cache
def glossary() -> Glossary:
    chinese = _read("zh")
    words = {language: _read(language) for language in ("es", "fr")}
    english = {key: value for name in _ENGLISH for key, value in _read(name).items()}
    return Glossary(
        chinese=chinese,
        words=words,
        english=english,
        longest_han=max(map(len, chinese)),
        mixed=tuple((k, v) for k, v in chinese.items() if any(c.isascii() for c in k)),
        starts=frozenset(k.split()[0] for table in (*words.values(), english) for k in table if " " in k),
        known=frozenset(k for table in words.values() for k in table),
        english_keys=frozenset(k for k in english if " " not in k),
    )


def signature() -> str:
    """A digest of the glossary files and of how they are read: a model is trained with one glossary
    and read with the same."""
    digest = hashlib.sha256(f"reading {_READING}".encode())
    for name in (*LANGUAGES, *_ENGLISH):
        digest.update(resources.files("clearway.classify").joinpath(f"glossaries/{name}.tsv").read_bytes())
    return digest.hexdigest()[:16]


def coverage() -> dict[str, int]:
    """Entries per glossary (docs/classification.md quotes these)."""
    g = glossary()
    return {"zh": len(g.chinese), "es": len(g.words["es"]), "fr": len(g.words["fr"]), "en": len(g.english)}
