"""The domain core stays pure: no web framework, database or HTTP client in it (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "clearway"
CORE = [
    "dataset", "clearance", "intake", "simulate", "access", "audit", "privacy", "jurisdictions", "revenue", "risk",
    "classify",
]  # fmt: skip
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


# -- the layers (docs/adr/0004-application-layer-in-rooms.md) -------------------------------------------
# Which of clearway's top-level rooms each room may import. The domain core knows nothing of the
# application, the store or the adapters; the application services know the core and the store; the
# adapters (API, pages, command line, and the message, notification and worker rooms to come) call the
# application. Rooms not yet built are listed so that the first module put there is already held to them.
CORE_ROOMS = frozenset(CORE) | {"classify", "policy"}
UTILITIES = frozenset({"gc_pause", "settings"})
ALLOWED: dict[str, frozenset[str]] = {
    **{room: CORE_ROOMS | {"gc_pause"} for room in CORE_ROOMS},
    "messages": CORE_ROOMS,
    "store": CORE_ROOMS | UTILITIES,
    # The statistics read model queries the store's tables directly, by design (docs/stats.md).
    "stats": CORE_ROOMS | UTILITIES | {"store"},
    "app": CORE_ROOMS | UTILITIES | {"store", "stats", "messages"},
    "notify": CORE_ROOMS | UTILITIES | {"store", "app"},
    "workers": CORE_ROOMS | UTILITIES | {"store", "stats", "messages", "notify", "app"},
    "api": CORE_ROOMS | UTILITIES | {"store", "stats", "messages", "app", "web"},
    "web": CORE_ROOMS | UTILITIES | {"store", "stats", "app", "api"},
    "cli": CORE_ROOMS | UTILITIES | {"store", "stats", "messages", "notify", "workers", "app"},
}
TOP_LEVEL_MODULES = {"__init__.py", "settings.py", "gc_pause.py"}
# Single modules allowed one room more than their room, and why. `clearway openapi` writes the API
# adapter's own document, which only the API adapter can build (as `clearway serve` starts it).
ALLOWED_MODULES: dict[str, frozenset[str]] = {"cli/openapi.py": frozenset({"api"})}


def _room_imports(path: Path) -> set[str]:
    """The clearway rooms a module imports (``clearway.app.risk`` -> ``app``)."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        rooms |= {name.split(".")[1] for name in names if name.startswith("clearway.")}
    return rooms


def test_every_room_has_its_rules() -> None:
    rooms = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms - ALLOWED.keys() == set()


def test_the_top_level_holds_only_settings_and_utilities() -> None:
    assert {p.name for p in SRC.glob("*.py")} == TOP_LEVEL_MODULES


BUILT = sorted(room for room in ALLOWED if (SRC / room).is_dir())  # rooms to come wait for their first module


@pytest.mark.parametrize("room", BUILT)
def test_rooms_import_only_what_their_layer_may(room: str) -> None:
    folder = SRC / room
    offenders = {
        str(p.relative_to(SRC)): sorted(bad)
        for p in folder.rglob("*.py")
        if (bad := _room_imports(p) - ALLOWED[room] - {room} - ALLOWED_MODULES.get(str(p.relative_to(SRC)), set()))
    }
    assert offenders == {}


def test_the_rules_can_fail() -> None:
    # A core module importing the application is what the rules exist to catch.
    source = "from clearway.app.platform import Clearway\nimport clearway.store.engine\n"
    probe = Path(__file__).with_name("_probe_layers.txt")
    try:
        probe.write_text(source)
        assert _room_imports(probe) - ALLOWED["risk"] == {"app", "store"}
    finally:
        probe.unlink()


def test_application_and_command_modules_stay_one_use_case_wide() -> None:
    # The application services and command groups are split by use case past about 250 lines.
    sizes = {
        str(p.relative_to(SRC)): n
        for room in ("app", "cli")
        for p in (SRC / room).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 300
    }
    assert sizes == {}
