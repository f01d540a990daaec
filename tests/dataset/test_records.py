"""The field types of the records: what their patterns let through is what the document says."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from clearway.dataset.records import CountryCode, CurrencyCode, Description, HsCode, Name, Ref, Text
from clearway.revenue.quote import Postcode

FIELDS: list[tuple[Any, str]] = [
    (HsCode, "610910"),
    (Ref, "ORD-1"),
    (Name, "Ivan Petrov"),
    (Description, "cotton t-shirt"),
    (Text, "left at the door"),
    (CountryCode, "DE"),
    (CurrencyCode, "EUR"),
    (Postcode, "78266"),
]


@pytest.mark.parametrize(("kind", "good"), FIELDS)
def test_a_final_newline_is_refused(kind: Any, good: str) -> None:
    # Python's "$" matches before a final newline, JSON Schema's does not: "610910\n" would have
    # been a second HS code, and a second order number, that looks like the first.
    assert msgspec.convert(good, kind) == good
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(good + "\n", kind)


@pytest.mark.parametrize("blank", ["\u0085", "\u00a0", "\u2003", "\ufeff", "\u3000", " \u00a0 "])
def test_text_of_only_blanks_or_controls_is_refused_alike_in_python_and_in_the_document(blank: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(blank, Description)
    # The same pattern, read as JSON Schema reads it (ECMA): no \s, whose two readings differ.
    schema = msgspec.json.schema(Description)
    assert "\\s" not in schema["pattern"] and re.search(schema["pattern"], blank) is None


def test_a_blank_inside_text_is_kept() -> None:
    assert msgspec.convert("t-shirt\u0085blue", Description) == "t-shirt\u0085blue"
    assert msgspec.convert("crème brûlée", Description) == "crème brûlée"
