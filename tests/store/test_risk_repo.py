"""Risk results stored compactly: the rule versions a batch evaluated are one part, named by each
result's ``rule_set``, and every reader gets the whole result back (store.risk_repo, migration 0022)."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store import risk_repo
from clearway.store.body_parts import body_parts
from clearway.store.risk_tables import risk_results
from clearway.store.tables import results

pytestmark = pytest.mark.usefixtures("standard_operators")

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def decided(service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill) -> str:
    service.submit_documents("order", "op-platform-1", [order], now=T0)
    service.submit_documents("payment", "op-psp-1", [payment], now=T0)
    service.submit_documents("waybill", "op-post-1", [waybill], now=T0)
    [result] = service.submit_consignments("op-courier-1", [consignment], now=T0)
    assert result.id is not None
    return result.id


def test_the_rule_versions_are_one_part_and_come_back(service: Clearway, decided: str) -> None:
    with service.engine.connect() as conn:
        row = conn.execute(sa.select(risk_results).where(risk_results.c.consignment_id == decided)).mappings().one()
        decision = json.loads(conn.execute(sa.select(results.c.decision)).scalars().all()[-1])
        stored = json.loads(row["body"])
        assert stored["rule_versions"] == [] and row["rule_set"] is not None
        part = conn.execute(sa.select(body_parts.c.body).where(body_parts.c.digest == row["rule_set"])).scalar_one()
        found = risk_repo.latest_result(conn, decided)
        assert found is not None
        version, result = found
    # The decision kept the same versions whole: the part gives back exactly those.
    assert version == 1 and result.rule_versions == decision["rule_versions"] == json.loads(part)
    assert len(result.rule_versions) > 10
    # Everything else in the body is as the engine made it (the SQL reader of quality codes included).
    assert stored["quality_codes"] == result.quality_codes and stored["lane"] == result.lane


def test_a_result_stored_whole_before_is_read_as_before(service: Clearway, decided: str) -> None:
    with service.engine.begin() as conn:
        found = risk_repo.latest_result(conn, decided)
        assert found is not None
        whole = msgspec.structs.replace(found[1], rule_versions=["old_rule@1"])
        row = dict(conn.execute(sa.select(risk_results)).mappings().one())
        row.update(version=2, body=msgspec.json.encode(whole).decode(), rule_set=None)
        conn.execute(risk_results.insert().values(**row))
        again = risk_repo.latest_result(conn, decided)
    assert again is not None and again == (2, whole)
