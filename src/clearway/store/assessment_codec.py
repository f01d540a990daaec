"""Assessment bodies stored compactly: what every assessment of a day repeats is stored once.

An assessment's body was its whole canonical JSON, about 2.6 KB, half of which every parcel of a
jurisdiction and day repeats word for word: the legal references and parameter versions of each
line, the list of parameters consulted, the exchange rate. Now those values are *parts*, kept once
each in ``body_parts`` under the SHA-256 of their JSON (store.body_parts), and the body is a JSON
array (msgspec ``array_like``: no keys) that names them. Reading puts the same ``Assessment`` back
together: ``unpack(pack(a)) == a``.

A body written before (a JSON object) is read as it always was; the two shapes tell themselves
apart by their first character. Parts hold parameter names, legal references and published rates:
never personal data, so retention has nothing to do in them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Hashable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from clearway.revenue.model import Assessment, CollectionModel, ExchangeRate, Line, LineKind, Warning
from clearway.store import body_parts

_ENCODE = msgspec.json.Encoder(decimal_format="string")
_WHOLE = msgspec.json.Decoder(Assessment)
_PARAMETERS = msgspec.json.Decoder(list[str])
_REFERENCE = msgspec.json.Decoder(str)
_RATE = msgspec.json.Decoder(ExchangeRate)


class _Line(msgspec.Struct, frozen=True, array_like=True):
    kind: LineKind
    code: str
    description: str
    amount: Decimal | None
    base: Decimal | None
    rate: str | None
    item: int | None
    parameters: str  # a part: the line's parameter versions
    reference: str  # a part: the line's legal reference


class _Packed(msgspec.Struct, frozen=True, array_like=True, tag="a1"):
    """An Assessment with its repeated values as part digests. The tag is the format's version."""

    destination: str
    jurisdiction: str
    as_of: dt.date
    currency: str
    irg_category: int
    collection_model: CollectionModel
    duty: Decimal | None
    tax: Decimal | None
    fees: Decimal | None
    total: Decimal | None
    complete: bool
    lines: list[_Line]
    warnings: list[Warning]
    parameters: str  # a part
    exchange_rate: str | None  # a part
    intrinsic_value: Decimal
    customs_value: Decimal
    tax_scheme: str | None
    tax_scheme_id: str | None
    per_person_value: Decimal | None
    engine: str
    missing: list[str]


_PACKED = msgspec.json.Decoder(_Packed)


class Packer:
    """Packs assessments, remembering each repeated value's digest for the life of the process (a
    pure function of the value) so that a batch hashes each distinct value once."""

    def __init__(self) -> None:
        self._digests: dict[Hashable, tuple[str, str]] = {}

    def _part(self, key: Hashable, value: Any, found: dict[str, str]) -> str:
        known = self._digests.get(key)
        if known is None:
            if len(self._digests) > 100_000:  # a bound, should parameters churn for months
                self._digests.clear()
            text = _ENCODE.encode(value)
            known = self._digests[key] = (body_parts.digest(text), text.decode())
        found[known[0]] = known[1]
        return known[0]

    def pack(self, assessments: Sequence[Assessment]) -> tuple[list[str], dict[str, str]]:
        """Each assessment's compact body, and the parts they name (digest -> JSON) to store."""
        parts: dict[str, str] = {}
        part = self._part
        bodies: list[str] = []
        for a in assessments:
            lines = [
                _Line(
                    kind=x.kind,
                    code=x.code,
                    description=x.description,
                    amount=x.amount,
                    base=x.base,
                    rate=x.rate,
                    item=x.item,
                    parameters=part(("p", *x.parameters), x.parameters, parts),
                    reference=part(("r", x.reference), x.reference, parts),
                )
                for x in a.lines
            ]
            rate = a.exchange_rate
            packed = _Packed(
                destination=a.destination,
                jurisdiction=a.jurisdiction,
                as_of=a.as_of,
                currency=a.currency,
                irg_category=a.irg_category,
                collection_model=a.collection_model,
                duty=a.duty,
                tax=a.tax,
                fees=a.fees,
                total=a.total,
                complete=a.complete,
                lines=lines,
                warnings=a.warnings,
                parameters=part(("p", *a.parameters), a.parameters, parts),
                # Keyed by its JSON, not the struct: Decimal("1") == Decimal("1.00"), but the body
                # must give back the figure as written.
                exchange_rate=None if rate is None else part(("x", _ENCODE.encode(rate)), rate, parts),
                intrinsic_value=a.intrinsic_value,
                customs_value=a.customs_value,
                tax_scheme=a.tax_scheme,
                tax_scheme_id=a.tax_scheme_id,
                per_person_value=a.per_person_value,
                engine=a.engine,
                missing=a.missing,
            )
            bodies.append(_ENCODE.encode(packed).decode())
        return bodies, parts


def is_packed(body: str | bytes) -> bool:
    return body[:1] in ("[", b"[")


def digests(body: str | bytes) -> set[str]:
    """The parts a stored body names (none for a body stored whole)."""
    if not is_packed(body):
        return set()
    p = _PACKED.decode(body)
    found = {p.parameters, *(x.parameters for x in p.lines), *(x.reference for x in p.lines)}
    if p.exchange_rate is not None:
        found.add(p.exchange_rate)
    return found


def unpack(body: str | bytes, part: Callable[[str], str]) -> Assessment:
    """The assessment a stored body says; ``part`` gives a part's JSON by its digest."""
    if not is_packed(body):
        return _WHOLE.decode(body)
    p = _PACKED.decode(body)
    return Assessment(
        destination=p.destination,
        jurisdiction=p.jurisdiction,
        as_of=p.as_of,
        currency=p.currency,
        irg_category=p.irg_category,
        collection_model=p.collection_model,
        duty=p.duty,
        tax=p.tax,
        fees=p.fees,
        total=p.total,
        complete=p.complete,
        lines=[
            Line(
                kind=x.kind,
                code=x.code,
                description=x.description,
                amount=x.amount,
                base=x.base,
                rate=x.rate,
                item=x.item,
                parameters=_PARAMETERS.decode(part(x.parameters)),
                reference=_REFERENCE.decode(part(x.reference)),
            )
            for x in p.lines
        ],
        warnings=p.warnings,
        parameters=_PARAMETERS.decode(part(p.parameters)),
        exchange_rate=None if p.exchange_rate is None else _RATE.decode(part(p.exchange_rate)),
        intrinsic_value=p.intrinsic_value,
        customs_value=p.customs_value,
        tax_scheme=p.tax_scheme,
        tax_scheme_id=p.tax_scheme_id,
        per_person_value=p.per_person_value,
        engine=p.engine,
        missing=p.missing,
    )


def needed(bodies: Collection[str | bytes]) -> set[str]:
    found: set[str] = set()
    for body in bodies:
        found |= digests(body)
    return found
