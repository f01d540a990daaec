"""What the pages' forms say: each field's visible label and every error message, from one table.

The people who fill in these forms are buyers, not developers: a message names the field as its
label does and says what to enter ("HS code: enter 6 to 10 digits"), never what a decoder expected
("Expected `str` of length >= 6"). Every word a form shows comes from ``ENGLISH``; a translation is
another table with the same keys, passed as ``table``, so nothing else changes to add a language.

Keys of the table:

- ``{form}.{field}``: the field's visible label ("HS code"); ``{form}.{field}.name``: the same
  field inside a sentence ("Enter the HS code": "HS code"; "Enter the price of one item");
- ``kind.{kind}``: what to enter in a field of that kind, as "{where}: ..." where ``where`` is
  the label, or "Item 2, HS code" for an item's field (``where.item``);
- ``missing``, ``missing.item``: a required field left blank;
- other keys: one situation of one form (a sign-in refused, an action the state does not allow).

Which kind each field is belongs to the form, not the language: ``FIELDS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

# form -> field -> kind. Field names are the names the form sends (and, in the quote form, the
# quote request's fields: a JSON pointer like /items/0/hs_code names the item field "hs_code").
FIELDS: Final[Mapping[str, Mapping[str, str]]] = {
    "quote": {
        "destination": "country_choice",
        "as_of": "date",
        "currency": "currency",
        "origin_country": "country_code",
        "shipping": "amount",
        "insurance": "amount",
        "nature": "choice",
        "transport_mode": "choice",
        "tax_scheme_id": "tax_scheme",
        "buyer_id": "reference",
        "destination_postcode": "postcode",
        "origin_postcode": "postcode",
    },
    "quote_item": {
        "description": "description",
        "hs_code": "hs_code",
        "quantity": "quantity",
        "unit_value": "amount",
        "origin": "country_code",
        "duty_rate": "percentage",
        "net_weight_kg": "quantity",
    },
    "sign_in": {"username": "username", "password": "password"},
    "password": {"current_password": "password", "new_password": "new_password", "repeat_password": "new_password"},
    "control": {"action": "choice", "reason": "reason"},
    "outcome": {"result": "choice", "corrected_value": "amount", "corrected_hs_code": "hs_code", "note": "note"},
    "queue": {
        "lane": "choice",
        "operator": "choice",
        "origin": "country_code",
        "chapter": "hs_chapter",
        "rule": "choice",
        "age": "hours",
    },
    "operators": {"operator": "choice", "days": "days", "period": "choice"},
    "dashboard": {"from": "date", "to": "date", "by": "choice", "period": "choice", "metric": "choice"},
    "prohibited": {"jurisdiction": "country_choice", "q": "search"},
    "track": {"number": "tracking_number"},
    "classify": {
        "description": "listing",
        "category": "search",
        "material": "search",
        "details": "search",
        "price": "amount",
        "currency": "currency",
        "jurisdiction": "country_choice",
        "hs_code": "hs_code",
    },
}
# Kinds whose control is a list to choose from: left blank, they say "choose", not "enter".
CHOICES: Final[frozenset[str]] = frozenset({"choice", "country_choice"})

ENGLISH: Final[Mapping[str, str]] = {
    # -- the error summary and inline messages ------------------------------------------------
    "summary.title": "There is a problem",
    "error.prefix": "Error:",
    "where.item": "Item {n}, {label}",
    "missing": "Enter the {name}",
    "missing.item": "Item {n}: enter the {name}",
    # -- what to enter, by kind of field --------------------------------------------------------
    "kind.amount": "{where}: enter an amount such as 12.50",
    "kind.choice": "{where}: choose one of the list",
    "kind.country_choice": "{where}: choose a country",
    "kind.country_code": "{where}: enter a two-letter country code such as CN",
    "kind.currency": "{where}: enter a three-letter currency code such as EUR",
    "kind.date": "{where}: enter a date such as 2026-07-01",
    "kind.days": "{where}: enter a whole number of days from 1 to 3660",
    "kind.description": "{where}: describe the item in up to 512 characters, on one line",
    "kind.hours": "{where}: enter a whole number of hours, such as 24",
    "kind.hs_chapter": "{where}: enter two digits, such as 85",
    "kind.hs_code": "{where}: enter 6 to 10 digits",
    "kind.listing": "{where}: describe the item in up to 2,000 characters, as you would list it",
    "kind.new_password": "{where}: use at least 12 characters",
    "kind.note": "{where}: use up to 1000 characters, on one line",
    "kind.password": "{where}: enter your password",
    "kind.percentage": "{where}: enter a percentage from 0 to 1000, such as 4.5",
    "kind.postcode": "{where}: enter the postcode as the post writes it, such as 78266",
    "kind.quantity": "{where}: enter a number above 0",
    "kind.reason": "{where}: say why in up to 500 characters, on one line",
    "kind.reference": "{where}: use up to 64 characters",
    "kind.search": "{where}: use up to 200 characters",
    "kind.tax_scheme": "{where}: enter the number as the shop showed it, such as IM3720000015",
    "kind.tracking_number": "{where}: enter the number from your shipping confirmation, such as RR123456785CN",
    "kind.username": "{where}: enter your username",
    # -- the landed-cost form ---------------------------------------------------------------------
    "quote.destination": "Destination",
    "quote.destination.name": "destination",
    "quote.as_of": "Date of import",
    "quote.as_of.name": "date of import",
    "quote.currency": "Currency paid",
    "quote.currency.name": "currency paid",
    "quote.origin_country": "Shipped from",
    "quote.origin_country.name": "country the parcel is shipped from",
    "quote.shipping": "Shipping paid",
    "quote.shipping.name": "shipping paid",
    "quote.insurance": "Insurance paid",
    "quote.insurance.name": "insurance paid",
    "quote.nature": "What it is",
    "quote.nature.name": "kind of parcel",
    "quote.transport_mode": "Sent by",
    "quote.transport_mode.name": "way it is sent",
    "quote.tax_scheme_id": "Seller's tax number",
    "quote.tax_scheme_id.name": "seller's tax number",
    "quote.buyer_id": "Buyer",
    "quote.buyer_id.name": "buyer",
    "quote.destination_postcode": "Destination postcode",
    "quote.destination_postcode.name": "destination postcode",
    "quote.origin_postcode": "Postcode shipped from",
    "quote.origin_postcode.name": "postcode the parcel is shipped from",
    "quote_item.description": "Description",
    "quote_item.description.name": "description",
    "quote_item.hs_code": "HS code",
    "quote_item.hs_code.name": "HS code",
    "quote_item.quantity": "Quantity",
    "quote_item.quantity.name": "quantity",
    "quote_item.unit_value": "Unit value",
    "quote_item.unit_value.name": "unit value",
    "quote_item.origin": "Made in",
    "quote_item.origin.name": "country it was made in",
    "quote_item.duty_rate": "Duty rate",
    "quote_item.duty_rate.name": "duty rate",
    "quote_item.net_weight_kg": "Net weight",
    "quote_item.net_weight_kg.name": "net weight",
    "quote.items": "Enter at least one item: its description, HS code and unit value",
    "quote.failed": "We could not work out the cost of this parcel: check the details and try again",
    "quote.revenue.destination": "{where}: we cannot work out costs for this destination; choose another country",
    "quote.revenue.as_of": "{where}: we have no rates for this date; choose another date",
    "quote.revenue.currency": "{where}: we have no exchange rate for this currency on this date; choose another",
    # -- the HS code finder ---------------------------------------------------------------------------
    "classify.description": "Description of the item",
    "classify.description.name": "description of the item",
    "classify.category": "Category",
    "classify.category.name": "category",
    "classify.material": "Material",
    "classify.material.name": "material",
    "classify.details": "Other details",
    "classify.details.name": "other details",
    "classify.price": "Price",
    "classify.price.name": "price",
    "classify.currency": "Currency",
    "classify.currency.name": "currency",
    "classify.jurisdiction": "Going to",
    "classify.jurisdiction.name": "country the goods are going to",
    "classify.hs_code": "Code you have",
    "classify.hs_code.name": "code you have",
    "classify.refused": "{where}: {detail}",
    "classify.unavailable": "The code finder is not available right now: try again later",
    # -- signing in and the password --------------------------------------------------------------
    "sign_in.username": "Username",
    "sign_in.username.name": "username",
    "sign_in.password": "Password",
    "sign_in.password.name": "password",
    "sign_in.invalid": "Invalid username or password: check both and try again",
    "sign_in.throttled": "Too many failed attempts for this username or from this address: "
    "wait {seconds} seconds, then try again",
    "sign_in.expired": "The form expired: sign in again",
    "password.current_password": "Current password",
    "password.current_password.name": "current password",
    "password.new_password": "New password",
    "password.new_password.name": "new password",
    "password.repeat_password": "New password again",
    "password.repeat_password.name": "new password again",
    "password.wrong": "{where}: this is not your current password",
    "password.differ": "{where}: the two new passwords differ; type the same one twice",
    "password.short": "{where}: use at least 12 characters",
    "password.few": "{where}: use more than a few different characters",
    "password.username": "{where}: it must not contain your username",
    "password.common": "{where}: this password, or the word it is built on, is too common; choose another",
    "password.throttled": "Too many wrong passwords: wait {seconds} seconds, then try again",
    "password.done": "Your password is changed.",
    # -- the officer's forms on the consignment page ----------------------------------------------
    "control.action": "Action",
    "control.action.name": "action",
    "control.reason": "Reason",
    "control.reason.name": "reason",
    "control.not_allowed": "{where}: the consignment's state does not allow this step (it may have changed "
    "meanwhile); choose one of the list",
    "control.not_found": "There is no such consignment",
    "control.failed": "The step was not taken; nothing was changed. Try again",
    "outcome.result": "Outcome",
    "outcome.result.name": "outcome",
    "outcome.corrected_value": "Corrected goods value",
    "outcome.corrected_value.name": "corrected goods value",
    "outcome.corrected_hs_code": "Correct HS code",
    "outcome.corrected_hs_code.name": "correct HS code",
    "outcome.note": "Note",
    "outcome.note.name": "note",
    "outcome.value_needed": "{where}: an undervaluation needs the corrected value",
    "outcome.hs_code_needed": "{where}: a misclassification needs the correct HS code",
    "outcome.not_allowed": "{where}: the consignment's state does not allow recording an outcome now",
    # -- filters and searches -----------------------------------------------------------------------
    "queue.lane": "Lane",
    "queue.lane.name": "lane",
    "queue.operator": "Operator",
    "queue.operator.name": "operator",
    "queue.origin": "Origin",
    "queue.origin.name": "origin",
    "queue.chapter": "HS chapter",
    "queue.chapter.name": "HS chapter",
    "queue.rule": "Rule",
    "queue.rule.name": "rule",
    "queue.age": "Waiting at least (hours)",
    "queue.age.name": "hours waiting",
    "operators.operator": "Operator",
    "operators.operator.name": "operator",
    "operators.days": "Days",
    "operators.days.name": "number of days",
    "operators.period": "Per",
    "operators.period.name": "period",
    "dashboard.from": "From",
    "dashboard.from.name": "first date",
    "dashboard.to": "To",
    "dashboard.to.name": "last date",
    "dashboard.by": "Group by",
    "dashboard.by.name": "grouping",
    "dashboard.period": "Period",
    "dashboard.period.name": "period",
    "dashboard.metric": "Metric",
    "dashboard.metric.name": "metric",
    "dashboard.order": "{where}: the last date comes before the first; choose a later date",
    "prohibited.jurisdiction": "Going to",
    "prohibited.jurisdiction.name": "country the goods are going to",
    "prohibited.q": "What is it?",
    "prohibited.q.name": "goods",
    "prohibited.unknown": "{where}: we do not know this destination; choose a country",
    "track.number": "Tracking number",
    "track.number.name": "tracking number",
    "track.not_found": "{where}: we could not find a parcel with this number; check it",
}


def label(form: str, field: str, table: Mapping[str, str] = ENGLISH) -> str:
    """The field's visible label: the same words on the page and in its error messages."""
    return table[f"{form}.{field}"]


def where(form: str, field: str, item: int | None = None, table: Mapping[str, str] = ENGLISH) -> str:
    """How a message names the field: its label, and for an item's field which item (from 1)."""
    text = label(form, field, table)
    return text if item is None else table["where.item"].format(n=item, label=text)


def say(
    key: str, form: str, field: str, item: int | None = None, table: Mapping[str, str] = ENGLISH, **values: object
) -> str:
    """The message ``key`` about a field (templates name it as ``{where}``)."""
    return table[key].format(where=where(form, field, item, table), **values)


def invalid(form: str, field: str, item: int | None = None, table: Mapping[str, str] = ENGLISH) -> str:
    """What to enter in a field whose value is wrong."""
    return say(f"kind.{FIELDS[form][field]}", form, field, item, table)


def missing(form: str, field: str, item: int | None = None, table: Mapping[str, str] = ENGLISH) -> str:
    """What to do about a required field left blank ("Enter the HS code", "Destination country: choose a country")."""
    if FIELDS[form][field] in CHOICES:
        return invalid(form, field, item, table)
    name = table[f"{form}.{field}.name"]
    return table["missing"].format(name=name) if item is None else table["missing.item"].format(n=item, name=name)


@dataclass(frozen=True)
class FormError:
    """One message of a form: the id of the control it is about (None: the whole form)."""

    field: str | None
    text: str

    @property
    def message_id(self) -> str:
        """The id of the inline message, which the control names in its aria-describedby."""
        return f"{self.field}-error"


class FormErrors:
    """A form's messages in the order of its fields; at most one per control (the first found)."""

    def __init__(self, errors: Iterable[FormError] = ()) -> None:
        self._errors: list[FormError] = []
        for error in errors:
            self.add(error.field, error.text)

    def add(self, field: str | None, text: str) -> None:
        if field is None or self.of(field) is None:
            self._errors.append(FormError(field, text))

    def of(self, field: str) -> FormError | None:
        return next((e for e in self._errors if e.field == field), None)

    def __iter__(self) -> Iterator[FormError]:
        return iter(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)
