"""Hostile input against the real application.

schemathesis generates requests from the whole OpenAPI document (valid ones and, in its negative
mode, invalid ones) and checks that none is a server error and that every response matches what
the document says: its status code, its content type and its body's schema. On top of that, a
request the API refuses (any 4xx) must leave the database exactly as it was.

A state machine then chains requests along the document's links, from real submissions, each
scenario on a store put back to the same rows (see test_linked_requests_behave_as_documented).

The runs are bounded (``max_examples``, no deadline) and derandomized, so CI replays the same
requests every time for the same code (Hypothesis also draws literals found in the project's own
modules: editing them or importing others changes what is generated, not whether it repeats).
Hand-written hostile requests follow at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, rule
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, NegativeDataRejectionConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.errors import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from stdnum.iso7064 import mod_11_10

from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.api.rate_limit import EXEMPT_PATHS, RateLimit, TokenBuckets, default_key
from clearway.app.platform import Clearway
from clearway.audit.denials import SUBJECT as SECURITY
from clearway.clearance.errors import Conflict
from clearway.dataset.identifiers import COUNTRIES, s10_check_digit
from clearway.settings import Settings
from clearway.store import append_only
from clearway.store.tables import audit_log, metadata
from tests.api.conftest import headers
from tests.conftest import NO_MODEL, fixture_json

# Every check schemathesis has. The stateful ones (use_after_free, ensure_resource_availability)
# act in the state-machine test below, where one request follows another through the links.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    use_after_free,
    ensure_resource_availability,
]
# ignored_auth's own request goes out through schemathesis' network client, which cannot reach an
# in-process app: the test below makes the same check in process (``refused_without_credentials``),
# and tests/api/test_security_contract.py sends every operation each kind of credential.
# A batch answers each record on its own (200, the bad record rejected in the answer, the rest kept):
# a body with one invalid record is accepted as a whole by design, which "negative data must be
# refused" cannot know. Whole-body refusals (not an array, not lines of JSON) are tested below.
BATCH_OPERATIONS = {f"POST /v1/{kind}/batch" for kind in ("consignments", "orders", "payments", "waybills")}
# POST /v1/classifications answers each item on its own the same way (a bad item gets its errors, the
# others their codes); its envelope's refusals (top, unknown fields, 1,001 items, an unknown
# jurisdiction) are tested in tests/api/test_classifications_api.py.
BATCH_OPERATIONS |= {"POST /v1/classifications"}
BATCH_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]


def not_covered_by_loaded_data(response: Any) -> bool:
    """A quote refused only because the loaded data do not cover it: no exchange rate for its currency
    on its day, or no duty rules in force on that day, or a postcode in a territory no jurisdiction
    assesses (Heligoland 27498, Ceuta 51xxx). The document cannot list these (rates arrive daily, per
    pair; rules by period; territories by postcode), so the answer is 422 on /currency, /as_of or
    /destination_postcode."""
    if response.status_code != 422:
        return False
    errors = response.json().get("errors", [])
    return bool(errors) and all(
        (e["pointer"] == "/currency" and e["detail"].startswith("no exchange rate"))
        or (e["pointer"] == "/as_of" and "in force on" in e["detail"])
        or (e["pointer"] == "/destination_postcode" and e["detail"].startswith("no import is assessed in"))
        for e in errors
    )


def checks_for(case: schemathesis.Case[Any], response: Any) -> list[Any]:
    """The checks that apply to this answer (see BATCH_CHECKS and not_covered_by_loaded_data)."""
    checks = BATCH_CHECKS if case.operation.label in BATCH_OPERATIONS else CHECKS
    if case.operation.label == "POST /v1/quotes" and not_covered_by_loaded_data(response):
        checks = [check for check in checks if check is not positive_data_acceptance]
    if case.operation.label in SERVER_RULES or backwards_window(case):
        checks = [check for check in checks if check is not positive_data_acceptance]
    return checks


# Rules the server checks that JSON Schema cannot state, so a document-valid body may still be a
# 422 naming the field: a new password's strength beyond its length (distinct characters, not a
# common password nor the username), a targeting rule's body, which the rule compiler checks
# against the pack format of docs/rules.md, and a webhook's URL, which must be https to a host that
# resolves to public addresses only (docs/webhooks.md); a partner's alert envelope, which must come
# from a registered partner and verify with its key, a partner's keys, which must be 32 bytes once
# decoded, and an export's period, which must not end before it starts (docs/alerts.md).
SERVER_RULES = {
    "POST /v1/admin/people",
    "POST /v1/admin/people/{username}/password",
    "POST /v1/me/password",
    "PUT /v1/risk/rules/{name}",
    "POST /v1/webhooks",
    "POST /v1/alerts/import",
    "GET /v1/alerts/export",
    "PUT /v1/admin/alerts/partners/{code}",
}


def backwards_window(case: schemathesis.Case[Any]) -> bool:
    """A statistics window that ends before it starts (422): a rule between two query parameters."""
    query = case.query or {}
    start, end = query.get("from"), query.get("to")
    return isinstance(start, str) and isinstance(end, str) and start > end


EXAMPLES_PER_OPERATION = 25


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows in every table, in one query; the audit chain's security entries aside, since a refused
    request is recorded there (api/security_events.py), and so is a failed attempt (a wrong current
    password: app/access/sign_in.py), within the same budget, and counted for the throttle
    (sign_in_failures): a refused attempt is meant to leave that trace. So is its caller's rate-limit
    bucket on PostgreSQL (rate_limit_buckets): a refused request spends the caller's allowance too."""
    refused = sa.and_(
        audit_log.c.subject != SECURITY,
        sa.not_(audit_log.c.action.like("%failed")),
        sa.not_(audit_log.c.action.like("%throttled")),
    )
    counts = [
        sa.select(sa.literal(t.name).label("t"), sa.func.count().label("n"))
        .select_from(t)
        .where(*([refused] if t is audit_log else []))
        for t in metadata.sorted_tables
        if t.name not in ("sign_in_failures", "rate_limit_buckets")
    ]
    with engine.connect() as conn:
        return {name: int(n) for name, n in conn.execute(sa.union_all(*counts))}


class StoredRows:
    """Row counts, read again only after a request that may have changed them (half the queries)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.known: dict[str, int] | None = None

    def before(self) -> dict[str, int]:
        if self.known is None:
            self.known = row_counts(self.engine)
        return self.known

    def after(self) -> dict[str, int]:
        self.known = row_counts(self.engine)
        return self.known

    def forget(self) -> None:
        self.known = None


def _openapi_document() -> dict[str, Any]:
    """The application's OpenAPI document, from an app on an unused in-memory database."""
    svc = Clearway(Settings(database_url="sqlite://", model_dir=NO_MODEL, hs_model_dir=NO_MODEL))
    try:
        document: dict[str, Any] = create_app(svc.settings, svc, sweep=False).openapi()
    finally:
        svc.close()
    return document


# Operations are listed when the module is collected; the requests go to ``fuzzed_app``, built per
# test on the clean test database (schemathesis' fixture-loaded schemas do not work with pytest 9.2).
schema = schemathesis.openapi.from_dict(_openapi_document())
# Not the coverage phase: its boundary values skip the anyOf branches that tie a transport document
# to its type (records.SCHEMA_RULES) and the body filters below, so it sends declarations the document
# itself calls invalid as if they were valid. The fuzzing phase follows both.
schema.config.phases.coverage.enabled = False
# A body over the endpoint's size limit is refused before it is read, with the documented 413.
schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
    expected_statuses=[*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, 413]
)


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def ndjson(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """The batch bodies: documented as a string of lines; anything else (negative mode) as JSON text."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list):
        return b"\n".join(json.dumps(v).encode() for v in value)
    return json.dumps(value).encode()


# The formats the document names for identifiers with check digits, so that generated data is valid.
_LETTER = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# German VAT numbers (ISO 7064 MOD 11,10 check digit): one country is enough to be valid data.
schemathesis.openapi.format(
    "vat-number",
    st.integers(10_000_000, 99_999_999).map(lambda body: f"DE{body}{mod_11_10.calc_check_digit(str(body))}"),
)
schemathesis.openapi.format(
    "upu-s10",
    st.tuples(_LETTER, _LETTER, st.integers(0, 99_999_999), st.sampled_from(sorted(COUNTRIES))).map(
        lambda t: f"{t[0]}{t[1]}{t[2]:08d}{s10_check_digit(f'{t[2]:08d}')}{t[3]}"
    ),
)


def _whole_floats(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_whole_floats(v) for v in value.values())
    if isinstance(value, list):
        return any(_whole_floats(v) for v in value)
    return False


@schema.hook
def filter_body(ctx: schemathesis.HookContext, body: Any) -> bool:
    """Two rules JSON Schema cannot state, so generated bodies that break them are not sent:

    * items' line numbers are distinct (uniqueItems compares whole items); the server refuses a
      repeated one with a pointer to it (tests/dataset/test_decode.py);
    * a whole number is written as one: JSON Schema counts 763.0 as an integer, the API reads
      numbers as written and refuses a fraction or exponent (int fields through msgspec, amounts
      with a message saying to send text).
    """
    if _whole_floats(body):
        return False
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return True
    lines = [item.get("line") for item in items if isinstance(item, dict) and isinstance(item.get("line"), int)]
    return len(lines) == len(set(lines))


# The fuzzer sends thousands of requests as one caller: a rate limit (tested on its own, below and in
# test_rate_limit.py) would answer most of them 429 and hide the rest of the API. (The filter only
# spares the settings of before the limit was wired; it can become a plain keyword argument.)
NO_RATE_LIMIT: dict[str, Any] = {f.name: 0 for f in dataclasses.fields(Settings) if f.name == "rate_limit_per_second"}


def app_to_fuzz(service: Clearway) -> FastAPI:
    # What the server's startup does (schemathesis calls the app without running its lifespan).
    service.risk.ensure_default_rules()
    return create_app(dataclasses.replace(service.settings, **NO_RATE_LIMIT), service, sweep=False)


def requires_credentials(case: schemathesis.Case[Any]) -> bool:
    """Whether the document says the operation needs credentials (``security: []`` is public)."""
    security = case.operation.definition.raw.get("security")
    return bool(security) and all(requirement for requirement in security)


def refused_without_credentials(case: schemathesis.Case[Any], app: FastAPI) -> None:
    """ignored_auth, in process: what was accepted with credentials is a 401 without them."""
    again = case.call(app=app)
    assert again.status_code == 401, f"{case.operation.label} answered {again.status_code} without credentials"


@pytest.fixture
def fuzzed_app(service: Clearway, hs_model: str) -> FastAPI:
    # With the HS classifier loaded, so that POST /v1/classifications is fuzzed against the real one
    # (without a model it answers 503, which is no answer to fuzz).
    service.settings = dataclasses.replace(service.settings, hs_model_dir=hs_model)
    return app_to_fuzz(service)


@pytest.fixture
def stored_rows(service: Clearway) -> StoredRows:
    return StoredRows(service.engine)


# Each operation is called with the credentials its document entry names (issue 20: every role's
# routes have their answers checked, not only the operators'): an operator's key where the operation
# takes one, else the session of a person of the first role it admits, with the CSRF header where
# the document asks for it.
FUZZ_PASSWORD = "a long enough fuzzing phrase"
PEOPLE = {role: f"fuzz-{role.value}" for role in (Role.ADMIN, Role.OFFICER, Role.ANALYST, Role.STATISTICIAN)}


@pytest.fixture
def credentials(service: Clearway, fuzzed_app: FastAPI, auth_headers: dict[str, str]) -> dict[str, dict[str, str]]:
    """Headers by role: "operator" and each person's role."""
    found = {"operator": auth_headers}
    with TestClient(fuzzed_app, base_url="https://testserver") as client:
        for role, username in PEOPLE.items():
            with contextlib.suppress(Conflict):  # the database is kept across a module's operations
                service.access.create_person(
                    username=username, display_name=username, role=role, password=FUZZ_PASSWORD, actor="test"
                )
            client.cookies.clear()
            form = client.get("/login")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token is not None
            done = client.post(
                "/login",
                data={"username": username, "password": FUZZ_PASSWORD, "csrf": token.group(1)},
                follow_redirects=False,
            )
            assert done.status_code == 303, done.text
            session = client.cookies["cw_session"]
            signed_in = service.access.session(session)
            assert signed_in is not None
            found[role.value] = {"Cookie": f"cw_session={session}", "X-CSRF-Token": signed_in[1]}
    return found


def credentials_for(case: schemathesis.Case[Any], by_role: dict[str, dict[str, str]]) -> dict[str, str]:
    raw = case.operation.definition.raw
    security: list[dict[str, Any]] = raw.get("security") or []
    if not security or any("operatorKey" in requirement for requirement in security):
        return by_role["operator"]
    role = next(r for r in raw.get("x-roles", ()) if r in by_role)
    return by_role[role]


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    # The database is cleaned once per operation, not per example: examples share it on purpose.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@schema.parametrize()
def test_no_server_error_and_every_response_as_documented(
    case: schemathesis.Case[Any],
    fuzzed_app: FastAPI,
    credentials: dict[str, dict[str, str]],
    stored_rows: StoredRows,
) -> None:
    sent = credentials_for(case, credentials)
    before = stored_rows.before()
    response = case.call(app=fuzzed_app, headers=sent)
    checks = checks_for(case, response)
    # A case made negative by leaving out the session cookie still goes with the signed-in person's
    # cookie (the credentials above): it is not invalid data once sent.
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.COOKIE):
        checks = [check for check in checks if check is not negative_data_rejection]
    case.validate_response(response, checks=checks, headers=sent)
    if response.status_code < 400 and requires_credentials(case):
        refused_without_credentials(case, fuzzed_app)
    if 400 <= response.status_code < 500:
        assert stored_rows.after() == before, f"a refused request ({response.status_code}) changed stored data"
    else:
        stored_rows.forget()


# --- stateful: one request after another, through the document's links ------------------------
# The state machine submits declarations and follows the OpenAPI links (api/responses.py,
# consignment_links) with the ids the API answered: read, amend, cancel or refund that consignment,
# and on from each answer, with every check (use_after_free and ensure_resource_availability need
# exactly these chains) and the stateless test's rule that a refused request changes nothing. Only
# the document's own links are followed: schemathesis' inferred links add nothing an operator may
# call, and the test is about the links clients are promised.
schema.config.phases.stateful.inference.algorithms = []
# Valid requests only: the stateless test above sends invalid data to every operation, and in a
# scenario an invalid step ends the chain it was meant to extend (schemathesis draws the mode per step,
# and Hypothesis' bias to small numbers made most amendments invalid).
schema.config.phases.stateful.generation.modes = [schemathesis.GenerationMode.POSITIVE]

STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 6
# Generated declarations are almost never valid (check digits, codes, dates that agree), and
# schemathesis does not start scenarios at POST /v1/consignments (its heuristics see the body's
# tax_scheme_id as a reference to a resource nothing produces). So the machine gets one more rule:
# submit one of a few real declarations, so that sending one again is a duplicate; its answer feeds
# the links like any other. An amendment of such a consignment sends the same declaration with
# another weight.
PARCELS = 3
SUBMIT = "POST /v1/consignments"
AMEND = "POST /v1/consignments/{consignment_id}/amendments"
_BUYERS = ("Anna Schmidt", "Berta Keller", "Clara Wolf")
_SELLERS = ("Shenzhen Bright Trading Co., Ltd", "Yiwu Harbour Goods Co., Ltd", "Ningbo Lantern Crafts Co., Ltd")


def parcel_declaration(data: dict[str, Any], parcel: int, weight: str = "0.50") -> dict[str, Any]:
    """The fixture's declaration as parcel ``parcel`` of a scenario: its own reference, transport
    document, buyer, seller, order and payment, so that the parcels of one scenario are not one
    buyer's parcels of the day (aggregated) or one order's (linked) either."""
    parties = data["parties"]
    buyer = _BUYERS[parcel]
    return dict(
        data,
        reference=f"MSG-P{parcel}",
        parties=dict(
            parties,
            buyer=dict(parties["buyer"], name=buyer, email=f"{buyer.split()[0].lower()}@example.org"),
            seller=dict(parties["seller"], name=_SELLERS[parcel]),
        ),
        transaction=dict(data["transaction"], order_number=f"SW-10020030{parcel}", payment_id=f"PAY-77889{parcel}"),
        logistics=dict(
            data["logistics"],
            transport_document=f"CW-P{parcel}",
            document_type="house_waybill",
            gross_weight_kg=weight,
        ),
    )


class StoredBaseline:
    """Every row of every table at one moment, to put the store back to exactly that (here the rows
    of a started server with one operator and its key: two dozen)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        with engine.connect() as conn:
            self.rows: dict[sa.Table, list[dict[str, Any]]] = {
                t: [dict(r._mapping) for r in conn.execute(sa.select(t))] for t in metadata.sorted_tables
            }

    def restore(self) -> None:
        with self.engine.begin() as conn:
            append_only.drop(conn, append_only.TABLES)  # the audit log refuses deletes (test fixtures lift that too)
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
            for table in metadata.sorted_tables:
                if self.rows[table]:
                    conn.execute(table.insert(), self.rows[table])
            append_only.create(conn, append_only.TABLES)


@pytest.mark.slow
def test_linked_requests_behave_as_documented(
    service: Clearway, auth_headers: dict[str, str], consignment_data: dict[str, Any]
) -> None:
    """Scenarios of linked requests, each independent of every other.

    Hypothesis builds a scenario's later steps from its earlier answers (a link is followed from a
    status code that offers it) and, while it generates, runs prefixes of earlier scenarios again; an
    answer that differs the second time stops the run with FlakyStrategyDefinition. So what a step
    answers must follow from its own scenario's requests alone:

    * every scenario starts from the same stored rows (the default rules, the operator and its key),
      put back before it: what an earlier scenario stored (the buyers' parcels of the day, references
      and transport documents already declared, the quota ledger, the audit chain) is gone;
    * every scenario gets an app of its own (group committer, security-event counts) and the service
      forgets what it loaded from stored data (``reload``: rules, lists, rates, registrations); the
      service itself is shared, its reference data loaded once (a service per scenario would cost a
      quarter of a second, reading the jurisdiction files again; the restore costs milliseconds);
    * the declarations are fixed, neither drawn nor numbered across scenarios, so a prefix run again
      sends the very same requests: Hypothesis chooses which parcel is sent when, and schemathesis
      what the linked steps send.
    """
    app_to_fuzz(service)  # seeds the default rules: part of the baseline, as in a started server
    baseline = StoredBaseline(service.engine)
    answered: list[tuple[str, int]] = []
    machine = schema.as_state_machine()

    class Linked(machine):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            baseline.restore()
            service.revenue.reload()
            service.risk.reload()
            self.app = app_to_fuzz(service)
            self.stored = StoredRows(service.engine)
            self.parcel_of: dict[str, int] = {}  # consignment id -> the parcel its declaration is
            self.amendments = 0

        @rule(target=Bundle("catch_all"), parcel=st.integers(0, PARCELS - 1))
        def submit_a_real_declaration(self, parcel: int) -> StepOutput:
            body = parcel_declaration(consignment_data, parcel)
            case = schema["/v1/consignments"]["POST"].Case(body=body, media_type="application/json")
            self.recorder.record_case(case=case)
            output: StepOutput = self.step(StepInput.initial(case))
            if output.response.status_code in (200, 201):
                self.parcel_of[output.response.json()["id"]] = parcel
            return output

        def before_call(self, case: schemathesis.Case[Any]) -> None:
            self.rows = self.stored.before()
            if case.operation.label == AMEND:
                parcel = self.parcel_of.get(str((case.path_parameters or {}).get("consignment_id")))
                if parcel is not None:
                    # Counted in the scenario, so that a prefix run again amends to the same weights:
                    # an amendment to the weight the parcel already has is a duplicate (200), which
                    # feeds other links than a new version (201). Counted across scenarios, as it was
                    # once, this alone made the run flaky.
                    self.amendments += 1
                    case.body = parcel_declaration(consignment_data, parcel, weight=f"0.{self.amendments % 9 + 1}0")

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"app": self.app, "headers": auth_headers}

        def after_call(self, response: Any, case: schemathesis.Case[Any]) -> None:
            super().after_call(response, case)
            answered.append((case.operation.label, response.status_code))

        def validate_response(
            self, response: Any, case: schemathesis.Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            checks = checks_for(case, response)
            case.validate_response(response, checks=checks, headers=auth_headers, recorder=self.recorder)
            if 400 <= response.status_code < 500:
                assert self.stored.after() == self.rows, f"a refused request ({response.status_code}) changed data"
            else:
                self.stored.forget()

    # Scenarios start from the real submission alone: schemathesis' own roots here are a cancellation
    # and a refund of a made-up id, which only ever answer 404 (the stateless test sends those) and
    # would take most of the steps.
    for name in machine.root_rules:
        setattr(Linked, name, None)
    # Schemathesis' settings for state machines (generation only, no deadline, no health checks),
    # derandomized like the stateless test: the same scenarios in every run.
    Linked.run(
        settings=settings(
            Linked.TestCase.settings,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
        )
    )
    # The links were followed: stored consignments were read back, amended and cancelled.
    reached = {label: {code for other, code in answered if other == label} for label, _ in answered}
    assert {200, 201} <= reached[SUBMIT], reached
    assert 200 in reached["GET /v1/consignments/{consignment_id}"], reached
    assert 201 in reached[AMEND], reached
    assert 200 in reached["POST /v1/consignments/{consignment_id}/cancellation"], reached


# --- real traffic, validated against the same document -----------------------------------------


# Generated bodies are valid JSON Schema but almost never valid declarations (check digits, codes,
# dates that agree), so the fuzzer rarely stores anything and never reads a full dossier back. These
# known-good requests cover the success responses, the richest schemas, with the same checks.
def test_success_responses_match_the_document(
    fuzzed_app: FastAPI, auth_headers: dict[str, str], consignment_data: dict[str, Any]
) -> None:
    def call(method: str, path: str, status: int, **case: Any) -> Any:
        if "body" in case:
            case.setdefault("media_type", "application/json")
        response = (
            schema[path][method].Case(**case).call_and_validate(app=fuzzed_app, headers=auth_headers, checks=CHECKS)
        )
        assert response.status_code == status, (method, path, response.text[:500])
        return response.json()

    created = call("POST", "/v1/consignments", 201, body=consignment_data)
    assert call("POST", "/v1/consignments", 200, body=consignment_data)["status"] == "duplicate"
    one = {"consignment_id": created["id"]}
    assert call("GET", "/v1/consignments/{consignment_id}", 200, path_parameters=one)["state"] == "awaiting_documents"

    # Three more parcels, each its own transport document (one parcel, one declaration).
    lines = [
        json.dumps(
            dict(
                consignment_data,
                reference=f"MSG-B{n}",
                logistics=dict(
                    consignment_data["logistics"], transport_document=f"CW-B{n}", document_type="house_waybill"
                ),
            )
        )
        for n in range(3)
    ] + ["{", "[]"]
    batch = call("POST", "/v1/consignments/batch", 200, body="\n".join(lines), media_type="application/x-ndjson")
    assert (batch["accepted"], batch["rejected"]) == (3, 2)
    page = call("GET", "/v1/consignments", 200, query={"limit": 2})
    assert len(page["items"]) == 2 and page["next_cursor"]
    call(
        "GET", "/v1/consignments", 200, query={"limit": 2, "cursor": page["next_cursor"], "state": "awaiting_documents"}
    )

    other = {"consignment_id": batch["results"][0]["id"]}
    amended = dict(consignment_data, reference="MSG-B0")
    amended["logistics"] = dict(
        amended["logistics"], transport_document="CW-B0", document_type="house_waybill", gross_weight_kg="0.50"
    )
    assert call("POST", "/v1/consignments/{consignment_id}/amendments", 201, path_parameters=other, body=amended)
    cancel = {"reason": "buyer cancelled"}
    path = "/v1/consignments/{consignment_id}/cancellation"
    assert call("POST", path, 200, path_parameters=other, body=cancel)["state"] == "cancelled"
    assert call("POST", path, 409, path_parameters=other, body=cancel)["status"] == 409

    for kind in ("order", "payment", "waybill"):
        call("POST", f"/v1/{kind}s", 201, body=fixture_json(f"{kind}.json"))
        call("POST", f"/v1/{kind}s/batch", 200, body="{}\n", media_type="application/x-ndjson")
    view = call("GET", "/v1/consignments/{consignment_id}", 200, path_parameters=one)
    assert view["state"] == "released" and set(view["documents"]) == {"order", "payment", "waybill"}
    assert view["link"] and view["assessment"] and len(view["history"]) >= 3 and "decision" not in view
    assert call("GET", "/v1/health", 200)["status"] == "ok"


# --- statuses the fuzzer can only stumble on --------------------------------------------------------


def test_an_oversized_cancellation_is_a_documented_413(fuzzed_app: FastAPI, auth_headers: dict[str, str]) -> None:
    operation = schema["/v1/consignments/{consignment_id}/cancellation"]["POST"]
    case = operation.Case(
        path_parameters={"consignment_id": "0" * 32}, body={"reason": "x" * 5000}, media_type="application/json"
    )
    assert case.call_and_validate(app=fuzzed_app, headers=auth_headers, checks=CHECKS).status_code == 413


def test_rate_limited_answers_are_documented(fuzzed_app: FastAPI, auth_headers: dict[str, str]) -> None:
    """Every limited operation may answer 429; the document must say so (and what the body is)."""
    buckets = TokenBuckets(rate_per_second=1e-6, burst=1)
    caller = {"headers": [(k.lower().encode(), v.encode()) for k, v in auth_headers.items()], "client": None}
    buckets.take(default_key(caller), time.monotonic())  # the caller's only token is spent
    # Public routes count per client address (the test client's), whatever the credentials say.
    buckets.take(default_key({**caller, "path": "/v1/quotes", "client": ("testclient", 50000)}), time.monotonic())
    limited = RateLimit(fuzzed_app, buckets)
    refused = []
    for result in schema.get_all_operations():
        # An operation schemathesis cannot read (Err, no ok()) fails the test here, as it should.
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path in EXEMPT_PATHS:
            continue
        params = dict.fromkeys(re.findall(r"{(\w+)}", operation.path), "0" * 32)
        case = operation.Case(path_parameters=params)
        response = case.call(app=limited, headers=auth_headers)
        assert response.status_code == 429, operation.label
        try:
            case.validate_response(response, checks=CHECKS, headers=auth_headers)
        except FailureGroup as group:
            refused.append(f"{operation.label}: {'; '.join(type(e).__name__ for e in group.exceptions)}")
    assert not refused, "429 is not documented for:\n" + "\n".join(refused)


def test_a_wrong_method_is_a_405_naming_every_method_of_the_path(client: TestClient) -> None:
    # /v1/consignments is two routes (GET, POST): Starlette's own Allow would name only the first.
    r = client.delete("/v1/consignments", headers=headers())
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["allow"] == "GET, POST"
    assert client.put("/v1/health").headers["allow"] == "GET"


def test_only_well_formed_ids_route_to_a_consignment(client: TestClient) -> None:
    # "batch" is no consignment id (32 lowercase hex digits), so GET /v1/consignments/batch is the
    # batch resource's 405, not a lookup of a consignment called "batch".
    batch = client.get("/v1/consignments/batch", headers=headers())
    assert batch.status_code == 405 and batch.headers["allow"] == "POST"
    # A well-formed id nobody sent is the route's own 404; a malformed one matches no route.
    unknown = client.get(f"/v1/consignments/{'0' * 32}", headers=headers())
    assert unknown.status_code == 404 and unknown.json()["detail"] == f"no consignment '{'0' * 32}'"
    for malformed in ("0" * 31, "0" * 33, "A" * 32, "MSG-0001"):
        r = client.get(f"/v1/consignments/{malformed}", headers=headers())
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", malformed
        assert r.json()["detail"] == "Not Found", malformed
    parameter = schema["/v1/consignments/{consignment_id}"]["GET"].path_parameters.get("consignment_id")
    assert parameter is not None and parameter.definition["schema"]["pattern"] == "^[0-9a-f]{32}$"


# --- hand-written hostile requests ---------------------------------------------------------------


def hostile_requests(consignment: dict[str, Any], max_lines: int) -> list[tuple[str, str, bytes, int]]:
    """(path, content type, body, expected status) of requests that must all be refused."""
    good = json.dumps(consignment).encode()
    ndjson = "application/x-ndjson"
    return [
        ("/v1/consignments", "application/json", b"{" * (1024 * 1024 + 1), 413),
        ("/v1/consignments", "application/json", good + b" " * (1024 * 1024), 413),
        ("/v1/consignments/batch", ndjson, b"\n".join([good] * (max_lines + 1)), 413),
        ("/v1/consignments", "text/plain", good, 415),
        ("/v1/consignments", "application/xml", b"<consignment/>", 415),
        ("/v1/consignments/batch", "application/json", good, 422),  # one object, not the array
        ("/v1/consignments/batch", "text/plain", good, 415),
        ("/v1/consignments", ndjson, good, 415),
        ("/v1/consignments", "application/json", good[:-1], 422),
        ("/v1/consignments", "application/json", b'{"reference": "\\ud800"}', 422),
        ("/v1/consignments", "application/json", b"[" * 100_000, 422),
        ("/v1/consignments", "application/json", b"\xff\xfe" + good, 422),
        ("/v1/consignments", "application/json", good.replace(b'"DE"', b'"DE", "DE"'), 422),
        ("/v1/orders", "application/json", b"null", 422),
        ("/v1/consignments/0123456789abcdef0123456789abcdef/amendments", "application/json", good, 404),
        ("/v1/consignments/../../etc/passwd/cancellation", "application/json", b'{"reason": "x"}', 404),
    ]


def test_hostile_requests_are_refused_and_change_no_stored_data(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    other = dict(consignment_data, reference="MSG-EXISTING")
    assert client.post("/v1/consignments", content=json.dumps(other), headers=headers()).status_code == 201
    before = row_counts(service.engine)
    assert before["consignments"] == 1
    for path, content_type, body, expected in hostile_requests(consignment_data, service.settings.max_batch_lines):
        r = client.post(path, content=body, headers=headers(content_type=content_type))
        assert r.status_code == expected, (path, content_type, body[:60], r.status_code, r.text[:300])
        assert r.headers["content-type"] == "application/problem+json", (path, body[:60])
        assert row_counts(service.engine) == before, (path, content_type, body[:60])
    good = json.dumps(consignment_data).encode()
    for credentials in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic b3A6cHc="}):
        r = client.post("/v1/consignments", content=good, headers={"Content-Type": "application/json", **credentials})
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json", credentials
        assert row_counts(service.engine) == before, credentials


def test_a_conflicting_resubmission_changes_no_stored_data(
    client: TestClient, service: Clearway, consignment_data: dict[str, Any]
) -> None:
    assert client.post("/v1/consignments", content=json.dumps(consignment_data), headers=headers()).status_code == 201
    before = row_counts(service.engine)
    consignment_data["destination_country"] = "FR"
    clash = client.post("/v1/consignments", content=json.dumps(consignment_data), headers=headers())
    assert clash.status_code == 409
    assert row_counts(service.engine) == before
