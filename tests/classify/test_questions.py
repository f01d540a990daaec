"""The deciding question, from how the candidates' nomenclature texts differ."""

from __future__ import annotations

from clearway.classify.questions import deciding_question

COTTON = "Dresses; women's or girls', of cotton (not knitted or crocheted)"
SYNTHETIC = "Dresses; women's or girls', of synthetic fibres (not knitted or crocheted)"
KNITTED = "Dresses; women's or girls', of cotton, knitted or crocheted"
MEN = "Shirts; men's or boys', of cotton (not knitted or crocheted)"


def test_material() -> None:
    assert deciding_question([COTTON, SYNTHETIC]) == "material: cotton or synthetic fibres?"


def test_knitted_or_not_and_not_knitted_is_not_read_as_knitted() -> None:
    assert deciding_question([COTTON, KNITTED]) == "knitted or crocheted, or not?"


def test_for_whom_comes_first() -> None:
    assert deciding_question([COTTON, MEN]) == "for whom: men or boys or women or girls?"


def test_metal_or_plastic() -> None:
    question = deciding_question(
        ["Tableware; of plastics", "Table, kitchen or other household articles; of stainless steel"]
    )
    assert question == "material: plastics or iron or steel?"


def test_otherwise_the_texts_themselves() -> None:
    question = deciding_question(["Fishing reels", "Fishing rods"])
    assert question == "which is it: Fishing reels, or Fishing rods?"


def test_one_candidate_asks_nothing() -> None:
    assert deciding_question([COTTON]) is None
    assert deciding_question([]) is None
