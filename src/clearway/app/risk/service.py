"""``RiskService``: the risk side of the application, one class over its rooms (core, rules,
reference data, outcomes), so that routes and commands keep one entry point."""

from __future__ import annotations

from clearway.app.risk.core import RiskCore, nomenclature, text_hash
from clearway.app.risk.outcomes import OUTCOMES, InspectionOutcomes
from clearway.app.risk.reference import RiskReferenceData
from clearway.app.risk.rules import RuleCatalogue


class RiskService(RuleCatalogue, RiskReferenceData, InspectionOutcomes, RiskCore):
    """Every risk use case; see the modules of its base classes."""


__all__ = ["OUTCOMES", "RiskCore", "RiskService", "nomenclature", "text_hash"]
