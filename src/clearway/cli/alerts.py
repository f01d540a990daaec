"""`clearway alerts ...`: customs-to-customs risk alerts (docs/alerts.md).

Our signing key (`key create`, `key show`), the partner register (`partners add`, `partners list`), an
export for one partner (`export`) and the import of a partner's envelope (`import`). Every command is
in the audit chain as the person running it (``cli:<user>``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from clearway.app.alerts.service import DEFAULT_VALIDITY_DAYS, AlertRefusedError
from clearway.clearance.errors import ClearwayError
from clearway.cli.common import console, fail, platform
from clearway.risk.partner_alerts import MAX_ENVELOPE_BYTES

alerts_app = typer.Typer(
    no_args_is_help=True, help="Customs-to-customs risk alerts: our key, partners, export, import, list."
)
key_app = typer.Typer(no_args_is_help=True, help="Our administration's signing key: create, show.")
partners_app = typer.Typer(no_args_is_help=True, help="Partner administrations: add (or re-key), list.")
alerts_app.add_typer(key_app, name="key")
alerts_app.add_typer(partners_app, name="partners")

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output (JSON).")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A refused command says why on one line (with the failing check's code) and exits 1."""
    try:
        yield
    except AlertRefusedError as exc:
        fail(f"refused ({exc.code}): {exc.detail}")
    except ClearwayError as exc:
        reasons = "; ".join(f"{e.pointer}: {e.detail}" if e.pointer else e.detail for e in exc.errors)
        fail(exc.detail + (f": {reasons}" if reasons else ""))


def _day(text: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"'{text}' is not a date or time (YYYY-MM-DD or ISO 8601)")
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


@key_app.command("create")
def create_key(
    issuer: Annotated[str, typer.Option(help="Our administration's code, as partners know it (e.g. DE).")],
    as_json: JsonFlag = False,
) -> None:
    """A new signing key (the previous one is retired): give partners its public key and fingerprint."""
    with platform() as svc, _refusals():
        shown = svc.alerts.create_key(issuer, actor=_actor())
    _show_key(shown, as_json)


@key_app.command("show")
def show_key(as_json: JsonFlag = False) -> None:
    """Our signing key in force: its id, public key and fingerprint."""
    with platform() as svc, _refusals():
        shown = svc.alerts.our_key()
    _show_key(shown, as_json)


def _show_key(shown: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(shown)
        return
    console.print(f"issuer {shown['issuer']}, key id {shown['key_id']}")
    console.print(f"public key  {shown['public_key']}")
    console.print(f"fingerprint {shown['fingerprint']}")


@partners_app.command("add")
def add_partner(
    code: Annotated[str, typer.Argument(help="The partner administration's code, as its envelopes name it.")],
    name: Annotated[str, typer.Option(help="Its name, as officers will read it.")],
    key_id: Annotated[str, typer.Option("--key-id", help="The id of the key its envelopes are signed with.")],
    public_key: Annotated[str, typer.Option("--public-key", help="Its Ed25519 public key (base64, 32 bytes).")],
    shared_key: Annotated[
        str | None,
        typer.Option(
            "--shared-key",
            envvar="CLEARWAY_ALERTS_SHARED_KEY",
            help="The pseudonymisation key agreed with it (base64, 32 bytes); left out, one is generated and "
            "printed once, to send to the partner by a secure channel.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a partner administration, or replace its keys."""
    with platform() as svc, _refusals():
        view, generated = svc.alerts.add_partner(code, name, key_id, public_key, shared_key, actor=_actor())
    if as_json:
        _print_json({**view, **({"shared_key": generated} if generated else {})})
        return
    console.print(f"partner {view['code']} ({view['name']}), key {view['key_id']}, fingerprint {view['fingerprint']}")
    if generated:
        console.print("shared pseudonymisation key (shown this once; send it to the partner securely):")
        sys.stdout.write(generated + "\n")


@partners_app.command("list")
def list_partners(as_json: JsonFlag = False) -> None:
    """The partner administrations (never their shared keys)."""
    with platform() as svc:
        rows = svc.alerts.partners()
    if as_json:
        for row in rows:
            _print_json(row)
        return
    if not rows:
        console.print("no partner administrations yet (clearway alerts partners add)")
        return
    table = Table("code", "name", "key id", "fingerprint", "updated")
    for row in rows:
        table.add_row(row["code"], row["name"], row["key_id"], row["fingerprint"], f"{row['updated_at']:%Y-%m-%d}")
    console.print(table)


@alerts_app.command("export")
def export(
    partner: Annotated[str, typer.Option(help="The partner it is for (the sellers are pseudonymised with its key).")],
    since: Annotated[str, typer.Option(help="Findings from this date or time (UTC unless it says).")],
    out: Annotated[Path, typer.Option(help="Where to write the signed envelope (JSON).")],
    until: Annotated[str | None, typer.Option(help="Findings before this date or time (default: now).")] = None,
    valid_days: Annotated[int, typer.Option(help="How long the partner should act on each alert.")] = (
        DEFAULT_VALIDITY_DAYS
    ),
) -> None:
    """Write our signed envelope of alerts for a partner: consignments found non-compliant, seized or refused."""
    start, end = _day(since), None if until is None else _day(until)
    with platform() as svc, _refusals():
        data = svc.alerts.export(partner, start, end, actor=_actor(), valid_days=valid_days)
    out.write_bytes(data)
    count = len(json.loads(data)["alerts"])
    console.print(f"wrote {count:,} alert(s) for {partner} to {out}")


@alerts_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="A partner's signed envelope (JSON).")],
    as_json: JsonFlag = False,
) -> None:
    """Verify a partner's envelope and keep its alerts; exits 1, saying which check failed, when refused."""
    if not file.is_file():
        fail(f"no file {file}")
    if file.stat().st_size > MAX_ENVELOPE_BYTES:
        fail(f"{file} is larger than {MAX_ENVELOPE_BYTES:,} bytes: not an alert envelope")
    data = file.read_bytes()
    with platform() as svc, _refusals():
        result = svc.alerts.import_envelope(data, actor=_actor())
    if as_json:
        _print_json(result)
        return
    console.print(f"imported {result['new']:,} new alert(s) of {result['alerts']:,} from {result['partner']}")


@alerts_app.command("list")
def list_alerts(
    partner: Annotated[str | None, typer.Option(help="Only this partner's.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Alerts imported from partners, newest first."""
    with platform() as svc:
        rows = svc.alerts.alerts(partner, limit)
    if as_json:
        for row in rows:
            _print_json(row)
        return
    table = Table("partner", "alert", "finding", "HS", "origin", "issued", "expires")
    for r in rows:
        table.add_row(
            r["partner_code"],
            r["alert_id"],
            r["finding"],
            r["hs_code"],
            r["origin"],
            f"{r['issued_at']:%Y-%m-%d}",
            f"{r['expires_at']:%Y-%m-%d}",
        )
    console.print(table)
