"""Property: no sequence of the declarant's actions moves a consignment out of a customs hold.

A consignment is put under control (selected by the targeting rules at once or when its document
deadline passes, held for examination by an officer, or held by an officer asking for information), then
hypothesis plays any sequence of what operators can do — amend any field, cancel, resubmit, send
documents under its numbers from any sender, let the document deadline pass — against the real
store. Whatever the sequence, the consignment stays held under the same control until an officer
decides; its declaration unchanged, except for an officer's request, which amendments answer.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearway.app.platform import Clearway
from clearway.clearance.errors import ClearwayError
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.records import Consignment, Order, Payment, Waybill

pytestmark = pytest.mark.usefixtures("standard_operators")

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
DECLARANT = "op-courier-1"
SENDERS = ["op-courier-1", "op-courier-2", "op-platform-1", "op-psp-1", "op-post-1"]
_serial = itertools.count()


def _amended(c: Consignment, what: str) -> Consignment:
    item = c.items[0]
    if what == "description":
        items = [msgspec.structs.replace(item, description="Hair spray 50 ml"), *c.items[1:]]
        return msgspec.structs.replace(c, items=items)
    if what == "weight":
        logistics = msgspec.structs.replace(c.logistics, gross_weight_kg=c.logistics.gross_weight_kg + Decimal("0.01"))
        return msgspec.structs.replace(c, logistics=logistics)
    if what == "value":
        items = [msgspec.structs.replace(item, unit_price=Decimal("1.00")), *c.items[1:]]
        return msgspec.structs.replace(c, items=items)
    items = [msgspec.structs.replace(item, hs_code="330510"), *c.items[1:]]
    return msgspec.structs.replace(c, items=items)


ACTIONS = st.one_of(
    st.tuples(st.just("amend"), st.sampled_from(["description", "weight", "value", "hs_code"])),
    st.tuples(st.just("cancel"), st.just("")),
    st.tuples(st.just("resubmit"), st.sampled_from(["same", "copy"])),
    st.tuples(st.just("document"), st.sampled_from(["order", "payment", "waybill"]), st.sampled_from(SENDERS)),
    st.tuples(st.just("sweep"), st.just("")),
)


def _documents(order: Order, payment: Payment, waybill: Waybill, serial: int) -> dict[str, Any]:
    # Each example its own numbers, so that examples sharing one database do not meet.
    o = msgspec.structs.replace(order, order_number=f"ORD-{serial}")
    p = msgspec.structs.replace(payment, payment_id=f"PAY-{serial}", order_number=o.order_number)
    w = msgspec.structs.replace(waybill, transport_document=f"WB{serial:09d}", order_number=o.order_number)
    return {"order": o, "payment": p, "waybill": w}


def _declaration(c: Consignment, docs: dict[str, Any], serial: int, pepper: bool) -> Consignment:
    t = msgspec.structs.replace(c.transaction, order_number=f"ORD-{serial}", payment_id=f"PAY-{serial}")
    logistics = msgspec.structs.replace(c.logistics, transport_document=f"WB{serial:09d}")
    found = msgspec.structs.replace(c, reference=f"PROP-{serial}", transaction=t, logistics=logistics)
    if pepper:
        items = [msgspec.structs.replace(c.items[0], description="Pepper spray 50 ml"), *c.items[1:]]
        found = msgspec.structs.replace(found, items=items)
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    how=st.sampled_from(["selected", "deadline", "officer", "requested"]),
    actions=st.lists(ACTIONS, min_size=1, max_size=8),
)
def test_no_operator_action_lifts_a_customs_hold(
    service: Clearway,
    consignment: Consignment,
    order: Order,
    payment: Payment,
    waybill: Waybill,
    how: str,
    actions: list[tuple[str, ...]],
) -> None:
    serial = next(_serial)
    docs = _documents(order, payment, waybill, serial)
    declared = _declaration(consignment, docs, serial, pepper=how in ("selected", "deadline"))
    now = T0 + dt.timedelta(days=serial)
    if how == "selected":
        for kind, sender in (("order", "op-platform-1"), ("payment", "op-psp-1"), ("waybill", "op-post-1")):
            service.submit_documents(kind, sender, [docs[kind]], now=now)  # type: ignore[arg-type]
    [result] = service.submit_consignments(DECLARANT, [declared], now=now)
    cid = result.id or ""
    if how == "deadline":
        # Red, but reached through the document deadline rather than at once.
        service.expire_overdue(now=now + dt.timedelta(hours=73))
    if how in ("officer", "requested"):
        hold = HoldReason.INSPECTION if how == "officer" else HoldReason.REQUEST_FOR_INFORMATION
        service.control(cid, State.HELD, actor="person:olga", reason="intelligence", hold_reason=hold, now=now)
    before = service.dossier(None, cid)
    assert before is not None and before.consignment.status.state is State.HELD
    control = before.consignment.status.control
    assert control == {"deadline": "selected"}.get(how, how)
    current = declared
    for step, action in enumerate(actions, start=1):
        at = now + dt.timedelta(hours=step * 30)
        refused: int | None = None
        try:
            if action[0] == "amend":
                current = _amended(current, action[1])
                service.amend(DECLARANT, cid, current, now=at)
            elif action[0] == "cancel":
                service.cancel(DECLARANT, cid, "changed my mind", now=at)
            elif action[0] == "resubmit":
                again = declared if action[1] == "same" else msgspec.structs.replace(declared, reference=f"X-{step}")
                service.submit_consignments(DECLARANT if action[1] == "same" else "op-courier-2", [again], now=at)
            elif action[0] == "document":
                service.submit_documents(action[1], action[2], [docs[action[1]]], now=at)  # type: ignore[arg-type]
            else:
                service.expire_overdue(now=at)
        except ClearwayError as exc:
            refused = exc.status
        # Refused, if at all, as a conflict with the control (never a crash or a silent change).
        assert refused in (None, 409), (action, refused)
        after = service.dossier(None, cid)
        assert after is not None
        assert after.consignment.status.state is State.HELD, (action, after.consignment.status)
        assert after.consignment.status.control == control
        if control != "requested":
            assert after.consignment.version == 1 and after.consignment.body_hash == before.consignment.body_hash
        else:
            # An officer's request is answered by amendments, each a version for the officer to judge.
            assert refused is None or action[0] in ("cancel", "resubmit")
