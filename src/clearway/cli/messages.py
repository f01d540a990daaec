"""`clearway messages ...`: standard messages from files, through the same service as the API."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from clearway.app.messages import RecordOutcome, UnknownStandard
from clearway.cli.common import console, fail, platform
from clearway.messages.registry import adapters

messages_app = typer.Typer(no_args_is_help=True, help="Standard messages (UPU, EU, China): import, show.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (what the API answers).")]
# How a file's standard is sent: XML families as XML, EDIFACT as an interchange.
_MEDIA = {"upu-cusitm": "application/edifact"}


def _print_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


def _line(outcome: RecordOutcome) -> str:
    head = f"{outcome.position}. {outcome.message_type} {outcome.message_ref or ''}: {outcome.status}"
    if outcome.id:
        head += f", {outcome.kind} {outcome.id}" + (f" ({outcome.state})" if outcome.state else "")
    lines = [head]
    lines += [
        f"   {e.where or '(message)'}: {e.detail}" + (f" [{e.pointer}]" if e.pointer else "") for e in outcome.errors
    ]
    return "\n".join(lines)


@messages_app.command("import")
def import_message(
    file: Annotated[Path, typer.Argument(help="One message in its standard's format.", exists=True, dir_okay=False)],
    standard: Annotated[str, typer.Option(help="The standard: upu-itmatt, upu-cusitm, eu-h7, eu-ics2, cn-ceb.")],
    operator: Annotated[str, typer.Option(help="The operator sending it (as its API key would).")],
    as_json: JsonOption = False,
) -> None:
    """Keep, map and submit one message; one result per record it carries. Exit 1 if any is refused."""
    svc = platform()
    if standard not in adapters():
        fail(f"no adapter for '{standard}': choose from {', '.join(sorted(adapters())) or 'none yet'}")
    try:
        received = svc.messages.receive(standard, operator, file.read_bytes(), _MEDIA.get(standard, "application/xml"))
    except UnknownStandard:
        fail(f"no adapter for '{standard}'")
    if as_json:
        _print_json(
            {"id": received.id, "standard": received.standard, "message_type": received.message_type,
             "sha256": received.sha256, "records": received.records}
        )  # fmt: skip
    else:
        print(f"message {received.id} ({received.message_type or 'unreadable'}, sha256 {received.sha256[:16]}...)")
        for outcome in received.records:
            print(_line(outcome))
    if received.refused:
        raise typer.Exit(1)


@messages_app.command("show")
def show(
    message_id: Annotated[str, typer.Argument(help="The message's id, as import or the API answered it.")],
    as_json: JsonOption = False,
    original: Annotated[bool, typer.Option("--original", help="Print the bytes as received, nothing else.")] = False,
    responses: Annotated[bool, typer.Option("--responses", help="Print the standard's answers (receipts).")] = False,
) -> None:
    """A message: what each record became, and (with --original) its bytes as received."""
    svc = platform()
    found = svc.messages.read(message_id)
    if found is None:
        fail(f"no message {message_id}")
    if responses:
        for answer in svc.messages.responses(message_id) or []:
            sys.stdout.write(answer.text)
        return
    if original:
        if found.body is None:
            fail(f"retention has cleared message {message_id}'s bytes; its sha256 was {found.sha256}")
        sys.stdout.buffer.write(found.body)
        return
    if as_json:
        _print_json(
            {"id": found.id, "standard": found.standard, "message_type": found.message_type,
             "operator_id": found.operator_id, "received_at": found.received_at, "media_type": found.media_type,
             "sha256": found.sha256, "size": found.size, "records": found.records,
             "original_base64": None if found.body is None else base64.b64encode(found.body).decode()}
        )  # fmt: skip
        return
    console.print(
        f"message {found.id}: {found.standard} {found.message_type or ''} from {found.operator_id}, "
        f"{found.received_at:%Y-%m-%d %H:%M:%S} UTC, {found.size:,} bytes, sha256 {found.sha256}",
        highlight=False,
    )
    for outcome in found.records:
        print(_line(outcome))
