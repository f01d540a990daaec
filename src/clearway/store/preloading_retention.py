"""Retention of pre-loading filings: the consignor's and consignee's names, addresses and contacts in
a PLACI filing are personal data like a declaration's parties, and go after the same period
(store.privacy_sql runs this in each retention run). The filing's answer, its history and the goods
stay, to show what customs answered; an open referral is left until it is answered or expires."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from clearway.privacy.pseudonymise import anonymise_party
from clearway.store.risk_tables import placi_filings

_f = placi_filings.c
_PARTIES = ("consignor", "consignee")


def anonymise_filings(
    conn: sa.Connection, cutoff: dt.datetime, now: dt.datetime, *, chunk: int = 1_000, limit: int | None = None
) -> int:
    """Anonymise the parties of filings received before ``cutoff`` and no longer open; idempotent.
    ``limit``: stop after about that many (whole chunks), for a caller that commits in steps."""
    done = 0
    while limit is None or done < limit:
        rows = conn.execute(
            sa.select(_f.id, _f.filing)
            .where(_f.received_at < cutoff, _f.status != "open", _f.anonymised_at.is_(None))
            .order_by(_f.id)
            .limit(chunk)
        ).all()
        if not rows:
            return done
        updates = []
        for row in rows:
            filing = json.loads(row.filing)
            for role in _PARTIES:
                if isinstance(filing.get(role), dict):
                    filing[role] = anonymise_party(filing[role])
            updates.append({"k_id": row.id, "new_filing": json.dumps(filing, ensure_ascii=False), "at": now})
        conn.execute(
            placi_filings.update()
            .where(_f.id == sa.bindparam("k_id"))
            .values(filing=sa.bindparam("new_filing"), anonymised_at=sa.bindparam("at")),
            updates,
        )
        done += len(updates)
    return done
