"""The audit chain on the real store: every state change and decision is chained, and
`clearway audit verify` passes on a live database and names the entry after a hand edit."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.audit.chain import content_hash
from clearway.cli.main import app
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.store import append_only
from clearway.store.tables import audit_batches, audit_head, audit_log

# Documents link only from the senders the fixture declaration names (clearance.senders).
pytestmark = pytest.mark.usefixtures("standard_operators")

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def busy(service: Clearway, consignment: Consignment, order: Order, payment: Payment, waybill: Waybill) -> Clearway:
    """A store with some history: a declaration linked and released as its documents arrive, and
    one cancelled while it waited for its own."""
    service.submit_consignments("op-courier-1", [consignment], now=T0)
    service.submit_documents("order", "op-platform-1", [order], now=T0)
    service.submit_documents("payment", "op-psp-1", [payment], now=T0)
    service.submit_documents("waybill", "op-post-1", [waybill], now=T0)
    elsewhere = msgspec.structs.replace(consignment.transaction, order_number="SW-OTHER", payment_id="PAY-OTHER")
    other = msgspec.structs.replace(consignment, reference="MSG-0002", transaction=elsewhere)
    [second] = service.submit_consignments("op-courier-1", [other], now=T0)
    service.cancel("op-courier-1", second.id or "", "withdrawn", now=T0)
    return service


def rows(service: Clearway) -> list[sa.RowMapping]:
    with service.engine.connect() as conn:
        return list(conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).mappings())


def test_state_changes_and_decisions_are_chained(busy: Clearway) -> None:
    everything = rows(busy)
    # The operators' onboarding comes first; the consignments' story after it.
    entries = [e for e in everything if e["action"].startswith("consignment.")]
    actions = [(e["action"], json.loads(e["detail"]).get("to")) for e in entries]
    assert actions[:2] == [("consignment.state", "received"), ("consignment.state", "awaiting_documents")]
    assert ("consignment.decision", None) in actions and ("consignment.state", "released") in actions
    assert actions[-1] == ("consignment.state", "cancelled")
    received = json.loads(entries[0]["detail"])
    assert received["version"] == 1 and len(received["body_hash"]) == 64
    # Codes and ids only: no names, addresses or free-text reasons in the chain.
    assert "Anna" not in "".join(e["detail"] for e in everything)
    result = busy.verify_audit(page=3)  # small pages: the walk crosses page boundaries
    assert result.ok and result.checked == len(everything)


def test_the_database_refuses_to_change_audit_rows(busy: Clearway) -> None:
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(actor="someone"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq == 2))


def tamper(service: Clearway, statement: sa.Executable) -> None:
    """What an intruder with the rights to drop the append-only triggers could do."""
    with service.engine.begin() as conn:
        append_only.drop(conn, append_only.TABLES)
        conn.execute(statement)
        append_only.create(conn, append_only.TABLES)


@pytest.mark.parametrize(
    ("edit", "seq", "words"),
    [
        (audit_log.update().where(audit_log.c.seq == 3).values(actor="officer:nobody"), 3, "altered"),
        (audit_log.update().where(audit_log.c.seq == 4).values(detail='{"to":"released"}'), 4, "altered"),
        (audit_log.delete().where(audit_log.c.seq == 2), 2, "missing"),
    ],
)
def test_verify_names_the_tampered_entry(
    busy: Clearway, monkeypatch: pytest.MonkeyPatch, edit: sa.Executable, seq: int, words: str
) -> None:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", busy.settings.database_url)
    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    tamper(busy, edit)
    result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    assert result.exit_code == 1
    verdict = json.loads(result.stdout)
    assert verdict["ok"] is False and verdict["seq"] == seq and words in verdict["problem"]


def test_verify_catches_reordering_and_a_cut_tail(busy: Clearway) -> None:
    entries = rows(busy)
    last = entries[-1]["seq"]
    # Swap the content of two entries, keeping their sequence numbers.
    a, b = entries[1], entries[2]
    fields = ("at", "actor", "action", "subject", "detail", "prev_hash", "hash")
    tamper(busy, audit_log.update().where(audit_log.c.seq == a["seq"]).values(**{f: b[f] for f in fields}))
    tamper(busy, audit_log.update().where(audit_log.c.seq == b["seq"]).values(**{f: a[f] for f in fields}))
    assert busy.verify_audit().seq == 2
    # Put them back, then cut the last entry off.
    tamper(busy, audit_log.update().where(audit_log.c.seq == a["seq"]).values(**{f: a[f] for f in fields}))
    tamper(busy, audit_log.update().where(audit_log.c.seq == b["seq"]).values(**{f: b[f] for f in fields}))
    assert busy.verify_audit().ok
    tamper(busy, audit_log.delete().where(audit_log.c.seq == last))
    result = busy.verify_audit()
    assert not result.ok and "end" in (result.problem or "")


# -- batches (migration 0022) ---------------------------------------------------------------


def batch_rows(service: Clearway) -> list[sa.RowMapping]:
    with service.engine.connect() as conn:
        return list(conn.execute(sa.select(audit_batches).order_by(audit_batches.c.first_seq)).mappings())


def a_batch(service: Clearway) -> sa.RowMapping:
    """A batch entry of three entries or more (a declaration received, decided, moved)."""
    return next(b for b in batch_rows(service) if b["last_seq"] - b["first_seq"] >= 2)


def test_a_submission_is_one_batch_entry_over_its_events(busy: Clearway) -> None:
    everything = rows(busy)
    batches = batch_rows(busy)
    assert batches, "several events of one append are one batch"
    for b in batches:
        covered = [e for e in everything if b["first_seq"] <= e["seq"] <= b["last_seq"]]
        assert len(b["digests"]) == 32 * len(covered)
        assert all(e["prev_hash"] == "" for e in covered)
        assert b"".join(bytes.fromhex(e["hash"]) for e in covered) == bytes(b["digests"])
    # Single events (the operators' onboarding, a cancel's lone state change) stay chained entries.
    assert any(e["prev_hash"] not in ("", None) for e in everything)
    with busy.engine.connect() as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one()
    assert head.seq == everything[-1]["seq"]


def test_the_database_refuses_to_change_batch_entries(busy: Clearway) -> None:
    first = a_batch(busy)["first_seq"]
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(audit_batches.update().where(audit_batches.c.first_seq == first).values(hash="0" * 64))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(audit_batches.delete().where(audit_batches.c.first_seq == first))


def _rehash(row: sa.RowMapping, **changes: object) -> dict[str, object]:
    """An entry's columns edited, with its content hash recomputed as a forger would."""
    values = {**row, **changes}
    detail = json.loads(str(values["detail"]))
    at = dt.datetime.fromisoformat(str(values["at"])) if isinstance(values["at"], str) else values["at"]
    assert isinstance(at, dt.datetime)
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    values["hash"] = content_hash(
        int(str(values["seq"])), at, str(values["actor"]), str(values["action"]), str(values["subject"]), detail
    )
    return values


def test_verify_names_an_event_altered_inside_a_batch(busy: Clearway) -> None:
    b = a_batch(busy)
    middle = b["first_seq"] + 1
    [row] = [e for e in rows(busy) if e["seq"] == middle]
    forged = _rehash(row, actor="officer:nobody")
    tamper(busy, audit_log.update().where(audit_log.c.seq == middle).values(actor="officer:nobody"))
    result = busy.verify_audit()
    assert not result.ok and result.seq == middle and "altered" in (result.problem or "")
    # The forger recomputes the entry's hash too: the batch entry still names it.
    tamper(busy, audit_log.update().where(audit_log.c.seq == middle).values(hash=forged["hash"]))
    result = busy.verify_audit()
    assert not result.ok and result.seq == middle and "committed to" in (result.problem or "")


def test_verify_names_an_event_dropped_from_a_batch(busy: Clearway) -> None:
    middle = a_batch(busy)["first_seq"] + 1
    tamper(busy, audit_log.delete().where(audit_log.c.seq == middle))
    result = busy.verify_audit()
    assert not result.ok and result.seq == middle and "missing" in (result.problem or "")


def test_verify_names_two_events_swapped_inside_a_batch(busy: Clearway) -> None:
    b = a_batch(busy)
    first, second = b["first_seq"], b["first_seq"] + 1
    by_seq = {e["seq"]: e for e in rows(busy)}
    fields = ("at", "actor", "action", "subject", "detail")
    # Content swapped and each hash recomputed for its new place: only the batch's list sees it.
    a = _rehash(by_seq[first], **{f: by_seq[second][f] for f in fields})
    c = _rehash(by_seq[second], **{f: by_seq[first][f] for f in fields})
    tamper(busy, audit_log.update().where(audit_log.c.seq == first).values(**{f: a[f] for f in (*fields, "hash")}))
    tamper(busy, audit_log.update().where(audit_log.c.seq == second).values(**{f: c[f] for f in (*fields, "hash")}))
    result = busy.verify_audit()
    assert not result.ok and result.seq == first and "committed to" in (result.problem or "")


def test_verify_names_an_altered_or_removed_batch_entry(busy: Clearway) -> None:
    b = a_batch(busy)
    first = b["first_seq"]
    digests = bytes(b["digests"])
    flipped = bytes([digests[0] ^ 1]) + digests[1:]
    where = audit_batches.c.first_seq == first
    tamper(busy, audit_batches.update().where(where).values(digests=flipped))
    result = busy.verify_audit()
    assert not result.ok and result.seq == first and "batch entry" in (result.problem or "")
    assert "altered" in (result.problem or "")
    tamper(busy, audit_batches.update().where(where).values(digests=digests))
    assert busy.verify_audit().ok
    tamper(busy, audit_batches.delete().where(where))
    result = busy.verify_audit()
    assert not result.ok and result.seq == first and "no batch entry" in (result.problem or "")
