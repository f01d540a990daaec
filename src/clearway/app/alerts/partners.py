"""The alert exchange's keys and partners: our signing key, partner administrations and their keys.

Changing either goes to the audit chain with the key's fingerprint, never a secret. The shared
pseudonymisation key of a partner is shown once, when it is generated, to be sent to the partner by
a secure channel (docs/alerts.md); after that it is kept sealed (app/alerts/keys.py).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from clearway.app.alerts import keys
from clearway.app.risk.core import RiskCore
from clearway.app.secrets import load_or_create
from clearway.clearance.errors import InvalidRecord, NotFound
from clearway.dataset.errors import FieldError
from clearway.risk import partner_alerts as pa
from clearway.settings import Settings
from clearway.store import alert_repo
from clearway.store.audit_log import SqlAuditLog

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,15}$")
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class AlertRefusedError(InvalidRecord):
    """An envelope refused on import: its ``code`` (malformed, unknown_partner, bad_signature...) is the slug."""

    def __init__(self, refusal: pa.AlertRefused) -> None:
        super().__init__(refusal.message, [FieldError(refusal.pointer, refusal.message)] if refusal.pointer else [])
        self.code = refusal.code
        self.slug = f"alert-{refusal.code.replace('_', '-')}"
        self.title = "Alert refused"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class AlertKeys:
    def __init__(
        self,
        engine: sa.Engine,
        settings: Settings,
        risk: Callable[[], RiskCore | None] = lambda: None,
        *,
        write_lock: threading.Lock,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self._lock = write_lock
        self.secret = load_or_create(settings.secret_key or None, settings.secret_key_file)
        # The risk side, when it is loaded: its step is rebuilt with the alerts after a change.
        self._risk = risk
        self.clock = clock

    # -- our key -----------------------------------------------------------------------------------

    def create_key(self, issuer: str, *, actor: str) -> dict[str, Any]:
        """A new signing key for our administration ``issuer``; the one before it is retired."""
        if not _CODE.fullmatch(issuer):
            raise InvalidRecord("bad administration code", [FieldError("/issuer", "2-16 capitals, digits or '-'")])
        now = self.clock()
        key_id = f"{issuer.lower()}-{now:%Y%m%d}-{os.urandom(3).hex()}"
        public = pa.public_bytes(keys.our_signing_key(self.secret, key_id))
        row = {
            "key_id": key_id,
            "issuer": issuer,
            "public_key": pa.encode_key(public),
            "created_at": now,
            "retired_at": None,
        }
        with self._lock, self.engine.begin() as conn:
            alert_repo.add_signing_key(conn, row, now)
            SqlAuditLog(conn).record(actor, "alerts.key.create", key_id, {"issuer": issuer}, now)
        return _shown_key(row)

    def our_key(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = alert_repo.signing_key(conn)
        if row is None:
            raise NotFound("no signing key yet: create one (clearway alerts key create --issuer CODE)")
        return _shown_key(row)

    # -- partners ----------------------------------------------------------------------------------

    def add_partner(
        self, code: str, name: str, key_id: str, public_key: str, shared_key: str | None, *, actor: str
    ) -> tuple[dict[str, Any], str | None]:
        """Register (or re-key) a partner; the shared key is generated when not given, and returned
        then, once, to be sent to the partner by a secure channel."""
        errors = []
        if not _CODE.fullmatch(code):
            errors.append(FieldError("/code", "2-16 capitals, digits or '-'"))
        if not _KEY_ID.fullmatch(key_id):
            errors.append(FieldError("/key_id", "1-64 letters, digits, '.', '_' or '-'"))
        if not 1 <= len(name.strip()) <= 200:
            errors.append(FieldError("/name", "1 to 200 characters"))
        raw_public = _key(public_key, "/public_key", "public key", errors)
        generated = pa.encode_key(os.urandom(32)) if shared_key is None else None
        raw_shared = _key(shared_key or generated or "", "/shared_key", "shared key", errors)
        if errors or raw_public is None or raw_shared is None:
            raise InvalidRecord("the partner is not valid", errors)
        now = self.clock()
        row = {
            "code": code,
            "name": name.strip(),
            "key_id": key_id,
            "public_key": pa.encode_key(raw_public),
            "shared_key_sealed": keys.seal(self.secret, code, raw_shared),
            "created_at": now,
            "updated_at": now,
        }
        with self._lock, self.engine.begin() as conn:
            new = alert_repo.put_partner(conn, row)
            detail = {"key_id": key_id, "fingerprint": pa.fingerprint(raw_public), "new": new}
            SqlAuditLog(conn).record(actor, "alerts.partner.put", code, detail, now)
        self._changed()
        return _shown_partner(row), generated

    def partners(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_shown_partner(r) for r in alert_repo.partners(conn)]

    def _changed(self) -> None:
        built = self._risk()
        if built is not None:
            built.reload()

    def _audit(self, actor: str, action: str, subject: str, detail: dict[str, Any], at: dt.datetime) -> None:
        with self._lock, self.engine.begin() as conn:
            SqlAuditLog(conn).record(actor, action, subject, detail, at)


def _key(text: str, pointer: str, what: str, errors: list[FieldError]) -> bytes | None:
    try:
        return pa.decode_key(text, what)
    except ValueError as exc:
        errors.append(FieldError(pointer, str(exc)))
        return None


def _shown_key(row: dict[str, Any]) -> dict[str, Any]:
    raw = pa.decode_key(row["public_key"])
    return {
        "key_id": row["key_id"],
        "issuer": row["issuer"],
        "public_key": row["public_key"],
        "fingerprint": pa.fingerprint(raw),
        "created_at": row["created_at"],
    }


def _shown_partner(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "key_id": row["key_id"],
        "public_key": row["public_key"],
        "fingerprint": pa.fingerprint(pa.decode_key(row["public_key"])),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
