"""`clearway operators ...`, `clearway keys ...`, `clearway people ...`: onboarding from the shell.

These act as the person or role running the command on the server (recorded as ``cli:<user>`` in
the audit chain), which is how the first administrator is created.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from clearway.access.roles import Role
from clearway.clearance.errors import ClearwayError
from clearway.cli.common import console, platform

operators_app = typer.Typer(no_args_is_help=True, help="E-commerce operators: onboard, suspend, list.")
keys_app = typer.Typer(no_args_is_help=True, help="Operators' API keys: issue, rotate, revoke, list.")
people_app = typer.Typer(
    no_args_is_help=True,
    help="Officers, analysts, statisticians and administrators: create, list, disable, enable, reset-password, "
    "end-sessions.",
)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A refused command (unknown person, weak password...) says why and exits 1, with no traceback."""
    try:
        yield
    except ClearwayError as exc:
        reasons = "; ".join(e.detail for e in exc.errors)
        console.print(f"[red]{exc.detail}[/red]" + (f": {reasons}" if reasons else ""))
        raise typer.Exit(1) from exc


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")


@operators_app.command("onboard")
def onboard(
    operator_id: Annotated[str, typer.Argument(help="Id, e.g. op-courier-1.")],
    name: Annotated[str, typer.Option(help="Legal name.")],
    kind: Annotated[
        str, typer.Option(help="marketplace, seller, courier, postal_operator, payment_provider or broker.")
    ],
    country: Annotated[str, typer.Option(help="ISO country of establishment.")],
    email: Annotated[str, typer.Option(help="Technical contact.")],
    eori: Annotated[str | None, typer.Option(help="EORI number.")] = None,
    tax_scheme_id: Annotated[str | None, typer.Option(help="IOSS, VOEC, ... number.")] = None,
) -> None:
    """Register an operator (active at once); then issue it a key with `clearway keys issue`."""
    with platform() as svc:
        svc.access.onboard(
            operator_id=operator_id,
            name=name,
            kind=kind,
            country=country,
            contact_email=email,
            eori=eori,
            tax_scheme_id=tax_scheme_id,
            actor=_actor(),
        )
    console.print(f"onboarded {operator_id}")


@operators_app.command("suspend")
def suspend(operator_id: str) -> None:
    """Suspend an operator: its keys and tokens stop working."""
    with platform() as svc:
        svc.access.set_status(operator_id, "suspended", actor=_actor())
    console.print(f"suspended {operator_id}")


@operators_app.command("activate")
def activate(operator_id: str) -> None:
    """Lift an operator's suspension."""
    with platform() as svc:
        svc.access.set_status(operator_id, "active", actor=_actor())
    console.print(f"{operator_id} is active")


@operators_app.command("list")
def list_operators() -> None:
    """All operators, as JSON lines."""
    with platform() as svc:
        for row in svc.access.operators():
            _print_json(row)


@keys_app.command("issue")
def issue(
    operator_id: str,
    days: Annotated[int | None, typer.Option(help="Days of validity (default CLEARWAY_API_KEY_DAYS).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print key id, key and expiry as JSON.")] = False,
) -> None:
    """Issue an API key. It is printed once, here, and never again."""
    with platform() as svc:
        issued, expires = svc.access.issue_key(operator_id, actor=_actor(), valid_days=days)
    if as_json:
        _print_json({"key_id": issued.key_id, "api_key": issued.plaintext, "expires_at": expires.isoformat()})
    else:
        console.print(f"key {issued.key_id} for {operator_id}, valid until {expires:%Y-%m-%d}; store it now:")
        sys.stdout.write(issued.plaintext + "\n")


@keys_app.command("rotate")
def rotate(key_id: str) -> None:
    """Issue a replacement key and revoke this one."""
    with platform() as svc:
        issued, expires = svc.access.rotate_key(key_id, actor=_actor())
    console.print(f"key {key_id} revoked; new key {issued.key_id}, valid until {expires:%Y-%m-%d}; store it now:")
    sys.stdout.write(issued.plaintext + "\n")


@keys_app.command("revoke")
def revoke(key_id: str) -> None:
    """Revoke a key at once (other server processes stop accepting it within the credential cache time)."""
    with platform() as svc:
        svc.access.revoke_key(key_id, actor=_actor())
    console.print(f"revoked {key_id}")


@keys_app.command("list")
def list_keys(operator_id: str) -> None:
    """An operator's keys (ids and dates, never secrets), as JSON lines."""
    with platform() as svc:
        for row in svc.access.keys(operator_id):
            _print_json(row)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Again: ") != password:
        raise typer.BadParameter("the passwords differ")
    return password


@people_app.command("create")
def create_person(
    username: str,
    role: Annotated[str, typer.Option(help="officer, analyst, statistician or admin.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a person who logs in to the pages. The password is asked for, never taken as an argument."""
    if role not in {r.value for r in Role} or role == Role.OPERATOR:
        raise typer.BadParameter("role must be officer, analyst, statistician or admin")
    password = _read_password(password_stdin)
    with _refusals(), platform() as svc:
        svc.access.create_person(
            username=username, display_name=name, role=Role(role), password=password, actor=_actor()
        )
    console.print(f"created {role} {username}")


@people_app.command("list")
def list_people() -> None:
    """Everyone's account (never a password hash), as JSON lines."""
    with platform() as svc:
        for row in svc.access.people():
            _print_json(row)


@people_app.command("disable")
def disable(username: str) -> None:
    """Disable a person: sign-in is refused and all their sessions end at once."""
    with _refusals(), platform() as svc:
        svc.access.set_disabled(username, True, actor=_actor())
    console.print(f"disabled {username}; their sessions are ended")


@people_app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled person again."""
    with _refusals(), platform() as svc:
        svc.access.set_disabled(username, False, actor=_actor())
    console.print(f"{username} is enabled")


@people_app.command("reset-password")
def reset_password(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (asked for, never an argument); all the person's sessions end."""
    password = _read_password(password_stdin)
    with _refusals(), platform() as svc:
        ended = svc.access.reset_password(username, password, actor=_actor())
    console.print(f"password of {username} reset; {ended} session(s) ended")


@people_app.command("end-sessions")
def end_sessions(username: str) -> None:
    """End all of a person's sessions (they sign in again)."""
    with _refusals(), platform() as svc:
        ended = svc.access.end_sessions(username, actor=_actor())
    console.print(f"{ended} session(s) of {username} ended")
