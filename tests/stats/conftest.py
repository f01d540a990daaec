from __future__ import annotations

import pytest

from clearway.app.platform import Clearway
from tests.stats.dataset import load_fixed


@pytest.fixture
def fixed(service: Clearway) -> dict[str, str]:
    """The fixed data set (tests/stats/dataset.py) in the test database: consignment ids by name."""
    return load_fixed(service)
