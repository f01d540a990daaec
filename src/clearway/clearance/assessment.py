"""The revenue step of the pipeline: assess a declaration's duties and taxes when it is decided.

The engine is pure; this module gives it what the pipeline knows — the declaration, the date, and
what the same buyer already imported (China's annual quota, the US's per-person-per-day de minimis)
— and turns the result into a row to store and a decision input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from clearway.dataset.records import Consignment
from clearway.jurisdictions import Catalogue
from clearway.revenue.context import RevenueError, Sources
from clearway.revenue.declared import buyer_identity, quota_key, shipment_for
from clearway.revenue.engine import assess
from clearway.revenue.model import Assessment, PriorUsage, Warning


@dataclass(frozen=True)
class RevenueConfig:
    catalogue: Catalogue
    sources: Sources
    quota_secret: bytes


class AssessedConsignment(msgspec.Struct, kw_only=True, frozen=True):
    consignment_id: str
    version: int
    operator_id: str
    assessed_at: dt.datetime
    assessment: Assessment
    quota_key: str | None = None  # set when the consignment counts against a per-person limit


def usage_keys(config: RevenueConfig, records: Sequence[Consignment]) -> list[str]:
    """The ledger keys of the buyers in a batch (only those whose identity is declared)."""
    keys = []
    for record in records:
        identity = buyer_identity(record)
        if identity is not None:
            keys.append(quota_key(config.quota_secret, record.destination_country, identity))
    return keys


def assess_declaration(
    config: RevenueConfig,
    record: Consignment,
    *,
    row_id: str,
    version: int,
    operator_id: str,
    now: dt.datetime,
    usage: Mapping[str, PriorUsage],
) -> AssessedConsignment | RevenueError:
    """The assessment of one declaration, or why it could not be made (an unknown destination)."""
    identity = buyer_identity(record)
    key = quota_key(config.quota_secret, record.destination_country, identity) if identity else None
    prior = usage.get(key) if key is not None else None
    try:
        assessment = assess(shipment_for(record, now.date(), prior), config.catalogue, config.sources)
    except RevenueError as exc:
        return exc
    if assessment.per_person_value is not None and key is None:
        missing = Warning(
            code="buyer_identity_missing",
            message="a per-person limit applies and the declaration gives no buyer identity: "
            "the buyer's earlier imports could not be counted",
        )
        assessment = msgspec.structs.replace(assessment, warnings=[*assessment.warnings, missing])
    return AssessedConsignment(
        consignment_id=row_id,
        version=version,
        operator_id=operator_id,
        assessed_at=now,
        assessment=assessment,
        quota_key=key if assessment.per_person_value is not None else None,
    )


def add_usage(usage: dict[str, PriorUsage], assessed: AssessedConsignment) -> None:
    """Count a consignment in its buyer's usage at once, so a second parcel in the same batch sees it."""
    if assessed.quota_key is None:
        return
    before = usage.get(assessed.quota_key, PriorUsage())
    value = assessed.assessment.per_person_value or Decimal(0)
    usage[assessed.quota_key] = PriorUsage(day=before.day + value, year=before.year + value)
