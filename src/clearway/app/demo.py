"""Demo data for `make run`: simulated traffic replayed through the pipeline in arrival order."""

from __future__ import annotations

import datetime as dt
import json
import os
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console

from clearway.access.roles import Role
from clearway.app.demo_partner import import_demo_alert
from clearway.app.platform import Clearway
from clearway.clearance.errors import Conflict
from clearway.simulate import SimulationConfig, Traffic, generate
from clearway.simulate.fraud import FRAUD_PRESETS
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
    register_traffic_operators(svc, traffic)
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


# The simulator's operator kinds in the registry's words.
_KINDS = {"platform": "marketplace", "post": "postal_operator"}
DEMO_PASSWORD = "clearway-demo-2026"
DEMO_PEOPLE = (
    ("admin", "Demo Administrator", Role.ADMIN),
    ("officer", "Demo Officer", Role.OFFICER),
    ("analyst", "Demo Analyst", Role.ANALYST),
)


def register_traffic_operators(svc: Clearway, traffic: Traffic) -> None:
    """Register the simulated operators (once), each with its kind: documents count only from senders
    of the kind that holds them (clearance.senders)."""
    known = {row["id"] for row in svc.access.operators()}
    for op in traffic.operators:
        if op.id not in known:
            svc.access.onboard(
                operator_id=op.id,
                name=op.name,
                kind=_KINDS.get(op.kind, op.kind),
                country=op.country,
                contact_email=f"integration@{op.id}.example",
                actor="system:demo",
            )


def onboard_demo_operators(svc: Clearway, traffic: Traffic, keys_file: Path) -> dict[str, str]:
    """Register the simulated operators and give each an API key, kept in ``keys_file`` (0600)."""
    register_traffic_operators(svc, traffic)
    keys: dict[str, str] = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    for op in traffic.operators:
        if op.id not in keys:
            issued, _ = svc.access.issue_key(op.id, actor="system:demo")
            keys[op.id] = issued.plaintext
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle, indent=1)
    return keys


def create_demo_people(svc: Clearway) -> list[str]:
    """Demo accounts with a published password: for a demonstration database only."""
    created = []
    for username, name, role in DEMO_PEOPLE:
        try:
            svc.access.create_person(
                username=username, display_name=name, role=role, password=DEMO_PASSWORD, actor="system:demo"
            )
            created.append(username)
        except Conflict:
            pass
    return created


def load_demo(svc: Clearway, *, count: int, seed: int, force: bool, console: Console | None = None) -> int | None:
    with svc.engine.connect() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one()
    if existing and not force:
        return None
    # The simulated week ends a day before now, so the newest declarations are still inside their
    # document deadline (awaiting documents) and the older incomplete ones are already held.
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).replace(minute=0, second=0, microsecond=0)
    # With hidden non-compliance, so that inspections in the demo find something to learn from.
    traffic = generate(count, seed, SimulationConfig(fraud=FRAUD_PRESETS["default"]), start=start)
    if console is not None:
        console.print(f"replaying {count:,} simulated consignments with their documents...")
    loaded = replay(svc, traffic)
    svc.expire_overdue()
    onboard_demo_operators(svc, traffic, Path(svc.settings.secret_key_file).with_name("demo-keys.json"))
    create_demo_people(svc)
    receive_demo_messages(svc)
    import_demo_alert(svc)
    return loaded


# One purchase as China's CEB messages declare it, each from its own sender (the order from the
# platform, the payment from the payment enterprise, the waybill from the logistics enterprise, the
# inventory from the declaring agent): what an officer sees of a declaration that came in messages.
# The files are tests/fixtures/messages/cn's (their README says where the element lists come from).
DEMO_MESSAGES = Path(__file__).with_name("demo_messages")
_CEB_SENDERS = (
    ("CEB311Message.xml", "1105960001", "marketplace", "Demo cross-border platform (CEB)"),
    ("CEB411Message.xml", "3101960003", "payment_provider", "Demo payment enterprise (CEB)"),
    ("CEB511Message.xml", "1105980004", "courier", "Demo logistics enterprise (CEB)"),
    ("CEB621Message.xml", "1105980005", "broker", "Demo declaring agent (CEB)"),
)


def receive_demo_messages(svc: Clearway) -> None:
    known = {row["id"] for row in svc.access.operators()}
    for name, sender, kind, label in _CEB_SENDERS:
        if sender not in known:
            svc.access.onboard(
                operator_id=sender,
                name=label,
                kind=kind,
                country="CN",
                contact_email=f"integration@{sender}.example",
                actor="system:demo",
            )
        svc.messages.receive("cn-ceb", sender, (DEMO_MESSAGES / name).read_bytes(), "application/xml")
