"""The domain core stays pure: no web framework, database or HTTP client in it (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "clearway"
CORE = ["dataset", "clearance", "intake", "simulate", "access", "audit", "privacy", "jurisdictions", "revenue", "risk"]
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "alembic", "httpx", "requests", "jinja2", "uvicorn"}
# The simulator's HTTP poster is an adapter that lives beside the generator it sends.
ADAPTERS = {SRC / "simulate" / "post.py"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", CORE)
def test_core_imports_no_adapters(package: str) -> None:
    files = [p for p in (SRC / package).rglob("*.py") if p not in ADAPTERS]
    assert files
    offenders = {str(p.relative_to(SRC)): sorted(imported_roots(p) & FORBIDDEN) for p in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_modules_stay_small() -> None:
    sizes = {str(p.relative_to(SRC)): len(p.read_text().splitlines()) for p in SRC.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 500} == {}
