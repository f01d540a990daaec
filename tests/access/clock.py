"""A clock the tests move by hand: the access service reads the time from ``access.clock``."""

from __future__ import annotations

import datetime as dt

from clearway.app.platform import Clearway


class Clock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def set_clock(service: Clearway) -> Clock:
    clock = Clock()
    service.access.clock = clock
    return clock
