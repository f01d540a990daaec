"""What every command group shares: the console, the settings, refusals, and the database opened ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from clearway.settings import Settings

if TYPE_CHECKING:
    from clearway.app.platform import Clearway

# Messages go to standard error, unwrapped: a wrapped line breaks the one-line errors scripts grep for.
console = Console(stderr=True, soft_wrap=True)


def settings(**overrides: Any) -> Settings:
    return Settings.from_env(**overrides)


def fail(message: str, code: int = 1) -> NoReturn:
    """Say what went wrong on one line of standard error and exit with `code`."""
    console.print(f"[bold red]error[/]: {escape(message)}", highlight=False)
    raise typer.Exit(code=code)


def platform(chosen: Settings | None = None) -> Clearway:
    """The application on the configured database, once that database is known to be ready.

    Raises DatabaseNotReady (which the command line turns into its one-line message, cli/errors.py)
    before anything connects when the database is missing, unreachable or not migrated to this
    version: so a mistyped SQLite path leaves no empty file behind and no command runs half-way.
    """
    from clearway.app.platform import Clearway
    from clearway.store.readiness import require_ready

    chosen = chosen or settings()
    require_ready(chosen.database_url)
    return Clearway(chosen)
