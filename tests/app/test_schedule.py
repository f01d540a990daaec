"""Scheduled jobs run by one process at a time: while another process holds a job's lock, a sweep
leaves that job to it, and does it once the lock is free. On SQLite (one serving process) every job
runs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading

import msgspec
import pytest
import sqlalchemy as sa

from clearway.app.logs import BATCH_ID, ContextFilter, batch
from clearway.app.platform import Clearway
from clearway.app.schedule import run_due_jobs
from clearway.clearance.lifecycle import State
from clearway.dataset.records import Consignment
from clearway.store.job_lock import job_key, only_one

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
LATE = T0 + dt.timedelta(hours=73)
ON_POSTGRESQL = bool(os.environ.get("CLEARWAY_TEST_DATABASE_URL"))


def _waiting(service: Clearway, consignment: Consignment) -> str:
    [result] = service.submit_consignments("op-courier-1", [consignment], now=T0)
    assert result.state == State.AWAITING_DOCUMENTS, result
    return str(result.id)


def test_a_sweep_holds_what_is_overdue(service: Clearway, consignment: Consignment) -> None:
    waiting = _waiting(service, consignment)
    report = run_due_jobs(service, now=LATE, retrain=False)
    assert (report.held, report.skipped) == (1, [])
    dossier = service.dossier(None, waiting)
    assert dossier is not None and dossier.consignment.status.state is State.HELD


def test_a_sweep_names_its_lines_with_one_batch_id(
    service: Clearway, consignment: Consignment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(ContextFilter())  # as the configured handlers have it
    with caplog.at_level(logging.INFO, logger="clearway"):
        _waiting(service, consignment)
        run_due_jobs(service, now=LATE, retrain=False)
        _waiting(service, msgspec.structs.replace(consignment, reference="SCHED-2"))
        with batch("pass-7"):  # the server names its pass first: the jobs keep that id
            run_due_jobs(service, now=LATE, retrain=False)
    first, second = [r for r in caplog.records if r.getMessage().startswith("held 1 ")]
    assert re.fullmatch(r"[0-9a-f]{32}", first.batch_id) and first.held == 1  # type: ignore[attr-defined]
    assert second.batch_id == "pass-7"  # type: ignore[attr-defined]
    assert BATCH_ID.get() is None


def test_job_keys_are_stable_and_distinct() -> None:
    assert job_key("expire_overdue") == job_key("expire_overdue")
    assert len({job_key(n) for n in ("expire_overdue", "expire_referrals", "retrain")}) == 3


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL-only: SQLite has one serving process, no lock to take")
def test_a_job_another_process_runs_is_left_to_it(
    service: Clearway, consignment: Consignment, database_url: str
) -> None:
    waiting = _waiting(service, consignment)
    other = sa.create_engine(database_url)  # another process's pool: its own database session
    try:
        with only_one(other, "expire_overdue") as held_elsewhere:
            assert held_elsewhere
            report = run_due_jobs(service, now=LATE, retrain=False)
            assert (report.held, report.skipped) == (0, ["expire_overdue"])
            dossier = service.dossier(None, waiting)
            assert dossier is not None and dossier.consignment.status.state is State.AWAITING_DOCUMENTS
        report = run_due_jobs(service, now=LATE, retrain=False)
        assert (report.held, report.skipped) == (1, [])
    finally:
        other.dispose()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL-only: SQLite has one serving process, no lock to take")
def test_two_processes_sweeping_at_once_hold_a_declaration_once(
    service: Clearway, consignment: Consignment, database_url: str
) -> None:
    waiting = _waiting(service, consignment)
    second = Clearway(service.settings, engine=sa.create_engine(database_url))
    start = threading.Barrier(2)
    reports = []

    def sweep(svc: Clearway) -> None:
        start.wait()
        reports.append(run_due_jobs(svc, now=LATE, retrain=False))

    threads = [threading.Thread(target=sweep, args=(s,)) for s in (service, second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        second.close()
    assert sum(r.held for r in reports) == 1
    with service.engine.connect() as conn:
        holds = conn.execute(
            sa.text("SELECT count(*) FROM history WHERE consignment_id = :id AND to_state = 'held'"), {"id": waiting}
        ).scalar_one()
    assert holds == 1
