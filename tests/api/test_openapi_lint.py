"""The OpenAPI document through Redocly CLI's `recommended` rules (issue 20): zero errors; the warnings
are printed. The linter is the one make install put in tools/openapi-lint (its lock file pins it);
nothing is downloaded here, and its telemetry and update check are off."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.settings import Settings
from tests.conftest import NO_MODEL, TEST_SECRET

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
REDOCLY = REPO / "tools" / "openapi-lint" / "node_modules" / ".bin" / "redocly"


def test_the_document_passes_the_recommended_lint(tmp_path: Path, engine: sa.Engine, database_url: str) -> None:
    assert REDOCLY.exists(), f"{REDOCLY} is missing: `make install` installs the pinned linter"
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, model_dir=NO_MODEL)
    document = create_app(settings, Clearway(settings, engine=engine), sweep=False).openapi()
    (tmp_path / "openapi.json").write_bytes(msgspec.json.encode(document))
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    done = subprocess.run(
        [str(REDOCLY), "lint", "openapi.json", "--extends=recommended", "--format=json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    report = json.loads(done.stdout)
    problems = report["problems"]
    for problem in problems:
        where = problem["location"][0]["pointer"] if problem["location"] else ""
        print(f"{problem['severity']:5} {problem['ruleId']}: {problem['message']} ({where})")
    counts = Counter((p["severity"], p["ruleId"]) for p in problems)
    print(f"Redocly {report['version']}: {report['totals']}; by rule: {dict(counts)}")
    errors = {rule: n for (severity, rule), n in counts.items() if severity == "error"}
    assert report["totals"]["errors"] == 0, f"{report['totals']['errors']} lint error(s) by rule: {errors}"
