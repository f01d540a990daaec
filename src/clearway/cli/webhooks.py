"""`clearway webhooks ...`: run the deliverer outside the server; list an operator's subscriptions."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated

import typer
from rich.table import Table

from clearway.cli.common import console, platform
from clearway.cli.common import settings as load_settings
from clearway.store.writer_lock import sole_writer

webhooks_app = typer.Typer(no_args_is_help=True, help="Signed notifications to operators: deliver, list.")


@webhooks_app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then stop.")] = False,
) -> None:
    """Send due webhook deliveries (the server does this too): what a restart left in the outbox included.

    On SQLite this is the database's one writing process, so not beside a running server (which
    delivers already); on PostgreSQL several deliverers share the work.
    """
    settings = load_settings()
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway webhooks deliver"):
        deliverer = svc.webhooks.deliverer()
        total = 0
        try:
            total += deliverer.drain()
            while not once:
                time.sleep(settings.webhooks_poll_seconds)
                total += deliverer.drain()
        except KeyboardInterrupt:
            pass
        finally:
            deliverer.close()
    console.print(f"made {total:,} delivery tries")


@webhooks_app.command("list")
def list_webhooks(
    operator: Annotated[str, typer.Option(help="The operator's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per subscription.")] = False,
) -> None:
    """An operator's subscriptions (never their secrets) with their deliveries counted by state."""
    with platform() as svc:
        rows = svc.webhooks.listing(operator)
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, default=str) + "\n")
        return
    if not rows:
        console.print(f"{operator} has no webhook subscriptions")
        return
    table = Table("id", "url", "event types", "pending", "delivered", "failed")
    for row in rows:
        counts = row["deliveries"]
        table.add_row(
            row["id"],
            row["url"],
            " ".join(row["event_types"]),
            *(str(counts.get(state, 0)) for state in ("pending", "delivered", "failed")),
        )
    console.print(table)
