"""The same buyer's consignments of a day add up, across the batch and earlier batches."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import polars as pl

from clearway.dataset.records import Consignment
from clearway.revenue.rates import EcbRates
from clearway.risk.aggregation import add_buyer_day, buyer_keys
from clearway.risk.frame import EuroRates, RiskInput, build_frame
from tests.conftest import decode

NOW = dt.datetime(2026, 11, 22, 10, tzinfo=dt.UTC)
SECRET = b"s" * 32


def _parcel(base: dict[str, Any], reference: str, buyer: str, value: str) -> Consignment:
    data = {**base, "reference": reference}
    data["parties"] = {**base["parties"], "buyer": {**base["parties"]["buyer"], "name": buyer}}
    data["transaction"] = {**base["transaction"], "goods_value": value}
    return decode(Consignment, data)


def test_buyer_day_totals(consignment_data: dict[str, Any]) -> None:
    parcels = [
        _parcel(consignment_data, "A", "Anna Schmidt", "60"),
        _parcel(consignment_data, "B", "ANNA  schmidt", "70"),  # the same person, written differently
        _parcel(consignment_data, "C", "Bernd Maier", "20"),
    ]
    frame = build_frame([RiskInput(p, "op-1", NOW) for p in parcels], EuroRates(EcbRates()))
    anna = buyer_keys(frame, SECRET)[0]
    assert buyer_keys(frame, SECRET)[1] == anna and buyer_keys(frame, SECRET)[2] != anna
    earlier = {(anna, "2026-11-22"): (1, 40.0)}
    out = add_buyer_day(frame, SECRET, earlier, day=NOW.date())
    assert out["reference"].to_list() == ["A", "B", "C"]
    # Running totals in batch order: A counts the earlier one and itself, B counts A too, as if each
    # had come alone in that order (the bulk and single-record paths store the same).
    assert out["buyer_day_count"].to_list() == [2, 3, 1]
    assert out["buyer_day_value_eur"].to_list() == [100.0, 170.0, 20.0]
    assert out.schema["buyer_day_count"] == pl.UInt32


def test_a_look_alike_spelling_of_the_buyer_does_not_split_the_day(consignment_data: dict[str, Any]) -> None:
    names = ["Anna Schmidt", "\u0410nna Schmi\u00addt", "ANNA SCHM\u0406DT", "Anna\u200b Schmidt"]
    parcels = [_parcel(consignment_data, f"P{i}", name, "60") for i, name in enumerate(names)]
    frame = build_frame([RiskInput(p, "op-1", NOW) for p in parcels], EuroRates(EcbRates()))
    assert len(set(buyer_keys(frame, SECRET))) == 1
    assert add_buyer_day(frame, SECRET, {}, day=NOW.date())["buyer_day_count"].to_list() == [1, 2, 3, 4]


def test_an_ascii_buyer_keeps_the_key_it_had() -> None:
    # The key of an ASCII name and address is what it was before look-alikes were read, so that the
    # day's earlier batches, counted under the old keys, still add up.
    frame = pl.DataFrame(
        {
            "destination": ["DE"],
            "buyer_id": [None],
            "buyer_name": ["Anna  SCHMIDT"],
            "buyer_address": ["Lindenstrasse 5, 10969 Berlin"],
        },
        schema={"destination": pl.Utf8, "buyer_id": pl.Utf8, "buyer_name": pl.Utf8, "buyer_address": pl.Utf8},
    )
    identity = "DE|na:anna schmidt|lindenstrasse 5 10969 berlin"
    assert buyer_keys(frame, SECRET) == [hmac.new(SECRET, identity.encode(), hashlib.sha256).hexdigest()[:32]]
