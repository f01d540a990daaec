"""Operators, keys, tokens, people and sessions on the real store, and their audit events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from clearway.access import credentials, throttle
from clearway.access.roles import Role
from clearway.app.platform import Clearway
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.store.tables import api_keys, audit_log, people, sessions, sign_in_failures
from tests.access.clock import set_clock

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


PASSWORD = "a long enough phrase"


def person(service: Clearway, username: str = "olga", role: Role = Role.OFFICER) -> None:
    service.access.create_person(
        username=username, display_name=f"{username.title()} Person", role=role, password=PASSWORD, actor=ADMIN
    )


def audit_rows(service: Clearway) -> list[dict[str, object]]:
    with service.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).mappings().all()
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]


def test_people_sign_in_and_new_passwords_are_checked(service: Clearway) -> None:
    person(service)
    for password, username, role in [
        ("short", "weak", Role.OFFICER),
        ("Summer2024!!!", "common", Role.OFFICER),
        ("my name is Olga2, hi", "olga2", Role.OFFICER),
        ("x" * 20, "bot", Role.OPERATOR),
    ]:
        with pytest.raises(InvalidRecord):
            service.access.create_person(username=username, display_name="W", role=role, password=password, actor=ADMIN)
    outcome, token, _ = service.access.login("olga", PASSWORD)
    assert outcome == "ok" and token is not None
    found = service.access.session(token)
    assert found is not None and found[0].role is Role.OFFICER and len(found[1]) > 30
    with service.engine.connect() as conn:
        stored = conn.execute(sa.select(people.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "long enough" not in stored
    service.access.logout(token)
    assert service.access.session(token) is None
    assert [a for a, _ in actions(service)] == ["person.created", "login.succeeded", "session.ended"]
    assert service.verify_audit().ok


def test_failures_throttle_alike_for_real_and_unknown_accounts_and_never_lock(service: Clearway) -> None:
    clock = set_clock(service)
    person(service)
    for username in ("olga", "nobody"):
        answers = [service.access.login(username, "wrong password", address="10.0.0.1") for _ in range(5)]
        assert answers == [("invalid", None, 0)] * 5
        # Even the right password waits there: the attempt is not checked at all.
        assert service.access.login(username, PASSWORD, address="10.0.0.1") == ("throttled", None, 10)
    # Those failures were made at 10.0.0.1: the person at another address does not wait.
    assert service.access.login("olga", PASSWORD, address="10.0.0.2").outcome == "ok"
    clock.advance(seconds=10)
    outcome, token, _ = service.access.login("olga", PASSWORD, address="10.0.0.1")
    assert outcome == "ok" and token is not None
    # A success starts the pair's count again.
    assert service.access.login("olga", "wrong password", address="10.0.0.1")[0] == "invalid"
    events = [(r["action"], r["subject"], r["detail"]) for r in audit_rows(service)]
    assert ("login.failed", "olga", {"reason": "password"}) in events
    assert ("login.failed", "unknown", {"reason": "unknown"}) in events
    assert ("login.throttled", "olga", {"scope": "pair", "wait_seconds": 10}) in events
    assert ("login.throttled", "unknown", {"scope": "pair", "wait_seconds": 10}) in events
    assert service.verify_audit().ok


def test_an_address_spraying_many_usernames_is_throttled(service: Clearway) -> None:
    set_clock(service)
    for n in range(20):
        assert service.access.login(f"user{n}", "wrong password", address="203.0.113.9")[0] == "invalid"
    assert service.access.login("fresh-name", "wrong password", address="203.0.113.9")[0] == "throttled"
    assert service.access.login("fresh-name", "wrong password", address="203.0.113.10")[0] == "invalid"


def test_an_ipv6_address_is_counted_with_its_64(service: Clearway) -> None:
    set_clock(service)
    for n in range(20):
        assert service.access.login(f"user{n}", "wrong password", address=f"2001:db8:0:7::{n:x}")[0] == "invalid"
    assert service.access.login("fresh-name", "wrong password", address="2001:db8:0:7::ffff")[0] == "throttled"
    assert service.access.login("fresh-name", "wrong password", address="2001:db8:0:8::1")[0] == "invalid"


def test_guessing_from_many_addresses_meets_the_accounts_ceiling(
    service: Clearway, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = set_clock(service)
    person(service)
    # The real ceiling is 100 (tests/access/test_throttle.py); 12 shows the same at a tenth of the hashing.
    monkeypatch.setattr(throttle, "ACCOUNT", dataclasses.replace(throttle.ACCOUNT, free_failures=12))
    for n in range(12):
        assert service.access.login("olga", "wrong password", address=f"198.51.100.{n % 4}").outcome == "invalid"
    # Past the ceiling every address waits, the person's own included: the documented trade-off.
    assert service.access.login("olga", PASSWORD, address="192.0.2.1") == ("throttled", None, 10)
    assert service.access.login("nobody", "wrong password", address="192.0.2.1").outcome == "invalid"
    clock.advance(seconds=10)
    assert service.access.login("olga", PASSWORD, address="192.0.2.1").outcome == "ok"
    # A success takes back only its own attempt: the guesses still count towards the ceiling.
    clock.advance(seconds=10)
    assert service.access.login("olga", "wrong password", address="198.51.100.9").outcome == "invalid"
    assert service.access.login("olga", PASSWORD, address="192.0.2.1") == ("throttled", None, 20)
    throttled = [r["detail"] for r in audit_rows(service) if r["action"] == "login.throttled"]
    assert throttled == [{"scope": "account", "wait_seconds": 10}, {"scope": "account", "wait_seconds": 20}]


def test_counts_start_again_after_an_hour_without_failures(service: Clearway) -> None:
    clock = set_clock(service)
    person(service)
    for _ in range(5):
        service.access.login("olga", "wrong password", address="10.0.0.1")
    clock.advance(minutes=59, seconds=59)
    assert service.access.login("olga", "wrong password", address="10.0.0.1").outcome == "invalid"
    # Counted on top of the five: the sixth failure doubles the wait.
    assert service.access.login("olga", PASSWORD, address="10.0.0.1") == ("throttled", None, 20)
    clock.advance(hours=1)
    for _ in range(4):
        assert service.access.login("olga", "wrong password", address="10.0.0.1").outcome == "invalid"
    assert service.access.login("olga", PASSWORD, address="10.0.0.1").outcome == "ok"
    with service.engine.connect() as conn:
        rows = conn.execute(sa.select(sign_in_failures)).mappings().all()
    # Keys are HMACs (no username, no address); the address's count holds the 4 of this hour
    # (and not the success); the pair's was cleared by it.
    assert all(len(r["key"]) == 64 and "olga" not in r["key"] for r in rows)
    assert sorted(r["failures"] for r in rows) == [4, 4]


def test_sessions_end_when_idle_and_last_use_is_written_once_a_minute(service: Clearway) -> None:
    clock = set_clock(service)
    person(service)
    start = clock.now
    token = service.access.login("olga", PASSWORD).token or ""

    def last_seen() -> object:
        with service.engine.connect() as conn:
            return conn.execute(sa.select(sessions.c.last_seen_at)).scalar_one()

    clock.advance(seconds=59)
    assert service.access.session(token) is not None and last_seen() == start  # no write yet
    clock.advance(seconds=1)
    assert service.access.session(token) is not None and last_seen() == clock.now
    clock.advance(minutes=29, seconds=59)
    assert service.access.session(token) is not None
    clock.advance(minutes=30)
    assert service.access.session(token) is None
    # In use every 20 minutes, a session still ends 8 hours after sign-in.
    clock.advance(hours=1)
    token = service.access.login("olga", PASSWORD).token or ""
    for _ in range(23):
        clock.advance(minutes=20)
        assert service.access.session(token) is not None
    clock.advance(minutes=20)
    assert service.access.session(token) is None


def test_disabling_resetting_and_ending_sessions(service: Clearway) -> None:
    person(service, "root", Role.ADMIN)
    person(service)
    first = service.access.login("olga", PASSWORD).token or ""
    second = service.access.login("olga", PASSWORD).token or ""
    service.access.set_disabled("olga", True, actor=ADMIN)
    assert service.access.session(first) is None and service.access.session(second) is None
    assert service.access.login("olga", PASSWORD).outcome == "invalid"
    service.access.set_disabled("olga", False, actor=ADMIN)
    token = service.access.login("olga", PASSWORD).token or ""
    assert service.access.end_sessions("olga", actor=ADMIN) == 1 and service.access.session(token) is None
    with pytest.raises(Conflict):  # nobody could administer the platform any more
        service.access.set_disabled("root", True, actor=ADMIN)
    with pytest.raises(NotFound):
        service.access.set_disabled("ghost", True, actor=ADMIN)
    with pytest.raises(InvalidRecord):
        service.access.reset_password("olga", "password1234", actor=ADMIN)
    token = service.access.login("olga", PASSWORD).token or ""
    assert service.access.reset_password("olga", "another fine phrase", actor=ADMIN) == 1
    assert service.access.session(token) is None
    assert service.access.login("olga", PASSWORD).outcome == "invalid"
    assert service.access.login("olga", "another fine phrase").outcome == "ok"
    listed = service.access.people()
    assert [p["username"] for p in listed] == ["olga", "root"] and all("password_hash" not in p for p in listed)


def test_a_password_change_ends_the_other_sessions(service: Clearway) -> None:
    person(service)
    here = service.access.login("olga", PASSWORD).token or ""
    elsewhere = service.access.login("olga", PASSWORD).token or ""
    with pytest.raises(InvalidRecord) as wrong:
        service.access.change_password(here, "not my password", "another fine phrase")
    assert wrong.value.errors[0].pointer == "/current_password"
    with pytest.raises(InvalidRecord) as weak:
        service.access.change_password(here, PASSWORD, "qwerty123456")
    assert weak.value.errors[0].pointer == "/new_password"
    assert service.access.change_password(here, PASSWORD, "another fine phrase") == 1
    assert service.access.session(here) is not None and service.access.session(elsewhere) is None
    assert service.access.login("olga", "another fine phrase").outcome == "ok"


def test_people_events_hold_codes_and_ids_only(service: Clearway) -> None:
    person(service, "root", Role.ADMIN)
    person(service)
    token = service.access.login("olga", PASSWORD).token or ""
    service.access.change_password(token, PASSWORD, "another fine phrase")
    service.access.reset_password("olga", "a third fine phrase", actor=ADMIN)
    service.access.end_sessions("olga", actor=ADMIN)
    service.access.set_disabled("olga", True, actor=ADMIN)
    service.access.set_disabled("olga", False, actor=ADMIN)
    service.access.login("nobody", "wrong password")
    rows = audit_rows(service)
    assert [r["action"] for r in rows][3:] == [
        "person.password_changed",
        "person.password_reset",
        "sessions.ended",
        "person.disabled",
        "person.enabled",
        "login.failed",
    ]
    text = json.dumps([r["detail"] for r in rows])
    assert "Olga" not in text and "phrase" not in text and "nobody" not in text
    for row in rows:
        assert all(isinstance(v, int) or (isinstance(v, str) and v.isidentifier()) for v in row["detail"].values())
    assert service.verify_audit().ok
