"""The revenue side of the application: quotes, reference data, statements and refunds.

It loads what the pure engine needs — the jurisdiction folders, the tariff measures, the customs
rate table and the scheme registries customs imported — once, and again after an import, so that
an assessment never reads the database per consignment.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clearway.app.secrets import derive, load_or_create
from clearway.clearance.assessment import RevenueConfig
from clearway.clearance.errors import Conflict, NotFound
from clearway.clearance.lifecycle import State
from clearway.jurisdictions import Catalogue, JurisdictionError
from clearway.revenue.context import Sources
from clearway.revenue.engine import assess, check_formulas
from clearway.revenue.model import Assessment
from clearway.revenue.quote import QuoteRequest, QuoteResponse, response, to_shipment
from clearway.revenue.rates import ChainedRates, EcbRates, TableRate, TableRates
from clearway.revenue.schemes import Registration, RegistrySnapshot
from clearway.settings import Settings
from clearway.store import revenue_repo
from clearway.store.audit_log import SqlAuditLog
from clearway.store.repository import SqlClearanceStore
from clearway.store.tariff_repo import SqlTariffStore

# The ECB history is read once per process (per file): it is the same for every assessment.
_ECB: dict[str, EcbRates] = {}


def ecb_rates(file: str) -> EcbRates:
    """The packaged ECB history, or the administration's newer file (CLEARWAY_ECB_HISTORY_FILE)."""
    if file not in _ECB:
        _ECB[file] = EcbRates(file=file or None)
    return _ECB[file]


class RevenueService:
    def __init__(self, engine: sa.Engine, settings: Settings, *, write_lock: threading.Lock) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = write_lock
        self._config: RevenueConfig | None = None
        folders = [Path(p) for p in settings.jurisdictions_dir.split(":") if p]
        self.catalogue = Catalogue.load(folders)
        problems = check_formulas(self.catalogue)
        if problems:
            raise JurisdictionError("; ".join(problems))

    def config(self) -> RevenueConfig:
        """The engine's inputs, loaded on first use and after every import of reference data."""
        if self._config is None:
            secret = load_or_create(self.settings.secret_key or None, self.settings.secret_key_file)
            with self.engine.connect() as conn:
                rates = revenue_repo.load_rates(conn)
                registrations = revenue_repo.load_registrations(conn)
            sources = Sources(
                rates=ChainedRates(TableRates(rates), ecb_rates(self.settings.ecb_history_file)),
                tariff=SqlTariffStore(self.engine).load(),
                registry=RegistrySnapshot(registrations),
            )
            self._config = RevenueConfig(
                catalogue=self.catalogue, sources=sources, quota_secret=derive(secret, "quota-ledger")
            )
        return self._config

    def reload(self) -> None:
        self._config = None

    # -- quotes ---------------------------------------------------------------------------------

    def quote(self, request: QuoteRequest) -> QuoteResponse:
        """A landed-cost quote: pure computation on the loaded reference data, nothing stored."""
        return response(self.assess(request), buyer_id=request.buyer_id)

    def assess(self, request: QuoteRequest) -> Assessment:
        config = self.config()
        return assess(to_shipment(request), config.catalogue, config.sources)

    # -- reference data -------------------------------------------------------------------------

    def import_registrations(self, scheme: str, rows: Sequence[Registration], *, source: str, actor: str) -> int:
        with self._lock, self.engine.begin() as conn:
            count = revenue_repo.replace_registrations(conn, scheme, rows, source)
            self._audit(conn, actor, "revenue.registry_import", scheme, {"rows": count, "source": source})
        self.reload()
        return count

    def import_rates(self, rows: Sequence[TableRate], *, source: str, actor: str) -> int:
        with self._lock, self.engine.begin() as conn:
            count = revenue_repo.replace_rates(conn, rows)
            self._audit(conn, actor, "revenue.rates_import", "customs_rates", {"rows": count, "source": source})
        self.reload()
        return count

    # -- statements, assessments, refunds -------------------------------------------------------

    def scheme_statement(self, month: str, operator_id: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return revenue_repo.scheme_statement(conn, month, operator_id)

    def intermediary_statement(self, month: str, operator_id: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return revenue_repo.intermediary_statement(conn, month, operator_id)

    def assessment(self, consignment_id: str) -> Assessment | None:
        with self.engine.connect() as conn:
            return revenue_repo.latest_assessment(conn, consignment_id)

    def refund_return(self, operator_id: str, consignment_id: str, *, now: dt.datetime, actor: str) -> Decimal:
        """A buyer returned a released parcel: refund its tax and restore the buyer's quota.

        Allowed within the jurisdiction's return period after release (China: 30 days, Customs
        announcement 2020 No. 45); the tax refunded is what the ledger charged.
        """
        with self._lock, self.engine.begin() as conn:
            store = SqlClearanceStore(conn)
            row = store.consignments_by_id([consignment_id]).get(consignment_id)
            if row is None or row.operator_id != operator_id:
                raise NotFound(f"no consignment '{consignment_id}'")
            if row.status.state is not State.RELEASED:
                raise Conflict(f"only a released consignment can be returned for a refund; it is '{row.status.state}'")
            assessment = revenue_repo.latest_assessment(conn, consignment_id)
            if assessment is None or assessment.per_person_value is None:
                raise Conflict("this consignment was not charged against a per-person quota; nothing to refund")
            params = self.catalogue.params(row.record.destination_country, assessment.as_of, {})
            days = params.value("cbec.return_days")
            released = row.status.updated_at
            if days is None or now > released + dt.timedelta(days=int(days)):
                raise Conflict(
                    f"the return period ({days} days after release on {released.date()}) is over"
                    if days is not None
                    else "the jurisdiction allows no refund on return"
                )
            refunded = revenue_repo.refund_quota(conn, consignment_id, now)
            if refunded is None:
                raise Conflict("the tax of this consignment was already refunded")
            self._audit(conn, actor, "revenue.return_refund", consignment_id, {"tax": f"{refunded:f}"}, at=now)
            return refunded

    def _audit(
        self,
        conn: sa.Connection,
        actor: str,
        action: str,
        subject: str,
        detail: dict[str, Any],
        at: dt.datetime | None = None,
    ) -> None:
        SqlAuditLog(conn).record(actor, action, subject, detail, at)
