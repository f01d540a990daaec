"""Revenue in the pipeline, on the real store: assessments stored with their parameters, IRG
category 4 held for a full declaration, statements per scheme number and per intermediary, China's
per-person annual quota with refunds on return."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clearway.app.platform import Clearway
from clearway.clearance.errors import Conflict
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.revenue.declared import buyer_identity, quota_key
from clearway.revenue.schemes import Registration
from clearway.store.repository import SqlClearanceStore
from tests.app.test_platform import COURIER, T0, dossier_of, send_documents
from tests.conftest import decode

# Documents link only from the senders the fixture declaration names (clearance.senders).
pytestmark = pytest.mark.usefixtures("standard_operators")


def test_a_released_consignment_carries_its_explained_assessment(
    service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill
) -> None:
    send_documents(service, order, payment, waybill)
    [result] = service.submit_consignments(COURIER, [consignment], now=T0)
    assert result.state is State.RELEASED
    assessment = dossier_of(service, result.id or "").assessment
    assert assessment is not None
    # 2026-11-22, Germany: EUR 3 per item category (silk and wool blouses: two subheadings), then
    # 19 % VAT on goods 23.80 + transport 3.50 + duty 6.00 = 33.30 -> 6.327 -> 6.33.
    assert (assessment.as_of, assessment.jurisdiction, assessment.currency) == (T0.date(), "EU", "EUR")
    assert (assessment.duty, assessment.tax, assessment.total) == (Decimal("6.00"), Decimal("6.33"), Decimal("12.33"))
    assert assessment.collection_model == "vendor" and assessment.tax_scheme == "IOSS"
    assert assessment.irg_category == 3
    assert "duty.flat_amount@2026-07-01" in assessment.parameters and "tax.rate@2021-01-01" in assessment.parameters
    decision = dossier_of(service, result.id or "").decision
    assert decision is not None and decision.irg_category == 3
    codes = [r.code for r in decision.reasons]
    assert codes == ["documents_match", "irg_category_3", "tax_scheme_registry_not_loaded"]


def test_irg_category_4_is_held_for_a_full_declaration(
    service: Clearway, consignment_data: dict[str, Any], order: Order, payment: Payment, waybill: Waybill
) -> None:
    data = copy.deepcopy(consignment_data)
    data["items"][0]["hs_code"] = "220830"  # whisky: excise goods leave the low-value regime
    send_documents(service, order, payment, waybill)
    [result] = service.submit_consignments(COURIER, [decode(Consignment, data)], now=T0)
    assert result.state is State.HELD
    dossier = dossier_of(service, result.id or "")
    assert dossier.consignment.status.hold_reason is HoldReason.REQUEST_FOR_INFORMATION
    assert dossier.decision is not None and dossier.decision.lane == "yellow"
    assert "full_declaration_required" in [r.code for r in dossier.decision.reasons]


def _declarations(base: dict[str, Any], count: int, **changes: Any) -> list[Consignment]:
    out = []
    for index in range(count):
        data = copy.deepcopy(base)
        data["reference"] = f"REV-{index:04d}"
        data["transaction"]["order_number"] = f"ORD-{index:04d}"
        data["transaction"].pop("payment_id", None)
        data["logistics"].update(
            transport_document=f"AWB{index:08d}", document_type="house_waybill", transport_mode="air"
        )
        for path, value in changes.items():
            target = data
            *parents, leaf = path.split("__")
            for key in parents:
                target = target[key]
            target[leaf] = value
        out.append(decode(Consignment, data))
    return out


def test_statements_per_scheme_number_and_per_intermediary(service: Clearway, consignment_data: dict[str, Any]) -> None:
    service.revenue.import_registrations(
        "IOSS", [Registration("IOSS", "IM3720000015", "ShopWorld", dt.date(2021, 7, 1))], source="test", actor="test"
    )
    registered = _declarations(consignment_data, 3)
    unregistered = _declarations(consignment_data, 2, transaction__tax_scheme_id="IM3720000026")
    unregistered = [decode(Consignment, {**_plain(c), "reference": f"UNREG-{i}"}) for i, c in enumerate(unregistered)]
    results = service.submit_consignments(COURIER, registered + unregistered, now=T0)
    # The documents never come: the sweep decides them (held for information), which assesses them;
    # a statement counts what was imported, so nothing yet.
    service.expire_overdue(now=T0 + dt.timedelta(hours=73))
    assert service.revenue.scheme_statement("2026-11") == service.revenue.intermediary_statement("2026-11") == []
    # An officer releases four of them after checking; the fifth (registered) stays held.
    for result in results[1:]:
        service.control(result.id or "", State.RELEASED, actor="person:officer", reason="checked", now=T0)
    [scheme] = service.revenue.scheme_statement("2026-11")
    assert (scheme["tax_scheme_id"], scheme["consignments"], scheme["intrinsic_value"]) == (
        "IM3720000015",
        2,
        Decimal("47.60"),
    )
    assert scheme["tax"] == 2 * Decimal("6.33")
    [carrier] = service.revenue.intermediary_statement("2026-11")
    # The unknown IOSS number falls back to the post's collection at delivery.
    assert (carrier["operator_id"], carrier["consignments"], carrier["total"]) == (COURIER, 2, 2 * Decimal("12.33"))
    assert service.revenue.scheme_statement("2026-10") == []
    assert service.revenue.scheme_statement("2026-11", operator_id="op-someone-else") == []


def _plain(c: Consignment) -> dict[str, Any]:
    import msgspec

    plain: dict[str, Any] = msgspec.to_builtins(c)
    return plain


def _cn(consignment_data: dict[str, Any], count: int, value: str) -> list[Consignment]:
    base = copy.deepcopy(consignment_data)
    base["destination_country"] = "CN"
    base["parties"]["buyer"] = {
        "name": "Li Wei",
        "country": "CN",
        "id_type": "resident_id",
        "id_number": "110101199003070011",
    }
    base["transaction"].update({"currency": "CNY", "goods_value": value, "freight": "0", "amount_paid": value})
    base["transaction"].pop("tax_scheme_id")
    base["items"] = [
        {
            "line": 1,
            "description": "Face cream 50 ml",
            "hs_code": "330499",
            "quantity": "1",
            "unit_price": value,
            "origin_country": "JP",
        }
    ]
    return _declarations(base, count)


def test_china_annual_quota_counts_across_a_batch_and_a_return_restores_it(
    service: Clearway, consignment_data: dict[str, Any]
) -> None:
    # Six parcels of CNY 4,900 for the same person: the sixth takes the year to 29,400 > 26,000.
    parcels = _cn(consignment_data, 6, "4900")
    results = service.submit_consignments(COURIER, parcels, now=T0)
    service.expire_overdue(now=T0 + dt.timedelta(hours=73))
    assessments = [dossier_of(service, r.id or "").assessment for r in results]
    assert all(a is not None for a in assessments)
    warnings = [[w.code for w in a.warnings] for a in assessments if a is not None]
    # The sweep decides them in its own order: whichever comes sixth crosses the limit.
    exceeded = ["cbec_limit_exceeded" in w for w in warnings]
    assert sorted(exceeded) == [False] * 5 + [True]
    within = [r for r, over in zip(results, exceeded, strict=True) if not over]
    first = assessments[results.index(within[0])]
    assert first is not None and first.collection_model == "platform" and first.irg_category == 3
    over = assessments[exceeded.index(True)]
    assert over is not None and over.irg_category == 4
    key = quota_key(service.revenue.config().quota_secret, "CN", buyer_identity(parcels[0]) or "")
    with service.engine.connect() as conn:
        used = SqlClearanceStore(conn).person_usage([key], T0)[key].year
    # The sixth was taxed as general trade: it does not use up the cross-border quota.
    assert used == 5 * Decimal("4900")

    officer_release = T0 + dt.timedelta(days=4)
    first_id = within[0].id or ""
    service.control(first_id, State.RELEASED, actor="person:officer", reason="documents checked", now=officer_release)
    refunded = service.revenue.refund_return(COURIER, first_id, now=officer_release + dt.timedelta(days=30), actor="t")
    assert refunded == first.tax and refunded > 0
    with service.engine.connect() as conn:
        assert SqlClearanceStore(conn).person_usage([key], T0)[key].year == 4 * Decimal("4900")
    with pytest.raises(Conflict, match="already refunded"):
        service.revenue.refund_return(COURIER, first_id, now=officer_release + dt.timedelta(days=30), actor="t")

    second_id = within[1].id or ""
    service.control(second_id, State.RELEASED, actor="person:officer", reason="documents checked", now=officer_release)
    with pytest.raises(Conflict, match="return period"):
        service.revenue.refund_return(COURIER, second_id, now=officer_release + dt.timedelta(days=31), actor="t")
    with pytest.raises(Conflict, match="released"):
        service.revenue.refund_return(COURIER, within[2].id or "", now=officer_release, actor="t")


def test_an_amended_or_cancelled_parcel_does_not_count_twice_or_at_all(
    service: Clearway, consignment_data: dict[str, Any]
) -> None:
    parcels = _cn(consignment_data, 5, "4900")  # 24,500 of the 26,000
    results = service.submit_consignments(COURIER, parcels, now=T0)
    key = quota_key(service.revenue.config().quota_secret, "CN", buyer_identity(parcels[0]) or "")

    def used() -> Decimal:
        with service.engine.connect() as conn:
            return SqlClearanceStore(conn).person_usage([key], T0)[key].year

    service.expire_overdue(now=T0 + dt.timedelta(hours=73))
    assert used() == 5 * Decimal("4900")
    # A held parcel amended to 4,950: its own earlier charge is replaced, not added (24,550 in all).
    held = results[0].id or ""
    [amended_record] = _cn(consignment_data, 1, "4950")
    amended = service.amend(COURIER, held, amended_record, now=T0 + dt.timedelta(hours=74))
    assert amended.version == 2
    # It waits for its documents again; the next sweep decides (and assesses) the new version.
    service.expire_overdue(now=T0 + dt.timedelta(hours=74, minutes=30))
    assessment = dossier_of(service, held).assessment
    assert assessment is not None and "cbec_limit_exceeded" not in [w.code for w in assessment.warnings]
    assert assessment.per_person_value == Decimal("4950.00")
    assert used() == 4 * Decimal("4900") + Decimal("4950")
    # A cancelled parcel was never imported: it frees its share of the quota.
    service.cancel(COURIER, results[1].id or "", "order cancelled", now=T0 + dt.timedelta(hours=75))
    assert dossier_of(service, results[1].id or "").consignment.status.state is State.CANCELLED
    assert used() == 3 * Decimal("4900") + Decimal("4950")


def test_a_parcel_without_buyer_identity_says_the_quota_was_not_checked(
    service: Clearway, consignment_data: dict[str, Any]
) -> None:
    [parcel] = _cn(consignment_data, 1, "300")
    anonymous = decode(
        Consignment,
        {**_plain(parcel), "parties": {**_plain(parcel)["parties"], "buyer": {"name": "Li Wei", "country": "CN"}}},
    )
    [result] = service.submit_consignments(COURIER, [anonymous], now=T0)
    service.expire_overdue(now=T0 + dt.timedelta(hours=73))
    assessment = dossier_of(service, result.id or "").assessment
    assert assessment is not None
    assert "buyer_identity_missing" in [w.code for w in assessment.warnings]
