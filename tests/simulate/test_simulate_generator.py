"""The generator: reproducible, valid records, realistic shape, and the problems it claims to inject."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.identifiers import invalid_s10, s10_check_digit
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.simulate import SimulationConfig, Submission, Traffic, TruthRecord, generate
from clearway.simulate.catalogue import VAGUE_DESCRIPTIONS
from clearway.simulate.model import PROBLEMS
from clearway.simulate.money import to_eur

OPERATOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
PROHIBITED_KEYWORDS = ("replica", "knife", "pepper spray", "e-cigarette liquid with nicotine")


def by_reference(traffic: Traffic) -> dict[str, Consignment]:
    return {s.record.reference: s.record for s in traffic.consignments}


def orders_by_number(traffic: Traffic) -> dict[str, Order]:
    return {s.record.order_number: s.record for s in traffic.orders}


def payments_by_order(traffic: Traffic) -> dict[str, Payment]:
    return {s.record.order_number: s.record for s in traffic.payments}


def waybills_by_document(traffic: Traffic) -> dict[str, Waybill]:
    return {s.record.transport_document: s.record for s in traffic.waybills}


def with_problem(traffic: Traffic, problem: str) -> list[TruthRecord]:
    return [t for t in traffic.truth if problem in t.problems]


# -- reproducibility ---------------------------------------------------------------------------------


def encoded(traffic: Traffic) -> list[bytes]:
    streams: list[Any] = [traffic.consignments, traffic.orders, traffic.payments, traffic.waybills]
    out = [msgspec.json.encode([(s.operator_id, s.received_at, s.record) for s in stream]) for stream in streams]
    return [*out, msgspec.json.encode(traffic.truth), msgspec.json.encode(traffic.operators)]


def test_same_seed_gives_identical_traffic() -> None:
    assert encoded(generate(1500, seed=5)) == encoded(generate(1500, seed=5))


def test_different_seed_gives_different_traffic() -> None:
    first, second = generate(1500, seed=5), generate(1500, seed=6)
    assert [s.record for s in first.consignments] != [s.record for s in second.consignments]
    assert {t.buyer for t in first.truth} != {t.buyer for t in second.truth}


def test_default_start_is_fixed_and_start_moves_the_traffic() -> None:
    default = generate(200, seed=3)
    assert min(s.record.transaction.order_date for s in default.consignments) >= dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    later = generate(200, seed=3, start=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    assert min(s.record.transaction.order_date for s in later.consignments) >= dt.datetime(2027, 3, 1, tzinfo=dt.UTC)


def test_naive_start_and_negative_count_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        generate(10, seed=1, start=dt.datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="count"):
        generate(-1, seed=1)


@pytest.mark.parametrize(
    ("field", "value"),
    [("missing_document", -0.1), ("gift_misuse", 1.5), ("split_shipment", 0.95), ("days", 0), ("buyers", 0)],
)
def test_invalid_config_is_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        SimulationConfig(**{field: value})  # type: ignore[arg-type]


# -- validity -------------------------------------------------------------------------------------------


def assert_all_decode(submissions: list[Submission[Any]], cls: type[Any]) -> None:
    decoder = RecordDecoder(cls)
    encoder = msgspec.json.Encoder()
    for submission in submissions:
        record, errors = decoder.decode(encoder.encode(submission.record))
        assert errors == [], (submission.record, errors)
        assert record == submission.record


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_record_decodes_and_validates(seed: int) -> None:
    traffic = generate(1500, seed=seed)
    assert_all_decode(traffic.consignments, Consignment)
    assert_all_decode(traffic.orders, Order)
    assert_all_decode(traffic.payments, Payment)
    assert_all_decode(traffic.waybills, Waybill)


def test_every_record_of_a_large_run_decodes(traffic: Traffic) -> None:
    assert len(traffic.consignments) == len(traffic.truth) == 10_000
    assert_all_decode(traffic.consignments, Consignment)
    assert_all_decode(traffic.orders, Order)
    assert_all_decode(traffic.payments, Payment)
    assert_all_decode(traffic.waybills, Waybill)


def test_submissions_are_in_time_order_and_truth_follows_consignments(traffic: Traffic) -> None:
    for stream in (traffic.consignments, traffic.orders, traffic.payments, traffic.waybills, traffic.truth):
        times = [s.received_at for s in stream]
        assert times == sorted(times)
    assert [t.reference for t in traffic.truth] == [s.record.reference for s in traffic.consignments]
    assert [t.consignment_operator for t in traffic.truth] == [s.operator_id for s in traffic.consignments]


def test_references_and_transport_documents_are_unique(traffic: Traffic) -> None:
    references = [s.record.reference for s in traffic.consignments]
    documents = [s.record.logistics.transport_document for s in traffic.consignments]
    assert len(set(references)) == len(references)
    assert len(set(documents)) == len(documents)
    assert len({s.record.payment_id for s in traffic.payments}) == len(traffic.payments)


def test_operators_have_stable_ids_of_every_kind(traffic: Traffic) -> None:
    kinds = Counter(op.kind for op in traffic.operators)
    assert set(kinds) == {"platform", "seller", "courier", "post", "payment_provider"}
    assert min(kinds.values()) >= 3
    assert all(OPERATOR_ID.match(op.id) for op in traffic.operators)
    ids = {op.id for op in traffic.operators}
    senders = {s.operator_id for stream in (traffic.consignments, traffic.orders, traffic.payments) for s in stream}
    assert senders <= ids
    assert "op-courier-1" in ids and "op-post-1" in ids


# -- realism ----------------------------------------------------------------------------------------------


def test_median_value_is_around_ten_euros(traffic: Traffic) -> None:
    values = [float(t.true_value_eur) for t in traffic.truth]
    assert 6.0 <= statistics.median(values) <= 16.0
    # Log-normal-like: a long right tail, but few parcels above the EUR 150 threshold.
    assert statistics.mean(values) > statistics.median(values)
    assert sum(v > 150 for v in values) / len(values) < 0.02


def test_china_is_the_top_origin(traffic: Traffic) -> None:
    origins = Counter(s.record.parties.seller.country for s in traffic.consignments)
    (top, count), (second, _) = origins.most_common(2)
    assert top == "CN"
    assert 0.5 <= count / len(traffic.consignments) <= 0.7
    assert second in {"HK", "US"}
    assert {"GB", "TR", "IN", "VN", "KR", "JP"} <= set(origins)


def test_buyers_live_in_destinations_mostly_eu_and_never_in_the_seller_country(traffic: Traffic) -> None:
    destinations = Counter(s.record.destination_country for s in traffic.consignments)
    assert destinations.most_common(1)[0][0] == "DE"
    assert {"GB", "US", "CA", "AU", "CH", "NO"} <= set(destinations)
    for submission in traffic.consignments:
        record = submission.record
        assert record.parties.buyer.country == record.destination_country != record.parties.seller.country


def test_most_transactions_are_in_eur_usd_gbp(traffic: Traffic) -> None:
    currencies = Counter(s.record.transaction.currency for s in traffic.consignments)
    main = currencies["EUR"] + currencies["USD"] + currencies["GBP"]
    assert main / len(traffic.consignments) > 0.8


def test_items_have_one_to_four_lines_mostly_one_piece(traffic: Traffic) -> None:
    consignments = by_reference(traffic)
    singles = [t for t in traffic.truth if "split_shipment" not in t.problems]
    lines = Counter(len(consignments[t.reference].items) for t in singles)
    assert set(lines) == {1, 2, 3, 4}
    assert lines[1] > lines[2] > lines[3] > lines[4]
    quantities = Counter(item.quantity for s in traffic.consignments for item in s.record.items)
    assert quantities[Decimal(1)] / sum(quantities.values()) > 0.75


def test_s10_ids_have_correct_check_digits(traffic: Traffic) -> None:
    posted = [s.record for s in traffic.consignments if s.record.logistics.document_type == "upu_s10"]
    assert len(posted) > 1000
    for record in posted:
        item_id = record.logistics.transport_document
        assert invalid_s10(item_id) is None
        assert int(item_id[10]) == s10_check_digit(item_id[2:10])
        assert item_id[-2:] == record.parties.seller.country
        assert record.logistics.transport_mode == "post"
    couriers = [s.record for s in traffic.consignments if s.record.logistics.document_type == "house_waybill"]
    assert couriers and all(invalid_s10(r.logistics.transport_document) for r in couriers)


# -- the three documents ----------------------------------------------------------------------------------


def test_clean_consignments_match_their_order_payment_and_waybill(traffic: Traffic) -> None:
    consignments = by_reference(traffic)
    orders, payments, waybills = orders_by_number(traffic), payments_by_order(traffic), waybills_by_document(traffic)
    clean = [t for t in traffic.truth if not t.problems]
    assert len(clean) > 0.8 * len(traffic.truth)
    for truth in clean:
        c = consignments[truth.reference]
        order, payment = orders[c.transaction.order_number], payments[c.transaction.order_number]
        waybill = waybills[c.logistics.transport_document]
        lines = [(line.description, line.sku, line.quantity, line.unit_price) for line in order.lines]
        assert lines == [(i.description, i.sku, i.quantity, i.unit_price) for i in c.items]
        assert order.goods_value == sum(line.quantity * line.unit_price for line in order.lines)
        assert order.total == order.goods_value + order.shipping
        assert c.transaction.goods_value == order.goods_value and c.transaction.freight == order.shipping
        assert c.transaction.amount_paid == payment.amount == order.total
        assert payment.currency == order.currency == c.transaction.currency
        assert payment.payment_id == c.transaction.payment_id and payment.payer.name == c.parties.buyer.name
        assert waybill.consignee == c.parties.buyer == order.buyer
        assert (waybill.packages, waybill.gross_weight_kg) == (c.logistics.packages, c.logistics.gross_weight_kg)
        assert waybill.order_number == order.order_number
        assert c.flags.nature == "sale"
        assert truth.true_value == truth.declared_value == c.transaction.goods_value


def test_documents_normally_arrive_before_the_consignment(traffic: Traffic) -> None:
    received = {t.reference: t.received_at for t in traffic.truth}
    order_time = {s.record.order_number: s.received_at for s in traffic.orders}
    clean = [t for t in traffic.truth if not t.problems]
    before = sum(order_time[t.order_number] < received[t.reference] for t in clean)
    assert before == len(clean)


def test_ioss_number_only_on_eu_consignments_up_to_150_eur(traffic: Traffic) -> None:
    with_ioss = 0
    for submission in traffic.consignments:
        t = submission.record.transaction
        if t.tax_scheme_id and t.tax_scheme_id.startswith("IM"):
            with_ioss += 1
            assert to_eur(t.goods_value, t.currency) <= Decimal("150.01")
            assert submission.record.parties.platform is not None
    assert with_ioss > 0.5 * len(traffic.consignments)


# -- injected problems ------------------------------------------------------------------------------------


def uniform_rates(rate: float) -> SimulationConfig:
    rates: dict[str, Any] = dict.fromkeys(PROBLEMS, rate)
    return SimulationConfig(**rates)


def tolerance(rate: float, n: int) -> float:
    return max(0.3 * rate, 4 * math.sqrt(rate * (1 - rate) / n))


def test_problem_rates_are_close_to_the_configured_ones(traffic: Traffic) -> None:
    n = len(traffic.truth)
    counts = Counter(p for t in traffic.truth for p in t.problems)
    for problem, rate in SimulationConfig().rates().items():
        assert abs(counts[problem] / n - rate) <= tolerance(rate, n), (problem, counts[problem] / n)
    share = sum(1 for t in traffic.truth if t.problems) / n
    assert 0.11 <= share <= 0.17


def test_higher_configured_rates_are_honoured() -> None:
    config = uniform_rates(0.08)
    traffic = generate(4000, seed=21, config=config)
    counts = Counter(p for t in traffic.truth for p in t.problems)
    for problem in PROBLEMS:
        assert abs(counts[problem] / 4000 - 0.08) <= tolerance(0.08, 4000), problem


def test_zero_rates_give_clean_traffic() -> None:
    traffic = generate(2000, seed=4, config=uniform_rates(0.0))
    assert all(not t.problems for t in traffic.truth)
    assert len(traffic.orders) == len(traffic.payments) == len(traffic.waybills) == 2000


def test_missing_document_is_never_sent(traffic: Traffic) -> None:
    orders, payments, waybills = orders_by_number(traffic), payments_by_order(traffic), waybills_by_document(traffic)
    cases = with_problem(traffic, "missing_document")
    assert {t.missing_document for t in cases} == {"order", "payment", "waybill"}
    for t in cases:
        sent = {
            "order": t.order_number in orders,
            "payment": t.order_number in payments,
            "waybill": t.transport_document in waybills,
        }
        assert [kind for kind, present in sent.items() if not present] == [t.missing_document]
        assert getattr(t, f"{t.missing_document}_operator") is None
    assert all(t.missing_document is None for t in traffic.truth if "missing_document" not in t.problems)


def test_late_document_arrives_days_after_the_consignment(traffic: Traffic) -> None:
    times: dict[str, dict[str, dt.datetime]] = {
        "order": {s.record.order_number: s.received_at for s in traffic.orders},
        "payment": {s.record.order_number: s.received_at for s in traffic.payments},
        "waybill": {s.record.transport_document: s.received_at for s in traffic.waybills},
    }
    cases = with_problem(traffic, "late_document")
    assert cases
    for t in cases:
        assert t.late_document is not None and t.late_document != t.missing_document
        key = t.transport_document if t.late_document == "waybill" else t.order_number
        assert times[t.late_document][key] >= t.received_at + dt.timedelta(days=2)


def test_payment_mismatch_differs_from_the_order(traffic: Traffic) -> None:
    consignments, orders, payments = by_reference(traffic), orders_by_number(traffic), payments_by_order(traffic)
    cases = with_problem(traffic, "payment_mismatch")
    assert cases
    for t in cases:
        order, payment = orders.get(t.order_number), payments[t.order_number]
        assert order is None or (payment.amount, payment.currency) != (order.total, order.currency)
    for t in traffic.truth:
        if not ({"payment_mismatch", "undervaluation", "split_shipment"} & set(t.problems)):
            paid = payments.get(t.order_number)
            assert paid is None or paid.amount == consignments[t.reference].transaction.amount_paid


def test_vague_descriptions_only_on_the_declaration(traffic: Traffic) -> None:
    consignments, orders = by_reference(traffic), orders_by_number(traffic)
    for t in with_problem(traffic, "vague_description"):
        assert all(item.description in VAGUE_DESCRIPTIONS for item in consignments[t.reference].items)
        order = orders.get(t.order_number)
        assert order is None or not any(line.description in VAGUE_DESCRIPTIONS for line in order.lines)
    vague_elsewhere = sum(
        item.description in VAGUE_DESCRIPTIONS
        for t in traffic.truth
        if "vague_description" not in t.problems
        for item in consignments[t.reference].items
    )
    assert vague_elsewhere == 0


def test_undervaluation_declares_a_fraction_of_what_order_and_payment_show(traffic: Traffic) -> None:
    consignments, orders, payments = by_reference(traffic), orders_by_number(traffic), payments_by_order(traffic)
    cases = with_problem(traffic, "undervaluation")
    assert cases
    for t in cases:
        c = consignments[t.reference]
        assert t.declared_value == c.transaction.goods_value < t.true_value
        assert 0.05 <= t.declared_value / t.true_value <= 0.35
        order = orders.get(t.order_number)
        if order is not None:
            assert order.goods_value == t.true_value
        payment = payments.get(t.order_number)
        if payment is not None and "payment_mismatch" not in t.problems:
            assert payment.amount > c.transaction.amount_paid


def test_prohibited_items_carry_their_keyword(traffic: Traffic) -> None:
    consignments = by_reference(traffic)
    cases = with_problem(traffic, "prohibited_keyword")
    assert cases
    for t in cases:
        descriptions = [item.description.lower() for item in consignments[t.reference].items]
        if "vague_description" not in t.problems:
            assert any(k in d for d in descriptions for k in PROHIBITED_KEYWORDS)
    clean = [t for t in traffic.truth if "prohibited_keyword" not in t.problems]
    assert not any(
        k in item.description.lower()
        for t in clean
        for item in consignments[t.reference].items
        for k in PROHIBITED_KEYWORDS
    )


def test_gift_misuse_is_a_commercial_sale_declared_as_gift(traffic: Traffic) -> None:
    consignments, orders = by_reference(traffic), orders_by_number(traffic)
    cases = with_problem(traffic, "gift_misuse")
    assert cases
    for t in cases:
        c = consignments[t.reference]
        assert c.flags.nature == "gift" and c.flags.relationship == "B2C"
        assert t.order_number in orders or t.missing_document == "order"
    assert all(
        consignments[t.reference].flags.nature == "sale" for t in traffic.truth if "gift_misuse" not in t.problems
    )


def test_split_shipment_is_one_order_in_several_parcels_to_one_buyer(traffic: Traffic) -> None:
    consignments, orders, payments = by_reference(traffic), orders_by_number(traffic), payments_by_order(traffic)
    groups: dict[str, list[TruthRecord]] = defaultdict(list)
    for t in with_problem(traffic, "split_shipment"):
        groups[t.order_number].append(t)
    assert len(groups) >= 20
    threshold = SimulationConfig().split_threshold_eur
    for order_number, members in groups.items():
        assert 2 <= len(members) <= 4
        parcels = [consignments[t.reference] for t in members]
        assert len({t.buyer for t in members}) == 1
        assert len({p.parties.buyer for p in parcels}) == 1
        assert {p.transaction.order_number for p in parcels} == {order_number}
        assert len({p.logistics.transport_document for p in parcels}) == len(parcels)
        assert len({p.logistics.departure_date for p in parcels}) == 1
        assert all(to_eur(p.transaction.goods_value, p.transaction.currency) < threshold for p in parcels)
        order = orders[order_number]
        assert order.goods_value == sum(p.transaction.goods_value for p in parcels)
        assert to_eur(order.goods_value, order.currency) > threshold
        assert payments[order_number].amount == order.total
        assert sum(line.quantity for line in order.lines) == sum(i.quantity for p in parcels for i in p.items)
    # Other consignments of the traffic never share an order number.
    singles = Counter(t.order_number for t in traffic.truth if "split_shipment" not in t.problems)
    assert max(singles.values()) == 1
