"""The question that would decide between close candidates, read from how their nomenclature texts differ.

When the best codes differ by what the goods are made of, who they are for or how the fabric is
made, the nomenclature says so in words ("of cotton", "women's or girls'", "knitted or
crocheted"): the first such facet on which the candidates differ is asked about ("material: cotton
or synthetic fibres?"). When none does, the question names the candidates' own texts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final

# Facet -> value -> phrases of the nomenclature that say it, in the order facets are asked about.
FACETS: Final[tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]] = (
    (
        "for whom",
        (
            ("men or boys", ("men's or boys'",)),
            ("women or girls", ("women's or girls'",)),
            ("babies", ("babies'", "babies")),
        ),
    ),
    ("knitted or crocheted", (("not knitted", ("not knitted",)), ("knitted", ("knitted or crocheted",)))),
    (
        "material",
        (
            ("cotton", ("of cotton",)),
            ("wool", ("of wool", "fine animal hair")),
            ("synthetic fibres", ("synthetic fibres", "synthetic filament")),
            ("artificial fibres", ("artificial fibres",)),
            ("silk", ("of silk",)),
            ("leather", ("leather",)),
            ("plastics", ("plastic",)),
            ("rubber", ("rubber",)),
            ("textile materials", ("textile materials",)),
            ("wood", ("wood",)),
            ("paper", ("paper", "paperboard")),
            ("glass", ("glass",)),
            ("ceramic", ("ceramic", "porcelain", "china")),
            ("iron or steel", ("iron or steel", "stainless steel")),
            ("aluminium", ("aluminium",)),
            ("copper", ("copper",)),
            ("precious metal", ("precious metal", "of gold", "of silver", "of platinum")),
            ("base metal", ("base metal",)),
        ),
    ),
    ("electric", (("non-electric", ("non-electric",)), ("electric", ("electric",)))),
)
MAX_CANDIDATE_TEXT: Final = 60


@functools.lru_cache(maxsize=16384)
def _facets(text: str) -> tuple[frozenset[str], ...]:
    """The values of each facet a nomenclature text states (cached: candidates recur across items)."""
    lowered = text.lower()
    return tuple(_values(lowered, values) for _, values in FACETS)


def _values(text: str, values: tuple[tuple[str, tuple[str, ...]], ...]) -> frozenset[str]:
    found = set()
    rest = text
    for value, phrases in values:
        for phrase in phrases:
            if phrase in rest:
                found.add(value)
                # "not knitted" must not also read as "knitted"; "non-electric" not as "electric".
                rest = rest.replace(phrase, " ")
    return frozenset(found)


def deciding_question(texts: Sequence[str]) -> str | None:
    """The question for candidates whose nomenclature texts are ``texts`` (best first), or None for one."""
    if len(texts) < 2:
        return None
    found = [_facets(t) for t in texts]
    for number, (facet, values) in enumerate(FACETS):
        per = [f[number] for f in found]
        if len(set(per)) > 1:
            if facet == "knitted or crocheted":
                return "knitted or crocheted, or not?"
            named = sorted({v for found in per for v in found}, key=[v for v, _ in values].index)
            if len(named) >= 2:
                return f"{facet}: {' or '.join(named)}?"
            if named:
                return f"{facet}: {named[0]}, or not?"
    first, second = (_short(t) for t in texts[:2])
    if first == second:
        return None
    return f"which is it: {first}, or {second}?"


def _short(text: str) -> str:
    head = text.split(" | ", 1)[0]
    return head if len(head) <= MAX_CANDIDATE_TEXT else head[: MAX_CANDIDATE_TEXT - 1].rstrip() + "…"
