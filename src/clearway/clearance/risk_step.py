"""The risk step of the pipeline: data quality, screening, targeting rules and lanes, on a batch.

The step builds the risk frame of the consignments decided now (one row each), adds what the store
knows (the same buyer's earlier parcels of the day, trust tiers), runs data quality, screening and
the targeting rules as Polars expressions over the whole frame, and turns each row into a lane with
its reasons. Nothing here reads the store per record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import polars as pl

from clearway.clearance.model import StoredConsignment
from clearway.clearance.store import ClearanceStore
from clearway.jurisdictions import Catalogue
from clearway.risk.aggregation import add_buyer_day, buyer_keys
from clearway.risk.frame import EuroRates, RiskInput, build_frame, buyer_address, row_dicts
from clearway.risk.hs_mismatch import COLUMN as HS_COLUMN
from clearway.risk.hs_mismatch import RULE as HS_RULE
from clearway.risk.hs_mismatch import HsMismatchStage
from clearway.risk.lanes import DECIDE_COLUMNS, Contribution, LaneSettings, RiskResult, RuleInfo, decide_all
from clearway.risk.learning.features import model_inputs
from clearway.risk.learning.model import RiskModel
from clearway.risk.partner_alerts import AlertIndex
from clearway.risk.quality import QualityConfig, assess_quality, price_ratio_of, quality_of, with_quality_inputs
from clearway.risk.reference import QualityReference
from clearway.risk.rules.conditions import fields_read
from clearway.risk.rules.evaluate import evaluate_frame, evaluate_row
from clearway.risk.rules.model import Rule
from clearway.risk.screening import ScreeningIndex, screen_frame, screen_row

# Up to this many consignments, the plain-Python path is faster than building a frame (measured
# without the HS model: 32 rows 7.0 against 16.0 ms, 100 rows 16.1 against 18.2, 200 rows 29.9
# against 21.2; the frame's fixed cost is about 15 ms, a row's Python about 0.14 ms).
SMALL_BATCH = 100
_KEY_COLUMNS = ["destination", "buyer_id", "buyer_name", "buyer_address"]
# How many of a score's largest feature contributions are shown (as the pipeline explains them).
_EXPLAINED = 3


@dataclass
class RiskStep:
    catalogue: Catalogue
    euro: EuroRates
    quality: QualityReference
    rules: Sequence[Rule]
    lanes: LaneSettings
    secret: bytes
    screening: ScreeningIndex | None = None
    screening_threshold: float = 0.88
    # list name -> "sanctions" or "watchlist": the rules tell a sanctions hit from a watchlist one.
    list_kinds: Mapping[str, str] = field(default_factory=dict)
    quality_config: QualityConfig = field(default_factory=QualityConfig)
    # (party, key) -> tier: ("operator", operator id) and ("seller", casefolded seller name).
    trust: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # The targeting model (None: rules alone); its score joins the rules' in the lane.
    model: RiskModel | None = None
    # Alerts imported from partner administrations (loaded once per step, matched per batch).
    partner_alerts: AlertIndex | None = None
    # The HS classification assistant's check of declared codes (None: no model loaded, no check).
    hs_mismatch: HsMismatchStage | None = None

    def __post_init__(self) -> None:
        self.rule_info = {
            r.name: RuleInfo(
                r.description,
                r.legal_basis,
                "partner_alerts" in fields_read(r.when),
                HS_COLUMN in fields_read(r.when) or r.name == HS_RULE,
            )
            for r in self.rules
        }
        self._jurisdiction = {d: self.catalogue.resolve(d)[0].code for d in self.catalogue.destinations()}
        # Seller tiers are keyed by the lower-cased seller name (Polars and Python lower-case alike).
        self._sellers = {key.lower(): tier for (party, key), tier in self.trust.items() if party == "seller"}

    def frame(
        self, inputs: Sequence[RiskInput], earlier: Mapping[tuple[str, str], tuple[int, float]], day: dt.date | None
    ) -> pl.DataFrame:
        """The assessed risk frame: every stage's columns, one row per input.

        ``day`` is the day of assessment; None replays history, each consignment on its own day of
        receipt (the buyer's day, the rules in force), as the learning module does.
        """
        frame = with_quality_inputs(build_frame(inputs, self.euro), inputs)
        operator = {op: self.trust.get(("operator", op), "standard") for op in frame["operator_id"].unique()}
        frame = frame.with_columns(
            pl.col("destination")
            .replace_strict(self._jurisdiction, default=None, return_dtype=pl.Utf8)
            .alias("jurisdiction"),
            pl.col("operator_id")
            .replace_strict(operator, default="standard", return_dtype=pl.Utf8)
            .alias("operator_trust"),
            pl.col("seller_name")
            .str.to_lowercase()
            .replace_strict(self._sellers, default="standard", return_dtype=pl.Utf8)
            .alias("seller_trust"),
        )
        if self.partner_alerts is not None and len(self.partner_alerts):
            alerts = pl.Series("partner_alerts", self._alerts(inputs), dtype=pl.List(pl.Utf8))
            frame = frame.with_columns(alerts)
        else:
            # No alert imported: a broadcast empty list (a Series of 20,000 empty lists costs ~50 ms).
            frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("partner_alerts"))
        frame = add_buyer_day(frame, self.secret, earlier, day=day)
        labels = self._hs_labels(frame["descriptions"].to_list(), frame["hs_codes"].to_list())
        frame = frame.with_columns(pl.Series(HS_COLUMN, labels, dtype=pl.List(pl.Utf8)))
        frame = assess_quality(frame, self.quality, self.quality_config)
        if self.screening is not None and len(self.screening):
            frame = screen_frame(frame, self.screening, self.screening_threshold)
            frame = frame.with_columns(
                pl.Series(
                    "screening_hits",
                    [self._kinds(h) for h in frame["screening_hits"].to_list()],
                    dtype=pl.List(pl.Utf8),
                )
            )
        else:
            frame = frame.with_columns(
                pl.lit(0.0).alias("screening_score"), pl.lit([], dtype=pl.List(pl.Utf8)).alias("screening_hits")
            )
        if day is None:
            latest = frame["received_at"].max()
            day = latest.date() if isinstance(latest, dt.datetime) else dt.date.min
        frame = evaluate_frame(frame, self.rules, day)
        if self.model is None or frame.is_empty():
            return frame
        return frame.hstack(_scored(self.model, frame, self.lanes))

    def explained(self, stored: StoredConsignment, result: RiskResult) -> RiskResult:
        """``result`` with its model score explained, when the pipeline did not explain it.

        The bulk path explains only the rows an officer will look at first (explaining all costs
        dozens of predictions each: 20,000 rows took 16-20 s against 0.2 s to score them). Any
        other scored consignment is explained here, when customs open it: the stored declaration
        is assessed again as of its day of receipt and scored by the same model version, so the
        same declaration, model and reference data give the same explanation every time. A score
        by a model no longer loaded stays unexplained (its trees are gone).
        """
        score = result.model
        if score is None or score.contributions or self.model is None or self.model.version != score.version:
            return result
        inputs = [RiskInput(stored.record, stored.operator_id, stored.received_at)]
        assessed = model_inputs(self.rows(inputs, {}, stored.received_at.date()))
        [again] = self.model.score(assessed, explain=_EXPLAINED).to_dicts()
        value = round(float(again["model_value"]), 4)
        explained = msgspec.structs.replace(
            score,
            contributions=[
                Contribution(feature=str(c["feature"]), value=str(c["value"]), effect=float(c["effect"]))
                for c in again["model_contributions"] or []
            ],
            explained_on_request=True,
            explained_value=None if value == score.value else value,
        )
        return msgspec.structs.replace(result, model=explained)

    def _alerts(self, inputs: Sequence[RiskInput]) -> list[list[str]]:
        # Matched against each declaration's own time of receipt, so a replay of history sees only
        # the alerts that were in force then.
        if self.partner_alerts is None or not len(self.partner_alerts):
            return [[] for _ in inputs]
        return self.partner_alerts.labels([i.consignment for i in inputs], [i.received_at for i in inputs])

    def _hs_labels(
        self, descriptions: Sequence[Sequence[str | None] | None], codes: Sequence[Sequence[str | None] | None]
    ) -> list[list[str]]:
        # One call to the classifier for the batch, on both paths, so that they label alike.
        if self.hs_mismatch is None:
            return [[] for _ in descriptions]
        return self.hs_mismatch.labels(descriptions, codes)

    def _kinds(self, hits: Sequence[str] | None) -> list[str]:
        # "list:entry:field:score" -> "sanctions:list:entry:field:score"
        return [f"{self.list_kinds.get(hit.split(':', 1)[0], 'watchlist')}:{hit}" for hit in (hits or [])]

    def rows(
        self, inputs: Sequence[RiskInput], earlier: Mapping[tuple[str, str], tuple[int, float]], day: dt.date
    ) -> list[dict[str, Any]]:
        """The same assessed rows as :meth:`frame`, one record at a time in plain Python: for a few
        consignments (a single HTTP submission) a frame's fixed cost is many times the work."""
        rows = with_quality_inputs(build_frame(inputs, self.euro), inputs).to_dicts()
        keys = buyer_keys(pl.DataFrame(rows).select(_KEY_COLUMNS), self.secret) if rows else []
        # Running totals in batch order: a consignment counts the buyer's earlier ones, never those
        # after it, as if each had come alone (risk.aggregation.add_buyer_day).
        # The batch's own sum first, the earlier batches' added last: the frame adds in this order,
        # so that a total at a rule's threshold is the same float on both paths.
        totals: dict[str, tuple[int, float]] = {}
        running = []
        for key, row in zip(keys, rows, strict=True):
            n, v = totals.get(key, (0, 0.0))
            totals[key] = (n + 1, v + (row["value_eur"] or 0.0))
            prior_n, prior_v = earlier.get((key, day.isoformat()), (0, 0.0))
            running.append((totals[key][0] + prior_n, totals[key][1] + prior_v))
        out = []
        labels = self._hs_labels([r["descriptions"] for r in rows], [r["hs_codes"] for r in rows])
        for key, row, alerts, so_far, hs in zip(keys, rows, self._alerts(inputs), running, labels, strict=True):
            row["partner_alerts"] = alerts
            row[HS_COLUMN] = hs
            row["jurisdiction"] = self._jurisdiction.get(row["destination"])
            row["operator_trust"] = self.trust.get(("operator", row["operator_id"]), "standard")
            row["seller_trust"] = self._sellers.get(row["seller_name"].lower(), "standard")
            row["buyer_key"] = key
            row["buyer_day_count"], row["buyer_day_value_eur"] = so_far
            row["quality_score"], row["quality_codes"] = quality_of(row, self.quality, self.quality_config)
            ratios = price_ratio_of(row, self.quality.prices)
            row["price_ratio_min"] = min(ratios) if ratios else None
            if self.screening is not None and len(self.screening):
                score, hits = screen_row(row, self.screening, self.screening_threshold)
                row["screening_score"], row["screening_hits"] = score, self._kinds(hits)
            else:
                row["screening_score"], row["screening_hits"] = 0.0, []
            verdict = evaluate_row(row, self.rules, day)
            row["rule_hits"], row["rule_versions"] = verdict.hits, verdict.versions
            row["rule_score"], row["rule_lane"] = verdict.score, verdict.lane
            out.append(row)
        if self.model is not None and out:
            for row, scored in zip(out, _scored(self.model, model_inputs(out), self.lanes).to_dicts(), strict=True):
                row.update(scored)
        return out

    def assess(
        self, store: ClearanceStore, rows: Sequence[StoredConsignment], now: dt.datetime
    ) -> dict[str, RiskResult]:
        if not rows:
            return {}
        day = now.date()
        inputs = [RiskInput(r.record, r.operator_id, r.received_at) for r in rows]
        # Buyer keys first (a cheap pass) so the store is asked once for the whole batch.
        probe = pl.DataFrame(
            {
                "destination": [r.record.destination_country for r in rows],
                "buyer_id": [r.record.parties.buyer.id_number for r in rows],
                "buyer_name": [r.record.parties.buyer.name for r in rows],
                "buyer_address": [buyer_address(r.record) for r in rows],
            },
            schema={"destination": pl.Utf8, "buyer_id": pl.Utf8, "buyer_name": pl.Utf8, "buyer_address": pl.Utf8},
        )
        earlier = store.buyer_day_usage(buyer_keys(probe, self.secret), day, exclude=[r.id for r in rows])
        # Both paths give the same rows (tests/clearance/test_risk_step.py); the choice is speed.
        small = len(inputs) <= SMALL_BATCH
        assessed = (
            self.rows(inputs, earlier, day) if small else row_dicts(self.frame(inputs, earlier, day), DECIDE_COLUMNS)
        )
        results = decide_all(assessed, self.rule_info, self.lanes, self.secret)
        return {row.id: result for row, result in zip(rows, results, strict=True)}


def _scored(model: RiskModel, frame: pl.DataFrame, lanes: LaneSettings) -> pl.DataFrame:
    """The model's columns for the rows of an assessed frame (the lane reads them).

    Contributions are computed for the rows an officer will see: those the model raises to yellow
    or red, and those the rules already flag (a rule outcome, or a score at the yellow threshold).
    """
    flagged = (frame["rule_score"].fill_null(0) >= lanes.yellow_at).to_numpy()
    if "rule_lane" in frame.columns:
        flagged |= frame["rule_lane"].is_not_null().to_numpy()
    scored = model.score(frame, explain_from=lanes.model_yellow_at, explain_also=flagged)
    return scored.with_columns(pl.lit(model.version).alias("model_version"))
