"""Demo data for `make run`: simulated traffic replayed through the pipeline in arrival order."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from rich.console import Console

from clearway.service import Clearway
from clearway.simulate import Traffic, generate
from clearway.store.tables import consignments


def _arrivals(traffic: Traffic) -> list[tuple[Any, str, str, Any]]:
    """Every submission as (time, kind, operator, record), in the order it reaches customs."""
    events: list[tuple[Any, str, str, Any]] = []
    for kind, submissions in (
        ("consignment", traffic.consignments),
        ("order", traffic.orders),
        ("payment", traffic.payments),
        ("waybill", traffic.waybills),
    ):
        events.extend((s.received_at, kind, s.operator_id, s.record) for s in submissions)
    events.sort(key=lambda e: e[0])
    return events


def replay(svc: Clearway, traffic: Traffic) -> int:
    """Submit the traffic as its operators would, each record at its own arrival time."""
    count = 0
    for (kind, operator), group in groupby(_arrivals(traffic), key=lambda e: (e[1], e[2])):
        batch = list(group)
        for at, _, _, record in batch:
            # One call per arrival time keeps each record's history at its own simulated time.
            if kind == "consignment":
                svc.submit_consignments(operator, [record], now=at)
                count += 1
            else:
                svc.submit_documents(kind, operator, [record], now=at)
    return count


def load_demo(svc: Clearway, *, count: int, seed: int, force: bool, console: Console | None = None) -> int | None:
    with svc.engine.connect() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one()
    if existing and not force:
        return None
    # The simulated week ends a day before now, so the newest declarations are still inside their
    # document deadline (awaiting documents) and the older incomplete ones are already held.
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).replace(minute=0, second=0, microsecond=0)
    traffic = generate(count, seed, start=start)
    if console is not None:
        console.print(f"replaying {count:,} simulated consignments with their documents...")
    loaded = replay(svc, traffic)
    svc.expire_overdue()
    return loaded
