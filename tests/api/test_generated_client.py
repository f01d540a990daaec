"""The OpenAPI document as an operator's engineers use it (issue 20): a Python client generated from the
live document with openapi-python-client (docs/integration.md gives the same command), and every flow
run through that client's typed functions only.

The generator runs once per session, offline, into a temporary folder; the generated package is
imported from there and talks to the application in process (httpx's ASGI transport, the app's own
lifespan around it): no socket, no server. A flow calls routes by method and path ("POST
/v1/consignments"), found in the generated modules, so the test does not depend on the operation ids.
Plain data given to a call goes through the generated types first (``from_dict`` of the body's model,
the enum of a parameter), as an integrator's code would build them.

A call that the generated client cannot make typed fails its flow, with the reason: no generated
function for the route (the generator dropped it: see its warnings), a body or answer without a
schema, an answer the generated code cannot parse, a status the document does not list, or fields
in the answer that the document does not name. There is no raw fallback: each flow lists every
such call it met (steps go on after a failed one where they can), so a failure is the list of what
the document must still say.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import enum
import importlib
import os
import re
import subprocess
import sys
import types
import typing
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import msgspec
import pytest
import sqlalchemy as sa

from clearway.access import credentials
from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.settings import Settings
from tests.api.conftest import Keyring
from tests.conftest import NO_MODEL, TEST_SECRET, fixture_json

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
# make install puts the pinned generator in a virtualenv of its own (Makefile, CLIENT_GENERATOR).
TOOL = REPO / ".venv" / "tools" / "openapi-python-client"
GENERATOR = Path(os.environ.get("CLEARWAY_OPENAPI_PYTHON_CLIENT", TOOL / "bin" / "openapi-python-client"))
PACKAGE = "clearway_client"
BASE_URL = "https://testserver"
PASSWORD = "a long enough phrase"

COURIER, PLATFORM, PSP, POST = "op-courier-1", "op-platform-1", "op-psp-1", "op-post-1"


# -- the generated client, once per session -----------------------------------------------------


@dataclasses.dataclass
class Generated:
    package: types.ModuleType
    routes: dict[str, types.ModuleType]  # "POST /v1/consignments/{}" -> the generated module
    warnings: list[str]


def route_key(route: str) -> str:
    """'GET /v1/consignments/{consignment_id}' and the generated url '/v1/consignments/{consignment_id}'
    alike, whatever the parameters are called."""
    return re.sub(r"\{[^}]*\}", "{}", route)


def generator_warnings(output: str) -> list[str]:
    """The generator's warnings: the blocks after its 'Warning(s) encountered' line, one per item."""
    if "Warning(s) encountered" not in output:
        return []
    tail = output.split("Warning(s) encountered", 1)[1].split("\n", 1)[1]
    tail = tail.split("If you believe this was a mistake", 1)[0]
    return [block.strip() for block in re.split(r"\n\s*\n(?=WARNING|ERROR)", tail) if block.strip()]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, engine: sa.Engine, database_url: str) -> Iterator[Generated]:
    assert GENERATOR.exists(), f"{GENERATOR} is missing: `make install` installs the pinned generator"
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, model_dir=NO_MODEL, hs_model_dir=NO_MODEL)
    document = create_app(settings, Clearway(settings, engine=engine), sweep=False).openapi()
    folder = tmp_path_factory.mktemp("generated-client")
    (folder / "openapi.json").write_bytes(msgspec.json.encode(document))
    # The generator's post-hooks run ruff from PATH: the one installed beside it.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none", "--output-path", PACKAGE],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        routes: dict[str, types.ModuleType] = {}
        for path in sorted((folder / PACKAGE / "api").rglob("*.py")):
            found = re.search(r'"method": "(\w+)",\s*"url": "([^"]+)"', path.read_text())
            if found:
                module = importlib.import_module(f"{PACKAGE}.api.{path.parent.name}.{path.stem}")
                routes[route_key(f"{found.group(1).upper()} {found.group(2)}")] = module
        yield Generated(package, routes, generator_warnings(output))
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


# The two kinds of warning the document causes on purpose (docs/integration.md): the batch endpoints
# also list the line formats operators send in bulk (NDJSON, JSON Lines), and the message endpoint the
# standards' own formats (XML, UN/EDIFACT), which openapi-python-client cannot type; it types the same
# endpoints' JSON-array body, and the message endpoint's application/octet-stream body, instead.
BATCH_LINES = re.compile(
    r"WARNING parsing POST /v1/(consignments|orders|payments|waybills)/batch within \w+\.\s+"
    r"Unsupported content type application/(x-ndjson|jsonl)\s"
)
MESSAGE_FORMATS = re.compile(
    r"WARNING parsing POST /v1/messages/\{ref\} within operators\.\s+"
    r"Unsupported content type (application/xml|text/xml|application/edifact)\s"
)


def test_the_generator_has_no_warnings(generated: Generated) -> None:
    print(f"openapi-python-client warnings ({len(generated.warnings)}):")
    for warning in generated.warnings:
        print(warning, end="\n\n")
    batch = [w for w in generated.warnings if BATCH_LINES.search(w)]
    message = [w for w in generated.warnings if MESSAGE_FORMATS.search(w)]
    others = [w for w in generated.warnings if w not in batch and w not in message]
    assert not others, f"the generator gave {len(others)} unexpected warning(s), printed above"
    # Exactly the two line formats of the four batch endpoints and the message formats, no more (a
    # new untypable body fails), and the message endpoint is generated (through its octet body).
    assert (len(batch), len(message)) == (8, 3)
    assert "POST /v1/messages/{}" in generated.routes


# -- typed calls ---------------------------------------------------------------------------------


class NotTyped(Exception):
    """A call the generated client cannot make typed."""


def is_model(value: Any) -> bool:
    return attrs.has(type(value))


def undocumented(value: Any, where: str = "") -> list[str]:
    """Fields of an answer that the document does not name: the generated model keeps them aside in
    ``additional_properties``. A model that is only a map (no declared fields) is exempt."""
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in undocumented(item, f"{where}/{i}")]
    if not is_model(value):
        return []
    declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
    extra: dict[str, Any] = getattr(value, "additional_properties", {})
    found = [f"{where or '/'}: {sorted(extra)} not in {type(value).__name__}"] if declared and extra else []
    for name in declared:
        found += undocumented(getattr(value, name), f"{where}/{name}")
    for name, item in extra.items():
        found += undocumented(item, f"{where}/{name}")
    return found


class Api:
    """The generated client against the in-process app, with the calls of one flow."""

    def __init__(self, generated: Generated, transport: httpx.AsyncBaseTransport) -> None:
        self.generated = generated
        self.transport = transport
        self.problems: list[str] = []
        self.last: Any = None  # the generated Response of the last call (for its headers)
        self._answer: httpx.Response | None = None
        self._clients: list[Any] = []
        self.Unset: type = generated.package.types.Unset

    # clients

    def _client(self, cls: type, content_type: str | None = None, **kwargs: Any) -> Any:
        async def keep(response: httpx.Response) -> None:
            await response.aread()
            self._answer = response

        hooks: dict[str, list[Any]] = {"response": [keep]}
        if content_type is not None:

            async def retype(request: httpx.Request) -> None:
                # What a misconfigured client or proxy does: the body as sent, under another type.
                request.headers["Content-Type"] = content_type

            hooks["request"] = [retype]
        client = cls(
            base_url=BASE_URL,
            raise_on_unexpected_status=True,
            httpx_args={"transport": self.transport, "event_hooks": hooks},
            **kwargs,
        )
        self._clients.append(client)
        return client

    def public(self, *, content_type: str | None = None) -> Any:
        return self._client(self.generated.package.Client, content_type)

    def bearer(self, token: str, *, content_type: str | None = None) -> Any:
        """An operator's client: its API key, or an access token from /v1/oauth/token."""
        return self._client(self.generated.package.AuthenticatedClient, content_type, token=token)

    async def person(self, service: Clearway, username: str, role: Role) -> Any:
        """A person created from the server's shell (README), signed in through the login page: the
        session cookie and the CSRF token of the pages' forms go on the generated client."""
        service.access.create_person(
            username=username, display_name=username.title(), role=role, password=PASSWORD, actor="test:setup"
        )
        return await self.sign_in(username, PASSWORD)

    async def sign_in(self, username: str, password: str) -> Any:
        # The login form is a page, not an API operation: a browser's steps, outside the document.
        async with httpx.AsyncClient(transport=self.transport, base_url=BASE_URL) as browser:
            form = await browser.get("/login")
            login_csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert login_csrf is not None, "the login page has no CSRF field"
            fields = {"username": username, "password": password, "csrf": login_csrf.group(1)}
            done = await browser.post("/login", data=fields)
            assert done.status_code == 303 and done.headers["location"] == "/", f"{username} could not sign in"
            session = browser.cookies["cw_session"]
            page = await browser.get("/account/password")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None, "a signed-in page carries the session's CSRF token"
        return self._client(
            self.generated.package.Client,
            cookies={"cw_session": session},
            headers={"X-CSRF-Token": csrf.group(1)},
        )

    async def close(self) -> None:
        for client in self._clients:
            await client.get_async_httpx_client().aclose()

    # calls

    def _typed(self, hint: Any, value: Any, what: str) -> Any:
        """``value`` as the generated type ``hint`` asks for; NotTyped when the type says nothing."""
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(hint) if m not in (self.Unset, type(None))]
            reasons: list[str] = []
            for member in members:
                try:
                    result = self._typed(member, value, what)
                except (NotTyped, TypeError, ValueError, KeyError, AttributeError) as exc:
                    reasons.append(f"{getattr(member, '__name__', member)}: {exc!r}")
                    continue
                if not undocumented(result):  # the member that knows every field of the value
                    return result
                reasons.append(f"{getattr(member, '__name__', member)}: {undocumented(result)}")
            raise NotTyped(f"{what}: no member of {hint} takes it ({'; '.join(reasons)})")
        if origin is list:
            (item,) = typing.get_args(hint)
            if not isinstance(value, list):
                raise TypeError(f"{what}: a list is expected")
            return [self._typed(item, v, f"{what}[{i}]") for i, v in enumerate(value)]
        if isinstance(hint, type) and attrs.has(hint):
            if not isinstance(value, dict):
                raise TypeError(f"{what}: an object is expected for {hint.__name__}")
            return hint.from_dict(value)  # type: ignore[attr-defined]
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return hint(value)
        if hint in (dt.date, dt.datetime) and isinstance(value, str):
            return hint.fromisoformat(value)
        if hint in (str, int, float, bool) and isinstance(value, hint):
            return value
        raise NotTyped(f"{what}: the generated type is {hint!r}, which says nothing of what to send")

    async def call(
        self, route: str, client: Any, expect: int, *, download: bool = False, error: str = "Problem", **kwargs: Any
    ) -> Any:
        """One typed call; the parsed answer, a generated model (for an error, the model named ``error``:
        problem+json everywhere but OAuth2's token endpoint, which answers in RFC 6749's format)."""
        module = self.generated.routes.get(route_key(route))
        if module is None:
            raise NotTyped(f"{route}: the generated client has no function for it (see the generator's warnings)")
        hints = typing.get_type_hints(module.asyncio_detailed, vars(module))
        arguments: dict[str, Any] = {}
        for name, value in kwargs.items():
            if name not in hints:
                raise NotTyped(f"{route}: the generated function takes no '{name}'")
            arguments[name] = self._typed(hints[name], value, f"{route} {name}")
            if name == "body" and not (
                is_model(arguments[name])
                or (isinstance(arguments[name], list) and all(is_model(v) for v in arguments[name]))
            ):
                raise NotTyped(f"{route}: the body is not a generated model ({type(arguments[name]).__name__})")
            if name == "body" and undocumented(arguments[name]):
                # Sent all the same (the generated model passes unknown fields on), so that the flow
                # goes on, but the call was not typed: recorded as a failure of the flow.
                extra = undocumented(arguments[name])
                self.problems.append(f"{route}: body fields not in the generated model: {extra}")
        errors = self.generated.package.errors
        self._answer = None
        try:
            response = await module.asyncio_detailed(client=client, **arguments)
        except errors.UnexpectedStatus as exc:
            raise NotTyped(f"{route}: answered {exc.status_code}, a status the document does not list") from exc
        except Exception as exc:
            answer = self._answer
            seen = f"{answer.status_code} {answer.text[:300]}" if answer is not None else "no answer"
            raise NotTyped(f"{route}: the generated code cannot parse the answer ({exc!r}); it was {seen}") from exc
        self.last = response
        status = int(response.status_code)
        if status != expect:
            raise AssertionError(f"{route}: expected {expect}, got {status}: {response.content[:500]!r}")
        parsed = response.parsed
        models = self.generated.package.models
        problem = models.Problem
        if status >= 400:
            if not isinstance(parsed, getattr(models, error)):
                raise NotTyped(f"{route}: the {status} answer is not parsed as a {error} ({type(parsed).__name__})")
            assert error != "Problem" or parsed.status == status, f"{route}: the problem says {parsed.status}"
        elif status == 204:
            return None
        elif download:
            if not isinstance(parsed, str | bytes) and not is_model(parsed):
                raise NotTyped(f"{route}: the {status} download is not typed ({type(parsed).__name__})")
        elif isinstance(parsed, problem) or not (
            is_model(parsed) or (isinstance(parsed, list) and all(is_model(v) for v in parsed))
        ):
            raise NotTyped(f"{route}: the {status} answer has no schema to parse it by ({type(parsed).__name__})")
        extra = undocumented(parsed)
        if extra:
            raise NotTyped(f"{route}: the {status} answer has fields the document does not name: {extra}")
        return parsed

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        """One step of a flow: what fails in it is recorded, and the flow goes on with the next step."""
        try:
            yield
        except (NotTyped, AssertionError) as exc:
            self.problems.append(f"{what}: {exc}")


def run(generated: Generated, service: Clearway, flow: Callable[[Api], Awaitable[None]]) -> None:
    """The flow against a fresh app (its lifespan around it), then every failed step at once."""
    app = create_app(service.settings, service, sweep=False)

    async def main() -> list[str]:
        api = Api(generated, httpx.ASGITransport(app=app))
        async with app.router.lifespan_context(app):
            try:
                await flow(api)
            finally:
                await api.close()
        return api.problems

    problems = asyncio.run(main())
    for problem in problems:
        print(problem)
    if problems:
        pytest.fail(f"{len(problems)} call(s) not typed or not as documented:\n- " + "\n- ".join(problems))


# -- data ----------------------------------------------------------------------------------------


def consignment(reference: str = "MSG-0001", **changes: Any) -> dict[str, Any]:
    return fixture_json("consignment.json") | {"reference": reference} | changes


def held_documents(reference: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A declaration whose payment says less than it: held for customs (clearance.linking)."""
    order, payment = fixture_json("order.json"), fixture_json("payment.json")
    declared = consignment(reference)
    declared["transaction"] = declared["transaction"] | {"order_number": "SW-2", "payment_id": "PAY-2"}
    return (
        declared,
        order | {"order_number": "SW-2"},
        payment | {"payment_id": "PAY-2", "order_number": "SW-2", "amount": "1.00"},
    )


def placi(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "reference": "PLACI-1",
        "transport_document": "HAWB0001",
        "master_waybill": "176-12345675",
        "consignor": {
            "name": "Shenzhen Bright Trading Co., Ltd",
            "country": "CN",
            "address": {"line1": "88 Huaqiang North Rd", "city": "Shenzhen", "country": "CN"},
        },
        "consignee": {
            "name": "Anna Schmidt",
            "country": "DE",
            "address": {"line1": "Lindenstrasse 5", "city": "Berlin", "postcode": "10969", "country": "DE"},
        },
        "goods_description": "Women's silk blouse",
        "packages": 1,
        "gross_weight_kg": "0.45",
        "destination_country": "DE",
    }
    return base | changes


QUOTE: dict[str, Any] = {
    "destination": "FR",
    "as_of": "2026-07-01",
    "currency": "EUR",
    "origin_country": "CN",
    "items": [
        {"description": "silk blouse", "hs_code": "620610", "quantity": "1", "unit_value": "30", "origin": "CN"},
        {"description": "wool blouse", "hs_code": "620620", "quantity": "2", "unit_value": "25", "origin": "CN"},
    ],
}


async def declare_with_documents(api: Api, keyring: Keyring) -> Any:
    """The order from the platform, the payment from its provider, the waybill from the post, then
    the declaration from the courier: three senders' documents linked to one declaration."""
    for route, sender, name in (
        ("POST /v1/orders", PLATFORM, "order.json"),
        ("POST /v1/payments", PSP, "payment.json"),
        ("POST /v1/waybills", POST, "waybill.json"),
    ):
        with api.step(f"submit the {name[:-5]}"):
            stored = await api.call(route, api.bearer(keyring.key(sender)), 201, body=fixture_json(name))
            assert stored.status == "accepted", stored
    return await api.call("POST /v1/consignments", api.bearer(keyring.key(COURIER)), 201, body=consignment())


# -- the operators' flows ------------------------------------------------------------------------


def test_a_declaration_with_its_order_payment_and_waybill(
    generated: Generated, service: Clearway, keyring: Keyring
) -> None:
    async def flow(api: Api) -> None:
        courier = api.bearer(keyring.key(COURIER))
        with api.step("submit the declaration"):
            declared = await declare_with_documents(api, keyring)
            assert declared.status == "accepted" and declared.state == "released", declared
            assert api.last.headers["location"] == f"/v1/consignments/{declared.id}"
            again = await api.call("POST /v1/consignments", courier, 200, body=consignment())
            assert (again.status, again.id) == ("duplicate", declared.id)
            view = await api.call("GET /v1/consignments/{consignment_id}", courier, 200, consignment_id=declared.id)
            assert view.state == "released"
        with api.step("list the consignments, page by page"):
            await api.call("POST /v1/consignments", courier, 201, body=consignment("MSG-0002"))
            first = await api.call("GET /v1/consignments", courier, 200, limit=1)
            assert len(first.items) == 1 and first.next_cursor
            second = await api.call("GET /v1/consignments", courier, 200, limit=1, cursor=first.next_cursor)
            assert len(second.items) == 1 and second.items[0].id != first.items[0].id
            held = await api.call("GET /v1/consignments", courier, 200, state="held")
            assert all(item.state == "held" for item in held.items)

    run(generated, service, flow)


def test_a_batch_of_each_kind(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        for route, sender, records in (
            ("POST /v1/orders/batch", PLATFORM, [fixture_json("order.json")]),
            ("POST /v1/payments/batch", PSP, [fixture_json("payment.json")]),
            ("POST /v1/waybills/batch", POST, [fixture_json("waybill.json")]),
            ("POST /v1/consignments/batch", COURIER, [consignment("MSG-B1"), consignment("MSG-B2")]),
        ):
            with api.step(route):
                result = await api.call(route, api.bearer(keyring.key(sender)), 200, body=records)
                assert result.accepted == len(records) and result.rejected == 0, result
                assert [line.line for line in result.results] == list(range(1, len(records) + 1))

    run(generated, service, flow)


def test_amend_and_cancel(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        courier = api.bearer(keyring.key(COURIER))
        declared = await api.call("POST /v1/consignments", courier, 201, body=consignment("MSG-AMEND"))
        with api.step("amend"):
            changed = consignment("MSG-AMEND")
            changed["items"][0]["description"] = "Women's silk blouse, long sleeves"
            amended = await api.call(
                "POST /v1/consignments/{consignment_id}/amendments",
                courier,
                201,
                consignment_id=declared.id,
                body=changed,
            )
            assert amended.id == declared.id and amended.version == 2
        with api.step("cancel"):
            cancelled = await api.call(
                "POST /v1/consignments/{consignment_id}/cancellation",
                courier,
                200,
                consignment_id=declared.id,
                body={"reason": "the buyer cancelled the order"},
            )
            assert cancelled.state == "cancelled"

    run(generated, service, flow)


def test_track_quote_and_restrictions_without_a_credential(
    generated: Generated, service: Clearway, keyring: Keyring
) -> None:
    async def flow(api: Api) -> None:
        anyone = api.public()
        with api.step("declare"):
            await declare_with_documents(api, keyring)
        with api.step("track"):
            status = await api.call(
                "GET /v1/tracking/{transport_document}", anyone, 200, transport_document="RR123456785CN"
            )
            assert status.transport_document == "RR123456785CN"
        with api.step("quote"):
            quote = await api.call("POST /v1/quotes", anyone, 200, body=QUOTE)
            assert (quote.duty, quote.tax, quote.total) == ("6.00", "17.20", "23.20")
        with api.step("restrictions"):
            await api.call("GET /v1/restrictions", anyone, 200, jurisdiction="DE")

    run(generated, service, flow)


def test_a_pre_loading_entry(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        carrier = api.bearer(keyring.key("op-courier-9"))
        with api.step("file and read"):
            filed = await api.call("POST /v1/preloading", carrier, 201, body=placi())
            assert (filed.answer, filed.status) == ("assessment_complete", "closed")
            read = await api.call("GET /v1/preloading/{filing_id}", carrier, 200, filing_id=filed.id)
            assert read.answer == "assessment_complete"
        with api.step("answer a request for information"):
            vague = placi(reference="PLACI-2", consignee={"name": "Anna Schmidt", "country": "DE"})
            vague["goods_description"] = "gift"
            asked = await api.call("POST /v1/preloading", carrier, 201, body=vague)
            assert asked.answer == "request_for_information"
            fixed = await api.call(
                "POST /v1/preloading/{filing_id}/information",
                carrier,
                200,
                filing_id=asked.id,
                body=placi(reference="PLACI-2"),
            )
            assert fixed.answer == "assessment_complete"

    run(generated, service, flow)


def test_webhook_subscriptions_and_their_delivery_log(
    generated: Generated, service: Clearway, keyring: Keyring
) -> None:
    async def flow(api: Api) -> None:
        courier = api.bearer(keyring.key(COURIER))
        hook = {"url": "https://93.184.215.14/clearway", "event_types": ["consignment.decided"]}
        with api.step("subscribe, list, read"):
            made = await api.call("POST /v1/webhooks", courier, 201, body=hook)
            assert made.secret.startswith("whsec_")
            listed = await api.call("GET /v1/webhooks", courier, 200)
            assert [w.id for w in listed.items] == [made.id]
            read = await api.call("GET /v1/webhooks/{webhook_id}", courier, 200, webhook_id=made.id)
            assert [str(t) for t in read.event_types] == ["consignment.decided"]
        with api.step("rotate the secret"):
            rotated = await api.call("POST /v1/webhooks/{webhook_id}/secret", courier, 200, webhook_id=made.id)
            assert rotated.secret != made.secret
        with api.step("the delivery log"):
            declared = await declare_with_documents(api, keyring)
            page = await api.call(
                "GET /v1/webhooks/{webhook_id}/deliveries", courier, 200, webhook_id=made.id, state="pending", limit=10
            )
            [delivery] = page.items
            assert str(delivery.state) == "pending" and delivery.attempts == [] and delivery.subject == declared.id
            await api.call(
                "POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redelivery",
                courier,
                409,
                webhook_id=made.id,
                delivery_id=delivery.id,
            )
        with api.step("another operator's is not found"):
            other = api.bearer(keyring.key("op-courier-2"))
            await api.call("GET /v1/webhooks/{webhook_id}", other, 404, webhook_id=made.id)
        with api.step("delete"):
            await api.call("DELETE /v1/webhooks/{webhook_id}", courier, 204, webhook_id=made.id)
            await api.call("GET /v1/webhooks/{webhook_id}", courier, 404, webhook_id=made.id)

    run(generated, service, flow)


def test_the_operators_quality_report(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        courier = api.bearer(keyring.key(COURIER))
        await api.call("POST /v1/consignments", courier, 201, body=consignment())
        with api.step("quality report"):
            await api.call("GET /v1/risk/quality", courier, 200, days=30, period="1d")

    run(generated, service, flow)


def test_an_oauth_token_is_obtained_and_used(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        key_id, secret = credentials.parse_key(keyring.key(COURIER)) or ("", "")
        form = {"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret}
        with api.step("token"):
            token = await api.call("POST /v1/oauth/token", api.public(), 200, body=form)
            assert token.token_type == "Bearer"
            await api.call("POST /v1/consignments", api.bearer(token.access_token), 201, body=consignment())
        with api.step("a wrong secret"):
            # OAuth2's own error body (RFC 6749 5.2), not a Problem: the generated type says which.
            wrong = form | {"client_secret": "x"}
            refused = await api.call("POST /v1/oauth/token", api.public(), 401, error="TokenError", body=wrong)
            assert refused.error == "invalid_client"

    run(generated, service, flow)


def test_each_error_is_a_typed_problem(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        courier = api.bearer(keyring.key(COURIER))
        with api.step("401"):
            await api.call("GET /v1/consignments", api.public(), 401)
            await api.call("GET /v1/consignments", api.bearer("cw_unknown_secret"), 401)
        with api.step("403"):
            # An operator may not use the administrators' routes, nor customs'.
            await api.call("GET /v1/admin/people", courier, 403)
            await api.call("GET /v1/customs/consignments/{consignment_id}", courier, 403, consignment_id="0" * 32)
        with api.step("404"):
            await api.call("GET /v1/consignments/{consignment_id}", courier, 404, consignment_id="0" * 32)
        with api.step("409"):
            await api.call("POST /v1/consignments", courier, 201, body=consignment("MSG-409"))
            different = consignment("MSG-409")
            different["items"][0]["description"] = "Men's cotton shirt"
            await api.call("POST /v1/consignments", courier, 409, body=different)
        with api.step("413"):
            huge = consignment("MSG-413")
            huge["items"][0]["description"] = "x" * (service.settings.max_record_bytes + 1)
            await api.call("POST /v1/consignments", courier, 413, body=huge)
        with api.step("415"):
            retyped = api.bearer(keyring.key(COURIER), content_type="text/plain")
            await api.call("POST /v1/consignments", retyped, 415, body=consignment("MSG-415"))
        with api.step("422 on a body"):
            bad = QUOTE | {"items": [QUOTE["items"][0] | {"quantity": "0"}]}
            refused = await api.call("POST /v1/quotes", api.public(), 422, body=bad)
            assert [error.pointer for error in refused.errors] == ["/items/0/quantity"]
        with api.step("422 on a parameter"):
            await api.call("GET /v1/consignments", courier, 422, limit=0)

    run(generated, service, flow)


# -- the people's flows --------------------------------------------------------------------------


def test_an_administrators_flow(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        admin = await api.person(service, "root", Role.ADMIN)
        shop = {
            "id": "op-seller-7",
            "name": "Example Shop",
            "kind": "seller",
            "country": "DE",
            "contact_email": "it@shop.example",
        }
        with api.step("onboard and list operators"):
            onboarded = await api.call("POST /v1/admin/operators", admin, 201, body=shop)
            assert onboarded.status == "active"
            listed = await api.call("GET /v1/admin/operators", admin, 200)
            assert "op-seller-7" in {operator.id for operator in listed.items}
        with api.step("suspend and activate"):
            suspended = await api.call(
                "POST /v1/admin/operators/{operator_id}/suspension", admin, 200, operator_id="op-seller-7"
            )
            assert suspended.status == "suspended"
            active = await api.call(
                "POST /v1/admin/operators/{operator_id}/activation", admin, 200, operator_id="op-seller-7"
            )
            assert active.status == "active"
        with api.step("issue, list, rotate and revoke keys"):
            issued = await api.call(
                "POST /v1/admin/operators/{operator_id}/keys",
                admin,
                201,
                operator_id="op-seller-7",
                body={"valid_days": 30},
            )
            await api.call("GET /v1/consignments", api.bearer(issued.api_key), 200)
            keys = await api.call("GET /v1/admin/operators/{operator_id}/keys", admin, 200, operator_id="op-seller-7")
            assert [key.key_id for key in keys.items] == [issued.key_id]
            rotated = await api.call("POST /v1/admin/keys/{key_id}/rotation", admin, 201, key_id=issued.key_id)
            await api.call("POST /v1/admin/keys/{key_id}/revocation", admin, 204, key_id=rotated.key_id)
            await api.call("GET /v1/consignments", api.bearer(rotated.api_key), 401)
        with api.step("create and list people"):
            person = {"username": "olga", "display_name": "Olga", "role": "officer", "password": PASSWORD}
            created = await api.call("POST /v1/admin/people", admin, 201, body=person)
            assert created.role == "officer"
            people = await api.call("GET /v1/admin/people", admin, 200)
            assert {"root", "olga"} <= {p.username for p in people.items}
        with api.step("disable, enable, reset a password, end sessions"):
            disabled = await api.call("POST /v1/admin/people/{username}/disable", admin, 200, username="olga")
            assert disabled.disabled
            await api.call("POST /v1/admin/people/{username}/enable", admin, 200, username="olga")
            await api.call(
                "POST /v1/admin/people/{username}/password",
                admin,
                200,
                username="olga",
                body={"password": "another long enough phrase"},
            )
            await api.call("DELETE /v1/admin/people/{username}/sessions", admin, 200, username="olga")
        with api.step("trust tier"):
            tier = {"party": "operator", "key": COURIER, "tier": "trusted"}
            set_tier = await api.call("PUT /v1/admin/trust", admin, 200, body=tier)
            assert set_tier.tier == "trusted"
        with api.step("security events"):
            await api.call("GET /v1/admin/security-events", admin, 200)
        with api.step("change one's own password"):
            change = {"current_password": PASSWORD, "new_password": "a new long enough phrase"}
            await api.call("POST /v1/me/password", admin, 200, body=change)

    run(generated, service, flow)


def test_an_officers_flow(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        declared, order, payment = held_documents("MSG-HELD")
        await api.call("POST /v1/orders", api.bearer(keyring.key(PLATFORM)), 201, body=order)
        await api.call("POST /v1/payments", api.bearer(keyring.key(PSP)), 201, body=payment)
        await api.call("POST /v1/waybills", api.bearer(keyring.key(POST)), 201, body=fixture_json("waybill.json"))
        held = await api.call("POST /v1/consignments", api.bearer(keyring.key(COURIER)), 201, body=declared)
        assert held.state == "held", held
        officer = await api.person(service, "olga", Role.OFFICER)
        where = {"consignment_id": held.id}
        with api.step("read"):
            view = await api.call("GET /v1/customs/consignments/{consignment_id}", officer, 200, **where)
            assert view.state == "held"
        with api.step("inspect, record the outcome, release"):
            step = {"target": "inspected", "reason": "opened: one silk blouse, two wool blouses, as declared"}
            inspected = await api.call(
                "POST /v1/customs/consignments/{consignment_id}/control", officer, 200, body=step, **where
            )
            assert inspected.state == "inspected"
            recorded = await api.call(
                "POST /v1/customs/consignments/{consignment_id}/outcome",
                officer,
                200,
                body={"outcome": "compliant", "note": "as declared"},
                **where,
            )
            assert recorded.outcome == "compliant"
            released = await api.call(
                "POST /v1/customs/consignments/{consignment_id}/control",
                officer,
                200,
                body={"target": "released", "reason": "compliant"},
                **where,
            )
            assert released.state == "released"
        with api.step("a step out of order"):
            wrong = {"target": "held", "reason": "too late"}
            await api.call("POST /v1/customs/consignments/{consignment_id}/control", officer, 409, body=wrong, **where)
        with api.step("key figures and quality"):
            await api.call("GET /v1/stats/kpis", officer, 200)
            await api.call("GET /v1/risk/quality", officer, 200)

    run(generated, service, flow)


def test_an_analysts_flow(generated: Generated, service: Clearway, keyring: Keyring) -> None:
    async def flow(api: Api) -> None:
        declared, order, payment = held_documents("MSG-HELD")
        await api.call("POST /v1/orders", api.bearer(keyring.key(PLATFORM)), 201, body=order)
        await api.call("POST /v1/payments", api.bearer(keyring.key(PSP)), 201, body=payment)
        await api.call("POST /v1/waybills", api.bearer(keyring.key(POST)), 201, body=fixture_json("waybill.json"))
        held = await api.call("POST /v1/consignments", api.bearer(keyring.key(COURIER)), 201, body=declared)
        analyst = await api.person(service, "ana", Role.ANALYST)
        with api.step("a pseudonymised view"):
            view = await api.call("GET /v1/customs/consignments/{consignment_id}", analyst, 200, consignment_id=held.id)
            assert view.declaration.parties.buyer.name.startswith("psn:")
        with api.step("the rule catalogue and a rule's history"):
            catalogue = await api.call("GET /v1/risk/rules", analyst, 200)
            assert catalogue.rules
            await api.call("GET /v1/risk/rules/{name}", analyst, 200, name=catalogue.rules[0].name)
        with api.step("change and retire a rule"):
            rule = {
                "description": "Parcels from a watched origin.",
                "jurisdictions": ["*"],
                "valid_from": "2024-01-01",
                "weight": 10,
                "legal_basis": "UCC Art. 46",
                "when": {"all": [{"field": "origin", "eq": "KP"}, {"not": {"field": "nature", "eq": "gift"}}]},
            }
            changed = await api.call(
                "PUT /v1/risk/rules/{name}",
                analyst,
                200,
                name="watched_origin",
                body={"rule": rule, "reason": "a new intelligence report"},
            )
            assert (changed.name, changed.version) == ("watched_origin", 1)
            await api.call(
                "POST /v1/risk/rules/{name}/retirement",
                analyst,
                200,
                name="watched_origin",
                body={"reason": "the report was withdrawn"},
            )
        with api.step("the model (none installed in the tests)"):
            await api.call("GET /v1/risk/model", analyst, 404)
            await api.call("GET /v1/risk/model/drift", analyst, 404, days=7)
        with api.step("statistics"):
            await api.call("GET /v1/stats/kpis", analyst, 200)
            await api.call("GET /v1/stats/series", analyst, 200, by="origin", period="day", metric="consignments")
            await api.call("GET /v1/stats/breakdown", analyst, 200, by="lane")
            await api.call("GET /v1/stats/export", analyst, 200, download=True, format_="csv")
        with api.step("statements"):
            await api.call("GET /v1/statements/schemes", analyst, 200, month="2026-11")
            await api.call("GET /v1/statements/intermediaries", analyst, 200, month="2026-11")

    run(generated, service, flow)
