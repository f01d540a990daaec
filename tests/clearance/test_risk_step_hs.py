"""The rule hs_code_does_not_match_description in the pipeline, on planted declarations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearway.app.platform import Clearway
from clearway.dataset.records import Consignment
from tests.conftest import STANDARD_OPERATORS, decode, register_operators

RULE = "hs_code_does_not_match_description"


def assessed(svc: Clearway, data: dict[str, Any], items: list[tuple[str, str]]) -> dict[str, Any]:
    data = dict(data, reference=f"HS-{abs(hash(tuple(items))) % 10**9}")
    data["items"] = [dict(data["items"][0], description=d, hs_code=c, line=n) for n, (d, c) in enumerate(items, 1)]
    data["items"][0]["unit_price"] = data["transaction"]["goods_value"]
    for extra in data["items"][1:]:
        extra["unit_price"] = "0.01"
    record: Consignment = decode(Consignment, data)
    [result] = svc.submit_consignments("op-courier-1", [record])
    assert result.id, result
    svc.expire_overdue(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=73))  # assessed without documents
    found: dict[str, Any] = svc.risk.result(result.id)
    return found


@pytest.fixture
def hs(hs_service: Clearway) -> Clearway:
    register_operators(hs_service, STANDARD_OPERATORS)
    return hs_service


def test_a_t_shirt_declared_under_a_chapter_85_code_fires(hs: Clearway, consignment_data: dict[str, Any]) -> None:
    risk = assessed(hs, consignment_data, [("Men's cotton T-shirt", "851713")])
    assert RULE in risk["rule_hits"] and RULE in risk["quality_codes"]
    [reason] = [r for r in risk["reasons"] if r["code"] == RULE]
    assert "item 1 declared under 851713" in reason["message"] and "610910 (" in reason["message"]
    assert "Harmonized" in reason["basis"] and "Art. 57" in reason["basis"]
    assert risk["lane"] in {"yellow", "red"}


def test_a_correct_code_does_not_fire(hs: Clearway, consignment_data: dict[str, Any]) -> None:
    risk = assessed(hs, consignment_data, [("Men's cotton T-shirt", "610910"), ("Women's silk blouse", "620610")])
    assert RULE not in risk["rule_hits"] and RULE not in risk["quality_codes"]


def test_a_vague_description_does_not_fire(hs: Clearway, consignment_data: dict[str, Any]) -> None:
    risk = assessed(hs, consignment_data, [("gift", "851713")])
    assert RULE not in risk["rule_hits"]
    assert "vague_description" in risk["quality_codes"]  # the vague text is flagged for what it is


def test_lookalike_text_fires_as_the_plain_text_does(hs: Clearway, consignment_data: dict[str, Any]) -> None:
    risk = assessed(hs, consignment_data, [("Men's c\u043ett\u043en T-\u0455hirt\u200b", "851713")])
    assert RULE in risk["rule_hits"]
    [reason] = [r for r in risk["reasons"] if r["code"] == RULE]
    assert "610910 (" in reason["message"]


def test_without_a_model_the_pipeline_runs_without_the_check(
    service: Clearway, consignment_data: dict[str, Any], standard_operators: None
) -> None:
    assert service.risk.step().hs_mismatch is None
    risk = assessed(service, consignment_data, [("Men's cotton T-shirt", "851713")])
    assert RULE not in risk["rule_hits"]
