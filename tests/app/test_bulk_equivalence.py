"""The bulk path and the single-record path store the same thing (issue "Scale", the guard of the
columnar work in docs/adr/0006-columnar-bulk-path.md).

The same simulated traffic goes in twice on an empty database: once a record at a time, each in its
own transaction, as the API's single submissions arrive; once as NDJSON files through
`clearway ingest`'s path (decoded in chunks, a batch a transaction). Every stored row is compared:
consignments, versions, history, link and decision results, assessments and the parts they share,
risk results, documents, the errors of the records refused, and each audit event's content (not the
chain's shape: batches differ between the two paths by design; each chain must verify). Ids and
clock readings differ between two runs and are left out; everything else, the bodies included,
must be equal.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clearway.app.demo import register_traffic_operators
from clearway.app.intake import ingest_file
from clearway.app.platform import Clearway
from clearway.clearance import risk_step
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.simulate import generate
from clearway.simulate.model import Traffic
from tests.conftest import empty

KINDS: list[tuple[str, type[Any], str]] = [
    ("order", Order, "orders"),
    ("payment", Payment, "payments"),
    ("waybill", Waybill, "waybills"),
    ("consignment", Consignment, "consignments"),
]
# Clock readings and generated ids: they differ between two runs by construction.
VOLATILE = frozenset({"id", "at", "assessed_at", "received_at", "updated_at", "created_at", "decided_at"})
_ENCODER = msgspec.json.Encoder(decimal_format="string")


def lines_of(traffic: Traffic, attr: str, spoil: frozenset[int]) -> dict[str, list[bytes]]:
    """Each operator's records of one kind as NDJSON lines; the lines at ``spoil`` made invalid."""
    found: dict[str, list[bytes]] = {}
    for position, submission in enumerate(getattr(traffic, attr)):
        line = _ENCODER.encode(submission.record)
        if position in spoil:
            data = json.loads(line)
            data["currency" if "currency" in data else "order_number"] = "EURO" if "currency" in data else ""
            if "transaction" in data:
                data["transaction"]["currency"] = "EURO"
            line = json.dumps(data).encode()
        found.setdefault(submission.operator_id, []).append(line)
    return found


def plan(traffic: Traffic, docs_first: bool, spoil: frozenset[int]) -> list[tuple[str, str, list[bytes]]]:
    """(kind, operator, lines) in the order they go in: documents first, or declarations first."""
    kinds = KINDS if docs_first else KINDS[-1:] + KINDS[:-1]
    return [
        (kind, operator, lines)
        for kind, _, attr in kinds
        for operator, lines in lines_of(traffic, attr, spoil if kind == "consignment" else frozenset()).items()
    ]


def one_at_a_time(svc: Clearway, steps: list[tuple[str, str, list[bytes]]]) -> list[Any]:
    errors: list[Any] = []
    decoders = {kind: RecordDecoder(cls) for kind, cls, _ in KINDS}
    for kind, operator, lines in steps:
        for number, line in enumerate(lines, 1):
            record, found = decoders[kind].decode(line)
            if record is None:
                errors.append((kind, operator, number, sorted((e.pointer, e.detail) for e in found)))
            elif kind == "consignment":
                svc.submit_consignments(operator, [record])
            else:
                svc.submit_documents(kind, operator, [record])  # type: ignore[arg-type]
    return sorted(errors)


def in_bulk(
    svc: Clearway, steps: list[tuple[str, str, list[bytes]]], folder: Path, *, check_ahead: bool = False
) -> list[Any]:
    errors: list[Any] = []
    for step, (kind, operator, lines) in enumerate(steps):
        path = folder / f"{step}-{kind}.ndjson"
        path.write_bytes(b"\n".join(lines) + b"\n")
        refused = folder / f"{step}-{kind}.errors.ndjson"
        ingest_file(svc, path, operator=operator, kind=kind, errors_to=refused, check_ahead=check_ahead)
        for text in refused.read_text().splitlines():
            found = json.loads(text)
            errors.append((kind, operator, found["line"], sorted((e["pointer"], e["detail"]) for e in found["errors"])))
    return sorted(errors)


def _plain(value: Any) -> Any:
    """A stored value without its volatile parts; JSON bodies read and cleaned the same way."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return None
    return value


def when(value: Any) -> dt.datetime:
    """A stored time (SQLite hands back its text)."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def snapshot(svc: Clearway) -> dict[str, list[Any]]:
    """Every row the pipeline writes, keyed by the consignment's operator and reference."""
    with svc.engine.connect() as conn:
        keys = {
            cid: (operator, reference)
            for cid, operator, reference in conn.exec_driver_sql("SELECT id, operator_id, reference FROM consignments")
        }
        found: dict[str, list[Any]] = {}
        for table in ("consignments", "consignment_versions", "history", "results", "assessments", "risk_results"):
            rows = []
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")).mappings():
                plain = {k: _plain(v) for k, v in row.items() if k not in VOLATILE and k != "consignment_id"}
                cid = row["id"] if table == "consignments" else row["consignment_id"]
                if table == "consignments" and row["deadline"] is not None:
                    plain["deadline"] = str(when(row["deadline"]) - when(row["received_at"]))  # the wait, not the clock
                rows.append((keys[cid], sorted(plain.items(), key=lambda kv: kv[0])))
            found[table] = sorted(rows, key=repr)
        # Assessments name the parts they share (content-addressed): the same parts must be stored.
        found["body_parts"] = sorted(tuple(row) for row in conn.exec_driver_sql("SELECT * FROM body_parts"))
        # The audit chain's shape differs legitimately: a single submission appends its few events
        # as one batch, the bulk path a chunk's as another, so sequence numbers, batch entries and
        # links differ. What must be equal is each event's content, in order, per consignment.
        events: dict[tuple[str, str], list[Any]] = {}
        log = sa.text("SELECT subject, actor, action, detail FROM audit_log WHERE action LIKE :a ORDER BY seq")
        for subject, actor, action, detail in conn.execute(log, {"a": "consignment.%"}):
            events.setdefault(keys[subject], []).append((actor, action, _plain(detail)))
        found["audit"] = sorted(events.items())
        documents = conn.exec_driver_sql("SELECT kind, operator_id, number, body_hash, sender_kind FROM documents")
        found["documents"] = sorted(tuple(row) for row in documents)
    return found


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    count=st.integers(3, 14),
    docs_first=st.booleans(),
    spoil=st.frozensets(st.integers(0, 13), max_size=3),
    frame=st.booleans(),
)
# Two parcels of one order, the first put under control: the second must see it in one batch too.
@example(seed=620, count=12, docs_first=False, spoil=frozenset(), frame=True)
def test_bulk_and_single_submissions_store_the_same_rows(
    service: Clearway,
    tmp_path_factory: Any,
    seed: int,
    count: int,
    docs_first: bool,
    spoil: frozenset[int],
    frame: bool,
) -> None:
    same_rows(service, tmp_path_factory, seed, count, docs_first, spoil, frame)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    count=st.integers(3, 14),
    docs_first=st.booleans(),
    frame=st.booleans(),
)
@example(seed=620, count=12, docs_first=True, frame=False)  # as above: the order under control
def test_the_same_rows_with_the_hs_check_on(
    hs_service: Clearway, tmp_path_factory: Any, seed: int, count: int, docs_first: bool, frame: bool
) -> None:
    # The HS classifier's check of declared codes runs on both paths (one call per batch, the same
    # labels): the stored risk results, rule hits and reasons included, must still be equal.
    assert hs_service.risk.step().hs_mismatch is not None
    same_rows(hs_service, tmp_path_factory, seed, count, docs_first, frozenset(), frame)


def same_rows(
    service: Clearway,
    tmp_path_factory: Any,
    seed: int,
    count: int,
    docs_first: bool,
    spoil: frozenset[int],
    frame: bool,
) -> None:
    traffic = generate(count, seed)
    steps = plan(traffic, docs_first, spoil)

    empty(service.engine)
    register_traffic_operators(service, traffic)
    single_errors = one_at_a_time(service, steps)
    single = snapshot(service)
    assert service.verify_audit().ok

    empty(service.engine)
    register_traffic_operators(service, traffic)
    # Batches of a few take risk's row path, as single records do; ``frame`` sends every batch of
    # more than one record through the frame path, which bulk traffic takes (over SMALL_BATCH).
    small = risk_step.SMALL_BATCH
    risk_step.SMALL_BATCH = 1 if frame else small
    try:
        bulk_errors = in_bulk(service, steps, tmp_path_factory.mktemp("bulk"))
    finally:
        risk_step.SMALL_BATCH = small
    bulk = snapshot(service)
    assert service.verify_audit().ok
    # Not vacuous: every stored declaration has audit events, every assessment parts.
    assert bool(single["audit"]) == bool(single["consignments"])
    assert bool(single["body_parts"]) == bool(single["assessments"])

    assert bulk_errors == single_errors
    assert len(bulk["consignments"]) == count - len([i for i in spoil if i < count])
    for table, rows in single.items():
        assert bulk[table] == rows, table
