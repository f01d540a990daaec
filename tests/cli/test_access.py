"""`clearway people ...` end to end on the test database: create, list, disable, enable,
reset-password, end-sessions, each audited."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.store.tables import audit_log
from tests.conftest import TEST_SECRET

PASSWORD = "a long enough phrase"


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    return CliRunner()


def people(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["people", *args], input=stdin)
    return result.exit_code, result.output


def test_people_commands(runner: CliRunner, service: Clearway) -> None:
    create = ["create", "olga", "--role", "officer", "--name", "Olga Officer", "--password-stdin"]
    code, out = people(runner, *create, stdin="qwerty123456\n")
    assert code == 1 and "most common passwords" in out
    assert people(runner, *create, stdin=PASSWORD + "\n")[0] == 0
    code, listed = people(runner, "list")
    assert code == 0 and json.loads(listed.splitlines()[-1])["username"] == "olga" and "argon2" not in listed
    token = service.access.login("olga", PASSWORD).token or ""

    code, out = people(runner, "disable", "olga")
    assert code == 0 and "disabled olga" in out
    assert service.access.session(token) is None and service.access.login("olga", PASSWORD).outcome == "invalid"
    assert people(runner, "enable", "olga")[0] == 0
    token = service.access.login("olga", PASSWORD).token or ""

    assert people(runner, "reset-password", "olga", "--password-stdin", stdin="olga-olga-olga-1\n")[0] == 1
    code, out = people(runner, "reset-password", "olga", "--password-stdin", stdin="another fine phrase\n")
    assert code == 0 and "1 session(s) ended" in out
    assert service.access.session(token) is None
    token = service.access.login("olga", "another fine phrase").token or ""
    code, out = people(runner, "end-sessions", "olga")
    assert code == 0 and "1 session(s) of olga ended" in out and service.access.session(token) is None

    code, out = people(runner, "disable", "nobody")
    assert code == 1 and "no person 'nobody'" in out
    with service.engine.connect() as conn:
        audited = [
            (r.actor.split(":")[0], r.action) for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        ]
    assert [a for a in audited if a[0] == "cli"] == [
        ("cli", "person.created"),
        ("cli", "person.disabled"),
        ("cli", "person.enabled"),
        ("cli", "person.password_reset"),
        ("cli", "sessions.ended"),
    ]
