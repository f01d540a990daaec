"""Roles and principals: the identity a request acts as, whatever credential proved it."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import msgspec


class Role(StrEnum):
    # Machines: an e-commerce operator sending data through the API.
    OPERATOR = "operator"
    # People, who log in to the pages.
    OFFICER = "officer"
    ANALYST = "analyst"
    STATISTICIAN = "statistician"
    ADMIN = "admin"


PEOPLE_ROLES = frozenset({Role.OFFICER, Role.ANALYST, Role.STATISTICIAN, Role.ADMIN})

OperatorKind = Literal["marketplace", "seller", "courier", "postal_operator", "payment_provider", "broker"]
OPERATOR_KINDS: tuple[str, ...] = ("marketplace", "seller", "courier", "postal_operator", "payment_provider", "broker")


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated caller: an operator (by API key or token) or a person (by session)."""

    kind: Literal["operator", "person"]
    id: str
    role: Role
    credential: str  # which key, token or session proved it (for the audit trail)

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"
