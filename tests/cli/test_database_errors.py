"""Every command against a database that is missing, not migrated, unreachable or behind the code:
one line on standard error naming the fix, exit code 2, never a traceback, nothing left behind.

The commands are found by walking the command tree, so a command added later is held to this too
(its sample input file, if it reads one before opening the database, goes in INPUT_FILES).
"""

from __future__ import annotations

import json
import os
import sqlite3
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner, Result

from clearway.cli.main import app
from clearway.store.migrate import upgrade
from clearway.store.readiness import heads
from tests.conftest import FIXTURES, NO_MODEL, TEST_SECRET

Path_ = tuple[str, ...]


def _leaves(group: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _leaves(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(_leaves(typer.main.get_command(app)))

# Commands that never open the database, and why. Each runs once against a database that does not
# exist, to show that it works without one and leaves no file behind.
DATABASE_FREE: dict[Path_, tuple[list[str], str]] = {
    ("simulate",): (["--count", "10", "--out", "traffic"], "writes generated traffic to files, or posts it to an API"),
    ("screening", "score-pairs"): ([], "scores pairs of names with the matching function alone"),
    ("risk", "evaluate"): (
        ["--simulate", "1000", "--days", "7"],
        "trains and compares in memory on a generated history",
    ),
    ("risk", "replay"): (["--simulate", "1000", "--days", "7"], "replays the learning loop in memory on a history"),
    ("openapi",): (["--out", "openapi.json"], "writes the API's document, which depends on the code alone"),
}
# Tested apart, below.
APART = {
    ("serve",): "would start a server: its refusal at start is tested with uvicorn.run barred",
    ("db", "upgrade"): "is the fix itself: it creates and migrates the database",
    # The HS classifier reads reference files and a model folder, never the database; each trains a
    # model (seconds), so they run once, with a database URL that leads nowhere, in tests/cli/test_hs.py.
    ("hs", "train"): "trains from reference files into a folder: tests/cli/test_hs.py, no database",
    ("hs", "suggest"): "reads NDJSON and a model folder: tests/cli/test_hs.py, no database",
    ("hs", "evaluate"): "trains and measures in memory: tests/cli/test_hs.py, no database",
}
# The input file of each command that reads one before it opens the database: a valid one, so that
# what the command reports is the database and not the file.
CONSIGNMENT = json.dumps(json.loads((FIXTURES / "consignment.json").read_text()))
INPUT_FILES: dict[Path_, tuple[str, str]] = {
    ("quote",): ("quote.json", '{"destination": "CH", "currency": "CHF", "items": []}'),
    ("ingest",): ("consignments.ndjson", CONSIGNMENT + "\n"),
    ("messages", "import"): ("message.xml", '<CEB311Message xmlns="http://www.chinaport.gov.cn/ceb"/>'),
    ("risk", "score"): ("consignments.ndjson", CONSIGNMENT + "\n"),
    ("risk", "import-vague-terms"): ("vague_terms.csv", "gift\n"),
    ("risk", "rule-set"): ("rule.yaml", "name: a_rule\ndescription: A rule.\n"),
    ("tariff", "import"): (
        "schedule.csv",
        "jurisdiction,code,origins,measure_type,duty,start,end,reference\nEU,0406,,third_country,5%,2024-01-01,,R\n",
    ),
    ("revenue", "schemes", "import"): (
        "ioss.csv",
        "scheme,number,holder,start,end\nIOSS,IM3720000015,Shop,2021-07-01,\n",
    ),
    ("revenue", "rates", "import"): (
        "rates.csv",
        "currency,to_currency,start,end,rate\nUSD,EUR,2026-11-01,2026-11-30,0.9\n",
    ),
    ("screening", "import"): ("watch.csv", "list,entry_id,kind,value\nL,1,party,Some Name\n"),
    ("screening", "score-pairs"): ("pairs.csv", "name1,name2\nIvan Petrov,Petrov Ivan\n"),
    ("alerts", "import"): ("envelope.json", '{"format": "clearway-partner-alerts/1", "alerts": []}'),
}
# Values of the other required parameters, by name, where any string would be refused before the
# database is opened; the rest get a dummy id.
VALUES = {
    "party": "operator",
    "tier": "standard",
    "code": "490199",
    "month": "2026-11",
    "by": "origin",
    "role": "officer",
    "reason": "testing",
    "list_name": "L",
    "out": "out.csv",
    "since": "2026-11-01",
    "before": "2020-01",
}
PASSWORD = "correct horse battery staple\n"


def _invocation(path: Path_, command: Any, folder: Path) -> tuple[list[str], str | None]:
    """The command line and standard input that run `command` with every required parameter given."""
    hints = typing.get_type_hints(command.callback)
    args, options = list(path), []
    for param in command.params:
        if param.name is None or not param.required:
            continue
        if param.name != "out" and (hints[param.name] in (Path, list[Path]) or param.name in ("file", "files")):
            assert path in INPUT_FILES, f"give `clearway {' '.join(path)}` a sample input file in INPUT_FILES"
            name, content = INPUT_FILES[path]
            (folder / name).write_text(content, encoding="utf-8")
            value = str(folder / name)
        else:
            value = VALUES.get(param.name, "t-1")
        if param.param_type_name == "argument":
            args.append(value)
        else:
            options += [param.opts[0], value]
    password = any("--password-stdin" in p.opts for p in command.params if p.param_type_name == "option")
    return args + options + (["--password-stdin"] if password else []), PASSWORD if password else None


def _run(args: list[str], url: str, stdin: str | None = None) -> Result:
    env = {
        "CLEARWAY_DATABASE_URL": url,
        "CLEARWAY_SECRET_KEY": TEST_SECRET,
        "CLEARWAY_MODEL_DIR": NO_MODEL,
        "CLEARWAY_HS_MODEL_DIR": NO_MODEL,
    }
    return CliRunner().invoke(app, args, env=env, input=stdin)


def _refused(result: Result, *expected: str) -> str:
    """The one line of a command that did not run; fails the test unless it reads as `expected`."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert result.exit_code == 2, result.output
    assert lines[0].startswith("error: ") and all(e in lines[0] for e in expected), lines[0]
    return lines[0]


def _tables(file: Path) -> set[str]:
    with sqlite3.connect(file) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # commands with default paths (var/...) write nothing into the repository


def _unmigrated(tmp_path: Path) -> Path:
    """An SQLite database with a table of its own and no Clearway schema (made private, as the engine would)."""
    file = tmp_path / "other.db"
    with sqlite3.connect(file) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    os.chmod(file, 0o600)
    return file


# The password must never be printed: the message shows the URL with *** for it.
UNREACHABLE = "postgresql+psycopg://clearway:s3cr3t-pw@127.0.0.1:1/none?connect_timeout=2"
EXPECTED = {
    "missing": ("no database at", "run `clearway db upgrade`", "CLEARWAY_DATABASE_URL"),
    "unmigrated": ("has no Clearway tables", "run `clearway db upgrade`"),
    "unreachable": (
        "cannot open the database at postgresql+psycopg://clearway:***@127.0.0.1:1/none",
        "CLEARWAY_DATABASE_URL",
    ),
}
TOUCHING = sorted(path for path in COMMANDS if path not in DATABASE_FREE and path not in APART)


@pytest.mark.parametrize("database", sorted(EXPECTED))
@pytest.mark.parametrize("path", TOUCHING, ids=" ".join)
def test_a_command_on_a_database_not_ready_says_so_in_one_line(path: Path_, database: str, tmp_path: Path) -> None:
    missing, unmigrated = tmp_path / "nowhere" / "clearway.db", _unmigrated(tmp_path)
    url = {"missing": f"sqlite:///{missing}", "unmigrated": f"sqlite:///{unmigrated}", "unreachable": UNREACHABLE}
    args, stdin = _invocation(path, COMMANDS[path], tmp_path)
    line = _refused(_run(args, url[database], stdin), *EXPECTED[database])
    assert "s3cr3t-pw" not in line
    assert not missing.parent.exists()  # SQLite would have made an empty file had anything opened it
    assert _tables(unmigrated) == {"notes"}  # and nothing ran half-way


def test_the_lists_name_real_commands_and_the_walk_finds_them_all() -> None:
    assert set(DATABASE_FREE) | set(APART) | set(INPUT_FILES) <= set(COMMANDS)
    assert len(TOUCHING) >= 40 and ("quote",) in TOUCHING and ("revenue", "schemes", "import") in TOUCHING


@pytest.mark.parametrize("path", sorted(DATABASE_FREE), ids=" ".join)
def test_database_free_commands_run_without_a_database(path: Path_, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "clearway.db"
    args, stdin = _invocation(path, COMMANDS[path], tmp_path)
    result = _run(args + DATABASE_FREE[path][0], f"sqlite:///{missing}", stdin)
    assert result.exit_code == 0, result.output
    assert not missing.parent.exists()


@pytest.fixture
def barred_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    def run(*_: object, **__: object) -> None:
        raise AssertionError("serve started a server on a database that is not ready")

    monkeypatch.setattr(uvicorn, "run", run)


@pytest.mark.usefixtures("barred_server")
def test_serve_refuses_to_start_on_a_database_not_ready(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "clearway.db"
    _refused(_run(["serve"], f"sqlite:///{missing}"), *EXPECTED["missing"])
    _refused(_run(["serve"], f"sqlite:///{_unmigrated(tmp_path)}"), *EXPECTED["unmigrated"])
    _refused(_run(["serve"], UNREACHABLE), *EXPECTED["unreachable"])
    assert not missing.parent.exists()


def _previous_revision() -> str:
    from alembic.script import ScriptDirectory

    from clearway.store.migrate import alembic_config

    [head] = heads()
    down = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(head).down_revision
    assert isinstance(down, str)
    return down


def test_a_database_behind_the_code_is_upgraded_by_the_command_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clearway.db'}"
    previous = _previous_revision()
    upgrade(url, previous)
    for args in (["operators", "list"], ["stats", "kpis"], ["audit", "verify"]):
        _refused(_run(args, url), f"is at revision {previous}, older than", "run `clearway db upgrade`")
    assert _run(["db", "upgrade"], url).exit_code == 0
    assert _run(["operators", "list"], url).exit_code == 0


def test_a_database_a_newer_version_migrated_is_not_touched(tmp_path: Path) -> None:
    file = tmp_path / "clearway.db"
    url = f"sqlite:///{file}"
    upgrade(url)
    with sqlite3.connect(file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    _refused(_run(["operators", "list"], url), "at revision 9999, which this version of Clearway does not know")
    result = _run(["db", "upgrade"], url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "revision identified by '9999'" in result.output


def test_a_database_error_while_a_command_runs_is_one_line_too(tmp_path: Path) -> None:
    # Ready when the command starts (at head), a table gone all the same: the driver's own first line.
    file = tmp_path / "clearway.db"
    upgrade(f"sqlite:///{file}")
    with sqlite3.connect(file) as conn:
        conn.execute("DROP TABLE watchlist_entries")
    _refused(_run(["screening", "lists"], f"sqlite:///{file}"), "the database refused the command", "watchlist_entries")


def test_db_upgrade_creates_a_missing_database_and_refuses_an_unreachable_one(tmp_path: Path) -> None:
    file = tmp_path / "new" / "clearway.db"
    done = _run(["db", "upgrade"], f"sqlite:///{file}")
    assert done.exit_code == 0, done.output
    assert _run(["operators", "list"], f"sqlite:///{file}").exit_code == 0
    _refused(_run(["db", "upgrade"], UNREACHABLE), *EXPECTED["unreachable"])
    _refused(_run(["db", "upgrade"], "postgres://nobody@127.0.0.1/none"), "CLEARWAY_DATABASE_URL")
