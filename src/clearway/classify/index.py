"""The retrieval index and its scores: every training text as a vector, and the prototypes of
each subheading, heading and chapter (the normalised sum of its texts' vectors).

For a batch of queries (rows of unit-length TF-IDF vectors) it computes, with sparse matrix
products and no loop over the vocabulary:

- ``knn6``: per subheading, the cosine of the nearest training text labelled with it (plain
  nearest-neighbour retrieval, the baseline of ``clearway hs evaluate``);
- ``proto6``, ``proto4``, ``proto2``: the cosine with the prototype of the subheading, of its
  heading and of its chapter (the hierarchy: evidence for the chapter and the heading counts
  for every subheading under them);
- ``knn4``, ``knn2``: the best ``knn6`` within the heading and the chapter.

Heading and chapter scores stay one column per heading or chapter; the ranker reads them at its
candidates' headings and chapters only (``head_of``, ``chapter_of``).

Texts are kept sorted by subheading, subheadings by code, so that a subheading's texts, and a
heading's and a chapter's subheadings, are contiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

Array = np.ndarray[Any, Any]


def _normalised(x: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x)


def _starts(keys: Array) -> Array:
    """The first position of each run of equal keys in a sorted array."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


@dataclass
class Index:
    codes: list[str]  # subheadings, sorted
    docs: sp.csr_matrix  # training texts x vocabulary, sorted by subheading
    doc_class: Array  # subheading index of each text
    priors: Array  # per subheading: log(1 + labelled references)
    is_word: Array  # per vocabulary column: a word or word-pair feature (else characters)

    def __post_init__(self) -> None:
        self.codes_array = np.asarray(self.codes)
        self.position = {code: i for i, code in enumerate(self.codes)}
        heads = np.asarray([c[:4] for c in self.codes])
        chapters = np.asarray([c[:2] for c in self.codes])
        self.heading_starts = _starts(heads)
        self.chapter_starts = _starts(chapters)
        self.head_of = np.cumsum(np.r_[False, heads[1:] != heads[:-1]])
        self.chapter_of = np.cumsum(np.r_[False, chapters[1:] != chapters[:-1]])
        self.headings = heads[self.heading_starts].tolist()
        self.chapters = chapters[self.chapter_starts].tolist()
        if len(self.doc_class) and np.any(np.diff(self.doc_class) < 0):
            raise ValueError("training texts must be sorted by subheading")
        present = np.unique(self.doc_class)
        if len(present) != len(self.codes):
            raise ValueError("every subheading needs at least one training text")
        self.doc_starts = _starts(self.doc_class)
        n_classes = len(self.codes)
        member = sp.csr_matrix(
            (np.ones(len(self.doc_class)), (self.doc_class, np.arange(len(self.doc_class)))),
            shape=(n_classes, len(self.doc_class)),
        )
        summed = sp.csr_matrix(member @ self.docs)
        self.proto6 = _normalised(summed)
        to_head = sp.csr_matrix((np.ones(n_classes), (self.head_of, np.arange(n_classes))))
        to_chapter = sp.csr_matrix((np.ones(n_classes), (self.chapter_of, np.arange(n_classes))))
        self.proto4 = _normalised(sp.csr_matrix(to_head @ summed))
        self.proto2 = _normalised(sp.csr_matrix(to_chapter @ summed))
        self._docs_t = sp.csr_matrix(self.docs.T, dtype=np.float32)
        self._head_of_column = self.head_of[self.doc_class]
        # The best text of a chapter is the best of its headings' (a reduction over 1,228 columns).
        self._chapter_starts_of_headings = _starts(self.chapter_of[self.heading_starts])
        self._p6_t = sp.csr_matrix(self.proto6.T, dtype=np.float32)
        self._p4_t = sp.csr_matrix(self.proto4.T, dtype=np.float32)
        self._p2_t = sp.csr_matrix(self.proto2.T, dtype=np.float32)
        # Which words each subheading's texts use (1 or 0), for the share of a query's words covered.
        words = sp.csr_matrix(summed @ sp.diags(self.is_word.astype(np.float64)))
        words.eliminate_zeros()
        words.data[:] = 1.0
        self._words_t = sp.csr_matrix(words.T, dtype=np.float32)
        self._word_mask = self.is_word.astype(np.float32)

    @classmethod
    def build(
        cls, codes: Sequence[str], docs: sp.csr_matrix, labels: Sequence[str], labelled: Array, is_word: Array
    ) -> Index:
        """From unsorted training texts (rows of ``docs``) and their subheadings."""
        position = {c: i for i, c in enumerate(codes)}
        doc_class = np.asarray([position[c] for c in labels], dtype=np.int64)
        order = np.argsort(doc_class, kind="stable")
        priors = np.log1p(np.bincount(doc_class[np.asarray(labelled, dtype=bool)], minlength=len(codes)))
        return cls(list(codes), sp.csr_matrix(docs[order]), doc_class[order], priors.astype(np.float64), is_word)

    def scores(self, queries: sp.csr_matrix) -> dict[str, Any]:
        """The score matrices of the module's documentation: ``knn6`` and ``proto6`` per subheading,
        ``proto4`` and ``knn4`` per heading (columns: ``headings``), ``proto2`` and ``knn2`` per
        chapter (columns: ``chapters``), and ``sims``, the cosine with every training text as a
        sparse matrix (in the index's own column order: read a row with ``sims_row`` and
        ``nearest``). In float32: the products are memory-bound, and scores need no more digits."""
        queries = sp.csr_matrix(queries, dtype=np.float32)
        # A query shares a word or character n-gram with about one text in six: the best text per
        # subheading and heading is a maximum over the product's entries alone, never over
        # a dense queries x texts matrix (cosines are never negative, so a text without an entry, 0,
        # cannot be the best unless all are 0). Exactly the values of the dense reduction.
        sims = sp.csr_matrix(queries @ self._docs_t)
        rows = np.repeat(np.arange(sims.shape[0]), np.diff(sims.indptr))
        columns = sims.indices

        def best(groups: Array, n_groups: int) -> Array:
            """Per query and group of texts, the best cosine (0 where no text of the group has one)."""
            out = np.zeros((sims.shape[0], n_groups), dtype=np.float32)
            np.maximum.at(out.reshape(-1), rows * n_groups + groups[columns], sims.data)
            return out

        knn4 = best(self._head_of_column, len(self.headings))
        return {
            "sims": sims,
            "knn6": best(self.doc_class, len(self.codes)),
            "proto6": (queries @ self._p6_t).toarray(),
            "proto4": (queries @ self._p4_t).toarray(),
            "proto2": (queries @ self._p2_t).toarray(),
            "knn4": knn4,
            "knn2": np.maximum.reduceat(knn4, self._chapter_starts_of_headings, axis=1),
            "cover": self._cover(queries),
        }

    def _cover(self, queries: sp.csr_matrix) -> Array:
        """Per subheading, the share of the query's word weight (TF-IDF) that its texts use: a
        subheading that names the goods ("vacuum flask") beats one that only shares their
        material ("stainless steel"), however well the material words match."""
        totals = np.asarray(queries @ self._word_mask).ravel()
        covered = (queries @ self._words_t).toarray()
        return np.asarray(covered / np.maximum(totals, 1e-12)[:, None], dtype=np.float32)

    def sims_row(self, sims: sp.csr_matrix, row: int) -> Array:
        """One query's cosine with every training text, dense (0 where it shares nothing with one)."""
        out = np.zeros(sims.shape[1], dtype=np.float32)
        start, end = sims.indptr[row], sims.indptr[row + 1]
        out[sims.indices[start:end]] = sims.data[start:end]
        return out

    def nearest(self, sims: Array, cls: int) -> int:
        """The row of the training text of subheading ``cls`` nearest to a query (its ``sims_row``)."""
        start = int(self.doc_starts[cls])
        end = int(self.doc_starts[cls + 1]) if cls + 1 < len(self.doc_starts) else len(self.doc_class)
        return start + int(np.argmax(sims[start:end]))
