"""The OpenAPI document through Redocly CLI's `recommended` rules (issue 20): zero errors; the warnings
are printed. The linter is the one make install put in tools/openapi-lint (its lock file pins it);
nothing is downloaded here, and its telemetry and update check are off."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from clearway.api.app import create_app
from clearway.api.contract import for_audiences
from clearway.app.platform import Clearway
from clearway.settings import Settings
from tests.conftest import NO_MODEL, TEST_SECRET

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
REDOCLY = REPO / "tools" / "openapi-lint" / "node_modules" / ".bin" / "redocly"


def test_the_document_passes_the_recommended_lint(tmp_path: Path, engine: sa.Engine, database_url: str) -> None:
    assert REDOCLY.exists(), f"{REDOCLY} is missing: `make install` installs the pinned linter"
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, model_dir=NO_MODEL, hs_model_dir=NO_MODEL)
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


CONVERTER = REPO / "tools" / "openapi-lint" / "node_modules" / ".bin" / "openapi2postmanv2"


def _requests(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if "item" in item:
            yield from _requests(item["item"])
        else:
            yield item["request"]


def test_the_operators_postman_collection_has_every_operation_with_its_credential(
    tmp_path: Path, engine: sa.Engine, database_url: str
) -> None:
    """What `make postman` makes: Postman's own converter on the operator and public part of the document."""
    assert CONVERTER.exists(), f"{CONVERTER} is missing: `make install` installs the pinned converter"
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, model_dir=NO_MODEL, hs_model_dir=NO_MODEL)
    whole = create_app(settings, Clearway(settings, engine=engine), sweep=False).openapi()
    document = for_audiences(whole, {"operators", "public"})
    (tmp_path / "openapi.json").write_bytes(msgspec.json.encode(document))
    done = subprocess.run(
        [str(CONVERTER), "-s", "openapi.json", "-o", "collection.json", "-p", "-O", "folderStrategy=Tags"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    collection = json.loads((tmp_path / "collection.json").read_text())
    assert [folder["name"] for folder in collection["item"]] == ["operators", "public"]
    found = {
        (r["method"].lower(), "/" + "/".join(re.sub(r"^:(.*)$", r"{\1}", p) for p in r["url"]["path"])): r
        for r in _requests(collection["item"])
    }
    wanted = {(method, path): op for path, item in document["paths"].items() for method, op in item.items()}
    assert set(found) == set(wanted)
    assert not any(path.startswith(("/v1/admin", "/v1/customs", "/v1/risk/rules")) for _, path in found)
    for key, request in found.items():
        # An operator's call carries its Bearer key (or token); a public one carries nothing.
        assert (request.get("auth") or {}).get("type") == ("bearer" if wanted[key]["security"] else None), key
