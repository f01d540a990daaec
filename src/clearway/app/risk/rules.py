"""The rule catalogue: versioned rules changed without a deploy, their history and retirement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearway.app.risk.core import RiskCore, revive_rule, rule_json, runnable_rule, text_hash
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.dataset.errors import FieldError
from clearway.risk.rules.loader import RulePackError, parse_pack
from clearway.store import risk_repo


class RuleCatalogue(RiskCore):
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
                parse_pack({"name": "store", "version": 1, "rules": [revive_rule(candidate)]}, "rule")
            except RulePackError as exc:
                at = f"/rule{exc.pointer}" if exc.pointer else ""
                raise InvalidRecord("the rule is not valid", [FieldError(at, str(exc))]) from exc
            try:
                others = [body for r in current if runnable_rule(r.name, body := revive_rule(r.body))]
                parse_pack({"name": "store", "version": 1, "rules": [*others, revive_rule(candidate)]}, "rule")
            except RulePackError as exc:
                raise InvalidRecord("the rule is not valid", [FieldError("", str(exc))]) from exc
            stored = risk_repo.add_rule_version(
                conn,
                str(name),
                str(raw.get("status", "active")),
                rule_json(candidate),
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
