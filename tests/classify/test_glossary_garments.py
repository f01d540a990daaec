"""English garment words: the usual construction (knitted, chapter 61) beside garments that are
normally knitted, and fabric words read as the nomenclature's construction or fibre."""

from __future__ import annotations

from clearway.classify.glossary import glossary
from clearway.dataset.text import normalise_for_matching

ENGLISH = frozenset({"table", "coffee", "pan", "robe", "bath"})


def read(text: str) -> str:
    return glossary().translate(normalise_for_matching(text), ENGLISH)


def test_garments_that_are_normally_knitted_say_so() -> None:
    assert "knitted" in read("Men's Joggers Sweatpants")
    assert "knitted" in read("Baby Romper Short Sleeve")
    assert "knitted" in read("Women's One Piece Swimsuit")
    assert "knitted" in read("Men's Polo Shirt Short Sleeve")
    assert "knitted" in read("Boys Graphic Tee")
    assert read("Women's Tank Top").startswith("women's tank top singlets vests knitted")


def test_knitted_fabric_words() -> None:
    for title in ("Women's Knit Dress", "Ribbed Tank", "Fleece Hoodie", "Spandex Shorts", "French Terry Shorts"):
        assert "knitted" in read(title), title


def test_woven_garments_and_fabrics_are_not_made_knitted() -> None:
    for title in ("Men's Dress Shirt", "Women's Chiffon Blouse", "Girls Pleated Skirt", "Men's Oxford Shirt"):
        assert "knitted" not in read(title), title
    assert read("Denim Jacket") == "denim cotton jacket"
    assert read("oxford shirt") == "oxford shirt shirts cotton"


def test_crochet_tools_and_yarn_are_not_garments() -> None:
    assert read("Crochet Hook Set") == "crochet hook knitting needles crochet hooks set"
    assert "knitted" not in read("crochet yarn")
