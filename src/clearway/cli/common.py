"""What every command group shares: the console for messages and the settings from the environment."""

from __future__ import annotations

from rich.console import Console

from clearway.settings import Settings

console = Console(stderr=True)


def settings() -> Settings:
    return Settings.from_env()
