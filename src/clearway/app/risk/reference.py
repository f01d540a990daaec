"""Reference data the risk step looks things up in: watchlists, vague terms, learned reference
prices and trust tiers. Each import replaces what was there, is audited, and reloads the step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from clearway.app.risk.core import RiskCore
from clearway.clearance.errors import InvalidRecord
from clearway.dataset.errors import FieldError
from clearway.privacy.pseudonymise import pseudonym
from clearway.risk.lanes import LaneSettings
from clearway.risk.reference import ReferencePrices, VagueTerms
from clearway.risk.screening import WatchEntry
from clearway.store import risk_repo


class RiskReferenceData(RiskCore):
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
