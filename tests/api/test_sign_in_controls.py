"""Issue #22, people and sign-in: each attack of the outside review, replayed through the app.

- Five wrong passwords from anyone locked a real account (then even the right password was
  refused), and the answer ("locked") and its timing told real usernames from unknown ones.
- People could not be disabled, have their password reset or their sessions ended.
- A signed-in person could not change their own password; a change left other sessions valid.
- Sessions had no idle timeout; sign-out with a wrong CSRF field left the session valid.

The security review of the throttling that replaced the lockout, replayed the same way:

- A stranger failing once each time the account's wait ended kept a real person out (the right
  password got 429), and two or three addresses got round the per-address limit.
- An administrator's password reset did not clear the throttle of a username with capitals.
- Two server processes counting the same first failure collided on the primary key (a 500 on
  PostgreSQL) or overwrote each other's count.
- Every failed or throttled sign-in wrote an audit entry, however many: an attacker at many
  addresses could grow the append-only chain without limit.
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from clearway.access import throttle
from clearway.access.roles import Role
from clearway.api.app import create_app
from clearway.app.access import sign_in as people_access
from clearway.app.platform import Clearway
from clearway.audit.denials import DenialThrottle
from clearway.store.access_repo import SqlAccessStore
from clearway.store.tables import audit_log, sign_in_failures
from tests.access.clock import Clock, set_clock
from tests.api.conftest import headers
from tests.api.documented import assert_documented

PASSWORD = "a long enough phrase"
NEW_PASSWORD = "a brand new phrase"


def create(service: Clearway, username: str, role: Role = Role.OFFICER) -> None:
    service.access.create_person(
        username=username, display_name=f"{username.title()} Person", role=role, password=PASSWORD, actor="test"
    )


def post_login(client: TestClient, username: str, password: str) -> Any:
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, "expected the login form's csrf"
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf.group(1)}, follow_redirects=False
    )


def signed_in(client: TestClient, service: Clearway, username: str) -> str:
    """Sign in through the form; the session's CSRF token (for the API's X-CSRF-Token)."""
    done = post_login(client, username, PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/"
    found = service.access.session(client.cookies["cw_session"])
    assert found is not None, "expected a session"
    return found[1]


def another_client(client: TestClient, address: str = "testclient") -> TestClient:
    """A browser of its own (its own cookies), at ``address``."""
    return TestClient(client.app, base_url="https://testserver", client=(address, 50000))


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value=""', page)


def actions(service: Clearway) -> list[tuple[str, str, str]]:
    with service.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).mappings().all()
    return [(r["action"], r["subject"], r["detail"]) for r in rows]


@pytest.fixture
def clock(service: Clearway) -> Clock:
    return set_clock(service)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The password hashes each sign-in verified against (the real argon2 check still runs)."""
    seen: list[str] = []
    real: Callable[[str, str], bool] = people_access.password_matches

    def counting(password: str, stored: str) -> bool:
        seen.append(stored)
        return real(password, stored)

    monkeypatch.setattr(people_access, "password_matches", counting)
    return seen


def test_wrong_passwords_throttle_alike_and_never_lock_a_real_account(
    client: TestClient, service: Clearway, clock: Clock
) -> None:
    create(service, "olga")
    answers = {}
    for username in ("olga", "ghost"):
        for _ in range(5):
            wrong = post_login(client, username, "not the password")
            assert (wrong.status_code, wrong.headers["location"]) == (303, "/login?error=invalid")
        # The sixth attempt waits, even with the right password; nothing says the account exists.
        answers[username] = post_login(client, username, PASSWORD)
    real, unknown = answers["olga"], answers["ghost"]
    assert real.status_code == unknown.status_code == 429
    assert real.headers["retry-after"] == unknown.headers["retry-after"] == "10"
    assert without_tokens(real.text) == without_tokens(unknown.text) and "wait 10 seconds" in real.text
    assert "cw_session" not in client.cookies
    # After the wait the right password works: no lockout.
    clock.advance(seconds=10)
    done = post_login(client, "olga", PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert client.get("/queue").status_code == 200
    throttled = [(action, subject) for action, subject, _ in actions(service) if action == "login.throttled"]
    assert throttled == [("login.throttled", "olga"), ("login.throttled", "unknown")]


def test_every_failure_answers_alike_and_costs_one_hash(
    client: TestClient, service: Clearway, clock: Clock, hashes: list[str]
) -> None:
    create(service, "olga")
    create(service, "dora")
    service.access.set_disabled("dora", True, actor="test")
    hashes.clear()
    answers = {
        "unknown user": post_login(client, "ghost", PASSWORD),
        "wrong password": post_login(client, "olga", "not the password"),
        "disabled person": post_login(client, "dora", PASSWORD),
    }
    assert {(r.status_code, r.headers["location"], r.text) for r in answers.values()} == {
        (303, "/login?error=invalid", "")
    }
    assert len(hashes) == 3 and len(set(hashes)) == 2  # unknown and disabled: the one dummy hash
    for _ in range(4):
        post_login(client, "olga", "not the password")
    hashes.clear()
    assert post_login(client, "olga", PASSWORD).status_code == 429
    assert len(hashes) == 1  # a throttled attempt costs the same argon2 check, against the dummy

    def seconds(username: str) -> float:
        started = time.perf_counter()
        post_login(client, username, "not the password")
        return time.perf_counter() - started

    # Unknown and real usernames take as long (3 ms against 100 ms before): medians of three,
    # on different accounts so that none is throttled, within a generous factor for shared CI.
    unknown = statistics.median(seconds(f"ghost{n}") for n in range(3))
    disabled = statistics.median(seconds("dora") for _ in range(3))
    create(service, "rita")
    wrong = statistics.median(seconds("rita") for _ in range(3))
    assert 1 / 3 < unknown / wrong < 3 and 1 / 3 < disabled / wrong < 3


def test_a_disabled_persons_sessions_stop_at_once(client: TestClient, service: Clearway) -> None:
    create(service, "root", Role.ADMIN)
    create(service, "olga")
    officer = another_client(client)
    signed_in(officer, service, "olga")
    assert officer.get("/queue").status_code == 200
    csrf = signed_in(client, service, "root")
    assert client.post("/v1/admin/people/olga/disable").status_code == 403  # no CSRF token
    disabled = client.post("/v1/admin/people/olga/disable", headers={"X-CSRF-Token": csrf})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert "display_name" in disabled.json() and "password_hash" not in disabled.json()
    page = officer.get("/queue", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert post_login(officer, "olga", PASSWORD).headers["location"] == "/login?error=invalid"
    enabled = client.post("/v1/admin/people/olga/enable", headers={"X-CSRF-Token": csrf})
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert post_login(officer, "olga", PASSWORD).headers["location"] == "/"
    last_admin = client.post("/v1/admin/people/root/disable", headers={"X-CSRF-Token": csrf})
    assert last_admin.status_code == 409
    assert client.post("/v1/admin/people/nobody/disable", headers={"X-CSRF-Token": csrf}).status_code == 404
    events = [(a, s, d) for a, s, d in actions(service) if a.startswith("person.") and a != "person.created"]
    assert events == [
        ("person.disabled", "olga", '{"sessions_ended":1}'),
        ("person.enabled", "olga", "{}"),
    ]


def test_administrators_reset_passwords_and_end_sessions(client: TestClient, service: Clearway) -> None:
    create(service, "root", Role.ADMIN)
    create(service, "olga")
    officer = another_client(client)
    signed_in(officer, service, "olga")
    csrf = signed_in(client, service, "root")
    guarded = {"X-CSRF-Token": csrf}
    listed = assert_documented(client, "GET", "/v1/admin/people", client.get("/v1/admin/people"))
    assert [p["username"] for p in listed["items"]] == ["olga", "root"] and "password_hash" not in str(listed)
    weak = client.post("/v1/admin/people/olga/password", json={"password": "qwerty123456"}, headers=guarded)
    assert weak.status_code == 422 and weak.json()["errors"][0]["pointer"] == "/password"
    named = client.post("/v1/admin/people/olga/password", json={"password": "olga rules the port"}, headers=guarded)
    assert named.status_code == 422 and "username" in named.json()["errors"][0]["detail"]
    reset = client.post("/v1/admin/people/olga/password", json={"password": NEW_PASSWORD}, headers=guarded)
    assert reset.status_code == 200 and reset.json() == {"sessions_ended": 1}
    assert officer.get("/queue", follow_redirects=False).headers["location"] == "/login"
    assert post_login(officer, "olga", NEW_PASSWORD).headers["location"] == "/"
    assert client.delete("/v1/admin/people/olga/sessions").status_code == 403  # no CSRF token
    ended = client.delete("/v1/admin/people/olga/sessions", headers=guarded)
    assert ended.status_code == 200 and ended.json() == {"sessions_ended": 1}
    assert officer.get("/queue", follow_redirects=False).headers["location"] == "/login"
    # Not for other roles.
    assert officer.delete("/v1/admin/people/root/sessions").status_code == 401
    signed_in_officer = another_client(client)
    post_login(signed_in_officer, "olga", NEW_PASSWORD)
    assert signed_in_officer.get("/v1/admin/people").status_code == 403
    events = [(a, s, d) for a, s, d in actions(service) if a in ("person.password_reset", "sessions.ended")]
    assert events == [
        ("person.password_reset", "olga", '{"sessions_ended":1}'),
        ("sessions.ended", "olga", '{"reason":"admin","sessions_ended":1}'),
    ]


def test_sign_out_ends_the_session_whatever_the_csrf_field(client: TestClient, service: Clearway) -> None:
    create(service, "olga")
    signed_in(client, service, "olga")
    cookie = client.cookies["cw_session"]
    out = client.post("/logout", data={"csrf": "wrong"}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert service.access.session(cookie) is None
    # The old cookie, replayed, opens nothing.
    replay = another_client(client)
    replay.cookies.set("cw_session", cookie, domain="testserver.local")
    assert replay.get("/queue", follow_redirects=False).headers["location"] == "/login"
    signed_in(client, service, "olga")
    cookie = client.cookies["cw_session"]
    assert client.post("/logout", follow_redirects=False).status_code == 303  # no field at all
    assert service.access.session(cookie) is None


def test_an_idle_session_ends(client: TestClient, service: Clearway, clock: Clock) -> None:
    create(service, "olga")
    signed_in(client, service, "olga")
    clock.advance(minutes=20)
    assert client.get("/queue").status_code == 200  # in use: the idle clock starts again
    clock.advance(minutes=29)
    assert client.get("/queue").status_code == 200
    clock.advance(minutes=30)
    assert client.get("/queue", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/v1/customs/consignments/" + "0" * 32).status_code == 401


def test_a_person_changes_their_password_and_their_other_sessions_end(client: TestClient, service: Clearway) -> None:
    create(service, "olga")
    elsewhere = another_client(client)
    signed_in(elsewhere, service, "olga")
    csrf = signed_in(client, service, "olga")
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/v1/me/password", json=change).status_code == 403  # no CSRF token
    guarded = {"X-CSRF-Token": csrf}
    wrong = client.post("/v1/me/password", json={**change, "current_password": "not it at all"}, headers=guarded)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["pointer"] == "/current_password"
    common = client.post("/v1/me/password", json={**change, "new_password": "Password1234!"}, headers=guarded)
    assert common.status_code == 422 and common.json()["errors"][0]["pointer"] == "/new_password"
    done = client.post("/v1/me/password", json=change, headers=guarded)
    assert done.status_code == 200 and done.json() == {"sessions_ended": 1}
    assert client.get("/queue").status_code == 200  # this session goes on
    assert elsewhere.get("/queue", follow_redirects=False).headers["location"] == "/login"
    assert post_login(elsewhere, "olga", PASSWORD).headers["location"] == "/login?error=invalid"
    assert post_login(elsewhere, "olga", NEW_PASSWORD).headers["location"] == "/"
    # Operators have no password to change.
    client.cookies.clear()
    assert client.post("/v1/me/password", json=change, headers=headers()).status_code == 403
    changed = [(a, s, d) for a, s, d in actions(service) if a.startswith(("person.password", "password."))]
    assert changed == [
        ("password.change_failed", "olga", '{"reason":"password"}'),
        ("person.password_changed", "olga", '{"sessions_ended":1}'),
    ]


def test_guessing_the_current_password_with_a_stolen_session_is_throttled(
    client: TestClient, service: Clearway, clock: Clock
) -> None:
    create(service, "olga")
    guarded = {"X-CSRF-Token": signed_in(client, service, "olga")}
    guess = {"current_password": "a wrong guess", "new_password": NEW_PASSWORD}
    for _ in range(5):
        assert client.post("/v1/me/password", json=guess, headers=guarded).status_code == 422
    throttled = client.post("/v1/me/password", json={**guess, "current_password": PASSWORD}, headers=guarded)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "10"
    clock.advance(seconds=10)
    ok = client.post("/v1/me/password", json={**guess, "current_password": PASSWORD}, headers=guarded)
    assert ok.status_code == 200


def test_the_password_page(client: TestClient, service: Clearway) -> None:
    create(service, "olga")
    signed_in(client, service, "olga")
    page = client.get("/account/password")
    assert page.status_code == 200 and 'name="new_password"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None, "expected the session's csrf"
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    assert client.post("/account/password", data={**form, "csrf": "forged"}).status_code == 403
    differ = client.post("/account/password", data={**form, "repeat_password": "something else", "csrf": csrf.group(1)})
    assert differ.status_code == 422 and "differ" in differ.text
    done = client.post("/account/password", data={**form, "csrf": csrf.group(1)})
    assert done.status_code == 200 and "Your password is changed" in done.text
    assert service.access.login("olga", NEW_PASSWORD).outcome == "ok"


def test_a_strangers_guesses_do_not_keep_a_person_out(client: TestClient, service: Clearway, clock: Clock) -> None:
    create(service, "olga")
    olga = another_client(client, "192.0.2.10")
    for address in ("198.51.100.7", "198.51.100.8"):
        attacker = another_client(client, address)
        for _ in range(5):
            assert post_login(attacker, "olga", "a guess").headers["location"] == "/login?error=invalid"
        # The old attack: one more wrong guess each time the wait ends keeps the count up.
        for wait in (10, 20):
            assert post_login(attacker, "olga", PASSWORD).status_code == 429
            clock.advance(seconds=wait)
            assert post_login(attacker, "olga", "a guess").headers["location"] == "/login?error=invalid"
        assert post_login(attacker, "olga", PASSWORD).status_code == 429  # the guesser still waits
    # Olga, at her own address, gets in at once: nobody else's failures count against her there.
    done = post_login(olga, "olga", PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/"
    throttled = {detail["scope"] for a, _, detail in parsed(actions(service)) if a == "login.throttled"}
    assert throttled == {"pair"}


def test_guessing_from_many_addresses_is_bounded_by_the_accounts_ceiling(
    client: TestClient, service: Clearway, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(service, "olga")
    # The real ceiling is 100 failures an hour (tests/access/test_throttle.py); 8 shows the same
    # behaviour with a twelfth of the password hashing.
    monkeypatch.setattr(throttle, "ACCOUNT", dataclasses.replace(throttle.ACCOUNT, free_failures=8))
    for n in range(8):
        attacker = another_client(client, f"198.51.100.{n % 4}")
        assert post_login(attacker, "olga", "a guess").headers["location"] == "/login?error=invalid"
    # Two guesses per address were far below their limits; together they reach the account's.
    # Everyone waits then, Olga at her address too: the trade-off docs/security.md states.
    olga = another_client(client, "192.0.2.10")
    refused = post_login(olga, "olga", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
    clock.advance(seconds=10)
    assert post_login(olga, "olga", PASSWORD).headers["location"] == "/"


def test_a_password_reset_clears_the_throttle_of_a_username_with_capitals(
    client: TestClient, service: Clearway, clock: Clock
) -> None:
    create(service, "root", Role.ADMIN)
    create(service, "OlgaK")
    olga = another_client(client, "192.0.2.10")
    for _ in range(5):
        post_login(olga, "OlgaK", "forgot it")
    assert post_login(olga, "OlgaK", PASSWORD).status_code == 429
    guarded = {"X-CSRF-Token": signed_in(client, service, "root")}
    reset = client.post("/v1/admin/people/OlgaK/password", json={"password": NEW_PASSWORD}, headers=guarded)
    assert reset.status_code == 200
    # At once, from the address where she failed, without waiting for the throttle.
    done = post_login(olga, "OlgaK", NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_two_servers_counting_the_same_first_failure_neither_fail_nor_lose_it(
    client: TestClient, service: Clearway, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    if service.engine.dialect.name == "sqlite":
        # One process serves a SQLite file (store/writer_lock.py), and its write lock orders every
        # write. Two services on one file, as here, can race on the audit chain's head (the driver
        # reads it outside the write transaction): a setup the platform refuses, so not tested.
        pytest.skip("PostgreSQL only: SQLite has one serving process (store/writer_lock.py)")
    create(service, "olga")
    # A second server process on the same database: its own service, write lock and application.
    other = Clearway(service.settings, engine=service.engine)
    other.access.clock = clock
    # Until it writes, every read of a count waits for the other server's: both have read the
    # counts (none yet) before either writes one, as two processes racing for a first failure can.
    in_step = threading.Barrier(2, timeout=20)
    writers: set[int] = set()
    read = SqlAccessStore.failures

    def failures_in_step(store: SqlAccessStore, key: str) -> Any:
        found = read(store, key)
        if threading.get_ident() not in writers:
            in_step.wait()
        return found

    def note_writer(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writers.add(threading.get_ident())

    answers: dict[str, object] = {}

    def guess(name: str, browser: TestClient) -> None:
        try:
            answers[name] = post_login(browser, "olga", "a guess").headers["location"]
        except Exception as exc:  # the server's error, raised by the test client
            answers[name] = repr(exc)

    second_app = create_app(other.settings, other, sweep=False)
    with TestClient(second_app, base_url="https://testserver", client=("198.51.100.7", 50000)) as second:
        browsers = {"first": another_client(client, "198.51.100.7"), "second": second}
        monkeypatch.setattr(SqlAccessStore, "failures", failures_in_step)
        sa.event.listen(service.engine, "before_cursor_execute", note_writer)
        try:
            threads = [threading.Thread(target=guess, args=item) for item in browsers.items()]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            sa.event.remove(service.engine, "before_cursor_execute", note_writer)
    assert answers == {"first": "/login?error=invalid", "second": "/login?error=invalid"}
    with service.engine.connect() as conn:
        counted = conn.execute(sa.select(sign_in_failures.c.failures)).scalars().all()
    assert counted == [2, 2, 2]  # the pair, the address and the account: both failures, each


def test_failed_sign_ins_from_many_addresses_write_a_bounded_audit_trail(
    client: TestClient, service: Clearway, clock: Clock
) -> None:
    create(service, "olga")
    # The budget of refused requests, small: 2 entries per address and action a minute, 3 in all.
    service.access.refusals = DenialThrottle(per_key=2, total=3)
    attacker = another_client(client, "198.51.100.7")
    for n in range(4):
        post_login(attacker, f"user{n}", "a guess")
    for address in ("198.51.100.8", "198.51.100.9"):
        post_login(another_client(client, address), "olga", "a guess")
    # A success is written whatever the budget.
    assert post_login(another_client(client, "192.0.2.10"), "olga", PASSWORD).headers["location"] == "/"
    recorded = [a for a, _, _ in actions(service) if a.startswith(("login.", "security."))]
    assert recorded == ["login.failed", "login.failed", "login.failed", "login.succeeded"]
    # Once the minute is over, the next attempt writes how many were only counted.
    clock.advance(seconds=60)
    post_login(attacker, "user9", "a guess")
    summaries = [d for a, _, d in parsed(actions(service)) if a == "security.suppressed"]
    assert sorted((s["address"], s["reason"], s["suppressed"]) for s in summaries) == [
        ("*", "overflow", 1),
        ("198.51.100.7", "login.failed", 2),
    ]
    # And when nobody tries again, the application's sweep writes them.
    for _ in range(3):
        post_login(attacker, "user9", "a guess")
    clock.advance(seconds=60)
    assert service.access.record_suppressed_sign_ins() == 1
    assert service.verify_audit().ok


def parsed(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(action, subject, json.loads(detail)) for action, subject, detail in rows]
