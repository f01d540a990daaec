"""Seeded, reproducible synthetic e-commerce customs traffic (consignments, orders, payments, waybills).

``generate`` builds the traffic in memory, ``write_traffic`` writes it as NDJSON files, and
``clearway.simulate.post.post_traffic`` sends it to a running API (the only module here that
imports an HTTP client).
"""

from clearway.simulate.files import write_traffic
from clearway.simulate.generator import generate
from clearway.simulate.model import SimulationConfig, Submission, Traffic, TruthRecord

__all__ = ["SimulationConfig", "Submission", "Traffic", "TruthRecord", "generate", "write_traffic"]
