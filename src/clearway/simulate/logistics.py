"""Carriers, transport documents and routes of simulated parcels.

Posts number their items with UPU S10 ids (two service letters, an 8-digit serial, the S10 check
digit, the issuing post's country); couriers number house waybills with their own prefix. Air
parcels of one carrier, origin and day travel under one master air waybill (IATA: 3-digit airline
prefix, 7-digit serial, check digit = serial mod 7).
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from typing import NamedTuple

from clearway.dataset.records import DocumentType, TransportMode
from clearway.simulate.names import EU_MEMBERS
from clearway.simulate.operators import Carrier, Operators
from clearway.simulate.population import cumulative

# Share of each origin's parcels that go by post (the rest by courier).
_POST_SHARE = {"CN": 0.45, "HK": 0.35, "US": 0.3, "GB": 0.3}
# S10 service indicators seen on e-commerce items (tracked packets, registered, parcels, EMS).
_S10_SERVICES = ("LP", "LX", "RR", "UA", "CP", "EA")
_S10_WEIGHTS = cumulative([0.3, 0.15, 0.2, 0.15, 0.1, 0.1])


# The S10 check digit (UPU S10 section 5.2) weighs the serial's digits 8 6 4 2 3 5 9 7; with the
# weighted sums of each 4-digit half tabled once, a check digit is two lookups. Tests check the
# result against clearway.dataset.identifiers.s10_check_digit.
def _half_sums(w1: int, w2: int, w3: int, w4: int) -> tuple[int, ...]:
    return tuple(w1 * (n // 1000) + w2 * (n // 100 % 10) + w3 * (n // 10 % 10) + w4 * (n % 10) for n in range(10_000))


_S10_HIGH = _half_sums(8, 6, 4, 2)
_S10_LOW = _half_sums(3, 5, 9, 7)
# Check digit by (weighted sum mod 11): 11 - remainder, where 10 becomes 0 and 11 becomes 5.
_S10_CHECK = tuple("5" if r == 0 else "0" if r == 1 else str(11 - r) for r in range(11))

_ORIGIN_AIRPORTS: dict[str, tuple[str, ...]] = {
    "CN": ("PVG", "CAN", "SZX", "HGH", "CGO"),
    "HK": ("HKG",),
    "US": ("JFK", "LAX", "ORD"),
    "GB": ("LHR", "EMA"),
    "TR": ("IST",),
    "IN": ("BOM", "DEL"),
    "VN": ("SGN", "HAN"),
    "KR": ("ICN",),
    "JP": ("NRT", "KIX"),
    "TW": ("TPE",),
    "TH": ("BKK",),
    "PK": ("KHI",),
    "MY": ("KUL",),
    "ID": ("CGK",),
}
_ENTRY_AIRPORTS: dict[str, tuple[str, ...]] = {
    "DE": ("FRA", "LEJ"),
    "FR": ("CDG",),
    "IT": ("MXP", "FCO"),
    "ES": ("MAD",),
    "NL": ("AMS",),
    "BE": ("LGG", "BRU"),
    "PL": ("WAW",),
    "AT": ("VIE",),
    "SE": ("ARN",),
    "DK": ("CPH",),
    "FI": ("HEL",),
    "IE": ("DUB",),
    "PT": ("LIS",),
    "GR": ("ATH",),
    "HU": ("BUD",),
    "CZ": ("PRG",),
    "RO": ("OTP",),
    "GB": ("LHR", "EMA"),
    "US": ("JFK", "ORD", "LAX"),
    "CA": ("YYZ", "YVR"),
    "AU": ("SYD", "MEL"),
    "CH": ("ZRH",),
    "NO": ("OSL",),
}
# The smaller member states receive their parcels through the EU's e-commerce air hubs.
_EU_HUBS = ("LGG", "AMS", "FRA")


class Route(NamedTuple):
    carrier: Carrier
    transport_document: str
    document_type: DocumentType
    transport_mode: TransportMode
    departure: dt.date
    master_waybill: str | None
    port_of_loading: str | None
    port_of_entry: str | None


class Router:
    """Chooses a carrier per parcel and issues its transport documents (unique within a run)."""

    def __init__(self, seed: int, operators: Operators) -> None:
        rng = random.Random(f"{seed}:logistics")
        self._posts = {post.prefix: post for post in operators.posts}
        self._couriers: dict[str, tuple[tuple[Carrier, ...], tuple[float, ...]]] = {}
        self._all_couriers = operators.couriers
        self._serials = {c.operator.id: rng.randrange(10_000_000, 60_000_000) for c in operators.posts}
        self._hawb = {c.operator.id: rng.randrange(10**9, 5 * 10**9) for c in operators.couriers}
        airlines = {c.airline_prefix for c in (*operators.posts, *operators.couriers)}
        self._mawb_serials = {prefix: rng.randrange(10**6, 5 * 10**6) for prefix in sorted(airlines)}
        self._masters: dict[tuple[str, str, dt.date, str], str] = {}

    def _couriers_for(self, origin: str) -> tuple[tuple[Carrier, ...], tuple[float, ...]]:
        found = self._couriers.get(origin)
        if found is None:
            named = [c for c in self._all_couriers if origin in c.origins]
            chosen = named or [c for c in self._all_couriers if "*" in c.origins]
            key = origin if named else "*"
            found = self._couriers[origin] = (tuple(chosen), cumulative([c.origins[key] for c in chosen]))
        return found

    def route(self, rng: random.Random, origin: str, destination: str, departure: dt.date) -> Route:
        post = self._posts.get(origin)
        if post is not None and rng.random() < _POST_SHARE.get(origin, 0.0):
            return self._air(rng, post, origin, destination, departure, self._s10(rng, post), "upu_s10", "post")
        couriers, weights = self._couriers_for(origin)
        courier = couriers[bisect(weights, rng.random() * weights[-1])]
        self._hawb[courier.operator.id] += 1 + int(rng.random() * 7)
        hawb = f"{courier.prefix}{self._hawb[courier.operator.id]:010d}"
        if destination in EU_MEMBERS:
            draw = rng.random()
            if (origin in ("GB", "TR") and draw < 0.4) or (origin == "CN" and draw < 0.04):
                mode: TransportMode = "road" if origin != "CN" else "rail"
                return Route(courier, hawb, "house_waybill", mode, departure, None, None, None)
        return self._air(rng, courier, origin, destination, departure, hawb, "house_waybill", "air")

    def _air(
        self,
        rng: random.Random,
        carrier: Carrier,
        origin: str,
        destination: str,
        departure: dt.date,
        document: str,
        document_type: DocumentType,
        mode: TransportMode,
    ) -> Route:
        airports = _ORIGIN_AIRPORTS.get(origin, ("HKG",))
        loading = airports[int(rng.random() * len(airports))]
        entries = _ENTRY_AIRPORTS.get(destination, _EU_HUBS)
        entry = entries[int(rng.random() * len(entries))]
        master = self._master(carrier, loading, departure, entry)
        return Route(carrier, document, document_type, mode, departure, master, loading, entry)

    def _s10(self, rng: random.Random, post: Carrier) -> str:
        number = self._serials[post.operator.id] = (self._serials[post.operator.id] + 1 + int(rng.random() * 3)) % 10**8
        service = _S10_SERVICES[bisect(_S10_WEIGHTS, rng.random() * _S10_WEIGHTS[-1])]
        high, low = divmod(number, 10_000)
        return f"{service}{number:08d}{_S10_CHECK[(_S10_HIGH[high] + _S10_LOW[low]) % 11]}{post.prefix}"

    def _master(self, carrier: Carrier, loading: str, departure: dt.date, entry: str) -> str:
        key = (carrier.operator.id, loading, departure, entry)
        master = self._masters.get(key)
        if master is None:
            prefix = carrier.airline_prefix
            self._mawb_serials[prefix] += 1
            serial = self._mawb_serials[prefix] % 10_000_000
            master = self._masters[key] = f"{prefix}-{serial:07d}{serial % 7}"
        return master
