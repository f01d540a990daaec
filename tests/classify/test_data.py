"""The reference data as training examples, and a held-out split that keeps near-duplicates together."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearway.classify import data
from tests.conftest import REFERENCE


@pytest.fixture(scope="module")
def corpus() -> data.Corpus:
    return data.load(REFERENCE)


def test_every_subheading_has_its_text_and_labels_are_subheadings(corpus: data.Corpus) -> None:
    subheadings = set(corpus.subheadings)
    assert len(subheadings) == 5612 and "999999" not in subheadings
    assert {e.code for e in corpus.examples} <= subheadings
    nomenclature = [e for e in corpus.examples if e.source == "nomenclature"]
    assert {e.code for e in nomenclature} == subheadings
    other = next(e for e in nomenclature if e.code == "610990")
    assert "T-shirts" in other.text  # "Other"-style texts carry their heading's
    assert corpus.path_text("620442").count(" | ") == 2


def test_brand_words_are_brands_not_goods(corpus: data.Corpus) -> None:
    assert {"cadbury", "lurpak", "nescafe"} <= corpus.brand_words
    assert not {"milk", "tea", "butter", "coffee", "silver"} & corpus.brand_words


def test_the_split_keeps_groups_whole_and_nomenclature_in_training(corpus: data.Corpus) -> None:
    train, test = data.split(corpus.examples)
    assert len(train) + len(test) == len(corpus.examples)
    assert 0.08 < len(test) / len(corpus.examples) < 0.2
    assert all(e.source != "nomenclature" for e in test)
    assert not {e.group for e in train if e.source != "nomenclature"} & {e.group for e in test}
    # Near-duplicates share a group: a brand's products, a term and its variants.
    assert data.group_of("always discreet liners 24s") == data.group_of("Always infinity night 10s")
    assert data.group_of("abalone") == data.group_of("abalone, prepared or preserved")
    assert data.split(corpus.examples) == (train, test)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"hs2022/harmonized-system\.csv"):
        data.load(tmp_path)
