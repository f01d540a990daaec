"""What a simulation is asked for (SimulationConfig) and what it returns (Traffic)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, Literal, TypeVar

import msgspec

from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.simulate.fraud import FraudConfig
from clearway.simulate.operators import Operator

DocumentKind = Literal["order", "payment", "waybill"]

# The injected problems, in the order they are drawn. Each is something a customs data-quality
# check or risk rule is expected to find; TruthRecord.problems names the ones a consignment carries.
PROBLEMS: tuple[str, ...] = (
    "missing_document",  # one of order / payment / waybill is never sent
    "late_document",  # one document arrives days after the consignment
    "payment_mismatch",  # the payment's amount or currency differs from the order
    "vague_description",  # the declaration says "gift", "parts", "clothes"... (the order is precise)
    "undervaluation",  # declared unit prices at 10-30% of the price paid
    "split_shipment",  # one order split into parcels under the threshold, same buyer, same day
    "prohibited_keyword",  # a line is a replica, a knife, pepper spray or nicotine e-liquid
    "gift_misuse",  # a commercial seller's sale declared as a gift
)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Rates of injected problems (share of consignments) and the size of the simulated world.

    The default rates sum to 15%; a consignment may carry several problems. ``split_shipment`` is
    the share of consignments that belong to a split order (each split order yields 2-4 of them).
    """

    missing_document: float = 0.03
    late_document: float = 0.025
    payment_mismatch: float = 0.015
    vague_description: float = 0.025
    undervaluation: float = 0.02
    split_shipment: float = 0.015
    prohibited_keyword: float = 0.008
    gift_misuse: float = 0.012
    # Orders are spread uniformly over this many days from the start.
    days: float = 7.0
    # Split orders are worth more than this (EUR), each of their parcels less (EU IOSS / H7 limit).
    split_threshold_eur: Decimal = Decimal(150)
    # Population sizes; identities are created lazily, so large populations cost nothing up front.
    sellers: int = 5000
    buyers: int = 100_000
    # Hidden non-compliance that only an inspection finds (fraud.py, e.g. FRAUD_PRESETS["default"]);
    # None leaves the traffic exactly as without it.
    fraud: FraudConfig | None = None

    def __post_init__(self) -> None:
        for name, rate in self.rates().items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} rate must be between 0 and 1, got {rate}")
        if self.split_shipment >= 0.9:
            raise ValueError("split_shipment must be below 0.9")
        if self.days <= 0:
            raise ValueError("days must be positive")
        if self.split_threshold_eur < 20:
            raise ValueError("split_threshold_eur must be at least 20")
        if self.sellers < 1 or self.buyers < 1:
            raise ValueError("sellers and buyers must be at least 1")

    def rates(self) -> dict[str, float]:
        """The problem rates by problem name, in PROBLEMS order."""
        return {name: float(getattr(self, name)) for name in PROBLEMS}


R = TypeVar("R", Consignment, Order, Payment, Waybill)


class Submission(msgspec.Struct, Generic[R], frozen=True):
    """One record as an operator sends it: who sent it, when customs received it, and the record."""

    operator_id: str
    received_at: dt.datetime
    record: R


class TruthRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What really happened to one consignment, for scoring checks and risk models.

    ``*_operator`` is the id of the operator that sent that document, or None when it was never
    sent; a loader replays who sent what from these. Values are goods values (without freight) in
    ``currency``; ``declared_value`` is what the consignment says, ``true_value`` what was paid.

    The last four fields are what an inspection would find (fraud.py), for a label revealed only on
    inspection: ``finding`` is None (compliant) or "undervalued", "misclassified", "counterfeit";
    ``recoverable_eur`` the duty and tax an inspection would recover (0 for a counterfeit, which
    is seized, and possibly 0 for a misclassification); ``true_hs_code`` the right code of the
    misclassified item; ``missed`` that an inspection would not see the finding (the "hard" preset's
    imperfect inspections: recorded as compliant). Their defaults let truth files written before
    them decode. ``seller`` is the seller id the documents carry: a re-registered fraudster's new
    one is its old id with "-r1", "-r2"... appended.
    """

    reference: str
    received_at: dt.datetime
    consignment_operator: str
    order_number: str
    order_operator: str | None
    payment_id: str
    payment_operator: str | None
    transport_document: str
    waybill_operator: str | None
    seller: str
    buyer: str
    destination_country: str
    problems: list[str]
    missing_document: DocumentKind | None
    late_document: DocumentKind | None
    currency: str
    true_value: Decimal
    declared_value: Decimal
    true_value_eur: Decimal
    finding: str | None = None
    recoverable_eur: Decimal = Decimal(0)
    true_hs_code: str | None = None
    missed: bool = False


@dataclass(slots=True)
class Traffic:
    """A simulated stream: the submissions of each record type and one truth record per consignment.

    All five lists are sorted by ``received_at``; ``truth[i]`` describes ``consignments[i]``.
    """

    seed: int
    start: dt.datetime
    operators: list[Operator]
    consignments: list[Submission[Consignment]] = field(default_factory=list)
    orders: list[Submission[Order]] = field(default_factory=list)
    payments: list[Submission[Payment]] = field(default_factory=list)
    waybills: list[Submission[Waybill]] = field(default_factory=list)
    truth: list[TruthRecord] = field(default_factory=list)
