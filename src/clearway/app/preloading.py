"""Pre-loading filings: assess PLACI data at once, keep referrals open until the carrier answers,
and turn an unanswered referral into "do not load" when its time is up."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any, Literal

import msgspec
import sqlalchemy as sa

from clearway.app.message_notices import tell_changed
from clearway.app.risk.service import RiskService
from clearway.audit.chain import AuditEvent
from clearway.clearance.errors import Conflict, NotFound
from clearway.clearance.model import new_id
from clearway.risk.preloading import Answer, PlaciAssessment, PlaciFiling, PlaciReason, assess_placi
from clearway.settings import Settings
from clearway.store.audit_log import SqlAuditLog
from clearway.store.risk_tables import placi_filings
from clearway.store.tables import plain_row

_ENCODE = msgspec.json.Encoder(decimal_format="string")
_FILING = msgspec.json.Decoder(PlaciFiling)
_ASSESSMENT = msgspec.json.Decoder(PlaciAssessment)
_REFERRALS = ("request_for_information", "request_for_screening")
# One filing's result in a batch: its view, or the conflict that refused it (a refiling).
Filed = dict[str, Any] | Conflict


class ScreeningAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The carrier's answer to a request for screening: what its high-risk screening found."""

    screening: Literal["cleared", "threat_found"]
    note: str = ""


class PreloadingService:
    def __init__(self, engine: sa.Engine, settings: Settings, risk: RiskService, *, write_lock: threading.Lock) -> None:
        self.engine = engine
        self.settings = settings
        self.risk = risk
        self._lock = write_lock

    def _assess(self, filing: PlaciFiling, now: dt.datetime) -> PlaciAssessment:
        step = self.risk.step()
        return assess_placi(
            filing,
            jurisdiction=step._jurisdiction.get(filing.destination_country),
            received_at=now,
            rules=step.rules,
            vague=step.quality.vague,
            screening=step.screening,
            threshold=step.screening_threshold,
            list_kinds=step.list_kinds,
        )

    def file(self, operator_id: str, filing: PlaciFiling, *, now: dt.datetime | None = None) -> dict[str, Any]:
        """Assess a filing now; a referral gets its deadline."""
        (filed,) = self.file_many(operator_id, [filing], now=now, refuse=True)
        if isinstance(filed, Conflict):  # refuse=True raises it instead: never here
            raise filed
        return filed

    def file_many(
        self,
        operator_id: str,
        filings: Sequence[PlaciFiling],
        *,
        now: dt.datetime | None = None,
        refuse: bool = False,
        also: Callable[[sa.Connection, list[Filed]], None] | None = None,
    ) -> list[Filed]:
        """Assess filings in one transaction, one result each in order: the filing's view, or the
        Conflict that refuses a refiling (raised instead when ``refuse``). ``also`` runs in the same
        transaction with the results (the message service keeps the message beside them)."""
        at = now or dt.datetime.now(dt.UTC)
        assessed = [(filing, self._assess(filing, at)) for filing in filings]
        results: list[Filed] = []
        with self._lock, self.engine.begin() as conn:
            for filing, assessment in assessed:
                try:
                    self._refuse_refiling(conn, operator_id, filing)
                except Conflict as exc:
                    if refuse:
                        raise
                    results.append(exc)
                    continue
                row = self._row(operator_id, filing, assessment, at)
                conn.execute(sa.insert(placi_filings).values(**row))
                self._audit(conn, f"operator:{operator_id}", "preloading.filed", str(row["id"]), assessment.answer, at)
                results.append(self._view(row))
            if also is not None:
                also(conn, results)
        return results

    def _row(
        self, operator_id: str, filing: PlaciFiling, assessment: PlaciAssessment, at: dt.datetime
    ) -> dict[str, Any]:
        referral = assessment.answer in _REFERRALS
        return {
            "id": new_id(),
            "operator_id": operator_id,
            "reference": filing.reference,
            "transport_document": filing.transport_document,
            "received_at": at,
            "answer": assessment.answer,
            "status": "open" if referral else "closed",
            "due_at": at + dt.timedelta(minutes=self.settings.referral_minutes) if referral else None,
            "answered_at": None,
            "filing": _ENCODE.encode(filing).decode(),
            "assessment": _ENCODE.encode(assessment).decode(),
            "history": json.dumps([{"at": at.isoformat(), "answer": assessment.answer, "by": "customs"}]),
        }

    def current(self, operator_id: str, filing_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """The operator's filings as they stand now, by id, in one read (a message's answers)."""
        if not filing_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(placi_filings).where(
                    placi_filings.c.id.in_(list(filing_ids)), placi_filings.c.operator_id == operator_id
                )
            ).all()
        return {row.id: self._view(plain_row(row._mapping)) for row in rows}

    @staticmethod
    def _refuse_refiling(conn: sa.Connection, operator_id: str, filing: PlaciFiling) -> None:
        """A new filing does not replace an open referral or a do-not-load answer for the same item.

        Otherwise a carrier told not to load "Pepper spray" files "Hair spray" for the same house
        consignment and loads it. The referral is answered (information, screening) or customs is
        contacted; a later filing of the same transport document is refused meanwhile.
        """
        earlier = conn.execute(
            sa.select(placi_filings.c.id, placi_filings.c.answer, placi_filings.c.status).where(
                placi_filings.c.operator_id == operator_id,
                sa.or_(
                    placi_filings.c.transport_document == filing.transport_document,
                    placi_filings.c.reference == filing.reference,
                ),
                sa.or_(placi_filings.c.status == "open", placi_filings.c.answer == "do_not_load"),
            )
        ).first()
        if earlier is not None:
            what = "do not load" if earlier.answer == "do_not_load" else "an open referral"
            raise Conflict(
                f"filing '{earlier.id}' for this item has {what}: answer it or contact customs; a new filing "
                "does not replace it (Commission Implementing Regulation (EU) 2015/2447, Art. 186)"
            )

    def read(self, operator_id: str, filing_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return self._view(self._own(conn, operator_id, filing_id))

    def answer_information(
        self, operator_id: str, filing_id: str, filing: PlaciFiling, *, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The carrier answers a request for information with corrected data, assessed again."""
        at = now or dt.datetime.now(dt.UTC)
        assessment = self._assess(filing, at)
        return self._close(operator_id, filing_id, "request_for_information", assessment, at, filing=filing)

    def answer_screening(
        self, operator_id: str, filing_id: str, answer: ScreeningAnswer, *, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The carrier screened the item: cleared means load; a threat means do not load."""
        at = now or dt.datetime.now(dt.UTC)
        verdict: Answer = "assessment_complete" if answer.screening == "cleared" else "do_not_load"
        reason = PlaciReason(
            code=f"screening_{answer.screening}",
            message=f"the carrier's high-risk screening: {answer.screening.replace('_', ' ')}",
            basis="Commission Implementing Regulation (EU) 2015/2447, Art. 186(3) (request for screening)",
        )
        assessment = PlaciAssessment(answer=verdict, reasons=[reason], screening_hits=[], rule_versions=[])
        return self._close(operator_id, filing_id, "request_for_screening", assessment, at)

    def _close(
        self,
        operator_id: str,
        filing_id: str,
        expected: str,
        assessment: PlaciAssessment,
        at: dt.datetime,
        filing: PlaciFiling | None = None,
    ) -> dict[str, Any]:
        with self._lock, self.engine.begin() as conn:
            row = self._own(conn, operator_id, filing_id)
            if row["status"] != "open" or row["answer"] != expected:
                raise Conflict(f"filing '{filing_id}' has no open {expected.replace('_', ' ')} ({row['status']})")
            referral = assessment.answer in _REFERRALS
            history = [
                *json.loads(row["history"]),
                {"at": at.isoformat(), "answer": assessment.answer, "by": "carrier"},
            ]
            values: dict[str, Any] = {
                "answer": assessment.answer,
                "status": "open" if referral else "closed",
                "answered_at": at,
                "assessment": _ENCODE.encode(assessment).decode(),
                "history": json.dumps(history),
            }
            if referral:
                values["due_at"] = at + dt.timedelta(minutes=self.settings.referral_minutes)
            if filing is not None:
                values["filing"] = _ENCODE.encode(filing).decode()
            conn.execute(sa.update(placi_filings).where(placi_filings.c.id == filing_id).values(**values))
            self._audit(conn, f"operator:{operator_id}", "preloading.answered", filing_id, assessment.answer, at)
            tell_changed(conn, [filing_id], at)  # an ICS2 filing's answers follow
            return self._view({**row, **values})

    def expire_referrals(self, *, now: dt.datetime | None = None) -> int:
        """Unanswered referrals past their deadline: the item is not loaded."""
        at = now or dt.datetime.now(dt.UTC)
        with self._lock, self.engine.begin() as conn:
            due = (
                conn.execute(
                    sa.select(placi_filings.c.id).where(placi_filings.c.status == "open", placi_filings.c.due_at <= at)
                )
                .scalars()
                .all()
            )
            if due:
                conn.execute(
                    sa.update(placi_filings)
                    .where(placi_filings.c.id.in_(due))
                    .values(status="expired", answer="do_not_load", answered_at=at)
                )
                for filing_id in due:
                    self._audit(conn, "system:pipeline", "preloading.expired", filing_id, "do_not_load", at)
                tell_changed(conn, due, at)
        return len(due)

    @staticmethod
    def _own(conn: sa.Connection, operator_id: str, filing_id: str) -> dict[str, Any]:
        found = conn.execute(sa.select(placi_filings).where(placi_filings.c.id == filing_id)).first()
        if found is None or found.operator_id != operator_id:
            raise NotFound(f"no pre-loading filing '{filing_id}'")
        return plain_row(found._mapping)

    @staticmethod
    def _view(row: dict[str, Any]) -> dict[str, Any]:
        assessment = _ASSESSMENT.decode(row["assessment"])
        return {
            "id": row["id"],
            "reference": row["reference"],
            "transport_document": row["transport_document"],
            "answer": row["answer"],
            "status": row["status"],
            "received_at": row["received_at"],
            "due_at": row["due_at"],
            "answered_at": row["answered_at"],
            "reasons": msgspec.to_builtins(assessment.reasons),
            "screening_hits": assessment.screening_hits,
            "rule_versions": assessment.rule_versions,
        }

    @staticmethod
    def _audit(conn: sa.Connection, actor: str, action: str, subject: str, answer: str, at: dt.datetime) -> None:
        SqlAuditLog(conn).append(
            [AuditEvent(at=at, actor=actor, action=action, subject=subject, detail={"answer": answer})]
        )
