"""Inspection outcomes (recorded once, only for what customs inspected), the data-quality report
and a consignment's latest risk result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
import polars as pl
import sqlalchemy as sa

from clearway.app.risk.core import RiskCore, text_hash
from clearway.clearance import notices
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.clearance.lifecycle import State
from clearway.dataset.errors import FieldError
from clearway.risk.quality import quality_report
from clearway.store import classification_repo, risk_repo
from clearway.store.repository import SqlClearanceStore
from clearway.store.risk_tables import inspection_outcomes
from clearway.store.tables import consignments

OUTCOMES = ("compliant", "undervalued", "misclassified", "prohibited", "counterfeit", "other")


def _inspected_by_customs(history: Sequence[Any]) -> bool:
    """Whether the history shows an inspection started by a person (an officer's control step)."""
    return any(h["to_state"] == State.INSPECTED and str(h["actor"]).startswith("person:") for h in history)


class InspectionOutcomes(RiskCore):
    # -- outcomes --------------------------------------------------------------------------------

    def record_outcome(
        self,
        consignment_id: str,
        outcome: str,
        *,
        officer: str,
        note: str = "",
        corrected_value: Decimal | None = None,
        corrected_hs_code: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """An inspection's result: the label the learning issue trains on, and per-rule statistics.

        Only for a consignment an officer has started to inspect, and only once: an outcome for a
        parcel nobody opened, or a second one for the same inspection, would be a label that no
        inspection found, poisoning the model and the rules' hit rates. (A consignment is inspected
        at most once: the lifecycle leads from ``inspected`` only to final states.)
        """
        if outcome not in OUTCOMES:
            raise InvalidRecord("unknown outcome", [FieldError("/outcome", f"expected one of {', '.join(OUTCOMES)}")])
        at = now or dt.datetime.now(dt.UTC)
        with self._lock, self.engine.begin() as conn:
            # Row lock on PostgreSQL: two servers recording at once wait for each other, so the
            # second sees the first's outcome (SQLite has one writer at a time anyway).
            conn.execute(sa.select(consignments.c.id).where(consignments.c.id == consignment_id).with_for_update())
            store = SqlClearanceStore(conn)
            row = store.consignments_by_id([consignment_id]).get(consignment_id)
            if row is None:
                raise NotFound(f"no consignment '{consignment_id}'")
            if not _inspected_by_customs(store.history_of(consignment_id)):
                raise Conflict(
                    f"consignment '{consignment_id}' was not inspected (it is {row.status.state.value}): an outcome "
                    "is recorded only once an officer has started its inspection"
                )
            earlier = conn.execute(
                sa.select(inspection_outcomes.c.outcome, inspection_outcomes.c.recorded_at)
                .where(inspection_outcomes.c.consignment_id == consignment_id)
                .limit(1)
            ).first()
            if earlier is not None:
                raise Conflict(
                    f"the outcome of this inspection was already recorded ('{earlier.outcome}' at "
                    f"{earlier.recorded_at:%Y-%m-%d %H:%M} UTC); an outcome is not recorded twice"
                )
            latest = risk_repo.latest_result(conn, consignment_id)
            risk_repo.record_outcome(
                conn,
                consignment_id=consignment_id,
                version=row.version,
                outcome=outcome,
                corrected_value=corrected_value,
                corrected_hs_code=corrected_hs_code,
                note=note,
                officer=officer,
                at=at,
                result=latest[1] if latest else None,
            )
            detail: dict[str, Any] = {"outcome": outcome, "version": row.version}
            if note:
                detail["note_sha256"] = text_hash(note)
            self._audit(conn, officer, "risk.outcome", consignment_id, detail, at=at)
            # The declarant is told that the examination has a result (not which), in this transaction.
            subscribers = store.webhook_subscribers([row.operator_id])
            told = notices.for_outcome(subscribers, row, outcome, at) if subscribers else None
            if told is not None:
                store.append_notices([told])

    def quality_report(self, *, days: int, operator_id: str | None = None, period: str = "1d") -> list[dict[str, Any]]:
        """Per operator and period: declarations assessed, mean data-quality score, share of each
        finding; and how many of those declarations an inspection found misclassified, with the
        correct HS code recorded (``hs_codes_corrected``, ``share_hs_codes_corrected``)."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        with self.engine.connect() as conn:
            rows = risk_repo.quality_rows(conn, since, operator_id)
            corrected = classification_repo.corrected_assessments(conn, since, operator_id)
        frame = pl.DataFrame(
            {
                "operator_id": [r[0] for r in rows],
                "received_at": [r[1] for r in rows],
                "quality_score": [r[2] for r in rows],
                "quality_codes": [r[3] for r in rows],
            },
            schema={
                "operator_id": pl.Utf8,
                "received_at": pl.Datetime("us", "UTC"),
                "quality_score": pl.Int64,
                "quality_codes": pl.List(pl.Utf8),
            },
        )
        report = quality_report(frame, period=period)
        return with_corrections(report, corrected, period).to_dicts()

    def result(self, consignment_id: str) -> Any:
        with self.engine.connect() as conn:
            latest = risk_repo.latest_result(conn, consignment_id)
        return None if latest is None else msgspec.to_builtins(latest[1])


def with_corrections(report: pl.DataFrame, corrected: Sequence[tuple[str, dt.datetime]], period: str) -> pl.DataFrame:
    """The quality report with, per operator and period, its assessed declarations whose HS code an
    inspection corrected, and their share of the declarations (the same population as ``records``;
    never how many were inspected, which is targeting's)."""
    found = pl.DataFrame(
        {"operator_id": [r[0] for r in corrected], "assessed_at": [r[1] for r in corrected]},
        schema={"operator_id": pl.Utf8, "assessed_at": pl.Datetime("us", "UTC")},
    )
    counted = found.group_by("operator_id", pl.col("assessed_at").dt.truncate(period).alias("period_start")).agg(
        pl.len().cast(pl.Int64).alias("hs_codes_corrected")
    )
    joined = report.join(counted, on=["operator_id", "period_start"], how="left", maintain_order="left")
    return joined.with_columns(pl.col("hs_codes_corrected").fill_null(0)).with_columns(
        share_hs_codes_corrected=pl.when(pl.col("records") > 0).then(pl.col("hs_codes_corrected") / pl.col("records"))
    )
