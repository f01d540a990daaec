"""The scheduled jobs every server process's sweep runs, each by one process at a time.

Holding overdue declarations, expiring unanswered pre-loading referrals, creating next months'
partitions and pruning the lock anchors (PostgreSQL), and retraining the targeting model write
shared state; with several processes on one PostgreSQL database each job runs in the process that
takes its lock first (store/job_lock.py), and the others skip it until their next sweep. A job that finds nothing to
do is cheap, so the sweep asks every time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from clearway.app import metrics
from clearway.app.logs import BATCH_ID, batch
from clearway.app.platform import Clearway
from clearway.store import lock_anchors, partitions
from clearway.store.job_lock import only_one

log = logging.getLogger("clearway")


@dataclasses.dataclass
class SweepReport:
    """What one sweep did; a job another process was running is named in ``skipped``."""

    held: int = 0
    referrals_expired: int = 0
    retrained: bool = False
    partitions_created: list[str] = dataclasses.field(default_factory=list)
    anchors_pruned: dict[str, int] = dataclasses.field(default_factory=dict)
    skipped: list[str] = dataclasses.field(default_factory=list)


def run_due_jobs(svc: Clearway, *, now: dt.datetime | None = None, retrain: bool = True) -> SweepReport:
    # One batch id per sweep: its lines, and the pipeline's inside it, name the same run (the
    # server's sweep names its pass before it calls this: that id is kept).
    with batch(BATCH_ID.get()):
        return _run_due_jobs(svc, now=now, retrain=retrain)


def _run_due_jobs(svc: Clearway, *, now: dt.datetime | None, retrain: bool) -> SweepReport:
    report = SweepReport()
    with only_one(svc.engine, "expire_overdue") as mine:
        if mine:
            report.held = svc.expire_overdue(now=now)
        else:
            report.skipped.append("expire_overdue")
    with only_one(svc.engine, "expire_referrals") as mine:
        if mine:
            report.referrals_expired = svc.preloading.expire_referrals(now=now)
        else:
            report.skipped.append("expire_referrals")
    # Monthly partitions ahead of the clock (PostgreSQL), so that inserts never fall into DEFAULT.
    with only_one(svc.engine, "partitions") as mine:
        if mine:
            created = partitions.upkeep(svc.engine, now or dt.datetime.now(dt.UTC), svc.settings.partitions_ahead)
            report.partitions_created = [str(month) for month in created]
        else:
            report.skipped.append("partitions")
    # The rows locked to take turns on a buyer or an order, once a table has grown large (PostgreSQL).
    with only_one(svc.engine, "lock_anchors") as mine:
        if mine:
            report.anchors_pruned = lock_anchors.prune(svc.engine)
        else:
            report.skipped.append("lock_anchors")
    if retrain:
        with only_one(svc.engine, "retrain") as mine:
            if mine:
                report.retrained = svc.learning.retrain_if_due(now) is not None
            else:
                report.skipped.append("retrain")
    metrics.HELD_OVERDUE.inc(report.held)
    if report.held:
        log.info("held %d consignments whose documents are overdue", report.held, extra={"held": report.held})
    if report.referrals_expired:
        log.info("%d pre-loading referrals unanswered in time: do not load", report.referrals_expired)
    if report.partitions_created:
        log.info("created the monthly partitions of %s", ", ".join(report.partitions_created))
    if report.anchors_pruned:
        log.info("lock anchors pruned: %s", report.anchors_pruned)
    if report.skipped:
        log.info("sweep: %s running in another process, left to it", ", ".join(report.skipped))
    return report
