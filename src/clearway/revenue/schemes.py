"""Vendor and platform tax schemes: the registration numbers used at checkout, and their registries.

A number is first checked by its format (with check digits where the scheme has them), then against
the registry customs loaded (``clearway revenue schemes import``). The jurisdiction's parameters say
which schemes it runs and up to what value; this module only knows what a number looks like.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from stdnum.au import abn
from stdnum.ch import vat as ch_vat
from stdnum.eu import oss
from stdnum.exceptions import ValidationError
from stdnum.gb import vat as gb_vat
from stdnum.nz import ird
from stdnum.sg import uen

RegistryStatus = Literal["registered", "not_registered", "not_loaded"]


def _stdnum(validate: Callable[[str], object]) -> Callable[[str], bool]:
    def check(number: str) -> bool:
        try:
            validate(number)
        except ValidationError:
            return False
        return True

    return check


def _pattern(expression: str) -> Callable[[str], bool]:
    compiled = re.compile(expression)
    return lambda number: compiled.fullmatch(number) is not None


def _gb(number: str) -> bool:
    return number.startswith("GB") and _stdnum(gb_vat.validate)(number)


def _arn_or_abn(number: str) -> bool:
    # Australia: an ABN (11 digits with a check) or, for non-resident vendors, an ATO reference number.
    return _pattern(r"ARN\d{12}|\d{12}")(number) or _stdnum(abn.validate)(number)


# Format name -> check. The names are what jurisdiction files write under collection.schemes.
FORMATS: dict[str, Callable[[str], bool]] = {
    "ioss": _stdnum(oss.validate),
    "voec": _pattern(r"VOEC\d{7}"),
    "au_arn": _arn_or_abn,
    "nz_gst": _stdnum(ird.validate),
    "gb_vat": _gb,
    # Singapore: a GST registration number (M + 8 digits + check letter) or a business UEN.
    "sg_gst": lambda n: _pattern(r"M[0-9]{8}[A-Z]")(n) or _stdnum(uen.validate)(n),
    "ch_vat": _stdnum(ch_vat.validate),
}


def compact(number: str) -> str:
    """A registration number without spaces, dots, dashes or slashes, in capitals: the form the
    registries are keyed by (``im 276 000 0001`` and ``IM2760000001`` are the same number)."""
    return _SEPARATORS.sub("", number).upper()


_SEPARATORS = re.compile(r"[\s./-]")


def valid_format(format_name: str, number: str) -> bool:
    check = FORMATS.get(format_name)
    return check is not None and check(number)


class SchemeRegistry(Protocol):
    def status(self, scheme: str, number: str, as_of: dt.date) -> RegistryStatus: ...


@dataclass(frozen=True, slots=True)
class Registration:
    scheme: str
    number: str
    holder: str
    start: dt.date
    end: dt.date | None = None


class RegistrySnapshot:
    """The registrations customs loaded, by scheme. A scheme with no rows counts as not loaded."""

    def __init__(self, registrations: Iterable[Registration] = ()) -> None:
        self._by_scheme: dict[str, dict[str, Registration]] = {}
        for registration in registrations:
            self._by_scheme.setdefault(registration.scheme, {})[compact(registration.number)] = registration

    def schemes(self) -> dict[str, int]:
        return {scheme: len(rows) for scheme, rows in self._by_scheme.items()}

    def status(self, scheme: str, number: str, as_of: dt.date) -> RegistryStatus:
        rows = self._by_scheme.get(scheme)
        if not rows:
            return "not_loaded"
        found = rows.get(compact(number))
        if found is None or found.start > as_of or (found.end is not None and as_of > found.end):
            return "not_registered"
        return "registered"
