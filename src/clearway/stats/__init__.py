"""Measurement and analysis (WCO E-Commerce Framework, Principle V): facts, queries, KPIs, exports.

``facts`` builds the facts frame (one row per consignment, its latest version; no personal data)
from raw column frames; ``load`` reads those from the store with SQLAlchemy; ``queries`` and
``kpis`` are pure functions over the facts frame (Polars), shared by the API, the CLI and the
dashboard so that all three give the same numbers; ``export`` writes the frame as CSV or Parquet.
docs/stats.md says what every figure means.
"""
