"""The readiness diagnosis on its own: ready is None, anything else one sentence with the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from clearway.store.readiness import problem


def test_the_migrated_test_database_is_ready(database_url: str) -> None:
    assert problem(database_url) is None


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path: Path) -> None:
    file = tmp_path / "clearway.db"
    assert problem(f"sqlite:///{file}") == (
        f"no database at {file}: run `clearway db upgrade` to create it, or check CLEARWAY_DATABASE_URL"
    )
    assert not file.exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "CLEARWAY_DATABASE_URL is not a database URL"),
        ("nosuchdialect://host/db", "cannot use nosuchdialect://host/db"),
        ("postgresql+psycopg2://u:pw@host/db", "PostgreSQL URLs must use psycopg 3"),
    ],
)
def test_urls_that_name_no_usable_database(url: str, expected: str) -> None:
    message = problem(url)
    assert message is not None and expected in message and "CLEARWAY_DATABASE_URL" in message
    assert ":pw@" not in message


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    file = tmp_path / "notes.db"
    file.write_text("not a database")
    os.chmod(file, 0o600)
    assert problem(f"sqlite:///{file}") == (
        f"cannot open the database at sqlite:///{file} (file is not a database): check CLEARWAY_DATABASE_URL"
    )


@pytest.mark.skipif(not os.environ.get("CLEARWAY_TEST_DATABASE_URL"), reason="needs the PostgreSQL test server")
def test_a_database_the_postgresql_server_does_not_have() -> None:
    url = make_url(os.environ["CLEARWAY_TEST_DATABASE_URL"]).set(database="clearway_no_such_database")
    message = problem(url.render_as_string(hide_password=False))
    assert message is not None
    assert message.startswith(f"cannot open the database at {url.render_as_string(hide_password=True)} (")
    assert 'database "clearway_no_such_database" does not exist' in message
    assert message.endswith("check CLEARWAY_DATABASE_URL and that the server is running")


def test_the_connect_timeout_is_bounded_unless_the_operator_chose_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.engine import make_url

    from clearway.store.readiness import CONNECT_TIMEOUT, with_timeout

    url = make_url("postgresql+psycopg://clearway@db.example:5432/clearway")
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    assert with_timeout(url).query["connect_timeout"] == str(CONNECT_TIMEOUT)
    # libpq's own setting, or one in the URL, wins.
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "60")
    assert "connect_timeout" not in with_timeout(url).query
    monkeypatch.delenv("PGCONNECT_TIMEOUT")
    chosen = make_url("postgresql+psycopg://clearway@db.example:5432/clearway?connect_timeout=45")
    assert with_timeout(chosen).query["connect_timeout"] == "45"
    assert with_timeout(make_url("sqlite:///var/clearway.db")).query == {}
