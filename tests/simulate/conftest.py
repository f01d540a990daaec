"""Traffic shared by the simulator tests (generated once per session: a run takes about a second)."""

from __future__ import annotations

import pytest

from clearway.simulate import Traffic, generate

TRAFFIC_COUNT = 10_000
TRAFFIC_SEED = 11


@pytest.fixture(scope="session")
def traffic() -> Traffic:
    return generate(TRAFFIC_COUNT, seed=TRAFFIC_SEED)
