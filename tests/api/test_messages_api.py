"""POST /v1/messages/{ref} and GET /v1/messages/{ref}[/original]: who may send, read and not."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.requests import Request

from clearway.access.roles import Role
from clearway.api.deps import read_body
from clearway.api.problems import ApiError
from clearway.app.platform import Clearway
from clearway.store.tables import audit_log
from tests.api.conftest import headers
from tests.api.documented import assert_documented
from tests.api.test_access_api import sign_in
from tests.conftest import register_operators

CN = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "cn"
PLATFORM = "1105960001"


def _send(
    client: TestClient, name: str = "CEB311Message.xml", *, operator: str = PLATFORM, media: str = "application/xml"
) -> httpx.Response:
    return client.post("/v1/messages/cn-ceb", content=(CN / name).read_bytes(), headers=headers(operator, media))


def test_an_operator_sends_a_message_and_reads_it_back(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace"})
    sent = _send(client)
    receipt = assert_documented(client, "POST", "/v1/messages/{ref}", sent)
    assert sent.status_code == 201 and sent.headers["location"] == f"/v1/messages/{receipt['id']}"
    [record] = receipt["records"]
    assert (record["status"], record["kind"], record["message_type"]) == ("accepted", "order", "CEB311")
    read = client.get(sent.headers["location"], headers=headers(PLATFORM))
    view = assert_documented(client, "GET", "/v1/messages/{ref}", read)
    assert base64.b64decode(view["original_base64"]) == (CN / "CEB311Message.xml").read_bytes()
    original = client.get(f"{sent.headers['location']}/original", headers=headers(PLATFORM))
    assert original.status_code == 200 and original.content == (CN / "CEB311Message.xml").read_bytes()
    assert original.headers["content-type"].startswith("application/xml")
    assert original.headers["x-content-sha256"] == view["sha256"]


def test_the_same_message_as_octets_is_taken_too(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace"})
    sent = _send(client, media="application/octet-stream")
    assert sent.status_code == 201 and sent.json()["records"][0]["status"] == "accepted"


def test_another_operator_cannot_read_a_message(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace", "op-other-1": "marketplace"})
    location = _send(client).headers["location"]
    for path in (location, f"{location}/original"):
        # The same answer as for a message that does not exist: nothing says it is someone else's.
        other = client.get(path, headers=headers("op-other-1"))
        assert other.status_code == 404 and other.json()["detail"] == f"no message {location[-32:]}"
        assert client.get(path.replace(location[-32:], "0" * 32), headers=headers("op-other-1")).status_code == 404


def test_officers_read_any_message_audited_and_analysts_none(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace"})
    location = _send(client).headers["location"]
    sign_in(client, service, "olga", Role.OFFICER)
    assert client.get(location).status_code == 200
    with service.engine.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action).where(audit_log.c.action == "messages.original_read"))
        assert len(actions.all()) == 1
    client.cookies.clear()
    sign_in(client, service, "anna", Role.ANALYST)
    assert client.get(location).status_code == 403


def test_what_is_refused_before_anything_is_kept(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace"})
    unknown = client.post("/v1/messages/upu-xyz", content=b"<a/>", headers=headers(PLATFORM, "application/xml"))
    assert unknown.status_code == 404 and "cn-ceb" in unknown.json()["detail"]
    wrong_type = _send(client, media="application/json")
    assert wrong_type.status_code == 415
    huge = client.post(
        "/v1/messages/cn-ceb", content=b"<a>" + b"x" * 6_000_000 + b"</a>", headers=headers(PLATFORM, "application/xml")
    )
    assert huge.status_code == 413
    # Sent in chunks, with no length declared: refused at the route's 5 MB, not the application's
    # far larger limit.
    chunked = client.post(
        "/v1/messages/cn-ceb", content=iter([b"x" * 1_000_000] * 8), headers=headers(PLATFORM, "application/xml")
    )
    assert chunked.status_code == 413 and "5,242,880" in chunked.json()["detail"]
    assert client.post("/v1/messages/cn-ceb", content=b"<a/>").status_code == 401
    with service.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM messages")).scalar_one() == 0


def test_a_message_naming_another_sender_is_refused_in_its_terms(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace", "op-other-1": "marketplace"})
    sent = _send(client, operator="op-other-1")
    assert sent.status_code == 201
    [record] = sent.json()["records"]
    assert record["status"] == "rejected" and "names '1105960001' as its sender" in record["errors"][0]["detail"]


def test_the_receipt_is_read_by_its_sender_only(client: TestClient, service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace", "op-other-1": "marketplace"})
    location = _send(client).headers["location"]
    answer = client.get(f"{location}/responses", headers=headers(PLATFORM))
    [receipt] = assert_documented(client, "GET", "/v1/messages/{ref}/responses", answer)["items"]
    assert receipt["message_type"] == "CEB312" and "<returnStatus>120</returnStatus>" in receipt["body"]
    assert client.get(f"{location}/responses", headers=headers("op-other-1")).status_code == 404


def test_a_chunked_body_is_refused_while_reading_not_after() -> None:
    """read_body stops pulling chunks once past the route's limit: what is buffered stays bounded."""
    pulled: list[int] = []

    async def receive() -> dict[str, object]:
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": len(pulled) < 100}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-type", b"application/xml")]}
    with pytest.raises(ApiError) as refused:
        asyncio.run(read_body(Request(scope, receive), ("application/xml",), 5_000_000))
    assert refused.value.status == 413
    assert len(pulled) == 6  # five chunks fit, the sixth passes the limit: the other 94 are never read
