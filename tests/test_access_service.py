"""Operators, keys, tokens, people and sessions on the real store, and their audit events."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from clearway.access import credentials
from clearway.access.roles import Role
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.service import Clearway
from clearway.store.tables import api_keys, audit_log, people

ADMIN = "person:root"


def onboard(service: Clearway, operator_id: str = "op-market-1") -> None:
    service.access.onboard(
        operator_id=operator_id,
        name="Market One",
        kind="marketplace",
        country="IE",
        contact_email="ops@market.example",
        actor=ADMIN,
    )


def secret_of(api_key: str) -> str:
    parsed = credentials.parse_key(api_key)
    assert parsed is not None, "expected a parsed"
    return parsed[1]


def actions(service: Clearway) -> list[tuple[str, str]]:
    with service.engine.connect() as conn:
        return [(r.action, r.subject) for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))]


def test_onboarding_validates_and_refuses_duplicates(service: Clearway) -> None:
    onboard(service)
    with pytest.raises(Conflict):
        onboard(service)
    with pytest.raises(InvalidRecord) as exc:
        service.access.onboard(
            operator_id="Bad Id", name="x", kind="spaceship", country="XX", contact_email="nope", eori="1", actor=ADMIN
        )
    assert {e.pointer for e in exc.value.errors} == {"/id", "/kind", "/country", "/contact_email", "/eori"}


def test_keys_are_shown_once_stored_hashed_and_work_until_revoked(service: Clearway) -> None:
    onboard(service)
    issued, expires = service.access.issue_key("op-market-1", actor=ADMIN)
    assert expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=300)
    with service.engine.connect() as conn:
        stored = conn.execute(sa.select(api_keys)).mappings().one()
    assert issued.plaintext not in json.dumps({k: str(v) for k, v in stored.items()})
    principal = service.access.authenticate_key(issued.plaintext)
    assert principal is not None and principal.id == "op-market-1" and principal.role is Role.OPERATOR
    assert service.access.authenticate_key(issued.plaintext[:-1] + "x") is None
    service.access.revoke_key(issued.key_id, actor=ADMIN)
    assert service.access.authenticate_key(issued.plaintext) is None
    with pytest.raises(NotFound):
        service.access.revoke_key(issued.key_id, actor=ADMIN)
    assert ("key.issued", "op-market-1") in actions(service) and ("key.revoked", "op-market-1") in actions(service)


def test_expired_keys_and_rotation(service: Clearway) -> None:
    onboard(service)
    old, _ = service.access.issue_key(
        "op-market-1", actor=ADMIN, now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), valid_days=1
    )
    assert service.access.authenticate_key(old.plaintext) is None  # expired long ago
    current, _ = service.access.issue_key("op-market-1", actor=ADMIN)
    assert service.access.authenticate_key(current.plaintext) is not None
    new, _ = service.access.rotate_key(current.key_id, actor=ADMIN)
    assert service.access.authenticate_key(current.plaintext) is None
    assert service.access.authenticate_key(new.plaintext) is not None


def test_suspension_stops_keys_and_tokens(service: Clearway) -> None:
    onboard(service)
    issued, _ = service.access.issue_key("op-market-1", actor=ADMIN)
    token = service.access.token(issued.key_id, secret_of(issued.plaintext))
    assert token is not None, "expected a token"
    assert service.access.authenticate_token(token) is not None
    assert service.access.authenticate_key(issued.plaintext) is not None
    service.access.set_status("op-market-1", "suspended", actor=ADMIN)
    assert service.access.authenticate_key(issued.plaintext) is None
    assert service.access.authenticate_token(token) is None
    assert service.access.token(issued.key_id, secret_of(issued.plaintext)) is None
    service.access.set_status("op-market-1", "active", actor=ADMIN)
    assert service.access.authenticate_token(token) is not None
    assert service.access.token(issued.key_id, "wrong") is None


def test_people_log_in_and_are_locked_out(service: Clearway) -> None:
    service.access.create_person(
        username="olga", display_name="Olga Officer", role=Role.OFFICER, password="a long enough phrase", actor=ADMIN
    )
    with pytest.raises(InvalidRecord):
        service.access.create_person(
            username="weak", display_name="W", role=Role.OFFICER, password="short", actor=ADMIN
        )
    with pytest.raises(InvalidRecord):
        service.access.create_person(
            username="bot", display_name="B", role=Role.OPERATOR, password="x" * 20, actor=ADMIN
        )
    outcome, token = service.access.login("olga", "a long enough phrase")
    assert outcome == "ok" and token is not None
    found = service.access.session(token)
    assert found is not None and found[0].role is Role.OFFICER and len(found[1]) > 30
    with service.engine.connect() as conn:
        stored = conn.execute(sa.select(people.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "long enough" not in stored
    for _ in range(4):
        assert service.access.login("olga", "wrong password")[0] == "invalid"
    assert service.access.login("olga", "wrong password")[0] == "locked"
    # Even the right password is refused while locked.
    assert service.access.login("olga", "a long enough phrase")[0] == "locked"
    assert service.access.login("nobody", "whatever")[0] == "invalid"
    service.access.logout(token)
    assert service.access.session(token) is None
    audit = [a for a, _ in actions(service)]
    assert audit.count("login.failed") == 6 and "person.locked" in audit and "session.ended" in audit
    assert service.verify_audit().ok
