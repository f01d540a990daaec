"""Where notifications may go: https to public addresses, checked at subscription and before every
delivery; CLEARWAY_WEBHOOKS_ALLOW_PRIVATE lifts the rules for tests and demonstrations."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from clearway.app.platform import Clearway
from clearway.app.webhooks.addresses import RefusedUrl, resolve_target, system_resolver
from clearway.clearance.errors import InvalidRecord
from tests.webhooks.conftest import COURIER, Clock, Receiver, declare, deliver_all, deliveries, subscribe

PUBLIC = "93.184.215.14"  # a public address (example.com's), given as a literal: nothing is resolved


class Names:
    """A resolver the test controls: each name resolves to what the test last said."""

    def __init__(self, **names: Sequence[str]) -> None:
        self.names = {name.replace("_", "."): list(found) for name, found in names.items()}

    def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.names:
            raise RefusedUrl(f"the host name '{host}' does not resolve")
        return self.names[host]


REFUSED = [
    ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
    ("https://10.1.2.3/hook", "10.1.2.3 is a private address"),
    ("https://192.168.0.10/hook", "192.168.0.10 is a private address"),
    ("https://172.16.5.4/hook", "172.16.5.4 is a private address"),
    ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
    ("https://[::1]/hook", "::1 is a loopback address"),
    ("https://[fd12:3456::1]/hook", "fd12:3456::1 is a unique local address"),
    ("https://[fe80::1]/hook", "fe80::1 is a link-local address"),
    ("https://[::ffff:10.0.0.1]/hook", "::ffff:10.0.0.1 is a private address"),
    ("https://0.0.0.0/hook", "0.0.0.0 is the unspecified address"),
    ("https://224.0.0.1/hook", "224.0.0.1 is a multicast address"),
    ("https://100.64.0.1/hook", "100.64.0.1 is not a public address"),
    ("https://240.0.0.1/hook", "240.0.0.1 is a reserved address"),
    ("https://localhost/hook", "'localhost' resolves to 127.0.0.1, a loopback address"),
    ("https://rebind.example/hook", "'rebind.example' resolves to 10.0.0.7, a private address"),
    ("https://mixed.example/hook", "'mixed.example' resolves to 10.0.0.8, a private address"),
    ("https://nowhere.example/hook", "the host name 'nowhere.example' does not resolve"),
    (f"http://{PUBLIC}/hook", "must start with https://"),
    (f"https://user:pass@{PUBLIC}/hook", "must not contain a user name or password"),
    (f"https://{PUBLIC}/hook#frag", "must not have a fragment"),
    ("https:///hook", "the URL has no host"),
    (f"https://{PUBLIC}:99999/hook", "not well formed"),
    ("https://bad_name.example/hook", "is not a host name"),
    (f"https://{PUBLIC}/a b", "spaces or control characters"),
    ("ftp://example.org/hook", "must start with https://"),
]
NAMES = Names(
    localhost=["127.0.0.1"],
    rebind_example=["10.0.0.7"],
    mixed_example=["93.184.215.14", "10.0.0.8"],
    hooks_example=[PUBLIC],
)


@pytest.mark.parametrize(("url", "why"), REFUSED, ids=[u for u, _ in REFUSED])
def test_refused_addresses_say_why(url: str, why: str) -> None:
    with pytest.raises(RefusedUrl) as refused:
        resolve_target(url, allow_private=False, resolve=NAMES)
    assert why in str(refused.value)


def test_public_addresses_and_names_pass_and_the_address_checked_is_the_one_connected_to() -> None:
    target = resolve_target("https://Hooks.Example./cw?x=1", allow_private=False, resolve=NAMES)
    assert (target.host, target.port, target.address) == ("hooks.example", 443, PUBLIC)
    assert target.connect_url() == f"https://{PUBLIC}/cw?x=1"
    assert target.host_header() == "hooks.example"
    literal = resolve_target("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/", allow_private=False)
    assert literal.connect_url() == "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/"
    assert literal.is_literal


def test_the_setting_for_tests_and_demonstrations_allows_http_and_loopback() -> None:
    target = resolve_target("http://localhost:8080/h", allow_private=True, resolve=NAMES)
    assert (target.scheme, target.address, target.port) == ("http", "127.0.0.1", 8080)


def test_the_system_resolver_resolves_localhost_to_loopback_and_that_is_refused() -> None:
    # The machine's own resolver, as in production: localhost is in every hosts file.
    assert "127.0.0.1" in system_resolver("localhost", 443) or "::1" in system_resolver("localhost", 443)
    with pytest.raises(RefusedUrl, match="loopback"):
        resolve_target("https://localhost/hook", allow_private=False)


@pytest.fixture
def strict(service: Clearway) -> Clearway:
    """The service as in production: public https only, and names resolved as the test says."""
    service.settings = dataclasses.replace(service.settings, webhooks_allow_private=False)
    service.webhooks.settings = service.settings
    service.webhooks.resolve = Names(hooks_example=[PUBLIC])
    return service


def test_a_subscription_to_a_refused_url_is_a_field_error_naming_the_url(strict: Clearway) -> None:
    with pytest.raises(InvalidRecord) as refused:
        strict.webhooks.subscribe(COURIER, "https://169.254.169.254/latest", ["consignment.held", "nope"])
    errors = {e.pointer: e.detail for e in refused.value.errors}
    assert set(errors) == {"/url", "/event_types/1"}
    assert "link-local" in errors["/url"]
    view, secret = strict.webhooks.subscribe(COURIER, "https://hooks.example/cw", ["consignment.held"])
    assert view["url"] == "https://hooks.example/cw" and secret.startswith("whsec_")


def test_a_name_that_turns_private_after_subscription_is_refused_at_delivery_and_nothing_is_sent(
    strict: Clearway,
) -> None:
    sid, _ = subscribe(strict, "https://hooks.example/cw", ("consignment.released",))
    # DNS rebinding: the same name, now the platform's own host.
    strict.webhooks.resolve.names["hooks.example"] = ["127.0.0.1"]  # type: ignore[attr-defined]
    declare(strict, "MSG-REBIND")
    deliverer = strict.webhooks.deliverer()
    assert deliverer.run_once() == 1
    deliverer.close()
    [row] = strict.webhooks.deliveries(COURIER, sid, state=None, before=None, limit=5)
    [attempt] = row["tries"]
    assert attempt["status_code"] is None
    assert "'hooks.example' resolves to 127.0.0.1, a loopback address" in attempt["error"]
    # Refused before any connection (a connection tried would say "no connection"), tried again later.
    assert row["state"] == "pending" and row["next_attempt_at"] is not None


def test_deleting_a_subscription_cancels_what_it_had_to_deliver(
    service: Clearway, receiver: Receiver, clock: Clock
) -> None:
    sid, _ = subscribe(service, receiver.url, ("consignment.released",))
    declare(service, "MSG-DEL")
    service.webhooks.delete(COURIER, sid)
    deliverer = service.webhooks.deliverer()
    assert deliver_all(service, clock, deliverer) == 0
    deliverer.close()
    assert receiver.requests == []
    assert service.webhooks.subscriptions(COURIER) == []
    assert [d["state"] for d in deliveries(service)] == ["cancelled"]
