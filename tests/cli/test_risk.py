"""`clearway risk ...`: reference data, the rule catalogue and trust tiers changed from the shell."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from clearway.app.demo import replay
from clearway.app.platform import Clearway
from clearway.cli.main import app
from clearway.cli.risk import released_inputs
from clearway.risk.reference import VagueTerms
from clearway.risk.rules.loader import DEFAULT_PACK
from clearway.simulate import generate
from clearway.store import risk_repo
from clearway.store.tables import consignments

RULE = "declared_value_zero_or_one"


@pytest.fixture
def runner(service: Clearway, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLEARWAY_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CLEARWAY_SECRET_KEY", service.settings.secret_key)
    return CliRunner()


def _default_rule(name: str) -> dict[str, Any]:
    pack = yaml.safe_load(DEFAULT_PACK.read_text(encoding="utf-8"))
    rule: dict[str, Any] = next(r for r in pack["rules"] if r["name"] == name)
    return rule


def _catalogue(runner: CliRunner) -> dict[str, dict[str, Any]]:
    done = runner.invoke(app, ["risk", "rules", "--json"])
    assert done.exit_code == 0, done.output
    return {row["name"]: row for row in json.loads(done.stdout)}


def _text(output: str) -> str:
    return " ".join(output.split())


def test_import_vague_terms_with_patterns(runner: CliRunner, service: Clearway, tmp_path: Path) -> None:
    terms = tmp_path / "vague_terms.csv"
    terms.write_text('gift\n"parts, accessories"\nspare parts, misc\n\n', "utf-8")
    patterns = tmp_path / "vague_terms_patterns.txt"
    patterns.write_text("# one regular expression per line\n^misc\\b\n", "utf-8")
    done = runner.invoke(app, ["risk", "import-vague-terms", str(terms), "--patterns", str(patterns)])
    assert done.exit_code == 0, done.output
    expected = VagueTerms.from_files(terms, patterns)
    assert f"{len(expected.terms):,} vague terms and 1 patterns imported" in _text(done.output)
    with service.engine.connect() as conn:
        assert sorted(risk_repo.terms(conn, "vague_term")) == sorted(expected.terms)
        assert risk_repo.terms(conn, "vague_pattern") == ["^misc\\b"]


def test_import_vague_terms_refuses_a_bad_pattern_or_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    terms = tmp_path / "vague_terms.csv"
    terms.write_text("gift\n", "utf-8")
    patterns = tmp_path / "patterns.txt"
    patterns.write_text("ok\n(unclosed\n", "utf-8")
    done = runner.invoke(app, ["risk", "import-vague-terms", str(terms), "--patterns", str(patterns)])
    assert done.exit_code == 1 and "patterns.txt:2: invalid pattern" in _text(done.output)
    done = runner.invoke(app, ["risk", "import-vague-terms", str(tmp_path / "missing.csv")])
    assert done.exit_code == 1 and "missing.csv" in done.output


def test_learn_prices_from_released_consignments(runner: CliRunner, service: Clearway) -> None:
    done = runner.invoke(app, ["risk", "learn-prices", "--min-samples", "2"])
    assert done.exit_code == 1 and "no released consignments" in done.output
    replay(service, generate(300, seed=3))
    done = runner.invoke(app, ["risk", "learn-prices", "--min-samples", "2"])
    assert done.exit_code == 0, done.output
    found = re.search(r"reference prices for (\d+) subheadings learned from (\d+) released", _text(done.output))
    assert found is not None, done.output
    learned, released = int(found[1]), int(found[2])
    with service.engine.connect() as conn:
        stored = risk_repo.prices(conn)
        states = conn.execute(consignments.select().with_only_columns(consignments.c.state)).scalars().all()
    assert learned > 0 and len(stored) == learned
    assert released == states.count("released") > 0
    assert all(row["samples"] >= 2 for row in stored)


def test_released_inputs_come_newest_first_in_batches(service: Clearway) -> None:
    replay(service, generate(120, seed=5))
    batches = list(released_inputs(service.engine, limit=50, batch=20))
    assert [len(b) for b in batches] == [20, 20, 10]
    with service.engine.connect() as conn:
        released = conn.execute(
            consignments.select()
            .with_only_columns(consignments.c.reference)
            .where(consignments.c.state == "released")
            .order_by(consignments.c.id.desc())
            .limit(50)
        ).scalars()
        assert [i.consignment.reference for b in batches for i in b] == list(released)


def test_rules_lists_the_catalogue(runner: CliRunner) -> None:
    done = runner.invoke(app, ["risk", "rules"])
    assert done.exit_code == 0, done.output
    line = next(line for line in done.stdout.splitlines() if line.startswith(RULE))
    assert "v1  active  weight=35  lane=yellow  hits=0" in line and "hit_rate=-" in line
    row = _catalogue(runner)[RULE]
    assert (row["version"], row["status"], row["weight"], row["outcome"]["lane"]) == (1, "active", 35, "yellow")
    assert {"hits", "inspections", "findings", "hit_rate", "description"} <= set(row)


def test_rule_set_adds_a_version(runner: CliRunner, tmp_path: Path) -> None:
    rule = {**_default_rule(RULE), "weight": 45}
    file = tmp_path / "rule.yaml"
    file.write_text(yaml.safe_dump(rule, sort_keys=False), "utf-8")
    assert "valid_from: 2024-01-01\n" in file.read_text()  # an unquoted YAML date, as in a pack
    done = runner.invoke(app, ["risk", "rule-set", str(file), "--reason", "placeholders rose in November"])
    assert done.exit_code == 0, done.output
    assert f"rule {RULE} is now at version 2" in done.output
    row = _catalogue(runner)[RULE]
    assert (row["version"], row["weight"], row["reason"]) == (2, 45, "placeholders rose in November")
    assert row["changed_by"].startswith("cli:")
    listing = runner.invoke(app, ["risk", "rules"]).stdout
    assert any(line.startswith(f"{RULE}  v2  active  weight=45") for line in listing.splitlines())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{change: weight}\n", "the rule is not valid"),
        (yaml.safe_dump({**_default_rule(RULE), "weight": 0.5}), "weight"),
        (yaml.safe_dump({**_default_rule(RULE), "description": "no capital, no stop"}), "description"),
        ("- a list\n", "expected one rule"),
        ("name: [unclosed\n", "not YAML"),
        ("name: pack\nversion: 1\nrules: []\n", "holds a pack"),
    ],
)
def test_an_invalid_rule_exits_1_with_the_fault(runner: CliRunner, tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "rule.yaml"
    file.write_text(text, "utf-8")
    done = runner.invoke(app, ["risk", "rule-set", str(file), "--reason", "try"])
    assert done.exit_code == 1, done.output
    assert message in _text(done.output)
    assert _catalogue(runner)[RULE]["version"] == 1


def test_rule_set_needs_a_reason(runner: CliRunner, tmp_path: Path) -> None:
    file = tmp_path / "rule.yaml"
    file.write_text(yaml.safe_dump(_default_rule(RULE)), "utf-8")
    assert runner.invoke(app, ["risk", "rule-set", str(file)]).exit_code == 2
    assert runner.invoke(app, ["risk", "rule-set", str(file), "--reason", "  "]).exit_code == 2


def test_rule_retire(runner: CliRunner) -> None:
    # RiskService.retire_rule does not seed the default pack itself: list the catalogue first, as an analyst would.
    assert _catalogue(runner)[RULE]["status"] == "active"
    done = runner.invoke(app, ["risk", "rule-retire", RULE, "--reason", "replaced by a price check"])
    assert done.exit_code == 0, done.output
    assert f"rule {RULE} retired (version 2)" in done.output
    assert _catalogue(runner)[RULE]["status"] == "retired"
    again = runner.invoke(app, ["risk", "rule-retire", RULE, "--reason", "twice"])
    assert again.exit_code == 1 and "already retired" in again.output
    unknown = runner.invoke(app, ["risk", "rule-retire", "no_such_rule", "--reason", "x"])
    assert unknown.exit_code == 1 and "no rule 'no_such_rule'" in unknown.output


def test_trust(runner: CliRunner, service: Clearway) -> None:
    done = runner.invoke(app, ["risk", "trust", "operator", "op-courier-1", "aeo"])
    assert done.exit_code == 0, done.output
    assert "operator op-courier-1: trust tier aeo" in done.output
    assert runner.invoke(app, ["risk", "trust", "seller", "seller-9", "new"]).exit_code == 0
    with service.engine.connect() as conn:
        assert risk_repo.trust(conn) == {("operator", "op-courier-1"): "aeo", ("seller", "seller-9"): "new"}
    bad_tier = runner.invoke(app, ["risk", "trust", "operator", "op-courier-1", "gold"])
    assert bad_tier.exit_code == 1 and "unknown trust tier" in bad_tier.output and "aeo" in bad_tier.output
    assert runner.invoke(app, ["risk", "trust", "buyer", "b-1", "aeo"]).exit_code == 2
