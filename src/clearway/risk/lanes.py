"""Lanes: green (release), yellow (documentary check or request for information), red
(inspection), do-not-load (pre-loading security), each with the reasons that produced it.

The lane of a consignment is the most severe of:

- the outcome of any rule it hit (a rule's outcome is the last word: prohibitions and security
  are never softened by trust or score);
- its risk score, the sum of the weights of the rules it hit, scaled by the trust tier of the
  declaring operator (an AEO's score counts for less, a new operator's for more), against the
  yellow and red thresholds.

Trust lowers the chance of inspection but never to zero: a configurable share of the consignments
that would go green is selected for a random inspection, by a keyed hash of the consignment (the
same consignment always draws the same way; an operator cannot predict the draw).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from clearway.risk.hs_mismatch import COLUMN as HS_COLUMN
from clearway.risk.hs_mismatch import describe

Lane = Literal["green", "yellow", "red", "do_not_load"]
SEVERITY: dict[str, int] = {"green": 0, "yellow": 1, "red": 2, "do_not_load": 3}
_BASIS_RULES = (
    "Regulation (EU) No 952/2013 (UCC), Art. 46 (risk management and customs controls); WCO E-Commerce FoS, Standard 5"
)
_BASIS_RANDOM = "UCC Art. 46(2): controls based on random selection as well as risk analysis"


_BASIS_MODEL = (
    "UCC Art. 46(2) and (3): risk analysis using electronic data-processing techniques, on common "
    "criteria; WCO E-Commerce FoS, Standard 5 (risk management, advanced analytics)"
)


@dataclass(frozen=True)
class LaneSettings:
    yellow_at: int = 30
    red_at: int = 60
    # Share of would-be-green consignments sent to a random inspection (learning, deterrence).
    exploration_rate: float = 0.005
    trust_factors: Mapping[str, float] = field(
        default_factory=lambda: {"aeo": 0.5, "trusted": 0.75, "standard": 1.0, "new": 1.25}
    )
    # The targeting model's expected value of inspection (EUR) from which a consignment goes to the
    # yellow or red lane; None when no model is loaded (the thresholds come from the model's
    # training distribution and the shares in the settings).
    model_yellow_at: float | None = None
    model_red_at: float | None = None


class Contribution(msgspec.Struct, frozen=True, kw_only=True):
    """One feature's push on the model's score (log-odds), with the value it had."""

    feature: str
    value: str
    effect: float


class ModelScore(msgspec.Struct, frozen=True, kw_only=True):
    """What the targeting model said of a consignment, and why (its largest contributions)."""

    version: str
    probability: float
    revenue_eur: float
    value: float
    contributions: list[Contribution] = msgspec.field(default_factory=list)
    # Explaining costs dozens of predictions, so the pipeline explains only what it flags; the
    # others are explained when customs read them (clearance.risk_step.RiskStep.explained), by the
    # same model version from the stored declaration: then ``explained_on_request`` is set, and
    # ``explained_value`` is the expected value those contributions add up to when it is not
    # ``value`` (the rules, reference data or the buyer's other parcels changed since scoring).
    explained_on_request: bool = False
    explained_value: float | None = None


class RiskReason(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str
    basis: str


class RiskResult(msgspec.Struct, frozen=True, kw_only=True):
    """The risk assessment of one consignment, stored with the decision it fed."""

    lane: Lane
    score: int
    quality_score: int
    quality_codes: list[str]
    rule_hits: list[str]
    rule_versions: list[str]
    screening_hits: list[str]
    reasons: list[RiskReason]
    random_inspection: bool = False
    buyer_key: str = ""
    value_eur: float | None = None
    model: ModelScore | None = None
    # The seller's country and the main item's HS chapter (what the inspection queue filters on).
    origin: str | None = None
    hs_chapter: str | None = None

    @property
    def priority(self) -> float:
        """The queue's order: lane first (do not load, red, yellow, green), then the risk score, then
        the model's expected value of inspection (EUR, capped): one number so paging is one index."""
        expected = min(self.model.value, 999.0) if self.model is not None else 0.0
        return SEVERITY[self.lane] * 1_000_000 + self.score * 1_000 + expected


@dataclass(frozen=True)
class RuleInfo:
    """What a reason needs to say about a rule: its description and legal basis."""

    description: str
    legal_basis: str
    # The rule tests ``partner_alerts``: its reason names each partner alert the consignment matched.
    partner_alerts: bool = False
    # The rule tests ``hs_mismatches``: its reason names each item whose code its description does not
    # support, with the codes the description supports (clearway.risk.hs_mismatch).
    hs_mismatches: bool = False


def random_draw(secret: bytes, reference: str, operator_id: str) -> float:
    """A uniform number in [0, 1) fixed for this consignment, unpredictable without the secret."""
    digest = hmac.new(secret, f"{operator_id}|{reference}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def decide(
    row: Mapping[str, Any],
    rules: Mapping[str, RuleInfo],
    settings: LaneSettings,
    secret: bytes,
) -> RiskResult:
    """The lane of one row of the risk frame (after quality, screening and rules ran)."""
    hits: list[str] = list(row.get("rule_hits") or [])
    trust = str(row.get("operator_trust") or "standard")
    seller = str(row.get("seller_trust") or "standard")
    # Both tiers count: an AEO courier carrying a new seller's goods is not as safe as its own record.
    factor = settings.trust_factors.get(trust, 1.0) * settings.trust_factors.get(seller, 1.0)
    raw = int(row.get("rule_score") or 0)
    score = min(100, round(raw * factor))
    reasons = [
        RiskReason(
            code=name,
            message=_message(rules[name], row) if name in rules else name.replace("_", " "),
            basis=rules[name].legal_basis if name in rules else _BASIS_RULES,
        )
        for name in hits
    ]
    lane: Lane = "green"
    if score >= settings.red_at:
        lane = "red"
    elif score >= settings.yellow_at:
        lane = "yellow"
    rule_lane = row.get("rule_lane")
    if rule_lane is not None and SEVERITY[str(rule_lane)] > SEVERITY[lane]:
        lane = rule_lane
    if factor != 1.0 and raw:
        reasons.append(
            RiskReason(
                code=f"trust_{trust}_{seller}",
                message=f"risk score {raw} scaled by {factor:g} for a {trust} operator and a {seller} seller: {score}",
                basis=_BASIS_RULES,
            )
        )
    model = _model_score(row)
    if model is not None:
        lane = _model_lane(model, lane, settings, reasons)
    drawn = False
    if (
        lane == "green"
        and random_draw(secret, str(row["reference"]), str(row["operator_id"])) < settings.exploration_rate
    ):
        lane, drawn = "red", True
        reasons.append(
            RiskReason(
                code="random_inspection",
                message="selected at random for inspection (keeps targeting honest and learning)",
                basis=_BASIS_RANDOM,
            )
        )
    return RiskResult(
        lane=lane,
        score=score,
        quality_score=int(row.get("quality_score") or 0) if row.get("quality_score") is not None else 100,
        quality_codes=list(row.get("quality_codes") or []),
        rule_hits=hits,
        rule_versions=list(row.get("rule_versions") or []),
        screening_hits=list(row.get("screening_hits") or []),
        reasons=reasons,
        random_inspection=drawn,
        buyer_key=str(row.get("buyer_key") or ""),
        value_eur=row.get("value_eur"),
        model=model,
        origin=row.get("origin"),
        hs_chapter=_main_chapter(row),
    )


def _message(rule: RuleInfo, row: Mapping[str, Any]) -> str:
    """A rule's description; for a rule on partner alerts, with the partner and finding of each alert
    matched (labels ``finding:PARTNER:alert id``, clearway.risk.partner_alerts); for a rule on HS
    codes, with each item whose code is far and the codes suggested (clearway.risk.hs_mismatch)."""
    if rule.hs_mismatches and row.get(HS_COLUMN):
        return f"{rule.description.rstrip('.')}: {describe(list(row[HS_COLUMN]))}."
    if not rule.partner_alerts or not row.get("partner_alerts"):
        return rule.description
    named = []
    for label in row["partner_alerts"]:
        finding, partner, alert = ([*str(label).split(":", 2), "", ""])[:3]
        named.append(f"alert from partner {partner}: {finding} (alert {alert})")
    return f"{rule.description.rstrip('.')}: {'; '.join(named)}."


def _main_chapter(row: Mapping[str, Any]) -> str | None:
    """The HS chapter of the item of highest value (the first item when values are unknown)."""
    codes = list(row.get("hs_codes") or [])
    if not codes:
        return None
    values = [
        (u or 0.0) * (q or 0.0)
        for u, q in zip(row.get("unit_values_eur") or [], row.get("quantities") or [], strict=False)
    ]
    best = max(range(len(values)), key=values.__getitem__) if values and len(values) == len(codes) else 0
    return str(codes[best])[:2] if codes[best] else None


def _model_score(row: Mapping[str, Any]) -> ModelScore | None:
    if row.get("model_value") is None:
        return None
    return ModelScore(
        version=str(row.get("model_version") or ""),
        probability=round(float(row["model_probability"]), 4),
        revenue_eur=round(float(row["model_revenue_eur"]), 2),
        value=round(float(row["model_value"]), 4),
        contributions=[
            Contribution(feature=str(c["feature"]), value=str(c["value"]), effect=float(c["effect"]))
            for c in row.get("model_contributions") or []
        ],
    )


def _model_lane(model: ModelScore, lane: Lane, settings: LaneSettings, reasons: list[RiskReason]) -> Lane:
    """The model may raise the lane, never lower it: rules keep the last word (prohibitions, security)."""
    wanted: Lane = "green"
    threshold = None
    if settings.model_red_at is not None and model.value >= settings.model_red_at:
        wanted, threshold = "red", settings.model_red_at
    elif settings.model_yellow_at is not None and model.value >= settings.model_yellow_at:
        wanted, threshold = "yellow", settings.model_yellow_at
    if threshold is None:
        return lane
    telling = "; ".join(f"{c.feature} = {c.value} ({c.effect:+.2f})" for c in model.contributions)
    reasons.append(
        RiskReason(
            code="model_score",
            message=(
                f"targeting model {model.version}: {model.probability:.0%} chance of a finding, "
                f"EUR {model.revenue_eur:.2f} if found; expected value {model.value:.2f} >= {threshold:.2f} "
                f"({wanted} lane)" + (f"; most telling: {telling}" if telling else "")
            ),
            basis=_BASIS_MODEL,
        )
    )
    return wanted if SEVERITY[wanted] > SEVERITY[lane] else lane


# Every column of an assessed row that ``decide`` reads (and ``_message``, ``_main_chapter`` and
# ``_model_score`` under it): the bulk path turns only these into Python values
# (tests/clearance/test_risk_step.py holds ``decide`` to them).
DECIDE_COLUMNS: tuple[str, ...] = (
    "reference",
    "operator_id",
    "origin",
    "value_eur",
    "hs_codes",
    "unit_values_eur",
    "quantities",
    "operator_trust",
    "seller_trust",
    "buyer_key",
    "quality_score",
    "quality_codes",
    "screening_hits",
    "partner_alerts",
    HS_COLUMN,
    "rule_hits",
    "rule_versions",
    "rule_score",
    "rule_lane",
    "model_version",
    "model_probability",
    "model_revenue_eur",
    "model_value",
    "model_contributions",
)


def decide_all(
    rows: Sequence[Mapping[str, Any]], rules: Mapping[str, RuleInfo], settings: LaneSettings, secret: bytes
) -> list[RiskResult]:
    return [decide(row, rules, settings, secret) for row in rows]
