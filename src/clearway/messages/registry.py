"""The adapters Clearway has, by standard: what `POST /v1/messages/{standard}` and
`clearway messages import --standard` accept. A family appears here once its adapter is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from clearway.messages.cn import respond as cn_respond
from clearway.messages.cn.adapter import CebAdapter
from clearway.messages.eu import h7_respond, ics2_respond
from clearway.messages.eu.h7 import H7Adapter
from clearway.messages.eu.ics2 import Ics2HouseAdapter
from clearway.messages.model import Adapter, Responder, Standard
from clearway.messages.upu import respond as upu_respond
from clearway.messages.upu.cusitm import CusitmAdapter
from clearway.messages.upu.itmatt import ItmattAdapter


def adapters() -> Mapping[Standard, Adapter]:
    """Every adapter, built on first use (each compiles its paths once)."""
    return _ADAPTERS


def adapter_for(standard: str) -> Adapter | None:
    return _ADAPTERS.get(cast(Standard, standard))


_ADAPTERS: dict[Standard, Adapter] = {
    "cn-ceb": CebAdapter(),
    "upu-itmatt": ItmattAdapter(),
    "upu-cusitm": CusitmAdapter(),
    "eu-h7": H7Adapter(),
    "eu-ics2": Ics2HouseAdapter(),
}


def answering() -> frozenset[Standard]:
    """The standards whose family answers its messages (the store keeps the same list)."""
    return frozenset(_RESPONDERS)


def responder_for(standard: str) -> Responder | None:
    """How a family answers a kept message from its records' outcomes (None: it has no answers yet)."""
    return _RESPONDERS.get(cast(Standard, standard))


_RESPONDERS: dict[Standard, Responder] = {
    "cn-ceb": cn_respond.respond,
    "upu-itmatt": upu_respond.respond,
    "upu-cusitm": upu_respond.respond,
    "eu-ics2": ics2_respond.respond,
    "eu-h7": h7_respond.respond,
}
