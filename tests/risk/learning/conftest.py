"""A labelled, assessed history shared by the learning tests (generated once per session)."""

from __future__ import annotations

import polars as pl
import pytest

from clearway.app.learning.data import simulated_history


@pytest.fixture(scope="session")
def history() -> pl.DataFrame:
    return simulated_history(30_000, seed=5, days=84)
