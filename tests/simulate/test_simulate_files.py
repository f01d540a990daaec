"""write_traffic: six NDJSON files whose lines are the bare records, the truth and the operators."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.simulate import Traffic, generate, write_traffic
from clearway.simulate.files import FILES


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def test_writes_the_six_files_with_matching_line_counts(tmp_path: Path) -> None:
    traffic = generate(800, seed=9)
    counts = write_traffic(traffic, tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    expected = {
        "consignments.ndjson": len(traffic.consignments),
        "orders.ndjson": len(traffic.orders),
        "payments.ndjson": len(traffic.payments),
        "waybills.ndjson": len(traffic.waybills),
        "truth.ndjson": len(traffic.truth),
        "operators.ndjson": len(traffic.operators),
    }
    assert counts == expected
    for name, count in expected.items():
        assert len(lines(out / name)) == count, name
    assert expected["consignments.ndjson"] == expected["truth.ndjson"] == 800


def test_record_lines_are_bare_records_that_decode(tmp_path: Path) -> None:
    traffic = generate(300, seed=10)
    write_traffic(traffic, tmp_path)
    for name, cls, stream in (
        ("consignments.ndjson", Consignment, traffic.consignments),
        ("orders.ndjson", Order, traffic.orders),
        ("payments.ndjson", Payment, traffic.payments),
        ("waybills.ndjson", Waybill, traffic.waybills),
    ):
        decoder = RecordDecoder(cls)
        decoded = []
        for line in lines(tmp_path / name):
            record, errors = decoder.decode(line)
            assert errors == []
            decoded.append(record)
        assert decoded == [s.record for s in stream]


def test_truth_names_who_sent_each_document(tmp_path: Path) -> None:
    traffic: Traffic = generate(500, seed=12)
    write_traffic(traffic, tmp_path)
    truth = [json.loads(line) for line in lines(tmp_path / "truth.ndjson")]
    consignments = [msgspec.json.decode(line) for line in lines(tmp_path / "consignments.ndjson")]
    operators = {json.loads(line)["id"]: json.loads(line) for line in lines(tmp_path / "operators.ndjson")}
    assert {"id", "kind", "name", "country"} <= set(next(iter(operators.values())))
    # Line i of the truth describes line i of the consignments.
    assert [t["reference"] for t in truth] == [c["reference"] for c in consignments]
    senders = {s.record.order_number: s.operator_id for s in traffic.orders}
    for row, submission in zip(truth, traffic.consignments, strict=True):
        assert row["consignment_operator"] == submission.operator_id
        assert row["order_operator"] == senders.get(row["order_number"])
        for key in ("consignment_operator", "order_operator", "payment_operator", "waybill_operator"):
            assert row[key] is None or row[key] in operators
        assert isinstance(row["problems"], list)
        assert isinstance(row["true_value"], str) and isinstance(row["declared_value"], str)


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    write_traffic(generate(700, seed=13), tmp_path / "a")
    write_traffic(generate(700, seed=13), tmp_path / "b")
    write_traffic(generate(700, seed=14), tmp_path / "c")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "consignments.ndjson").read_bytes() != (
        tmp_path / "c" / "consignments.ndjson"
    ).read_bytes()
