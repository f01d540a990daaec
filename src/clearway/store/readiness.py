"""Is the database a URL names ready for Clearway? If not, one sentence that says what fixes it.

A command that finds the database missing, unreachable or behind the code's migrations would
otherwise fail deep inside a query with a driver's traceback; this says which of these it is and
names the fix (`clearway db upgrade`, or the setting CLEARWAY_DATABASE_URL).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from clearway.store.engine import check_driver, create_engine

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

UPGRADE = "run `clearway db upgrade`"
SETTING = "check CLEARWAY_DATABASE_URL"
# Seconds to wait for a PostgreSQL server before saying it does not answer (a dropped packet would
# otherwise leave the command waiting for the operating system's TCP timeout, minutes).
CONNECT_TIMEOUT = 10


class DatabaseNotReady(Exception):
    """The database cannot serve Clearway yet; the message says why and what fixes it."""


def redacted(url: str | URL) -> str:
    """The URL without its password, fit for a message or a log."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other databases, memory and ``file:`` URIs."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def with_timeout(parsed: URL) -> URL:
    """A PostgreSQL URL with a bounded connect timeout, so an unreachable server is named in seconds;
    a timeout the operator chose (in the URL, or libpq's PGCONNECT_TIMEOUT) is kept."""
    if (
        parsed.get_backend_name() == "postgresql"
        and "connect_timeout" not in parsed.query
        and not os.environ.get("PGCONNECT_TIMEOUT")
    ):
        return parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
    return parsed


def problem(url: str) -> str | None:
    """Why the database at `url` is not ready for this version of Clearway, or None when it is.

    Never creates anything: SQLite makes an empty file when it opens a path that does not exist,
    so a missing file is found before anything connects.
    """
    unusable = url_problem(url)
    if unusable is not None:
        return unusable
    parsed = make_url(url)
    where = redacted(parsed)
    file = sqlite_file(parsed)
    if file is not None and not file.is_file():
        return f"no database at {file}: {UPGRADE} to create it, or {SETTING}"
    engine = create_engine(with_timeout(parsed).render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            current = set(_current_revisions(conn))
    except sa.exc.DBAPIError as exc:
        return unreachable(parsed, exc)
    finally:
        engine.dispose()
    return _behind(where, current)


def url_problem(url: str) -> str | None:
    """Why `url` names no database Clearway can use, without connecting; None when it could."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return f"CLEARWAY_DATABASE_URL is not a database URL: {SETTING} (e.g. sqlite:///var/clearway.db)"
    try:
        parsed.get_dialect()  # an unknown database or driver name
        check_driver(parsed)
    except (ValueError, sa.exc.ArgumentError) as exc:
        return f"cannot use {redacted(parsed)}: {first_line(exc)}; {SETTING}"
    return None


def unreachable(url: URL, exc: sa.exc.DBAPIError) -> str:
    """The sentence for a database that refused the connection or the first query.

    The driver's first line is what tells a refused connection, a failed sign-in, a database the
    server does not have and a file that is not a database apart; its further lines are hints.
    """
    where = redacted(url)
    server = " and that the server is running" if url.get_backend_name() != "sqlite" else ""
    return f"cannot open the database at {where} ({first_line(exc.orig or exc)}): {SETTING}{server}"


def first_line(exc: BaseException) -> str:
    """The first line of an error's message: drivers add hints and SQL on further lines."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _current_revisions(conn: sa.Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    # Empty when there is no alembic_version table: a database Clearway never migrated.
    return MigrationContext.configure(conn).get_current_heads()


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    from clearway.store.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def heads() -> set[str]:
    """The newest revision(s) of this version of Clearway's migrations."""
    return set(_scripts().get_heads())


def _behind(where: str, current: set[str]) -> str | None:
    scripts = _scripts()
    newest = set(scripts.get_heads())
    if not current:
        return f"the database at {where} has no Clearway tables: {UPGRADE}"
    if current == newest:
        return None
    known = {revision.revision for revision in scripts.walk_revisions()}
    unknown = sorted(current - known)
    if unknown:
        # Migrated by a newer Clearway: upgrading this one would not help, and downgrading loses data.
        return (
            f"the database at {where} is at revision {', '.join(unknown)}, which this version of Clearway "
            f"does not know (a newer one migrated it): run that version, or {SETTING}"
        )
    return (
        f"the database at {where} is at revision {', '.join(sorted(current))}, older than this version "
        f"of Clearway ({', '.join(sorted(newest))}): {UPGRADE}"
    )


def require_ready(url: str) -> None:
    """Raise DatabaseNotReady with the sentence when the database is not ready."""
    message = problem(url)
    if message is not None:
        raise DatabaseNotReady(message)
