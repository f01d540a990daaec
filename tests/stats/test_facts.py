"""The facts frame built from raw frames: no database, every rule on a case made for it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import msgspec
import polars as pl
import pytest

from clearway.privacy.personal import PERSONAL_FIELDS
from clearway.stats.facts import (
    ASSESSMENTS_RAW,
    CONSIGNMENTS_RAW,
    FACTS_SCHEMA,
    HISTORY_RAW,
    OUTCOMES_RAW,
    RISK_RAW,
    Parts,
    _Item,
    assemble,
    body_columns,
    channel_of,
    main_chapter,
    merge,
)
from tests.conftest import fixture_json

T0 = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)


def consignment(cid: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "consignment_id": cid,
        "version": 1,
        "operator_id": "op-1",
        "state": "released",
        "lane": "green",
        "destination": "DE",
        "currency": "EUR",
        "goods_value": 100.0,
        "received_at": T0,
        "updated_at": T0,
        "origin": "CN",
        "hs_chapter": "62",
        "channel": "courier",
        "relationship": "B2C",
        "departure_date": None,
        "arrival_date": None,
    }
    return row | values


def parts(
    consignments: Sequence[dict[str, Any]],
    history: Sequence[dict[str, Any]] = (),
    risk: Sequence[dict[str, Any]] = (),
    assessments: Sequence[dict[str, Any]] = (),
    outcomes: Sequence[dict[str, Any]] = (),
) -> Parts:
    def frame(rows: Sequence[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
        return pl.DataFrame(list(rows), schema=schema)

    return Parts(
        consignments=frame(consignments, CONSIGNMENTS_RAW),
        history=frame(history, HISTORY_RAW),
        risk=frame(risk, RISK_RAW),
        assessments=frame(assessments, ASSESSMENTS_RAW),
        outcomes=frame(outcomes, OUTCOMES_RAW),
    )


def assessment(cid: str, currency: str, duty: float, tax: float, intrinsic: float, version: int = 1) -> dict[str, Any]:
    return {
        "consignment_id": cid,
        "version": version,
        "assessment_currency": currency,
        "collection_model": "vendor",
        "duty": duty,
        "tax": tax,
        "intrinsic_value": intrinsic,
    }


def test_main_chapter_is_the_item_of_highest_value_first_on_a_tie() -> None:
    items = [_Item("620610", 1, 12.80), _Item("910211", 1, 30.0), _Item("420221", 3, 10.0)]
    assert main_chapter(items) == "91"
    assert main_chapter([_Item("620610", 2, 5.0), _Item("910211", 1, 10.0)]) == "62"
    assert main_chapter([]) is None


@pytest.mark.parametrize(
    ("mode", "document", "expected"),
    [
        ("post", "house_waybill", "post"),
        ("air", "upu_s10", "post"),
        ("air", "house_waybill", "courier"),
        (None, "x", "courier"),
    ],
)
def test_channel(mode: str | None, document: str, expected: str) -> None:
    assert channel_of(mode, document) == expected


def test_body_columns_of_a_stored_declaration() -> None:
    body = fixture_json("consignment.json")
    body["logistics"]["departure_date"] = "2026-11-21"
    stored = json.dumps(body)
    without_flags = json.dumps({k: v for k, v in body.items() if k != "flags"})
    columns = body_columns([stored, without_flags, "not json", None])
    assert columns["origin"] == ["CN", "CN", None, None]
    assert columns["hs_chapter"] == ["62", "62", None, None]  # 12.80 beats 2 x 5.50
    assert columns["channel"] == ["post", "post", None, None]
    assert columns["relationship"] == ["B2C", "B2C", None, None]  # the default when flags are left out
    assert columns["departure_date"][0] == dt.date(2026, 11, 21)


def test_the_facts_hold_no_personal_field() -> None:
    personal = {f.name for fields in PERSONAL_FIELDS.values() for f in fields} | {"buyer_key", "buyer", "seller"}
    assert not personal & set(FACTS_SCHEMA), "a facts column is named like a personal field"
    assert not any(name.startswith(("buyer", "seller", "consignee", "payer")) for name in FACTS_SCHEMA)


def test_latest_versions_history_and_outcomes() -> None:
    p = parts(
        [consignment("a", version=2, state="released"), consignment("b", state="seized")],
        history=[
            {"consignment_id": "a", "to_state": "held", "at": T0 + dt.timedelta(hours=1)},
            {"consignment_id": "a", "to_state": "released", "at": T0 + dt.timedelta(hours=3)},
            {"consignment_id": "b", "to_state": "inspected", "at": T0 + dt.timedelta(hours=2)},
        ],
        risk=[
            {"consignment_id": "a", "version": 2, "value_eur": 110.0, "quality_codes": '["late_filing"]'},
            {"consignment_id": "a", "version": 1, "value_eur": 90.0, "quality_codes": "[]"},
            {"consignment_id": "b", "version": 1, "value_eur": 50.0, "quality_codes": '["vague_description"]'},
        ],
        assessments=[assessment("a", "EUR", 1.0, 2.0, 90.0), assessment("a", "EUR", 3.0, 4.0, 110.0, version=2)],
        outcomes=[
            {"consignment_id": "b", "outcome": "undervalued", "recorded_at": T0 + dt.timedelta(hours=2)},
            {"consignment_id": "b", "outcome": "compliant", "recorded_at": T0 + dt.timedelta(hours=4)},
        ],
    )
    facts = assemble(p)
    assert facts.schema == pl.Schema(FACTS_SCHEMA)
    a, b = facts.sort("consignment_id").iter_rows(named=True)
    assert (a["value_eur"], a["duty_eur"], a["tax_eur"], a["late_filing"]) == (110.0, 3.0, 4.0, True)
    assert a["released_at"] == T0 + dt.timedelta(hours=3) and a["held"] and not a["inspected"]
    assert not a["automatic_release"] and not a["refused"]
    # The latest outcome is compliant, but an earlier one found undervaluation: a finding.
    assert (b["outcome"], b["finding"], b["inspected"], b["refused"], b["late_filing"]) == (
        "compliant",
        True,
        True,
        True,
        False,
    )
    assert b["duty_eur"] is None and b["collection_model"] is None


@pytest.mark.parametrize(
    ("currency", "assessed_in", "goods", "value_eur", "intrinsic", "factor"),
    [
        ("EUR", "EUR", 100.0, 100.0, 100.0, 1.0),
        ("USD", "EUR", 100.0, 92.0, 92.0, 1.0),  # assessed in euro: as it is
        ("GBP", "GBP", 100.0, 115.0, 100.0, 1.15),  # same currency: value_eur / goods value
        ("USD", "GBP", 100.0, 92.0, 80.0, 1.15),  # another currency: value_eur / intrinsic value
        ("USD", "GBP", 100.0, None, 80.0, None),  # no euro value: left out
        ("USD", "GBP", 0.0, 0.0, 0.0, None),  # nothing to divide by
    ],
)
def test_duty_and_tax_in_euro(
    currency: str, assessed_in: str, goods: float, value_eur: float | None, intrinsic: float, factor: float | None
) -> None:
    p = parts(
        [consignment("a", currency=currency, goods_value=goods)],
        risk=[{"consignment_id": "a", "version": 1, "value_eur": value_eur, "quality_codes": "[]"}],
        assessments=[assessment("a", assessed_in, 10.0, 20.0, intrinsic)],
    )
    row = assemble(p).row(0, named=True)
    if factor is None:
        assert row["duty_eur"] is None and row["tax_eur"] is None
    else:
        assert (row["duty_eur"], row["tax_eur"]) == pytest.approx((10.0 * factor, 20.0 * factor))


def test_lead_minutes_to_the_end_of_the_departure_day_else_arrival() -> None:
    p = parts(
        [
            consignment("a", departure_date=dt.date(2026, 11, 16)),  # 24:00 - 09:00
            consignment("b", arrival_date=dt.date(2026, 11, 15)),  # 16 Nov 00:00 - 09:00
            consignment("c", departure_date=dt.date(2026, 11, 17), arrival_date=dt.date(2026, 11, 15)),
            consignment("d"),
        ]
    )
    lead = dict(assemble(p).select("consignment_id", "lead_minutes").iter_rows())
    assert lead == {"a": 900.0, "b": -540.0, "c": 2340.0, "d": None}


def test_merge_replaces_reloaded_rows_and_drops_vanished_ones() -> None:
    old = assemble(parts([consignment("a"), consignment("b"), consignment("c")]))
    fresh = assemble(parts([consignment("b", state="held"), consignment("d")]))
    merged = merge(old, fresh, ["b", "c", "d"])
    assert dict(merged.select("consignment_id", "state").iter_rows()) == {"a": "released", "b": "held", "d": "released"}


def test_an_empty_store_gives_empty_facts() -> None:
    facts = assemble(Parts.empty())
    assert facts.is_empty() and facts.schema == pl.Schema(FACTS_SCHEMA)
    assert msgspec.json.encode(facts.to_dicts()) == b"[]"
