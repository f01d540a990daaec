"""Risk persistence: rule versions, watchlists, quality reference data, risk results (hot path,
through the bulk writer), inspection outcomes, per-rule statistics and trust tiers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.risk.lanes import RiskResult
from clearway.store import body_parts
from clearway.store.bulk import BulkWriter
from clearway.store.risk_tables import (
    inspection_outcomes,
    reference_prices,
    reference_terms,
    risk_results,
    risk_rule_hits,
    risk_rules,
    trust_tiers,
    watchlist_entries,
)
from clearway.store.tables import plain_row

_ENCODE = msgspec.json.Encoder(decimal_format="string")
_RESULT = msgspec.json.Decoder(RiskResult)
_VERSIONS = msgspec.json.Decoder(list[str])


@dataclass(frozen=True)
class StoredRule:
    name: str
    version: int
    status: str
    body: dict[str, Any]
    changed_by: str
    changed_at: dt.datetime
    reason: str


# -- rules ------------------------------------------------------------------------------------


def rule_versions(conn: sa.Connection, name: str | None = None) -> list[StoredRule]:
    query = sa.select(risk_rules).order_by(risk_rules.c.name, risk_rules.c.version)
    if name is not None:
        query = query.where(risk_rules.c.name == name)
    return [
        StoredRule(r.name, r.version, r.status, json.loads(r.body), r.changed_by, r.changed_at, r.reason)
        for r in conn.execute(query)
    ]


def current_rules(conn: sa.Connection) -> list[StoredRule]:
    """The latest version of every rule (retired ones included: they say when they stopped)."""
    latest: dict[str, StoredRule] = {}
    for rule in rule_versions(conn):
        latest[rule.name] = rule
    return list(latest.values())


def add_rule_version(
    conn: sa.Connection, name: str, status: str, body: dict[str, Any], *, actor: str, reason: str, at: dt.datetime
) -> int:
    """Store the next version of a rule (never an overwrite); its number."""
    version = (
        conn.execute(sa.select(sa.func.max(risk_rules.c.version)).where(risk_rules.c.name == name)).scalar_one() or 0
    ) + 1
    conn.execute(
        sa.insert(risk_rules).values(
            name=name,
            version=version,
            status=status,
            body=json.dumps({**body, "version": version}, sort_keys=True),
            changed_by=actor,
            changed_at=at,
            reason=reason,
        )
    )
    return int(version)


# -- reference data ---------------------------------------------------------------------------


def replace_watchlist(
    conn: sa.Connection, list_name: str, list_kind: str, rows: Sequence[dict[str, Any]], source: str
) -> int:
    """Replace a whole list (a new edition of a sanctions list replaces the old one)."""
    conn.execute(sa.delete(watchlist_entries).where(watchlist_entries.c.list_name == list_name))
    now = dt.datetime.now(dt.UTC)
    if rows:
        extra = {"list_name": list_name, "list_kind": list_kind, "source": source, "imported_at": now}
        conn.execute(sa.insert(watchlist_entries), [{**row, **extra} for row in rows])
    return len(rows)


def watchlist_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    columns = ("list_name", "list_kind", "entry_id", "kind", "value", "country", "program")
    return [plain_row(r._mapping) for r in conn.execute(sa.select(*[watchlist_entries.c[c] for c in columns]))]


def watchlist_counts(conn: sa.Connection) -> dict[str, int]:
    query = sa.select(watchlist_entries.c.list_name, sa.func.count()).group_by(watchlist_entries.c.list_name)
    return {str(name): int(count) for name, count in conn.execute(query).all()}


def replace_terms(conn: sa.Connection, kind: str, values: Iterable[str], source: str) -> int:
    conn.execute(sa.delete(reference_terms).where(reference_terms.c.kind == kind))
    rows = [{"kind": kind, "value": v, "source": source} for v in dict.fromkeys(values)]
    if rows:
        conn.execute(sa.insert(reference_terms), rows)
    return len(rows)


def terms(conn: sa.Connection, kind: str) -> list[str]:
    return list(conn.execute(sa.select(reference_terms.c.value).where(reference_terms.c.kind == kind)).scalars())


def replace_prices(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> int:
    conn.execute(sa.delete(reference_prices))
    now = dt.datetime.now(dt.UTC)
    if rows:
        conn.execute(sa.insert(reference_prices), [{**row, "computed_at": now} for row in rows])
    return len(rows)


def prices(conn: sa.Connection) -> list[dict[str, Any]]:
    columns = ("hs6", "median_eur", "p10_eur", "p90_eur", "samples")
    return [plain_row(r._mapping) for r in conn.execute(sa.select(*[reference_prices.c[c] for c in columns]))]


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredRisk:
    consignment_id: str
    version: int
    operator_id: str
    assessed_at: dt.datetime
    result: RiskResult


# Rule versions (a tuple) -> their part (digest, JSON): a batch evaluates one rule set.
_RULE_SETS: dict[tuple[str, ...], tuple[str, str]] = {}


def _compact(result: RiskResult, parts: dict[str, str]) -> tuple[str, str | None]:
    """The body to store without the rule versions, and the part that holds them (if any)."""
    if not result.rule_versions:
        return _ENCODE.encode(result).decode(), None
    key = tuple(result.rule_versions)
    known = _RULE_SETS.get(key)
    if known is None:
        if len(_RULE_SETS) > 10_000:
            _RULE_SETS.clear()
        text = _ENCODE.encode(result.rule_versions)
        known = _RULE_SETS[key] = (body_parts.digest(text), text.decode())
    parts[known[0]] = known[1]
    return _ENCODE.encode(msgspec.structs.replace(result, rule_versions=[])).decode(), known[0]


def append_results(w: BulkWriter, rows: Sequence[StoredRisk]) -> None:
    parts: dict[str, str] = {}
    bodies = [_compact(r.result, parts) for r in rows]
    body_parts.store(w, parts)
    w.insert(
        risk_results,
        (
            "consignment_id", "version", "assessed_at", "lane", "score", "quality_score", "operator_id",
            "buyer_key", "value_eur", "body", "origin", "hs_chapter", "priority", "rule_set",
        ),
        [
            (
                r.consignment_id, r.version, w.time(r.assessed_at), r.result.lane, r.result.score,
                r.result.quality_score, r.operator_id, r.result.buyer_key, r.result.value_eur,
                body, r.result.origin, r.result.hs_chapter, r.result.priority, rule_set,
            )
            for r, (body, rule_set) in zip(rows, bodies, strict=True)
        ],
    )  # fmt: skip
    w.insert(
        risk_rule_hits,
        ("consignment_id", "version", "rule", "assessed_at"),
        [
            (r.consignment_id, r.version, rule, w.time(r.assessed_at))
            for r in rows
            for rule in dict.fromkeys(r.result.rule_hits)
        ],
    )


def buyer_day_usage(
    w: BulkWriter, keys: Collection[str], day: dt.date, exclude: Collection[str] = ()
) -> dict[tuple[str, str], tuple[int, float]]:
    """Per (buyer key, day): consignments already assessed that day and their value in euro (the
    latest version of each, the ``exclude`` ones — being assessed again — left out)."""
    if not keys:
        return {}
    condition, params = w.among("buyer_key", list(set(keys)))
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    rows = w.conn.exec_driver_sql(
        f"SELECT buyer_key, consignment_id, version, value_eur FROM risk_results WHERE {condition} "
        f"AND assessed_at >= {w.mark} AND assessed_at < {w.mark}",
        (*params, w.time(start), w.time(start + dt.timedelta(days=1))),
    ).all()
    latest: dict[str, tuple[int, str, float]] = {}
    skip = set(exclude)
    for key, cid, version, value in rows:
        if cid in skip:
            continue
        if cid not in latest or latest[cid][0] < version:
            latest[cid] = (version, key, float(value or 0.0))
    usage: dict[tuple[str, str], tuple[int, float]] = {}
    for _, key, value in latest.values():
        n, v = usage.get((key, day.isoformat()), (0, 0.0))
        usage[key, day.isoformat()] = (n + 1, v + value)
    return usage


def latest_result(conn: sa.Connection, consignment_id: str) -> tuple[int, RiskResult] | None:
    row = conn.execute(
        sa.select(risk_results.c.version, risk_results.c.body, risk_results.c.rule_set)
        .where(risk_results.c.consignment_id == consignment_id)
        .order_by(risk_results.c.version.desc(), risk_results.c.assessed_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    result = _RESULT.decode(row.body)
    if row.rule_set is not None:
        versions = _VERSIONS.decode(body_parts.read(conn, [row.rule_set])[row.rule_set])
        result = msgspec.structs.replace(result, rule_versions=versions)
    return row.version, result


# -- outcomes and statistics ------------------------------------------------------------------


def record_outcome(
    conn: sa.Connection,
    *,
    consignment_id: str,
    version: int,
    outcome: str,
    corrected_value: Decimal | None,
    corrected_hs_code: str | None,
    note: str,
    officer: str,
    at: dt.datetime,
    result: RiskResult | None,
) -> None:
    conn.execute(
        sa.insert(inspection_outcomes).values(
            consignment_id=consignment_id,
            version=version,
            outcome=outcome,
            corrected_value=corrected_value,
            corrected_hs_code=corrected_hs_code,
            note=note,
            officer=officer,
            recorded_at=at,
            rule_hits=json.dumps(result.rule_hits if result else []),
            lane=result.lane if result else "green",
        )
    )


def rule_statistics(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Per rule: consignments hit, inspections recorded on them, findings (non-compliant), hit rate."""
    query = sa.select(risk_rule_hits.c.rule, sa.func.count()).group_by(risk_rule_hits.c.rule)
    hits = {str(rule): int(count) for rule, count in conn.execute(query).all()}
    stats: dict[str, dict[str, Any]] = {
        rule: {"hits": count, "inspections": 0, "findings": 0, "hit_rate": None} for rule, count in hits.items()
    }
    for rule_hits, outcome in conn.execute(sa.select(inspection_outcomes.c.rule_hits, inspection_outcomes.c.outcome)):
        for rule in json.loads(rule_hits):
            entry = stats.setdefault(rule, {"hits": 0, "inspections": 0, "findings": 0, "hit_rate": None})
            entry["inspections"] += 1
            entry["findings"] += outcome != "compliant"
    for entry in stats.values():
        if entry["inspections"]:
            entry["hit_rate"] = round(entry["findings"] / entry["inspections"], 4)
    return stats


def trust(conn: sa.Connection) -> dict[tuple[str, str], str]:
    return {(r.party, r.key): r.tier for r in conn.execute(sa.select(trust_tiers))}


def set_trust(conn: sa.Connection, party: str, key: str, tier: str, *, actor: str, at: dt.datetime) -> None:
    conn.execute(sa.delete(trust_tiers).where(trust_tiers.c.party == party, trust_tiers.c.key == key))
    conn.execute(sa.insert(trust_tiers).values(party=party, key=key, tier=tier, changed_by=actor, changed_at=at))


def quality_rows(
    conn: sa.Connection, since: dt.datetime, operator_id: str | None = None
) -> list[tuple[str, dt.datetime, int, list[str]]]:
    """(operator, assessed at, quality score, quality codes) of the risk results since a time."""
    query = sa.select(
        risk_results.c.operator_id, risk_results.c.assessed_at, risk_results.c.quality_score, risk_results.c.body
    ).where(risk_results.c.assessed_at >= since)
    if operator_id is not None:
        query = query.where(risk_results.c.operator_id == operator_id)
    return [(op, at, score, _RESULT.decode(body).quality_codes) for op, at, score, body in conn.execute(query)]
