"""Lanes from rule hits, scores, trust tiers and random selection."""

from __future__ import annotations

from typing import Any

import pytest

from clearway.risk.lanes import LaneSettings, RuleInfo, decide, random_draw

SECRET = b"k" * 32
RULES = {
    "party_on_sanctions_list": RuleInfo("A party matches an entry of a sanctions list.", "Reg. 2580/2001"),
    "vague_goods_description": RuleInfo("The goods description is too vague to classify.", "UCC Art. 46"),
}
# No random inspections unless a test asks for them.
QUIET = LaneSettings(exploration_rate=0.0)


def _row(**values: Any) -> dict[str, Any]:
    return {"reference": "R-1", "operator_id": "op-1", "rule_hits": [], "rule_score": 0, "rule_lane": None} | values


@pytest.mark.parametrize(
    ("score", "trust", "lane"),
    [
        (0, "standard", "green"),
        (29, "standard", "green"),
        (30, "standard", "yellow"),
        (59, "standard", "yellow"),
        (60, "standard", "red"),
        (60, "aeo", "yellow"),  # 60 x 0.5 = 30
        (40, "aeo", "green"),  # 20
        (48, "new", "red"),  # 48 x 1.25 = 60
    ],
)
def test_the_score_scaled_by_trust_picks_the_lane(score: int, trust: str, lane: str) -> None:
    result = decide(_row(rule_score=score, operator_trust=trust), RULES, QUIET, SECRET)
    assert result.lane == lane


def test_a_rule_outcome_is_never_softened_by_trust() -> None:
    row = _row(rule_hits=["party_on_sanctions_list"], rule_score=0, rule_lane="do_not_load", operator_trust="aeo")
    result = decide(row, RULES, QUIET, SECRET)
    assert result.lane == "do_not_load"
    [reason] = result.reasons
    assert (reason.code, reason.basis) == ("party_on_sanctions_list", "Reg. 2580/2001")
    assert reason.message == "A party matches an entry of a sanctions list."


def test_random_inspections_select_about_the_configured_share_and_are_reproducible() -> None:
    settings = LaneSettings(exploration_rate=0.05)
    rows = [_row(reference=f"R-{i}", operator_trust="aeo") for i in range(4000)]
    drawn = [decide(r, RULES, settings, SECRET) for r in rows]
    share = sum(r.random_inspection for r in drawn) / len(rows)
    assert 0.035 < share < 0.065
    assert all(r.lane == "red" and r.reasons[-1].code == "random_inspection" for r in drawn if r.random_inspection)
    again = [decide(r, RULES, settings, SECRET).random_inspection for r in rows]
    assert again == [r.random_inspection for r in drawn]
    # Another secret draws differently: an operator cannot compute the draw.
    assert [random_draw(b"x" * 32, f"R-{i}", "op-1") for i in range(5)] != [
        random_draw(SECRET, f"R-{i}", "op-1") for i in range(5)
    ]


def test_a_new_seller_offsets_an_aeo_operator() -> None:
    # 60 x 0.5 (AEO operator) x 1.25 (new seller) = 37.5 -> 38: yellow, not green.
    result = decide(_row(rule_score=60, operator_trust="aeo", seller_trust="new"), RULES, QUIET, SECRET)
    assert (result.lane, result.score) == ("yellow", 38)
    assert result.reasons[-1].code == "trust_aeo_new"


def test_a_rule_on_partner_alerts_names_each_partner_and_finding() -> None:
    rules = {
        "matches_partner_alert": RuleInfo("A partner's alert matches.", "WCO FoS, customs-to-customs", True),
        "plain": RuleInfo("Plain rule.", "UCC Art. 46"),
    }
    row = _row(
        rule_hits=["matches_partner_alert", "plain"],
        rule_score=50,
        partner_alerts=["counterfeit:NL:NL-a1", "seized:BE:BE-7"],
    )
    reasons = {r.code: r for r in decide(row, rules, QUIET, SECRET).reasons}
    assert reasons["matches_partner_alert"].message == (
        "A partner's alert matches: alert from partner NL: counterfeit (alert NL-a1); "
        "alert from partner BE: seized (alert BE-7)."
    )
    assert reasons["matches_partner_alert"].basis == "WCO FoS, customs-to-customs"
    assert reasons["plain"].message == "Plain rule."
