"""The adapters Clearway has, by standard: what `POST /v1/messages/{standard}` and
`clearway messages import --standard` accept. A family appears here once its adapter is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from clearway.messages.model import Adapter, Standard
from clearway.messages.upu.cusitm import CusitmAdapter
from clearway.messages.upu.itmatt import ItmattAdapter


def adapters() -> Mapping[Standard, Adapter]:
    """Every adapter, built on first use (each compiles its paths once)."""
    return _ADAPTERS


def adapter_for(standard: str) -> Adapter | None:
    return _ADAPTERS.get(cast(Standard, standard))


_ADAPTERS: dict[Standard, Adapter] = {}
_ADAPTERS["upu-itmatt"] = ItmattAdapter()
_ADAPTERS["upu-cusitm"] = CusitmAdapter()
