"""Customs-to-customs risk alerts: the record, its signed envelope, verification and matching.

An administration that seized or refused a consignment tells its partners the *pattern* of it, never
the people: the seller's identifiers are pseudonymised with HMAC-SHA256 under a key shared with that
partner only (so a third party, or a partner holding another key, learns nothing from them), with the
HS subheading, the origin, the route and the finding. No consignee, buyer or declarant data is in an
alert at all. WCO E-Commerce Framework of Standards, Standard on international cooperation
(customs-to-customs exchange), under the data privacy and security safeguards of the Beijing
Declaration; the envelope is signed with Ed25519 (RFC 8032) so the receiver knows who issued it
and that nobody changed it.

Pure: no I/O. The store keeps partners and alerts; the application service calls these functions.
The format is described for partners' engineers in docs/alerts.md.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clearway.dataset.records import Consignment

FORMAT: Final = "clearway-partner-alerts/1"
Finding = Literal["seized", "refused", "undervalued", "misclassified", "counterfeit", "prohibited"]
FINDINGS: Final[tuple[str, ...]] = ("seized", "refused", "undervalued", "misclassified", "counterfeit", "prohibited")
# The legal reference every alert-driven explanation cites.
LEGAL_BASIS: Final = (
    "WCO Cross-Border E-Commerce Framework of Standards (2018, reviewed 2022), Standard on international "
    "cooperation (customs-to-customs exchange of risk information), Luxor principle VI (partnerships); "
    "exchanged under the bilateral agreement with the issuing administration"
)
# An envelope larger than this is refused before it is parsed (a partner's day of alerts is far less).
MAX_ENVELOPE_BYTES: Final = 4 * 1024 * 1024
MAX_ALERTS: Final = 10_000
# Clocks of two administrations differ; an alert issued later than this ahead of ours is refused.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)

AdminCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9-]{1,15}$")]
KeyId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
Hs6 = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]
Pseudonym = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
AlertId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
# Times carry their zone (the canonical form is UTC with a Z): a local time would sign ambiguously.
Time = Annotated[dt.datetime, msgspec.Meta(tz=True)]
TransportMode = Literal["air", "sea", "road", "rail", "post"]


class Route(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the goods went: the country of dispatch, the destination and the mode of transport."""

    origin: Country
    destination: Country
    transport_mode: TransportMode


class PartnerAlert(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One risk alert: the pattern of a consignment found non-compliant, with no personal data."""

    id: AlertId
    issuer: AdminCode
    issued_at: Time
    expires_at: Time
    finding: Finding
    hs_code: Hs6
    origin: Country
    route: Route
    # HMAC-SHA256 (hex) of each seller identifier under the key shared with the receiving partner.
    sellers: Annotated[list[Pseudonym], msgspec.Meta(min_length=1, max_length=16)]


class Envelope(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The signed message: alerts from one issuer, signed by one of its keys."""

    format: Literal["clearway-partner-alerts/1"]
    issuer: AdminCode
    key_id: KeyId
    issued_at: Time
    alerts: Annotated[list[PartnerAlert], msgspec.Meta(max_length=MAX_ALERTS)]
    signature: str


Refusal = Literal[
    "malformed", "unknown_partner", "wrong_key", "bad_signature", "issuer_mismatch", "expired", "not_yet_valid"
]


class AlertRefused(ValueError):
    """An envelope that is not accepted, and why (a code, a sentence and where in the envelope)."""

    def __init__(self, code: Refusal, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pointer = pointer


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner administration as the receiver knows it: its public key and the shared key."""

    code: str
    name: str
    key_id: str
    public_key: bytes  # 32 raw bytes (Ed25519)
    shared_key: bytes  # the pseudonymisation key agreed with this partner


# -- keys ----------------------------------------------------------------------------------------------


def signing_key(seed: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key of a 32-byte seed (the application derives the seed from the platform secret)."""
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def encode_key(raw: bytes) -> str:
    """A key as partners exchange it: standard base64 of the 32 raw bytes."""
    return base64.b64encode(raw).decode()


def decode_key(text: str, what: str = "public key") -> bytes:
    """A base64 key of exactly 32 bytes; ValueError otherwise."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {what} is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"the {what} must be 32 bytes (it is {len(raw)})")
    return raw


def fingerprint(raw: bytes) -> str:
    """A short form of a public key to read over the telephone when partners confirm keys."""
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return ":".join(digest[i : i + 4] for i in range(0, 32, 4))


# -- pseudonyms ----------------------------------------------------------------------------------------


def _name_form(name: str) -> str:
    # Both administrations must compute the same form without sharing code: Unicode NFKC, case
    # folded, runs of white space to one space (docs/alerts.md gives this rule to partners).
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _code_form(code: str) -> str:
    return re.sub(r"[\s.-]", "", code).upper()


def seller_identifiers(record: Consignment) -> list[str]:
    """The seller's identifiers in their exchange form: ``name:``, ``eori:``, ``vat:``, ``id:``."""
    seller = record.parties.seller
    out = [f"name:{_name_form(seller.name)}"]
    if seller.eori:
        out.append(f"eori:{_code_form(seller.eori)}")
    if seller.vat:
        out.append(f"vat:{_code_form(seller.vat)}")
    if seller.id_number:
        out.append(f"id:{_code_form(seller.id_type or '')}:{_code_form(seller.id_number)}")
    return out


def pseudonym(shared_key: bytes, identifier: str) -> str:
    """HMAC-SHA256 of an identifier under a partner's shared key, hex."""
    return hmac.new(shared_key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()


# -- signing -------------------------------------------------------------------------------------------


def canonical(issuer: str, key_id: str, issued_at: dt.datetime, alerts: Sequence[PartnerAlert]) -> bytes:
    """The bytes signed: the envelope without its signature as JSON, keys sorted, no white space,
    UTF-8, times in UTC to the second with a ``Z``. Every value is a string, so no number formatting
    can differ between two implementations."""
    body = {
        "format": FORMAT,
        "issuer": issuer,
        "key_id": key_id,
        "issued_at": _time(issued_at),
        "alerts": [_alert_json(a) for a in alerts],
    }
    return msgspec.json.encode(body, order="sorted")


def _time(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("times in an alert must be timezone-aware")
    return at.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alert_json(alert: PartnerAlert) -> dict[str, object]:
    out: dict[str, object] = msgspec.to_builtins(alert)
    out["issued_at"] = _time(alert.issued_at)
    out["expires_at"] = _time(alert.expires_at)
    return out


def sign(
    key: Ed25519PrivateKey, issuer: str, key_id: str, alerts: Sequence[PartnerAlert], issued_at: dt.datetime
) -> bytes:
    """The signed envelope (JSON bytes) of ``alerts``."""
    signature = key.sign(canonical(issuer, key_id, issued_at, alerts))
    body = msgspec.json.decode(canonical(issuer, key_id, issued_at, alerts))
    body["signature"] = base64.b64encode(signature).decode()
    return msgspec.json.encode(body, order="sorted")


def verify(data: bytes, partners: Mapping[str, Partner], now: dt.datetime) -> Envelope:
    """The envelope, once it is well formed, from a known partner, signed by its key, unchanged and
    in force; AlertRefused otherwise, saying which of these failed."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise AlertRefused("malformed", f"the envelope is larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Kept as received as text: an envelope is UTF-8 JSON (RFC 8259), nothing else.
        raise AlertRefused("malformed", f"the envelope is not UTF-8 (byte {exc.start})") from None
    try:
        envelope = msgspec.json.decode(data, type=Envelope)
    except msgspec.ValidationError as exc:
        raise AlertRefused(
            "malformed", f"the envelope is not a valid alert message: {exc}", _pointer(str(exc))
        ) from None
    except msgspec.DecodeError as exc:
        raise AlertRefused("malformed", f"the envelope is not JSON: {exc}") from None
    partner = partners.get(envelope.issuer)
    if partner is None:
        raise AlertRefused(
            "unknown_partner",
            f"'{envelope.issuer}' is not a partner administration: alerts are accepted only from partners "
            "whose public key was exchanged and registered",
            "/issuer",
        )
    if envelope.key_id != partner.key_id:
        raise AlertRefused(
            "wrong_key",
            f"the envelope names key '{envelope.key_id}', but the key registered for {partner.code} is "
            f"'{partner.key_id}' (a new key must be exchanged and registered first)",
            "/key_id",
        )
    try:
        signature = base64.b64decode(envelope.signature, validate=True)
    except (binascii.Error, ValueError):
        raise AlertRefused("malformed", "the signature is not base64", "/signature") from None
    try:
        Ed25519PublicKey.from_public_bytes(partner.public_key).verify(
            signature, canonical(envelope.issuer, envelope.key_id, envelope.issued_at, envelope.alerts)
        )
    except (InvalidSignature, ValueError):
        raise AlertRefused(
            "bad_signature",
            f"the signature does not verify with {partner.code}'s key '{partner.key_id}': the envelope was "
            "changed after it was signed, or signed with another key",
            "/signature",
        ) from None
    _check_alerts(envelope, now)
    return envelope


def _check_alerts(envelope: Envelope, now: dt.datetime) -> None:
    if _aware(envelope.issued_at) > now + CLOCK_SKEW:
        raise AlertRefused("not_yet_valid", "the envelope is dated in the future", "/issued_at")
    for i, alert in enumerate(envelope.alerts):
        if alert.issuer != envelope.issuer:
            raise AlertRefused(
                "issuer_mismatch",
                f"alert '{alert.id}' names issuer '{alert.issuer}' in an envelope from '{envelope.issuer}'",
                f"/alerts/{i}/issuer",
            )
        if _aware(alert.issued_at) > now + CLOCK_SKEW:
            raise AlertRefused("not_yet_valid", f"alert '{alert.id}' is dated in the future", f"/alerts/{i}/issued_at")
        if _aware(alert.expires_at) <= now:
            raise AlertRefused(
                "expired",
                f"alert '{alert.id}' expired at {_time(alert.expires_at)}: an expired alert is not imported",
                f"/alerts/{i}/expires_at",
            )


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise AlertRefused("malformed", "times must carry a timezone (UTC, with a Z)")
    return at


def _pointer(message: str) -> str:
    # msgspec says "... - at `$.alerts[0].hs_code`": the JSON pointer of that path.
    found = re.search(r"at `\$(.*)`", message)
    if not found:
        return ""
    return re.sub(r"\[(\d+)\]", r"/\1", found.group(1)).replace(".", "/")


# -- export and matching -------------------------------------------------------------------------------


def finding_of(state: str, outcome: str | None) -> Finding | None:
    """The finding a partner is told of, from an inspection outcome and the consignment's final state:
    what the inspection found, else that it was seized or refused (returned); None for a
    consignment found compliant or never stopped."""
    if outcome in ("undervalued", "misclassified", "counterfeit", "prohibited"):
        return outcome  # type: ignore[return-value]
    if state == "seized":
        return "seized"
    if state == "returned" and outcome is not None and outcome != "compliant":
        return "refused"
    return None


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """An imported alert a consignment matches."""

    partner: str
    partner_name: str
    alert_id: str
    finding: str
    issued_at: dt.datetime

    def label(self) -> str:
        """How the risk frame holds it: ``finding:PARTNER:alert id`` (the finding first, so that a rule
        can target findings with ``starts_with``)."""
        return f"{self.finding}:{self.partner}:{self.alert_id}"


@dataclass(frozen=True, slots=True)
class _Indexed:
    alert: PartnerAlert
    partner: Partner


@dataclass
class AlertIndex:
    """Imported alerts by partner and pseudonym, so a batch is matched with dictionary lookups.

    A consignment matches an alert when one of its seller's identifiers, pseudonymised with that
    alert's partner's key, is one of the alert's, an item's HS code starts with the alert's (the
    alert names a subheading; a declaration may give 8 or 10 digits), and the seller's country is the
    alert's origin; and the alert is in force on the day of assessment.
    """

    alerts: Iterable[tuple[PartnerAlert, Partner]]
    _by: dict[str, dict[str, list[_Indexed]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for alert, partner in self.alerts:
            per = self._by.setdefault(partner.code, {})
            for seller in alert.sellers:
                per.setdefault(seller, []).append(_Indexed(alert, partner))
        self._partners = {
            code: next(iter(entries.values()))[0].partner for code, entries in self._by.items() if entries
        }

    def __len__(self) -> int:
        return sum(len(v) for per in self._by.values() for v in per.values())

    def match(
        self, record: Consignment, at: dt.datetime, cache: dict[tuple[str, str], str] | None = None
    ) -> list[AlertMatch]:
        """The alerts in force at ``at`` that ``record`` matches, by partner then alert id (``cache``
        keeps a batch's pseudonyms: a seller usually ships many parcels)."""
        if not self._by:
            return []
        known = {} if cache is None else cache
        identifiers = seller_identifiers(record)
        origin = record.parties.seller.country
        codes = [item.hs_code for item in record.items]
        found: dict[tuple[str, str], AlertMatch] = {}
        for code, partner in self._partners.items():
            per = self._by[code]
            for identifier in identifiers:
                hashed = known.get((code, identifier))
                if hashed is None:
                    hashed = known[(code, identifier)] = pseudonym(partner.shared_key, identifier)
                for entry in per.get(hashed, ()):
                    alert = entry.alert
                    if alert.origin != origin or not (alert.issued_at <= at + CLOCK_SKEW and at < alert.expires_at):
                        continue
                    if any(c.startswith(alert.hs_code) for c in codes):
                        found[(code, alert.id)] = AlertMatch(
                            code, partner.name, alert.id, alert.finding, alert.issued_at
                        )
        return [found[k] for k in sorted(found)]

    def labels(self, records: Sequence[Consignment], at: Sequence[dt.datetime]) -> list[list[str]]:
        """One list of match labels per record (the risk step's ``partner_alerts`` column)."""
        cache: dict[tuple[str, str], str] = {}
        return [[m.label() for m in self.match(r, t, cache)] for r, t in zip(records, at, strict=True)]


__all__ = [
    "FINDINGS",
    "FORMAT",
    "LEGAL_BASIS",
    "AlertIndex",
    "AlertMatch",
    "AlertRefused",
    "Envelope",
    "Finding",
    "Partner",
    "PartnerAlert",
    "Route",
    "canonical",
    "decode_key",
    "encode_key",
    "finding_of",
    "fingerprint",
    "pseudonym",
    "public_bytes",
    "seller_identifiers",
    "sign",
    "signing_key",
    "verify",
]
