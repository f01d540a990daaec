"""`clearway db` and `clearway audit`: the schema and the tamper-evident audit trail."""

from __future__ import annotations

import sys
from typing import Annotated

import msgspec
import typer

from clearway.cli.common import console, fail, platform, settings
from clearway.cli.partitions import partitions_app

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit trail.")
db_app.add_typer(partitions_app, name="partitions")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the schema of the database that CLEARWAY_DATABASE_URL names."""
    from alembic.util import CommandError

    from clearway.store.migrate import upgrade
    from clearway.store.readiness import heads, redacted, url_problem

    url = settings().database_url
    unusable = url_problem(url)
    if unusable is not None:
        fail(unusable, code=2)
    try:
        upgrade(url, revision)
    except CommandError as exc:  # an unknown revision, given or found in the database
        fail(f"{exc}: this version of Clearway's revisions go up to {', '.join(sorted(heads()))}")
    except OSError as exc:  # the SQLite file's folder cannot be made
        fail(f"cannot create the database: {exc}", code=2)
    console.print(f"database at {redacted(url)} is at revision {revision}", highlight=False)


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False) -> None:
    """Check every entry of the audit chain; name the first one altered, removed or out of order."""
    with platform() as svc:
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
