"""Customs-to-customs alerts: our signing key, partner administrations, export, import and matching.

An export is made for one partner, because the sellers' pseudonyms are keyed with the key shared with
that partner alone. An import is verified before anything is stored (clearway.risk.partner_alerts.verify)
and kept as received. Every export, import and refused import, and every change of keys or partners,
goes to the audit chain (codes, ids and hashes; no seller, no consignee).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import msgspec

from clearway.app.alerts import keys
from clearway.app.alerts.partners import AlertKeys, AlertRefusedError
from clearway.app.secrets import derive
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.clearance.model import new_id
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment
from clearway.risk import partner_alerts as pa
from clearway.store import alert_repo
from clearway.store.audit_log import SqlAuditLog

# How long a partner should act on an alert unless the export says otherwise.
DEFAULT_VALIDITY_DAYS = 180
MAX_VALIDITY_DAYS = 730
_CONSIGNMENT = msgspec.json.Decoder(Consignment)


class AlertService(AlertKeys):
    # -- export ------------------------------------------------------------------------------------

    def export(
        self,
        partner_code: str,
        since: dt.datetime,
        until: dt.datetime | None = None,
        *,
        actor: str,
        valid_days: int = DEFAULT_VALIDITY_DAYS,
    ) -> bytes:
        """The signed envelope of the alerts for ``partner_code`` from consignments found
        non-compliant, seized or refused in [since, until)."""
        if not 1 <= valid_days <= MAX_VALIDITY_DAYS:
            raise InvalidRecord("bad validity", [FieldError("/valid_days", f"1 to {MAX_VALIDITY_DAYS} days")])
        now = self.clock()
        # The clock gives whole seconds (the envelope's times): the default end takes in this second.
        end = until or now + dt.timedelta(seconds=1)
        if since >= end:
            raise InvalidRecord("empty period", [FieldError("/since", "must be before the end of the period")])
        with self._lock, self.engine.begin() as conn:
            row = alert_repo.partner(conn, partner_code)
            if row is None:
                raise NotFound(f"no partner administration '{partner_code}'")
            ours = alert_repo.signing_key(conn)
            if ours is None:
                raise Conflict("no signing key yet: create one (clearway alerts key create --issuer CODE)")
            partner = keys.partner_of(self.secret, row)
            found = alert_repo.found_non_compliant(conn, since, end)
            alerts, sources = [], []
            for entry in found:
                finding = pa.finding_of(entry["state"], entry["outcome"])
                if finding is None:
                    continue
                record = _CONSIGNMENT.decode(entry["body"])
                alerts.append(self._alert(ours["issuer"], entry["id"], finding, record, partner, now, valid_days))
                sources.append(entry["id"])
            key = keys.our_signing_key(self.secret, ours["key_id"])
            body = pa.sign(key, ours["issuer"], ours["key_id"], alerts, now)
            detail = {
                "key_id": ours["key_id"],
                "since": since.isoformat(),
                "until": end.isoformat(),
                "alerts": [a.id for a in alerts],
                "consignments": sources,
                "sha256": hashlib.sha256(body).hexdigest(),
            }
            SqlAuditLog(conn).record(actor, "alerts.export", partner_code, detail, now)
        return body

    def _alert(
        self,
        issuer: str,
        consignment_id: str,
        finding: pa.Finding,
        record: Consignment,
        partner: pa.Partner,
        now: dt.datetime,
        valid_days: int,
    ) -> pa.PartnerAlert:
        main = max(record.items, key=lambda item: item.line_value)
        origin = record.parties.seller.country
        # Opaque and stable: the same consignment gives the same alert id, which the partner can
        # quote back; only we can tell which consignment it was (the audit entry of the export).
        opaque = hmac.new(derive(self.secret, "partner-alert-ids"), consignment_id.encode(), hashlib.sha256)
        return pa.PartnerAlert(
            id=f"{issuer}-{opaque.hexdigest()[:24]}",
            issuer=issuer,
            issued_at=now,
            expires_at=now + dt.timedelta(days=valid_days),
            finding=finding,
            hs_code=main.hs_code[:6],
            origin=origin,
            route=pa.Route(
                origin=origin, destination=record.destination_country, transport_mode=record.logistics.transport_mode
            ),
            sellers=sorted({pa.pseudonym(partner.shared_key, i) for i in pa.seller_identifiers(record)}),
        )

    # -- import ------------------------------------------------------------------------------------

    def import_envelope(self, data: bytes, *, actor: str) -> dict[str, Any]:
        """Verify a partner's envelope and keep it with its alerts; AlertRefusedError when refused."""
        now = self.clock()
        digest = hashlib.sha256(data).hexdigest()
        with self.engine.connect() as conn:
            known = keys.partners(conn, self.secret)
        try:
            envelope = pa.verify(data, known, now)
        except pa.AlertRefused as refused:
            self._audit(actor, "alerts.import.failed", "-", {"code": refused.code, "sha256": digest}, now)
            raise AlertRefusedError(refused) from None
        envelope_id = new_id()
        rows = [
            {
                "partner_code": envelope.issuer,
                "alert_id": a.id,
                "envelope_id": envelope_id,
                "finding": a.finding,
                "hs_code": a.hs_code,
                "origin": a.origin,
                "issued_at": a.issued_at,
                "expires_at": a.expires_at,
                "body": msgspec.json.encode(a).decode(),
            }
            for a in envelope.alerts
        ]
        with self._lock, self.engine.begin() as conn:
            new = alert_repo.add_envelope(
                conn,
                {
                    "id": envelope_id,
                    "partner_code": envelope.issuer,
                    "key_id": envelope.key_id,
                    "received_at": now,
                    "imported_by": actor,
                    "sha256": digest,
                    "body": data.decode("utf-8"),
                },
                rows,
            )
            detail = {"envelope": envelope_id, "sha256": digest, "alerts": len(rows), "new": new}
            SqlAuditLog(conn).record(actor, "alerts.import", envelope.issuer, detail, now)
        self._changed()
        return {"envelope_id": envelope_id, "partner": envelope.issuer, "alerts": len(rows), "new": new}

    # -- reading -----------------------------------------------------------------------------------

    def alerts(self, partner_code: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Imported alerts, newest first (without their pseudonyms, which mean nothing to a reader)."""
        with self.engine.connect() as conn:
            rows = alert_repo.alerts(conn, partner_code, limit)
        return [{k: v for k, v in r.items() if k not in ("body", "envelope_id")} for r in rows]

    def index(self, at: dt.datetime | None = None) -> pa.AlertIndex:
        with self.engine.connect() as conn:
            return keys.load_index(conn, self.secret, at or self.clock())

    def matches(self, record: Consignment, at: dt.datetime | None = None) -> list[pa.AlertMatch]:
        """The imported alerts in force that a declaration matches (the consignment page shows them)."""
        when = at or self.clock()
        return self.index(when).match(record, when)


__all__ = ["DEFAULT_VALIDITY_DAYS", "AlertRefusedError", "AlertService"]
