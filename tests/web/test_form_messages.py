"""The forms' words (web/form_messages.py): every field has a label, every kind of error a text, and
what the quote decoder finds wrong reaches the landed-cost form as a plain message on the right
control: never a decoder's words ("Expected `str` of length >= 6", "Invalid decimal string")."""

from __future__ import annotations

import re
import warnings
from typing import Any

import msgspec
import pytest
from markupsafe import escape

from clearway.access.passwords import WEAKNESSES
from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.dataset.errors import FieldError
from clearway.revenue.context import RevenueError
from clearway.revenue.quote import QuoteDecoder, QuoteItem, QuoteRequest
from clearway.web.consignment_pages import ERRORS
from clearway.web.form_messages import CHOICES, ENGLISH, FIELDS, FormError, FormErrors, invalid, label, missing
from clearway.web.landed_cost import CONTROLS, defaults, field_error, in_form_order, quote_request, revenue_error
from tests.api.test_denials_recorded import sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DEVELOPER = re.compile(
    r"Expected|`|\bstr\b|\bint\b|decimal string|regex|pointer|/items|required field|msgspec|null|JSON|None",
)
DECODER = QuoteDecoder()
GOOD = {
    "destination": "DE",
    "as_of": "2026-07-01",
    "currency": "EUR",
    "origin_country": "CN",
    "description_0": "cotton t-shirt",
    "hs_code_0": "610910",
    "quantity_0": "1",
    "unit_value_0": "12.50",
}


def form_errors(form: dict[str, str]) -> list[FormError]:
    request, rows = quote_request(form)
    parsed, errors = DECODER.convert(request)
    assert parsed is None, "expected the form to be refused"
    return list(in_form_order([field_error(e, rows) for e in errors]))


# -- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("form", "struct"), [("quote", QuoteRequest), ("quote_item", QuoteItem)])
def test_every_field_of_the_quote_has_a_label_a_name_and_a_kind(form: str, struct: type[msgspec.Struct]) -> None:
    names = {f.encode_name for f in msgspec.structs.fields(struct)} - {"items"}
    assert names == set(FIELDS[form]), "a quote field the form's words do not know"
    for name in names:
        assert ENGLISH[f"{form}.{name}"] and ENGLISH[f"{form}.{name}.name"]


def test_every_form_field_has_its_words_and_every_kind_a_text() -> None:
    for form, fields in FIELDS.items():
        for field, kind in fields.items():
            assert label(form, field), (form, field)
            assert f"{form}.{field}.name" in ENGLISH, (form, field)
            assert "{where}" in ENGLISH[f"kind.{kind}"], kind
            # Every field can be said wrong and said missing, in words.
            assert invalid(form, field).startswith(label(form, field) + ": ")
            text = missing(form, field)
            assert text.startswith("Enter the ") or kind in CHOICES, text
    kinds = {kind for fields in FIELDS.values() for kind in fields.values()}
    assert {key.removeprefix("kind.") for key in ENGLISH if key.startswith("kind.")} == kinds, "a text nobody uses"


def test_the_password_page_has_a_text_for_every_reason_a_password_is_refused() -> None:
    for code in WEAKNESSES:
        assert ENGLISH[f"password.{code}"].startswith("{where}: ")


def test_no_text_uses_a_developers_words() -> None:
    for key, text in ENGLISH.items():
        assert not DEVELOPER.search(text), (key, text)
    for error in ERRORS.values():
        assert not DEVELOPER.search(error.text), error


def test_the_briefs_examples_read_as_written() -> None:
    assert invalid("quote_item", "hs_code") == "HS code: enter 6 to 10 digits"
    assert invalid("quote_item", "unit_value") == "Unit value: enter an amount such as 12.50"
    assert invalid("quote_item", "quantity") == "Quantity: enter a number above 0"
    assert invalid("quote", "destination") == missing("quote", "destination") == "Destination: choose a country"
    assert invalid("quote_item", "hs_code", 2) == "Item 2, HS code: enter 6 to 10 digits"
    assert missing("quote_item", "hs_code", 2) == "Item 2: enter the HS code"
    assert missing("quote", "currency") == "Enter the currency paid"


def test_form_errors_keep_one_message_per_control_in_order() -> None:
    errors = FormErrors([FormError("a", "first"), FormError("b", "second"), FormError("a", "again")])
    assert [e.text for e in errors] == ["first", "second"]
    assert errors.of("a") == FormError("a", "first") and errors.of("c") is None
    assert FormError("hs_code_1", "x").message_id == "hs_code_1-error"
    assert not FormErrors()


# -- the landed-cost form: the decoder's errors in the form's words -------------------------------


def test_the_reviewed_mistakes_read_plainly_on_their_controls() -> None:
    found = form_errors({**GOOD, "hs_code_0": "6109", "unit_value_0": "12,50"})
    assert found == [
        FormError("hs_code_0", "Item 1, HS code: enter 6 to 10 digits"),
        FormError("unit_value_0", "Item 1, Unit value: enter an amount such as 12.50"),
    ]
    # The decoder itself says it as a developer would: that is what the page no longer shows.
    _, raw = DECODER.convert(quote_request({**GOOD, "hs_code_0": "6109"})[0])
    assert [e.detail for e in raw] == ["Expected `str` of length >= 6"]


def test_a_skipped_row_does_not_renumber_the_items() -> None:
    form = {**GOOD, "description_2": "wool scarf", "hs_code_2": "61", "quantity_2": "1", "unit_value_2": "8"}
    assert form_errors(form) == [FormError("hs_code_2", "Item 3, HS code: enter 6 to 10 digits")]


def test_blank_required_fields_say_enter_and_no_item_at_all_says_so() -> None:
    form = {"destination": "", "as_of": "", "currency": "", "origin_country": "CN"}
    assert form_errors(form) == [
        FormError("destination", "Destination: choose a country"),
        FormError("as_of", "Enter the date of import"),
        FormError("currency", "Enter the currency paid"),
        FormError("description_0", ENGLISH["quote.items"]),
    ]
    assert form_errors({**GOOD, "description_0": ""}) == [FormError("description_0", "Item 1: enter the description")]


def test_the_amounts_checks_after_decoding_read_plainly_too() -> None:
    # Decoded fine, refused by the semantic checks (an amount below zero, a quantity of 0, a code
    # no country has): their messages name no field in the form's words, so the page supplies them.
    found = form_errors({**GOOD, "quantity_0": "0", "shipping": "1.1234567", "currency": "QQQ", "origin_0": "ZZ"})
    assert found == [
        FormError("currency", "Currency paid: enter a three-letter currency code such as EUR"),
        FormError("shipping", "Shipping paid: enter an amount such as 12.50"),
        FormError("quantity_0", "Item 1, Quantity: enter a number above 0"),
        FormError("origin_0", "Item 1, Made in: enter a two-letter country code such as CN"),
    ]


BAD_VALUES = [
    *[
        (field, value)
        for field in ("hs_code_0", "hs_code_1")
        for value in ("12", "12345678901", "61091a", "６１０９１０")
    ],
    ("hs_code_0", ""),
    *[
        (field, value)
        for field in ("unit_value_0", "quantity_0", "shipping")
        for value in ("x", "-1", "1,5", "0.1234567")
    ],
    *[("currency", value) for value in ("", "E", "euro", "XYZ", "€")],
    *[("origin_country", value) for value in ("", "C", "CHN", "ZZ", "1A")],
    *[("origin_0", value) for value in ("C", "CHN", "ZZ")],
    *[("as_of", value) for value in ("", "yesterday", "2026-13-01", "01/07/2026")],
    *[("destination", value) for value in ("", "ZZ", "D", "GERMANY")],
    ("nature", "bribe"),
    *[("transport_mode", value) for value in ("teleport",)],
    *[("tax_scheme_id", value) for value in ("X" * 40, "IM")],
    *[("description_0", value) for value in ("", "x" * 600, "line\nbreak", "\x07bell")],
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_every_refusal_is_plain_and_points_at_a_control(field: str, value: str) -> None:
    request, rows = quote_request({**GOOD, field: value})
    parsed, errors = DECODER.convert(request)
    assert parsed is None, f"{value!r} is a valid {field}"
    for error in in_form_order([field_error(e, rows) for e in errors]):
        assert not DEVELOPER.search(error.text), error
        assert error.field in CONTROLS, error


def test_an_assessment_the_engine_refuses_names_the_field_it_can() -> None:
    assert revenue_error(RevenueError("no ECB rate for XYZ on 2026-07-01", "/currency")) == FormError(
        "currency", "Currency paid: we have no exchange rate for this currency on this date; choose another"
    )
    assert revenue_error(RevenueError("Ceuta is outside the customs union", "/destination")).field == "destination"
    whole = revenue_error(RevenueError("a formula is not implemented"))
    assert whole == FormError(None, ENGLISH["quote.failed"])
    assert field_error(FieldError("", "malformed JSON"), []) == FormError(None, ENGLISH["quote.failed"])


def test_a_translation_is_one_other_table() -> None:
    shouting = {key: text.upper().replace("{WHERE}", "{where}").replace("{N}", "{n}").replace("{LABEL}", "{label}")
                .replace("{NAME}", "{name}") for key, text in ENGLISH.items()}  # fmt: skip
    _, rows = quote_request(GOOD)
    error = field_error(FieldError("/items/0/hs_code", "Expected `str` of length >= 6"), rows, shouting)
    assert error == FormError("hs_code_0", "ITEM 1, HS CODE: ENTER 6 TO 10 DIGITS")


def test_a_link_that_leaves_fields_out_gets_what_the_empty_form_shows() -> None:
    import datetime as dt

    shown = defaults(dt.date(2026, 7, 1))
    assert shown["as_of"] == "2026-07-01" and shown["currency"] == "EUR"


# -- the pages show the same words as the messages ----------------------------------------------------


@pytest.fixture
def public(service: Clearway) -> Any:
    with TestClient(create_app(service.settings, service, sweep=False), base_url="https://testserver") as client:
        yield client


def test_the_labels_on_the_pages_are_the_tables(public: TestClient) -> None:
    page = public.get("/landed-cost").text
    for control in CONTROLS:
        field, _, row = control.rpartition("_") if control[-1].isdigit() else (control, "", "")
        form = "quote_item" if row else "quote"
        assert f'<label for="{control}">{escape(label(form, field))}</label>' in page, control
    login = public.get("/login").text
    for field in FIELDS["sign_in"]:
        assert f'<label for="{field}">{label("sign_in", field)}</label>' in login
    track = public.get("/track").text
    assert f'<label for="number">{label("track", "number")} ' in track


def test_the_landed_cost_page_marks_and_describes_what_is_wrong(public: TestClient) -> None:
    r = public.get("/landed-cost", params={**GOOD, "hs_code_0": "6109"})
    assert r.status_code == 422
    text = "Item 1, HS code: enter 6 to 10 digits"
    assert f'<li><a href="#hs_code_0">{text}</a></li>' in r.text
    assert 'aria-invalid="true" aria-describedby="hs_code_0-error hs_code_0-hint"' in r.text
    assert f'id="hs_code_0-error"><span class="visually-hidden">Error: </span>{text}</p>' in r.text
    assert "Expected" not in r.text and "decimal string" not in r.text
    assert r.text.count("autofocus") == 1, "one place takes the focus: the summary"
    ok = public.get("/landed-cost", params=GOOD)
    assert ok.status_code == 200 and 'id="result" tabindex="-1" autofocus' in ok.text
    assert ok.text.index('id="quote"') < ok.text.index('id="calculator"'), "the result comes before the form"


@pytest.mark.parametrize(
    ("path", "params", "control", "text", "status"),
    [
        ("/prohibited", {"jurisdiction": "", "q": "knife"}, "jurisdiction", "Going to: choose a country", 422),
        ("/track", {"number": ""}, "number", "Enter the tracking number", 422),
        (
            "/track",
            {"number": "RR000000000CN"},
            "number",
            ENGLISH["track.not_found"].format(where="Tracking number"),
            404,
        ),
    ],
)
def test_the_public_searches_name_a_blank_or_unknown_field(
    public: TestClient, path: str, params: dict[str, str], control: str, text: str, status: int
) -> None:
    r = public.get(path, params=params)
    assert r.status_code == status
    assert f'<li><a href="#{control}">{escape(text)}</a></li>' in r.text
    assert f'aria-invalid="true" aria-describedby="{control}-error' in r.text
    assert public.get(path).status_code == 200 and 'class="error-summary"' not in public.get(path).text


def test_the_staff_filters_name_what_is_wrong(public: TestClient, service: Clearway) -> None:
    sign_in(public, service, "olga", Role.OFFICER)
    queue = public.get("/queue", params={"origin": "China", "chapter": "8", "age": "a day", "lane": "purple"})
    assert queue.status_code == 422
    links = re.findall(r'<li><a href="#(\w+)">([^<]+)</a></li>', queue.text)
    assert links == [
        ("lane", "Lane: choose one of the list"),
        ("origin", "Origin: enter a two-letter country code such as CN"),
        ("chapter", "HS chapter: enter two digits, such as 85"),
        ("age", "Waiting at least (hours): enter a whole number of hours, such as 24"),
    ]
    assert 'value="China"' in queue.text, "what was typed stays, to be corrected"
    operators = public.get("/operators", params={"days": "0", "period": "year"})
    assert operators.status_code == 422, "a page that names the mistake, not the framework's bare 422"
    assert re.findall(r'<li><a href="#(\w+)">', operators.text) == ["days", "period"]
    assert public.get("/operators", params={"days": "30", "period": "month"}).status_code == 200
