from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from clearway.api.app import create_app
from clearway.service import Clearway


@pytest.fixture
def client(service: Clearway) -> Iterator[TestClient]:
    app = create_app(service.settings, service, sweep=False)
    with TestClient(app) as c:
        yield c


def headers(operator: str = "op-courier-1", content_type: str = "application/json") -> dict[str, str]:
    return {"X-Clearway-Operator": operator, "Content-Type": content_type}
