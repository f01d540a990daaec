"""The offline glossaries: Chinese, Spanish and French goods words read as English, and English
marketplace words given the nomenclature's wording.

The files beside this module (``glossaries/zh.tsv``, ``es.tsv``, ``fr.tsv``, ``en.tsv``) were written
for Clearway: a few hundred common goods nouns, garments, materials and gender or age words per
language (docs/classification.md says what they cover). No translation service or model is used.

- Chinese has no spaces: each run of Han characters is read by longest match over the glossary,
  left to right; a character the glossary does not know is dropped.
- Spanish and French are read in words (accents folded): phrases of up to three words first
  ("gafas de sol"), then single words. A word that is also English ("table", "robe", "pan") is
  translated only when the text shows other signs of that language (a second glossary word or one
  of its function words), so that "coffee table" stays a table and "robe en coton" becomes a dress.
- English marketplace words (``en.tsv``) keep their place and add the nomenclature's words beside
  them ("hoodie" -> "hoodie sweatshirt jersey pullover").
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

LANGUAGES: Final = ("zh", "es", "fr")
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
    starts: frozenset[str] = frozenset()  # first words of the Spanish and French phrases
    known: frozenset[str] = frozenset()  # every Spanish and French glossary key

    def translate(self, text: str, english_words: frozenset[str] = frozenset()) -> str:
        """``text`` (already in matching form) with its Chinese, Spanish and French goods words in English."""
        if not text.isascii():
            for mixed, english in self.mixed:
                text = text.replace(mixed, f" {english} ")
            text = _HAN.sub(lambda run: f" {self._han(run.group())} ", text)
        words = text.split()
        if not words:
            return text
        return " ".join(self._latin(words, english_words))

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
            counts[language] = sum(1 for w in words if w in function or (w in table and w not in english_words))
        return counts

    def _latin(self, words: list[str], english_words: frozenset[str]) -> list[str]:
        evidence = self._evidence(words, english_words)
        ranked = sorted(self.words, key=lambda lang: -evidence[lang])
        out: list[str] = []
        index = 0
        while index < len(words):
            step, replacement = 1, None
            # Most words start no phrase and are in no glossary: one set lookup each.
            longest = min(_LONGEST_PHRASE, len(words) - index) if words[index] in self.starts else 1
            if longest == 1 and words[index] not in self.known:
                longest = 0
            for length in range(longest, 0, -1):
                phrase = " ".join(words[index : index + length])
                for language in ranked:
                    found = self.words[language].get(phrase)
                    if found is None:
                        continue
                    # One English word alone is read as English unless the text leans to the language.
                    if length == 1 and phrase in english_words and evidence[language] < 2:
                        continue
                    step, replacement = length, found
                    break
                if replacement is not None:
                    break
            if replacement is None:
                word = words[index]
                extra = self.english.get(word)
                out.append(word if extra is None else f"{word} {extra}")
            else:
                out.append(replacement)
            index += step
        return out


@functools.cache
def glossary() -> Glossary:
    chinese = _read("zh")
    words = {language: _read(language) for language in ("es", "fr")}
    return Glossary(
        chinese=chinese,
        words=words,
        english=_read("en"),
        longest_han=max(map(len, chinese)),
        mixed=tuple((k, v) for k, v in chinese.items() if any(c.isascii() for c in k)),
        starts=frozenset(k.split()[0] for table in words.values() for k in table if " " in k),
        known=frozenset(k for table in words.values() for k in table),
    )


def signature() -> str:
    """A digest of the glossary files: a model is trained with one glossary and read with the same."""
    digest = hashlib.sha256()
    for name in (*LANGUAGES, "en"):
        digest.update(resources.files("clearway.classify").joinpath(f"glossaries/{name}.tsv").read_bytes())
    return digest.hexdigest()[:16]


def coverage() -> dict[str, int]:
    """Entries per glossary (docs/classification.md quotes these)."""
    g = glossary()
    return {"zh": len(g.chinese), "es": len(g.words["es"]), "fr": len(g.words["fr"]), "en": len(g.english)}
