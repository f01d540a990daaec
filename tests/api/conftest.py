from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from clearway.api.app import create_app
from clearway.app.platform import Clearway

# An operator's kind from its id, so that tests read like the flows they stand for: platforms send
# orders, payment providers payments, posts and couriers waybills (clearance.senders).
_KIND_BY_PREFIX = (
    ("op-platform", "marketplace"),
    ("op-seller", "seller"),
    ("op-psp", "payment_provider"),
    ("op-post", "postal_operator"),
    ("op-broker", "broker"),
)


def operator_kind(operator: str) -> str:
    return next((kind for prefix, kind in _KIND_BY_PREFIX if operator.startswith(prefix)), "courier")


class Keyring:
    """Operators onboarded on first use in the test's database, each with an API key."""

    def __init__(self, service: Clearway) -> None:
        self.service = service
        self.keys: dict[str, str] = {}

    def key(self, operator: str) -> str:
        if operator not in self.keys:
            access = self.service.access
            if operator not in {row["id"] for row in access.operators()}:
                self._onboard(operator)
            issued, _ = access.issue_key(operator, actor="test:setup")
            self.keys[operator] = issued.plaintext
        return self.keys[operator]

    def _onboard(self, operator: str) -> None:
        self.service.access.onboard(
            operator_id=operator,
            name=f"Test operator {operator}",
            kind=operator_kind(operator),
            country="DE",
            contact_email=f"{operator}@example.org",
            actor="test:setup",
        )


_keyring: Keyring | None = None


@pytest.fixture(autouse=True)
def keyring(service: Clearway) -> Iterator[Keyring]:
    global _keyring
    _keyring = Keyring(service)
    yield _keyring
    _keyring = None


def headers(operator: str = "op-courier-1", content_type: str = "application/json") -> dict[str, str]:
    """Authenticated headers for an operator of the current test (onboarded on first use)."""
    assert _keyring is not None, "headers() needs the keyring fixture (autouse in tests/api)"
    return {"Authorization": f"Bearer {_keyring.key(operator)}", "Content-Type": content_type}


@pytest.fixture
def client(service: Clearway) -> Iterator[TestClient]:
    app = create_app(service.settings, service, sweep=False)
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def auth_headers(keyring: Keyring) -> dict[str, str]:
    """Headers that authenticate one test operator (the fuzzer's credentials)."""
    return {"Authorization": f"Bearer {keyring.key('op-fuzz-1')}"}
