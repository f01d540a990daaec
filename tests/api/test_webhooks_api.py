"""/v1/webhooks over HTTP: an operator's own subscriptions only (another's is 404, never 403), the
secret shown once, precise problems naming the field, the delivery log and redelivery."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearway.api.problems import PROBLEM_JSON
from clearway.app.platform import Clearway
from clearway.clearance.notices import EVENT_TYPES
from tests.api.conftest import headers
from tests.api.test_denials_recorded import denials
from tests.conftest import fixture_json

HOOK = "https://93.184.215.14/clearway"  # a public address as a literal: nothing is resolved
OWNER, OTHER = "op-courier-1", "op-courier-2"
UNKNOWN = "0" * 32


def create(client: TestClient, operator: str = OWNER, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/v1/webhooks",
        json={"url": HOOK, "event_types": ["consignment.released", "consignment.held"]} | body,
        headers=headers(operator),
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_subscribe_read_list_rotate_and_delete(client: TestClient) -> None:
    made = create(client, description="production")
    assert made["secret"].startswith("whsec_") and made["url"] == HOOK
    assert made["event_types"] == ["consignment.held", "consignment.released"]  # in the catalogue's order
    hook = f"/v1/webhooks/{made['id']}"
    read = client.get(hook, headers=headers()).json()
    assert read == {k: v for k, v in made.items() if k != "secret"}  # the secret is shown once only
    assert [h["id"] for h in client.get("/v1/webhooks", headers=headers()).json()["items"]] == [made["id"]]
    rotated = client.post(f"{hook}/secret", headers=headers()).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    read = client.get(hook, headers=headers()).json()
    assert read["previous_secret_valid_until"] == rotated["previous_secret_valid_until"]
    assert "secret" not in read and "secret_salt" not in str(read)
    assert client.get(f"{hook}/deliveries", headers=headers()).json() == {"items": [], "next_cursor": None}
    assert client.delete(hook, headers=headers()).status_code == 204
    assert client.get(hook, headers=headers()).status_code == 404
    assert client.get("/v1/webhooks", headers=headers()).json() == {"items": []}


def test_another_operators_subscription_is_not_found_whatever_is_asked(client: TestClient, service: Clearway) -> None:
    made = create(client)
    hook = f"/v1/webhooks/{made['id']}"
    missing = f"/v1/webhooks/{UNKNOWN}"
    attempts = [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/secret"),
        ("GET", "/deliveries"),
        ("POST", f"/deliveries/{UNKNOWN}/redelivery"),
    ]
    for method, tail in attempts:
        theirs = client.request(method, hook + tail, headers=headers(OTHER))
        nobodys = client.request(method, missing + tail, headers=headers(OTHER))
        assert theirs.status_code == nobodys.status_code == 404, (method, tail, theirs.text)
        assert theirs.headers["content-type"] == PROBLEM_JSON
        # The same problem as for an id nobody has, but for the id itself: nothing tells them apart.
        assert theirs.json()["detail"].replace(made["id"], UNKNOWN) == nobodys.json()["detail"]
    assert client.get("/v1/webhooks", headers=headers(OTHER)).json() == {"items": []}
    # The intruder cannot tell the two apart; the audit chain can.
    recorded = [(reason, method, route) for _, reason, method, route, _ in denials(service)]
    routes = [
        (method, "/v1/webhooks/{webhook_id}" + re.sub(UNKNOWN, "{delivery_id}", tail)) for method, tail in attempts
    ]
    assert recorded == [(reason, *route) for route in routes for reason in ("other_operator", "not_found")]
    # Untouched: still there for its operator, its secret not rotated.
    read = client.get(hook, headers=headers()).json()
    assert read["id"] == made["id"] and "secret_rotated_at" not in read


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        ({"url": "https://10.0.0.1/h"}, "/url", "10.0.0.1 is a private address"),
        ({"url": "https://169.254.169.254/latest/meta-data/"}, "/url", "link-local"),
        ({"url": "https://[::1]/h"}, "/url", "loopback"),
        ({"url": "https://127.0.0.1/h"}, "/url", "loopback"),
        ({"url": "https://localhost/h"}, "/url", "'localhost' resolves to"),
        ({"url": "http://93.184.215.14/h"}, "/url", "https://"),
        ({"event_types": ["consignment.eaten"]}, "/event_types/0", ""),
        ({"event_types": []}, "/event_types", ""),
        ({"url": "x" * 3000}, "/url", ""),
        ({"secret": "mine"}, "/secret", ""),
    ],
)
def test_a_refused_subscription_is_a_problem_naming_the_field(
    client: TestClient, body: dict[str, Any], pointer: str, words: str
) -> None:
    sent = {"url": HOOK, "event_types": ["consignment.released"]} | body
    answer = client.post("/v1/webhooks", json=sent, headers=headers())
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON
    errors = {e["pointer"]: e["detail"] for e in answer.json()["errors"]}
    assert pointer in errors and words in errors[pointer], errors


def test_the_same_url_twice_and_too_many_subscriptions_are_conflicts(client: TestClient) -> None:
    create(client)
    again = client.post("/v1/webhooks", json={"url": HOOK, "event_types": ["consignment.held"]}, headers=headers())
    assert again.status_code == 409 and again.json()["errors"][0]["pointer"] == "/url"
    for n in range(9):
        create(client, url=f"{HOOK}/{n}")
    eleventh = client.post(
        "/v1/webhooks", json={"url": f"{HOOK}/x", "event_types": ["consignment.held"]}, headers=headers()
    )
    assert eleventh.status_code == 409 and "at most 10" in eleventh.json()["detail"]


def test_the_log_shows_a_pending_delivery_and_a_redelivery_of_it_is_refused_while_queued(
    client: TestClient, service: Clearway
) -> None:
    made = create(client, event_types=["consignment.decided"])
    for kind, sender, name in (
        ("orders", "op-platform-1", "order"),
        ("payments", "op-psp-1", "payment"),
        ("waybills", "op-post-1", "waybill"),
    ):
        assert client.post(f"/v1/{kind}", json=fixture_json(f"{name}.json"), headers=headers(sender)).status_code == 201
    declared = client.post("/v1/consignments", json=fixture_json("consignment.json"), headers=headers())
    assert declared.status_code == 201
    page = client.get(f"/v1/webhooks/{made['id']}/deliveries", headers=headers()).json()
    [delivery] = page["items"]
    assert delivery["event_type"] == "consignment.decided" and delivery["subject"] == declared.json()["id"]
    assert delivery["state"] == "pending" and delivery["attempts"] == [] and delivery["message_id"].startswith("msg_")
    pending = client.get(f"/v1/webhooks/{made['id']}/deliveries?state=pending&limit=1", headers=headers()).json()
    assert [d["id"] for d in pending["items"]] == [delivery["id"]] and pending["next_cursor"] == delivery["id"]
    again = client.post(f"/v1/webhooks/{made['id']}/deliveries/{delivery['id']}/redelivery", headers=headers())
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM_JSON
    unknown = client.post(f"/v1/webhooks/{made['id']}/deliveries/{UNKNOWN}/redelivery", headers=headers())
    assert unknown.status_code == 404
    bad = client.get(f"/v1/webhooks/{made['id']}/deliveries?state=lost", headers=headers())
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/state"


def test_a_malformed_id_is_a_parameter_problem(client: TestClient) -> None:
    answer = client.get("/v1/webhooks/not-an-id", headers=headers())
    assert answer.status_code == 422 and answer.json()["errors"][0]["pointer"] == "/webhook_id"


def test_the_contract_lists_every_event_type_and_refuses_one_it_does_not_know(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    request = spec["components"]["schemas"]["WebhookRequest"]["properties"]["event_types"]["items"]
    enum = request.get("enum") or spec["components"]["schemas"][request["$ref"].rsplit("/", 1)[1]]["enum"]
    assert sorted(enum) == sorted(EVENT_TYPES)
    assert {"consignment.seized", "consignment.returned", "message.response_ready"} <= set(enum)
    # Only the declarant cancels, and it is told in the answer to its own request: no event for it.
    assert "consignment.cancelled" not in enum
    made = create(client, event_types=["consignment.seized", "consignment.returned"])
    assert made["event_types"] == ["consignment.seized", "consignment.returned"]
    refused = client.post(
        "/v1/webhooks",
        json={"url": HOOK + "/2", "event_types": ["consignment.cancelled"]},
        headers=headers(),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/event_types/0"
