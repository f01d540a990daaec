"""The SQLite file holds personal data: it and its -wal and -shm files are readable by their owner
only, whatever the umask; a file an older version left readable by others is made private."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from clearway.store.engine import create_engine


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The usual umask of a shell (022), under which files are created world-readable."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_something(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS t (x TEXT)"))
            conn.execute(sa.text("INSERT INTO t VALUES ('Anna Schmidt')"))
        with engine.connect() as conn:  # WAL and shared memory exist while a connection is open
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() >= 1
            files = {p.name: mode(p) for p in url_path(url).parent.iterdir()}
    finally:
        engine.dispose()
    assert files == {"clearway.db": 0o600, "clearway.db-wal": 0o600, "clearway.db-shm": 0o600}


def url_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def test_a_new_database_and_its_companions_are_private(tmp_path: Path, lax_umask: None) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'clearway.db'}"
    write_something(url)
    assert (tmp_path / "new").is_dir()


def test_an_existing_world_readable_database_is_made_private(
    tmp_path: Path, lax_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "clearway.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="clearway.store"):
        write_something(f"sqlite:///{database}")
    assert "readable by other users" in caplog.text


def test_a_database_only_its_group_may_read_is_left_as_it_is(tmp_path: Path) -> None:
    database = tmp_path / "clearway.db"
    database.touch()
    database.chmod(0o640)  # a deliberate choice (a backup group, say)
    create_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o640


def test_in_memory_databases_create_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    engine.dispose()
    assert list(tmp_path.iterdir()) == []
