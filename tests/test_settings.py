from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from clearway.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented_with_its_default() -> None:
    text = DOCS.read_text()
    for field in dataclasses.fields(Settings):
        name = f"CLEARWAY_{field.name.upper()}"
        assert f"`{name}`" in text, f"{name} is missing from docs/settings.md"
        row = next(line for line in text.splitlines() if f"`{name}`" in line)
        assert f"`{field.default}`" in row, f"docs/settings.md gives the wrong default for {name}"


def test_environment_overrides() -> None:
    settings = Settings.from_env({"CLEARWAY_DOCUMENT_WAIT_HOURS": "5", "CLEARWAY_DATABASE_URL": "sqlite:///x.db"})
    assert settings.document_wait_hours == 5 and settings.database_url == "sqlite:///x.db"
    with pytest.raises(ValueError, match="CLEARWAY_MAX_BATCH_LINES must be an int"):
        Settings.from_env({"CLEARWAY_MAX_BATCH_LINES": "many"})
