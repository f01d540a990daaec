"""`clearway openapi`: the OpenAPI document as /openapi.json serves it, written without a server, so that
an integrator's build (or `make postman`) generates a client from a file (docs/integration.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import msgspec
import sqlalchemy as sa
import typer

from clearway.api.contract import TAGS, for_audiences
from clearway.cli.common import fail, settings

AUDIENCES = tuple(tag["name"] for tag in TAGS)


def openapi(
    audience: Annotated[
        list[str] | None,
        typer.Option(help=f"Only the operations for this audience (repeatable): {', '.join(AUDIENCES)}."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write to this file rather than standard output.")] = None,
) -> None:
    """Write the OpenAPI document (JSON), whole or for some audiences only."""
    from clearway.api.app import create_app
    from clearway.app.platform import Clearway

    unknown = sorted(set(audience or ()) - set(AUDIENCES))
    if unknown:
        fail(f"unknown audience {', '.join(unknown)}: choose from {', '.join(AUDIENCES)}")
    # The document depends on the code and the installed jurisdictions, not on stored data: an
    # in-memory database spares the configured one (which may not exist yet) any connection.
    chosen = dataclasses.replace(settings(), database_url="sqlite://")
    document = create_app(chosen, Clearway(chosen, engine=sa.create_engine("sqlite://")), sweep=False).openapi()
    if audience:
        document = for_audiences(document, set(audience))
    text = msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"
    if out is None:
        typer.echo(text.decode(), nl=False)
    else:
        out.write_bytes(text)


def register(app: typer.Typer) -> None:
    app.command("openapi")(openapi)
