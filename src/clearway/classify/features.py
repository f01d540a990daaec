"""From a goods description to the sparse vector the classifier compares: words, word pairs and
character n-grams, weighted by TF-IDF.

Preparation of a text, in order:

1. the matching form of ``clearway.dataset.text`` (invisible characters removed, look-alike letters
   folded, accents dropped, case folded), so that "Drеss" with a Cyrillic е is a dress;
2. the glossaries (``glossary.py``): Chinese, Spanish and French goods words read in English, and
   marketplace English words given the nomenclature's wording;
3. words: runs of letters and digits; selling words, colours, sizes, quantities and numbers
   (``lexicon.py``) and brand names (HMRC's ``brands.csv``, passed in as ``noise``) are dropped;
4. each word reduced to a simple stem (plural endings, possessive), so that "dresses" and
   "women's" meet "dress" and "women" in the nomenclature.

Features of the prepared words: each word (``w:``), each pair of neighbouring words (``b:``) and the
character 3- to 5-grams of each word padded with spaces (``c:``), which catch misspellings and
truncations ("alwys ultr sntry" in HMRC's parcel descriptions). Words and characters are two blocks,
each weighted by sublinear TF x IDF and scaled to unit length, then joined with weights
``word_weight`` and ``1 - word_weight`` in squares, so a vector has unit length.

Only the first ``MAX_CHARS`` characters of a text are read: the words that name goods come first
in a title, and a 10,000-character text must cost no more than a long title.
"""

from __future__ import annotations

import functools
import itertools
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import scipy.sparse as sp

from clearway.classify.glossary import glossary
from clearway.classify.lexicon import is_noise
from clearway.dataset.text import normalise_for_matching

MAX_CHARS: Final = 400
_WORD: Final = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
CHAR_SIZES: Final = (3, 4, 5)
_NOT_KNITTED: Final = re.compile(r"\bnot knitted(?: or crocheted)?\b")
REMEMBERED_WORDS: Final = 100_000
# Only words up to this length are remembered: real titles repeat short words, and a hostile
# 1,000-character "word" (a public page reads any text) must not hold memory after its request. With
# the columns kept as machine integers, the most distinct hostile words fill some 40 MB of columns.
REMEMBERED_LENGTH: Final = 24
Matrix = Any  # a scipy.sparse.csr_matrix (scipy ships no type information)


def stem(word: str) -> str:
    """A light English stem: plural and possessive endings off ("dresses" -> "dress", "boxes" -> "box")."""
    if word.endswith("'s"):
        word = word[:-2]
    word = word.strip("'-")
    if len(word) <= 3 or not word.replace("-", "").isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(text: str, noise: frozenset[str] = frozenset(), english: frozenset[str] | None = frozenset()) -> list[str]:
    """The prepared words of a text (steps 1 to 4 of the module's documentation). ``english=None``
    skips the glossaries: for the training texts, which are English and say exactly what they mean
    (an English expansion such as "plush" -> "stuffed toys" is for a query, not for HMRC's "plush
    velour trousers")."""
    form = normalise_for_matching(text[:MAX_CHARS])
    if english is not None:
        form = glossary().translate(form, english)
    if "not knitted" in form:
        # "not" is a stop word: read word by word, chapter 62's "(not knitted or crocheted)" said
        # "knitted crocheted", as chapter 61's does, and only HMRC's references told them apart.
        form = _NOT_KNITTED.sub(" woven ", form)
    out: list[str] = []
    for match in _WORD.finditer(form):
        word = match.group()
        out += _prepared(word, noise) if len(word) <= REMEMBERED_LENGTH else _prepare(word, noise)
    return out


def _prepare(word: str, noise: frozenset[str]) -> tuple[str, ...]:
    """The stems a word of a text contributes (none for noise)."""
    if is_noise(word) or word in noise:
        return ()
    # "wrist-watches" also reads as "wrist" and "watch", to meet "wrist watch" (and the reverse).
    parts = word.split("-") if "-" in word else ()
    out = []
    for piece in (word, *parts):
        stemmed = stem(piece)
        if len(stemmed) > 1 and not is_noise(stemmed) and stemmed not in noise:
            out.append(stemmed)
    return tuple(out)


# Remembered: titles repeat their words, and preparing a word is most of what preparing a text costs.
_prepared = functools.lru_cache(maxsize=REMEMBERED_WORDS)(_prepare)


def terms_of(words: Sequence[str], char_sizes: Sequence[int] = CHAR_SIZES) -> list[str]:
    """The feature names of prepared words: words, neighbouring pairs, character n-grams."""
    terms = [f"w:{w}" for w in words]
    terms += [f"b:{a}_{b}" for a, b in itertools.pairwise(words)]
    for w in words:
        padded = f" {w} "
        for n in char_sizes:
            terms += [f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1)]
    return terms


@dataclass
class Vectoriser:
    """Vocabulary and IDF weights fitted on the training texts; turns prepared words into vectors."""

    vocabulary: dict[str, int]
    idf: np.ndarray[Any, np.dtype[np.float64]]
    is_word: np.ndarray[Any, np.dtype[np.bool_]]  # per column: a word or pair feature (else characters)
    word_weight: float = 0.7
    char_sizes: tuple[int, ...] = CHAR_SIZES
    # The columns of a word's own terms (the word and its character n-grams), remembered: titles repeat
    # their words, and looking up a dozen n-grams a word is most of what vectorising costs.
    _word_columns: dict[str, array[int]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def fit(
        cls,
        documents: Iterable[Sequence[str]],
        word_weight: float = 0.7,
        char_sizes: tuple[int, ...] = CHAR_SIZES,
        max_char_df: float = 1.0,
    ) -> Vectoriser:
        """``max_char_df``: character n-grams in a larger share of the texts are left out (they match
        nearly everything, say little, and make every product of the index denser)."""
        df: dict[str, int] = {}
        count = 0
        for words in documents:
            count += 1
            for term in set(terms_of(words, char_sizes)):
                df[term] = df.get(term, 0) + 1
        cap = max_char_df * count
        names = sorted(t for t, n in df.items() if not t.startswith("c:") or n <= cap)
        vocabulary = {t: i for i, t in enumerate(names)}
        freq = np.asarray([df[t] for t in names], dtype=np.float64)
        idf = np.log((1.0 + count) / (1.0 + freq)) + 1.0
        is_word = np.asarray([not t.startswith("c:") for t in names], dtype=bool)
        return cls(vocabulary, idf, is_word, word_weight, char_sizes)

    def transform(self, documents: Sequence[Sequence[str]]) -> Matrix:
        """One unit-length row per document (an empty row when none of its terms is known)."""
        indptr = [0]
        indices: list[int] = []
        lookup = self.vocabulary.get
        known = self._word_columns
        for words in documents:
            for word in words:
                columns = known.get(word)
                if columns is None:
                    terms = terms_of([word], self.char_sizes)  # the word and its character n-grams
                    columns = array("i", [i for i in map(lookup, terms) if i is not None])
                    if len(word) <= REMEMBERED_LENGTH:
                        if len(known) >= REMEMBERED_WORDS:
                            known.clear()
                        known[word] = columns
                indices += columns
            for a, b in itertools.pairwise(words):
                index = lookup(f"b:{a}_{b}")
                if index is not None:
                    indices.append(index)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        x = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr)), shape=(len(documents), len(self.idf))
        )
        x.sum_duplicates()
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices]
        return self._scaled(x)

    def _scaled(self, x: Matrix) -> Matrix:
        word = self.is_word[x.indices]
        squares = x.data**2
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        word_norm = np.sqrt(np.bincount(rows, weights=squares * word, minlength=x.shape[0]))
        char_norm = np.sqrt(np.bincount(rows, weights=squares * ~word, minlength=x.shape[0]))
        ww, wc = np.sqrt(self.word_weight), np.sqrt(1.0 - self.word_weight)
        scale = np.where(word, ww / np.maximum(word_norm[rows], 1e-12), wc / np.maximum(char_norm[rows], 1e-12))
        x.data = x.data * scale
        return x

    def to_arrays(self) -> dict[str, np.ndarray[Any, Any]]:
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "vocabulary": np.asarray(names, dtype=str),
            "idf": self.idf,
            "word_weight": np.asarray([self.word_weight]),
            "char_sizes": np.asarray(self.char_sizes, dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray[Any, Any]]) -> Vectoriser:
        names = [str(t) for t in arrays["vocabulary"].tolist()]
        idf = np.asarray(arrays["idf"], dtype=np.float64)
        if len(names) != len(idf):
            raise ValueError("vocabulary and IDF weights differ in length")
        is_word = np.asarray([not t.startswith("c:") for t in names], dtype=bool)
        sizes = tuple(int(n) for n in arrays["char_sizes"].tolist())
        if not all(1 <= n <= 8 for n in sizes):
            raise ValueError(f"character n-gram sizes out of range: {sizes}")
        return cls({t: i for i, t in enumerate(names)}, idf, is_word, float(arrays["word_weight"][0]), sizes)
