"""Index.scores: the best text per subheading, heading and chapter, from the sparse product, is the
maximum over every text's cosine (a dense reference), and nearest names that text."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from clearway.classify.index import Index


def test_best_texts_are_the_dense_maximum() -> None:
    rng = np.random.default_rng(7)
    codes = ["010110", "010121", "010290", "020110", "020120", "851713"]
    labels = [codes[i] for i in rng.integers(0, len(codes), 40)] + codes  # every code has a text
    docs = sp.random(len(labels), 300, density=0.03, random_state=11, format="csr")
    queries = sp.csr_matrix(sp.random(9, 300, density=0.05, random_state=12, format="csr"), dtype=np.float32)
    queries = sp.vstack([queries, sp.csr_matrix((1, 300), dtype=np.float32)]).tocsr()  # a query with no terms
    index = Index.build(codes, docs, labels, np.ones(len(labels), dtype=bool), np.ones(300, dtype=bool))
    scores = index.scores(queries)
    dense = (queries @ sp.csr_matrix(index.docs.T, dtype=np.float32)).toarray()
    assert np.array_equal(scores["sims"].toarray(), dense)
    classes = np.asarray(index.doc_class)
    knn6 = np.stack([dense[:, classes == c].max(axis=1) for c in range(len(codes))], axis=1)
    heads = np.asarray([code[:4] for code in index.codes])[classes]
    chapters = np.asarray([code[:2] for code in index.codes])[classes]
    knn4 = np.stack([dense[:, heads == h].max(axis=1) for h in index.headings], axis=1)
    knn2 = np.stack([dense[:, chapters == c].max(axis=1) for c in index.chapters], axis=1)
    assert np.array_equal(scores["knn6"], knn6) and knn6[:-1].max() > 0
    assert np.array_equal(scores["knn4"], knn4) and np.array_equal(scores["knn2"], knn2)
    for row in range(len(dense)):
        sims = index.sims_row(scores["sims"], row)
        assert np.array_equal(sims, dense[row])
        for cls in range(len(codes)):
            text = index.nearest(sims, cls)
            assert classes[text] == cls and dense[row, text] == knn6[row, cls]
