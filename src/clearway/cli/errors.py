"""Database errors a person can act on: one line naming the fix, exit code 2, never a traceback.

The root command group catches them around every command, so that no command can forget to:
a database found not ready before the command starts (cli.common.platform), any database error
raised while it runs (the server went away, a table is missing), diagnosed afresh, and a second
writing process on one SQLite file (store/writer_lock.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from typer.core import TyperGroup

from clearway.cli.common import fail, settings
from clearway.store.readiness import DatabaseNotReady, first_line, problem
from clearway.store.writer_lock import DatabaseInUse

# Exit code of a command that could not run: the same as for a usage error, so that scripts can tell
# "did not run" (2) from "ran and refused some records" (1).
NOT_RUN = 2


class DatabaseErrors(TyperGroup):
    """A Typer group that turns database errors in any of its commands into one line on standard error."""

    # ctx is a Context of typer's private copy of click (typer._click), hence Any.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DatabaseNotReady as exc:
            fail(str(exc), code=NOT_RUN)
        except sa.exc.DBAPIError as exc:
            fail(_diagnosis(exc), code=NOT_RUN)
        except DatabaseInUse as exc:  # a second writer on one SQLite file (store/writer_lock.py)
            fail(str(exc), code=NOT_RUN)


def _diagnosis(exc: sa.exc.DBAPIError) -> str:
    """Why the database failed the command: its readiness now, else the driver's own first line."""
    try:
        reason = problem(settings().database_url)
    except sa.exc.SQLAlchemyError:  # the diagnosis must not replace one traceback with another
        reason = None
    return reason or f"the database refused the command: {first_line(exc.orig or exc)}"
