"""`clearway db` and `clearway audit`: the schema and the tamper-evident audit trail."""

from __future__ import annotations

import sys
from typing import Annotated

import msgspec
import typer

from clearway.cli.common import console
from clearway.cli.common import settings as _settings

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit trail.")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the schema of the database that CLEARWAY_DATABASE_URL names."""
    from clearway.store.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    console.print(f"database at {_redacted(settings.database_url)} is at revision {revision}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False) -> None:
    """Check every entry of the audit chain; name the first one altered, removed or out of order."""
    from clearway.app.platform import Clearway

    with Clearway(_settings()) as svc:
        result = svc.verify_audit()
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    elif result.ok:
        console.print(f"audit chain intact: {result.checked:,} entries verified")
    else:
        console.print(f"[bold red]audit chain BROKEN at entry {result.seq}[/]: {result.problem}")
        console.print(f"({result.checked:,} entries verified before it)")
    if not result.ok:
        raise typer.Exit(code=1)
