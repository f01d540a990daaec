"""A partner administration for the demo: registered, with one signed alert imported, so that
`make run` shows customs-to-customs alerts at work (docs/alerts.md): the alert matches one held
demo consignment and shows on its page as "Alert from partner ...".

The partner's signing key is derived from a fixed, public seed: it exists for the demonstration
only and signs nothing outside it. A real partner sends its public key and keeps its private key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.risk import partner_alerts as pa
from clearway.store.tables import consignments

CODE, NAME, KEY_ID = "XD", "Demo partner administration (not a real one)", "xd-demo-1"
_SEED = hashlib.sha256(b"clearway demo partner XD: public seed, not a secret").digest()


def import_demo_alert(svc: Clearway) -> str | None:
    """Register the demo partner and import one alert matching the first held consignment; its id,
    or None when the demo has no held consignment with a seller."""
    with svc.engine.connect() as conn:
        held = conn.execute(
            sa.select(consignments.c.id).where(consignments.c.state == "held").order_by(consignments.c.id).limit(1)
        ).scalar_one_or_none()
    dossier = None if held is None else svc.dossier(None, held)
    if dossier is None:
        return None
    record, received = dossier.consignment.record, dossier.consignment.received_at
    sellers = pa.seller_identifiers(record)
    seller = record.parties.seller
    if not sellers or seller is None or not record.items:
        return None
    key = pa.signing_key(_SEED)
    shared = os.urandom(32)
    svc.alerts.add_partner(
        CODE,
        NAME,
        KEY_ID,
        pa.encode_key(pa.public_bytes(key)),
        pa.encode_key(shared),
        actor="system:demo",
    )
    issued = received - dt.timedelta(days=1)
    alert = pa.PartnerAlert(
        id="XD-demo-1",
        issuer=CODE,
        issued_at=issued,
        expires_at=issued + dt.timedelta(days=180),
        finding="counterfeit",
        hs_code=record.items[0].hs_code[:6],
        origin=seller.country,
        route=pa.Route(
            origin=seller.country,
            destination=record.destination_country,
            transport_mode=record.logistics.transport_mode,
        ),
        sellers=[pa.pseudonym(shared, identifier) for identifier in sellers],
    )
    envelope = pa.sign(key, CODE, KEY_ID, [alert], dt.datetime.now(dt.UTC).replace(microsecond=0))
    svc.alerts.import_envelope(envelope, actor="system:demo")
    return held
