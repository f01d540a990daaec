"""A buyer's per-person quota across processes (PostgreSQL): transactions that read a buyer's usage,
assess against what is left and charge the ledger take turns, so none misses another's charge.

Each thread has its own engine (its own connections, as each worker process has) and does what the
pipeline does in one transaction: read the usage, decide, write the charge. The pause between the
read and the write is where two processes would otherwise both see the same usage.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.revenue.declared import buyer_identity, quota_key
from clearway.store.engine import create_engine
from clearway.store.repository import SqlClearanceStore
from clearway.store.revenue_tables import quota_ledger
from tests.app.test_platform import COURIER, T0
from tests.app.test_revenue import _cn

LIMIT = Decimal("26000")  # China's annual cross-border e-commerce limit per person
PARCEL = Decimal("4900")


def charge_if_within(database_url: str, key: str, consignment_id: str, start: threading.Barrier) -> bool:
    engine = create_engine(database_url)
    try:
        start.wait()
        with engine.begin() as conn:
            used = SqlClearanceStore(conn).person_usage([key], T0, exclude=[consignment_id])
            year = used[key].year if key in used else Decimal(0)
            time.sleep(0.05)  # the assessment: long enough for every other worker to read too
            if year + PARCEL > LIMIT:
                return False
            conn.execute(
                quota_ledger.insert().values(
                    consignment_id=consignment_id, jurisdiction="CN", buyer_key=key, year=T0.year,
                    amount=PARCEL, tax=Decimal("0"), charged_at=T0,
                )
            )  # fmt: skip
            return True
    finally:
        engine.dispose()


def test_concurrent_charges_of_one_buyer_stay_within_the_limit(
    service: Clearway, consignment_data: dict[str, Any], database_url: str
) -> None:
    if service.engine.dialect.name != "postgresql":
        pytest.skip("several writing processes need PostgreSQL; SQLite has one (docs/adr/0002)")
    parcels = _cn(consignment_data, 8, str(PARCEL))
    results = service.submit_consignments(COURIER, parcels, now=T0 - dt.timedelta(hours=1))
    with service.engine.begin() as conn:
        conn.execute(quota_ledger.delete())  # nothing charged yet: the threads charge
    key = quota_key(service.revenue.config().quota_secret, "CN", buyer_identity(parcels[0]) or "")
    start = threading.Barrier(len(results))
    charged: list[bool] = []
    threads = [
        threading.Thread(target=lambda cid=r.id: charged.append(charge_if_within(database_url, key, cid or "", start)))
        for r in results
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with service.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.sum(quota_ledger.c.amount))).scalar_one()
    # Five parcels fit in the year's limit and the sixth does not, whichever order they came in.
    assert charged.count(True) == 5 and Decimal(total) == 5 * PARCEL <= LIMIT
