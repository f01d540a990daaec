"""The stream worker on a real broker (Tansu) and the test database: records in, stored once, results
out keyed like the input; poison to the dead letters; redeliveries answered as duplicates; operators
that are not who they say refused; and no offset committed before the database has committed."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.app.stream.loop import StreamWorker, Topics
from clearway.app.stream.snapshot import WorkerSnapshot
from clearway.settings import Settings
from clearway.store.message_tables import messages
from clearway.store.tables import consignments, documents
from clearway.workers.kafka import DeliveryFailed, KafkaClient, read_properties, split_options
from clearway.workers.tansu import local_broker
from tests.conftest import NO_MODEL, STANDARD_OPERATORS, TEST_SECRET, fixture_json, register_operators
from tests.streams import StreamTopics, canonical, committed, headers, produce, read_all

UPU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "upu"
ITMATT = (UPU / "itmatt-2-items.xml").read_bytes().replace(b">FRA<", b">op-post-fr<")
GOOD_KINDS = {"consignment": "op-courier-1", "order": "op-platform-1", "payment": "op-psp-1", "waybill": "op-post-1"}


@pytest.fixture
def operators(service: Clearway) -> None:
    register_operators(service, {**STANDARD_OPERATORS, "op-post-fr": "postal_operator"})


def consignment(reference: str, **changes: Any) -> dict[str, Any]:
    data = fixture_json("consignment.json")
    data["reference"] = reference
    data.update(changes)
    return data


def run_worker(svc: Clearway, topics: StreamTopics, group: str = "g", *, batch: int = 100) -> WorkerSnapshot:
    """A worker on every partition of the input until it has been idle for a moment; its last snapshot."""
    client = KafkaClient(topics.bootstrap, topics.input, group, partitions=range(topics.partitions))
    worker = StreamWorker(svc, client, Topics(results=topics.results, dead_letter=topics.dead), batch=batch)
    try:
        worker.run(threading.Event(), max_idle=1.5)
        return worker.snapshot()
    finally:
        client.close()


def count(svc: Clearway, table: sa.Table, *where: Any) -> int:
    with svc.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


@pytest.mark.usefixtures("operators")
def test_records_are_stored_and_answered_keyed_like_the_input(service: Clearway, kafka: str) -> None:
    topics = StreamTopics(kafka)
    records = [canonical("op-courier-1", "consignment", consignment(f"K-{n}")) for n in range(3)]
    records += [canonical(GOOD_KINDS[k], k, fixture_json(f"{k}.json")) for k in ("order", "payment", "waybill")]
    records.append(("op-post-fr", ITMATT, {"clearway-standard": "upu-itmatt", "content-type": "text/xml"}))
    produce(kafka, topics.input, records)

    snapshot = run_worker(service, topics)

    assert count(service, consignments) == 5  # three JSON declarations and the ITMATT's two items
    assert count(service, documents) == 3
    results = read_all(kafka, topics.results, expect=len(records))
    assert len(results) == len(records)
    by_key = {m.key().decode(): json.loads(m.value()) for m in results}
    assert {r["status"] for r in by_key.values()} == {"accepted"}
    assert by_key["op-platform-1"]["kind"] == "order" and by_key["op-platform-1"]["id"]
    message = by_key["op-post-fr"]
    assert message["kind"] == "upu-itmatt" and [r["status"] for r in message["records"]] == ["accepted"] * 2
    for m in results:
        body = json.loads(m.value())
        source = body["source"]
        # The header a producer matches on names the input's own topic, partition and offset.
        assert headers(m)["clearway-source"].decode() == f"{topics.input}/{source['partition']}/{source['offset']}"
    declared = [json.loads(m.value()) for m in results if m.key() == b"op-courier-1"]
    assert sorted(r["reference"] for r in declared) == ["K-0", "K-1", "K-2"]
    assert all(r["id"] and r["state"] for r in declared)
    # Every offset taken is committed, and the snapshot says nothing is left.
    assert sum(committed(kafka, topics.input, "g", topics.partitions).values()) == len(records)
    assert snapshot.totals.accepted == len(records) and snapshot.totals.records == len(records)
    assert all(p.lag == 0 for p in snapshot.partitions)


@pytest.mark.usefixtures("operators")
def test_poison_goes_to_the_dead_letters_with_its_error_and_the_rest_is_stored(service: Clearway, kafka: str) -> None:
    topics = StreamTopics(kafka, partitions=1)
    bad_currency = consignment("P-2")
    bad_currency["transaction"]["currency"] = "EURO"
    records = [
        canonical("op-courier-1", "consignment", consignment("P-1")),
        canonical("op-courier-1", "consignment", b"{not json"),
        canonical("op-courier-1", "consignment", bad_currency),
        ("op-courier-1", json.dumps(consignment("P-3")).encode(), {"clearway-kind": "parcel"}),
        canonical("op-courier-1", "consignment", consignment("P-4")),
    ]
    produce(kafka, topics.input, records)

    run_worker(service, topics)

    with service.engine.connect() as conn:
        stored = set(conn.execute(sa.select(consignments.c.reference)).scalars())
    assert stored == {"P-1", "P-4"}
    dead = read_all(kafka, topics.dead, expect=3)
    assert len(dead) == 3
    by_offset = {int(headers(m)["clearway-source"].decode().rsplit("/", 1)[1]): m for m in dead}
    assert sorted(by_offset) == [1, 2, 3]
    # The record as it came (to be sent again once mended), and why, in headers.
    assert by_offset[1].value() == b"{not json" and headers(by_offset[1])["clearway-error-stage"] == b"decode"
    currency = json.loads(headers(by_offset[2])["clearway-error"])
    assert currency[0]["pointer"] == "/transaction/currency"
    assert json.loads(by_offset[2].value())["reference"] == "P-2"
    assert headers(by_offset[3])["clearway-error-stage"] == b"header"
    assert headers(by_offset[3])["clearway-kind"] == b"parcel"
    results = [json.loads(m.value()) for m in read_all(kafka, topics.results, expect=5)]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected", "accepted"]
    assert results[2]["errors"][0]["pointer"] == "/transaction/currency" and results[2]["dead_lettered"]


@pytest.mark.usefixtures("operators")
def test_a_record_delivered_twice_is_stored_once_and_answered_as_a_duplicate(service: Clearway, kafka: str) -> None:
    topics = StreamTopics(kafka, partitions=1)
    record = canonical("op-courier-1", "consignment", consignment("D-1"))
    message = ("op-post-fr", ITMATT, {"clearway-standard": "upu-itmatt"})
    produce(kafka, topics.input, [record, message, record, message])  # a producer's retry
    run_worker(service, topics, group="first")
    # Kafka's own redelivery: the same offsets read again, as after a crash before the commit.
    run_worker(service, topics, group="after-a-crash")

    assert count(service, consignments, consignments.c.reference == "D-1") == 1
    assert count(service, consignments) == 3  # D-1 and the ITMATT's two items, once each
    assert count(service, messages) == 1
    results = [json.loads(m.value()) for m in read_all(kafka, topics.results, expect=8)]
    assert [r["status"] for r in results] == ["accepted", "accepted"] + ["duplicate"] * 6
    assert len({r["id"] for r in results if r["kind"] == "consignment"}) == 1
    assert len({r["message_id"] for r in results if r["kind"] == "upu-itmatt"}) == 1
    # The repeat says what the message's records became the first time.
    assert [o["status"] for o in results[-1]["records"]] == ["accepted", "accepted"]


@pytest.mark.usefixtures("operators")
def test_an_operator_cannot_file_as_another_or_without_registration(service: Clearway, kafka: str) -> None:
    topics = StreamTopics(kafka, partitions=1)
    claims_another = consignment("A-2")
    claims_another["parties"]["declarant"] = {"name": "Other", "country": "DE", "operator_id": "op-courier-2"}
    service.access.onboard(operator_id="op-gone", name="Gone", kind="courier", country="DE",
                           contact_email="gone@example.org", actor="test")  # fmt: skip
    service.access.set_status("op-gone", "suspended", actor="test")
    records = [
        canonical("op-nobody", "consignment", consignment("A-1")),  # not registered
        canonical("op-courier-1", "consignment", claims_another),  # claims another's name
        canonical("op-gone", "consignment", consignment("A-3")),  # suspended
        canonical("OP-COURIER-1 ", "consignment", consignment("A-4")),  # not an operator id as registered
        ("op-courier-1", ITMATT, {"clearway-standard": "upu-itmatt"}),  # a message naming op-post-fr
        canonical(None, "consignment", consignment("A-5")),  # no key at all
    ]
    produce(kafka, topics.input, records)

    run_worker(service, topics)

    assert count(service, consignments) == 0
    results = [json.loads(m.value()) for m in read_all(kafka, topics.results, expect=len(records))]
    assert [r["status"] for r in results] == ["rejected"] * len(records)
    assert "not registered" in results[0]["errors"][0]["detail"]
    assert results[1]["errors"][0]["pointer"] == "/parties/declarant/operator_id"
    assert "not registered and active" in results[2]["errors"][0]["detail"]
    assert "'op-post-fr' as its sender" in results[4]["records"][0]["errors"][0]["detail"]
    dead = read_all(kafka, topics.dead, expect=5)
    # The message is kept as received with its refusals (as the API keeps it); the rest are dead letters.
    assert len(dead) == 5
    assert {headers(m)["clearway-error-stage"] for m in dead} == {b"operator", b"key"}


@pytest.mark.usefixtures("operators")
def test_no_offset_is_committed_before_the_database_commits(service: Clearway, kafka: str, tmp_path: Path) -> None:
    topics = StreamTopics(kafka, partitions=1)
    produce(kafka, topics.input, [canonical("op-courier-1", "consignment", consignment(f"C-{n}")) for n in range(3)])
    unreachable = Clearway(
        Settings(database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite'}", secret_key=TEST_SECRET,
                 model_dir=NO_MODEL, hs_model_dir=NO_MODEL)
    )  # fmt: skip
    client = KafkaClient(kafka, topics.input, "g", partitions=[0])
    worker = StreamWorker(unreachable, client, Topics(results=topics.results, dead_letter=topics.dead))
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    try:
        worker.run(stop)  # the database never answers: the batch is retried until stopped
    finally:
        client.close()
    assert committed(kafka, topics.input, "g", 1) == {0: -1001}  # nothing committed
    assert read_all(kafka, topics.results, expect=1, timeout=1.0) == []

    run_worker(service, topics)  # the same group, once the database is back: everything comes again
    assert count(service, consignments) == 3
    assert committed(kafka, topics.input, "g", 1) == {0: 3}


def test_kafka_options_go_to_one_client_or_both() -> None:
    consumer, producer = split_options(["security.protocol=SASL_SSL", "consumer.session.timeout.ms=2000",
                                        "producer.linger.ms=20"])  # fmt: skip
    assert consumer == {"security.protocol": "SASL_SSL", "session.timeout.ms": "2000"}
    assert producer == {"security.protocol": "SASL_SSL", "linger.ms": "20"}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        split_options(["no-value"])


@pytest.mark.parametrize("option", ["sasl.password=hunter2", "consumer.ssl.key.password=hunter2",
                                    "producer.sasl.oauthbearer.client.secret=hunter2"])  # fmt: skip
def test_a_secret_is_refused_on_the_command_line_and_its_value_is_not_repeated(option: str) -> None:
    with pytest.raises(ValueError, match="is a secret: put it in a properties file") as refused:
        split_options([option])
    assert "hunter2" not in str(refused.value)


def test_a_properties_file_holds_the_secrets_and_the_command_line_overrides_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "client.properties"
    config.write_text(
        "# Kafka client properties\n! also a comment\n\nsecurity.protocol = SASL_SSL\n"
        "sasl.password=s3cr=t\nconsumer.session.timeout.ms: 4000\n",
        encoding="utf-8",
    )
    config.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="clearway.workers.kafka"):
        lines = read_properties(config)
    assert "can be read by other users" in caplog.text
    config.chmod(0o600)
    caplog.clear()
    assert read_properties(config) == lines and "can be read by other users" not in caplog.text
    assert lines == ["security.protocol=SASL_SSL", "sasl.password=s3cr=t", "consumer.session.timeout.ms=4000"]
    consumer, producer = split_options(lines, secrets_allowed=True)
    assert consumer["sasl.password"] == producer["sasl.password"] == "s3cr=t"  # the first "=" splits
    assert consumer["session.timeout.ms"] == "4000" and "session.timeout.ms" not in producer
    (tmp_path / "bad.properties").write_text("security.protocol SASL_SSL\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: a property is KEY=VALUE"):
        read_properties(tmp_path / "bad.properties")
    with pytest.raises(ValueError, match="cannot read the Kafka properties file"):
        read_properties(tmp_path / "missing.properties")


@pytest.mark.usefixtures("operators")
def test_results_the_broker_does_not_acknowledge_leave_the_batch_uncommitted(service: Clearway) -> None:
    # A broker of its own, paused (SIGSTOP) once the worker has fetched the batch: the database
    # commits, the results cannot be delivered, and no offset is committed.
    with local_broker() as broker:
        topics = StreamTopics(broker.bootstrap, partitions=1)
        produce(broker.bootstrap, topics.input, [canonical("op-courier-1", "consignment", consignment(f"B-{n}"))
                                                 for n in range(3)])  # fmt: skip
        options = ["producer.message.timeout.ms=1500"]
        client = KafkaClient(broker.bootstrap, topics.input, "g", partitions=[0], options=options)
        worker = StreamWorker(service, client, Topics(results=topics.results, dead_letter=topics.dead))
        deadline = time.monotonic() + 10
        records = []
        while not records and time.monotonic() < deadline:
            records = client.poll(100, 0.2)
        assert len(records) == 3
        broker.pause()
        try:
            with pytest.raises(DeliveryFailed):
                worker.handle(records)
        finally:
            broker.resume()
            client.close()
        assert count(service, consignments) == 3  # stored before the results went out...
        assert committed(broker.bootstrap, topics.input, "g", 1) == {0: -1001}  # ...and not acknowledged
        snapshot = run_worker(service, topics)  # delivered again: answered, not stored again
        assert (snapshot.totals.duplicates, count(service, consignments)) == (3, 3)
        assert committed(broker.bootstrap, topics.input, "g", 1) == {0: 3}
