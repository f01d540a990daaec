"""The pages' one template environment: the base layout and locale-aware number and date formatting.

Numbers, money, percentages and times are formatted with Babel for the reader's locale, chosen
from the browser's Accept-Language among the locales the pages offer (English by default), so an
officer in Paris reads "1 234,50 €" and one in Dublin "€1,234.50". Templates call the filters
``number``, ``money``, ``percent`` and ``when``, which read the request's locale from the context.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from clearway.web.form_messages import ENGLISH, label

# The locales offered (the language of the pages' own text stays English for now).
LOCALES = ("en_GB", "en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT", "sv_SE", "zh_CN")
DEFAULT_LOCALE = "en_GB"
_BY_LANGUAGE = {code.split("_")[0]: code for code in reversed(LOCALES)}

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
STATIC = Path(__file__).with_name("static")


def negotiate(accept_language: str | None) -> str:
    """The offered locale that best matches an Accept-Language header (q-values respected)."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip().replace("-", "_")))
    for _, _, tag in sorted(ranked):
        if not tag or tag == "*":
            continue
        try:
            wanted = Locale.parse(tag)
        except (ValueError, UnknownLocaleError):
            continue
        exact = f"{wanted.language}_{wanted.territory}" if wanted.territory else None
        if exact in LOCALES:
            return exact
        if wanted.language in _BY_LANGUAGE:
            return _BY_LANGUAGE[wanted.language]
    return DEFAULT_LOCALE


def locale_of(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def _locale(context: Context) -> str:
    request = context.get("request")
    return locale_of(request) if isinstance(request, Request) else DEFAULT_LOCALE


@pass_context
def number(context: Context, value: Any, digits: int | None = None) -> str:
    if value is None:
        return "–"
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return str(format_decimal(value, format=pattern, locale=_locale(context)))


@pass_context
def money(context: Context, value: Any, currency: str = "EUR") -> str:
    if value is None:
        return "–"
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return str(format_currency(amount, currency, locale=_locale(context)))


@pass_context
def percent(context: Context, value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    # The locale's own pattern (spacing and sign differ: "12.5%", "12,5 %"), with ``digits`` decimals kept.
    rounded = round(float(value), digits + 2)
    return str(format_percent(rounded, locale=_locale(context), decimal_quantization=False))


@pass_context
def when(context: Context, value: Any, style: str = "medium") -> str:
    if value is None:
        return "–"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_datetime(moment, format=style, tzinfo=dt.UTC, locale=_locale(context)))


templates.env.filters.update(number=number, money=money, percent=percent, when=when)
# The forms' labels and words come from one table (web/form_messages.py), as their messages do.
templates.env.globals.update(label=label, words=ENGLISH)
