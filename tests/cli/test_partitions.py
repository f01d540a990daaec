"""`clearway db partitions ...` and the purge run by `clearway privacy retention`, end to end."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.dataset.records import Consignment
from clearway.store.privacy_tables import purged_months
from clearway.store.tables import consignments
from tests.conftest import TEST_SECRET
from tests.store.test_purge import make_months

pytestmark = pytest.mark.usefixtures("standard_operators")


@pytest.fixture
def months(service: Clearway, consignment: Consignment, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two months of 2020 (one closed and anonymised, one with an open consignment) and today."""
    return make_months(service, consignment, monkeypatch)


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", TEST_SECRET)
    return CliRunner()


def purged(service: Clearway) -> list[str]:
    with service.engine.connect() as conn:
        return list(conn.execute(sa.select(purged_months.c.month)).scalars())


def count(service: Clearway) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(consignments)).scalar_one())


def test_retention_purges_past_the_second_horizon(
    service: Clearway, months: dict[str, str], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = runner.invoke(app, ["privacy", "retention"])
    assert done.exit_code == 0 and "purged" not in done.output  # off by default
    assert purged(service) == [] and count(service) == 5
    monkeypatch.setenv("CLEARWAY_PURGE_AFTER_MONTHS", "36")
    done = runner.invoke(app, ["privacy", "retention"])
    assert done.exit_code == 0, done.output
    assert "purged 2020-01: 2 consignments" in done.output
    assert "kept 2020-02" in done.output and "1 consignments not closed" in done.output
    assert purged(service) == ["2020-01"] and count(service) == 3
    assert service.verify_audit().ok


def test_a_horizon_inside_the_anonymisation_period_is_refused(
    service: Clearway, months: dict[str, str], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARWAY_PURGE_AFTER_MONTHS", "12")
    done = runner.invoke(app, ["privacy", "retention"])
    assert done.exit_code == 2 and "shorter than the anonymisation period" in done.output
    refused = runner.invoke(app, ["db", "partitions", "drop", "--before", "2026-01", "--yes"])
    assert refused.exit_code == 2 and "inside the anonymisation period" in refused.output
    for bad in ("2020-13", "2020-1", "20-01-2020", "2020-01; DROP TABLE consignments"):
        answer = runner.invoke(app, ["db", "partitions", "drop", "--before", bad, "--yes"])
        assert answer.exit_code == 2 and "YYYY-MM" in answer.output
    assert purged(service) == [] and count(service) == 5


def test_a_short_days_does_not_shorten_the_purge_horizon(
    service: Clearway, months: dict[str, str], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--days anonymises sooner by hand; whole months still wait for the configured (legal) period."""
    monkeypatch.setenv("CLEARWAY_PURGE_AFTER_MONTHS", "1")
    done = runner.invoke(app, ["privacy", "retention", "--days", "30"])
    assert done.exit_code == 2 and "shorter than the anonymisation period" in done.output
    assert purged(service) == [] and count(service) == 5


def test_drop_says_what_would_go_then_purges_what_may(
    service: Clearway, months: dict[str, str], runner: CliRunner
) -> None:
    dry = runner.invoke(app, ["db", "partitions", "drop", "--before", "2020-03"])
    assert dry.exit_code == 0 and "2020-01, 2020-02" in dry.output and "--yes" in dry.output
    assert purged(service) == [] and count(service) == 5
    done = runner.invoke(app, ["db", "partitions", "drop", "--before", "2020-03", "--yes"])
    assert done.exit_code == 1  # February was kept, and named
    assert "purged 2020-01" in done.output and "kept 2020-02" in done.output
    assert purged(service) == ["2020-01"] and count(service) == 3
    listed = runner.invoke(app, ["db", "partitions", "list", "--json"])
    assert listed.exit_code == 0
    lines = [json.loads(line) for line in listed.output.splitlines()]
    assert {"month": "2020-01", "consignments": 2} in [
        {k: line[k] for k in ("month", "consignments")} for line in lines if "purged_at" in line
    ]
    if service.engine.dialect.name == "postgresql":
        assert any(line.get("partition") == "consignments_p202002" and line["consignments"] == 2 for line in lines)


def test_create_is_for_postgresql(service: Clearway, runner: CliRunner) -> None:
    done = runner.invoke(app, ["db", "partitions", "create", "--ahead", "2"])
    if service.engine.dialect.name == "postgresql":
        assert done.exit_code == 0, done.output
        again = runner.invoke(app, ["db", "partitions", "create", "--ahead", "2"])
        assert "every partition asked for exists" in again.output
        assert runner.invoke(app, ["db", "partitions", "create", "--month", "2040-02"]).exit_code == 0
        assert runner.invoke(app, ["db", "partitions", "create", "--month", "Feb"]).exit_code == 2
    else:
        assert done.exit_code == 2 and "PostgreSQL" in done.output


def test_nothing_over_http_can_purge_or_drop(service: Clearway) -> None:
    """The purge is an administrator's command on the server, not an endpoint anyone could reach."""
    api = create_app(service.settings, service, sweep=False)
    paths = [getattr(route, "path", "") for route in api.routes]
    assert paths and not [p for p in paths if "purge" in p or "partition" in p]
