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

Texts are kept sorted by subheading, subheadings by code, so that "the best within" is one
``np.maximum.reduceat`` over contiguous columns.
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
        # Texts of subheadings with several texts first (grouped), then those of subheadings with one:
        # the best text of a subheading is then a reduction over the first block only, and a plain
        # copy for the second (a reduction over 5,612 mostly one-column segments is slow).
        counts = np.diff(np.r_[self.doc_starts, len(self.doc_class)])
        several = counts[self.doc_class] > 1
        self._perm = np.r_[np.flatnonzero(several), np.flatnonzero(~several)]
        self._n_several = int(several.sum())
        self._several_classes = np.flatnonzero(counts > 1)
        self._single_classes = np.flatnonzero(counts == 1)
        self._several_starts = _starts(self.doc_class[self._perm[: self._n_several]])
        self._position = np.empty(len(self._perm), dtype=np.int64)
        self._position[self._perm] = np.arange(len(self._perm))
        self._docs_t = sp.csr_matrix(self.docs[self._perm].T, dtype=np.float32)
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

    def scores(self, queries: sp.csr_matrix) -> dict[str, Array]:
        """The score matrices of the module's documentation: ``knn6`` and ``proto6`` per subheading,
        ``proto4`` and ``knn4`` per heading (columns: ``headings``), ``proto2`` and ``knn2`` per
        chapter (columns: ``chapters``), and ``sims``, the cosine with every training text (in the
        index's own column order: read it with ``nearest``). In float32: the products are
        memory-bound, and scores need no more digits."""
        queries = sp.csr_matrix(queries, dtype=np.float32)
        sims = (queries @ self._docs_t).toarray()
        knn6 = np.empty((sims.shape[0], len(self.codes)), dtype=sims.dtype)
        if self._n_several:
            knn6[:, self._several_classes] = np.maximum.reduceat(
                sims[:, : self._n_several], self._several_starts, axis=1
            )
        knn6[:, self._single_classes] = sims[:, self._n_several :]
        return {
            "sims": sims,
            "knn6": knn6,
            "proto6": (queries @ self._p6_t).toarray(),
            "proto4": (queries @ self._p4_t).toarray(),
            "proto2": (queries @ self._p2_t).toarray(),
            "knn4": np.maximum.reduceat(knn6, self.heading_starts, axis=1),
            "knn2": np.maximum.reduceat(knn6, self.chapter_starts, axis=1),
            "cover": self._cover(queries),
        }

    def _cover(self, queries: sp.csr_matrix) -> Array:
        """Per subheading, the share of the query's word weight (TF-IDF) that its texts use: a
        subheading that names the goods ("vacuum flask") beats one that only shares their
        material ("stainless steel"), however well the material words match."""
        totals = np.asarray(queries @ self._word_mask).ravel()
        covered = (queries @ self._words_t).toarray()
        return np.asarray(covered / np.maximum(totals, 1e-12)[:, None], dtype=np.float32)

    def nearest(self, sims: Array, cls: int) -> int:
        """The row of the training text of subheading ``cls`` nearest to a query (its row of ``sims``)."""
        start = int(self.doc_starts[cls])
        end = int(self.doc_starts[cls + 1]) if cls + 1 < len(self.doc_starts) else len(self.doc_class)
        rows = np.arange(start, end)
        return int(rows[np.argmax(sims[self._position[rows]])])
