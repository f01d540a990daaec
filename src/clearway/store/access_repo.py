"""Operators, API keys, people and sessions on SQL (SQLAlchemy Core: none of this is a hot path
except key lookups, which the service caches)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from clearway.store.tables import api_keys, operators, people, plain_row, sessions, sign_in_failures


class SqlAccessStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    # -- operators ---------------------------------------------------------------------------

    def insert_operator(self, row: dict[str, Any]) -> None:
        self.conn.execute(operators.insert().values(**row))

    def operator(self, operator_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(sa.select(operators).where(operators.c.id == operator_id)).mappings().first()
        return plain_row(row) if row else None

    def all_operators(self) -> list[dict[str, Any]]:
        return [plain_row(r) for r in self.conn.execute(sa.select(operators).order_by(operators.c.id)).mappings()]

    def set_operator_status(self, operator_id: str, status: str) -> bool:
        result = self.conn.execute(operators.update().where(operators.c.id == operator_id).values(status=status))
        return result.rowcount == 1

    # -- API keys ----------------------------------------------------------------------------

    def insert_key(self, row: dict[str, Any]) -> None:
        self.conn.execute(api_keys.insert().values(**row))

    def key(self, key_id: str) -> dict[str, Any] | None:
        query = (
            sa.select(api_keys, operators.c.status.label("operator_status"))
            .join(operators, operators.c.id == api_keys.c.operator_id)
            .where(api_keys.c.key_id == key_id)
        )
        row = self.conn.execute(query).mappings().first()
        return plain_row(row) if row else None

    def keys_of(self, operator_id: str) -> list[dict[str, Any]]:
        query = sa.select(api_keys).where(api_keys.c.operator_id == operator_id).order_by(api_keys.c.created_at)
        return [plain_row(r) for r in self.conn.execute(query).mappings()]

    def revoke_key(self, key_id: str, at: dt.datetime) -> bool:
        result = self.conn.execute(
            api_keys.update().where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return result.rowcount == 1

    # -- people and sessions -----------------------------------------------------------------

    def insert_person(self, row: dict[str, Any]) -> None:
        self.conn.execute(people.insert().values(**row))

    def person(self, username: str) -> dict[str, Any] | None:
        row = self.conn.execute(sa.select(people).where(people.c.username == username)).mappings().first()
        return plain_row(row) if row else None

    def all_people(self) -> list[dict[str, Any]]:
        query = sa.select(people).order_by(people.c.username)
        return [
            {k: v for k, v in plain_row(r).items() if k != "password_hash"} for r in self.conn.execute(query).mappings()
        ]

    def count_people(self, role: str | None = None, *, enabled_only: bool = False) -> int:
        query = sa.select(sa.func.count()).select_from(people)
        if role is not None:
            query = query.where(people.c.role == role)
        if enabled_only:
            query = query.where(people.c.disabled.is_(False))
        return int(self.conn.execute(query).scalar_one())

    def update_person(self, username: str, **values: Any) -> bool:
        result = self.conn.execute(people.update().where(people.c.username == username).values(**values))
        return result.rowcount == 1

    def insert_session(self, row: dict[str, Any]) -> None:
        self.conn.execute(sessions.insert().values(**row))

    def session(self, token_hash: str) -> dict[str, Any] | None:
        query = (
            sa.select(sessions, people.c.role, people.c.disabled)
            .join(people, people.c.username == sessions.c.username)
            .where(sessions.c.token_hash == token_hash)
        )
        row = self.conn.execute(query).mappings().first()
        return plain_row(row) if row else None

    def touch_session(self, token_hash: str, at: dt.datetime) -> None:
        self.conn.execute(
            sessions.update()
            .where(sessions.c.token_hash == token_hash, sessions.c.last_seen_at < at)
            .values(last_seen_at=at)
        )

    def delete_session(self, token_hash: str) -> bool:
        return self.conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash)).rowcount == 1

    def delete_sessions_of(self, username: str, *, keep: str | None = None) -> int:
        """End a person's sessions, all of them or all but the one whose hash is ``keep``."""
        query = sessions.delete().where(sessions.c.username == username)
        if keep is not None:
            query = query.where(sessions.c.token_hash != keep)
        return int(self.conn.execute(query).rowcount)

    def delete_stale_sessions_of(self, username: str, *, expired_by: dt.datetime, idle_since: dt.datetime) -> None:
        self.conn.execute(
            sessions.delete().where(
                sessions.c.username == username,
                sa.or_(sessions.c.expires_at <= expired_by, sessions.c.last_seen_at <= idle_since),
            )
        )

    # -- sign-in failures (throttling) -------------------------------------------------------

    def failures(self, key: str) -> tuple[int, dt.datetime | None]:
        row = self.conn.execute(sa.select(sign_in_failures).where(sign_in_failures.c.key == key)).mappings().first()
        return (0, None) if row is None else (int(row["failures"]), row["last_failure_at"])

    def add_failure(self, key: str, at: dt.datetime, *, forget_before: dt.datetime) -> None:
        """Count one failure under ``key`` at ``at``, starting again from one if the last was before
        ``forget_before``.

        One atomic upsert, the arithmetic done by the database: two processes counting the first
        failure of a key at once neither collide on the primary key nor overwrite each other's count
        (as reading the count, then writing it plus one, did).
        """
        table = sign_in_failures
        row = {"key": key, "failures": 1, "last_failure_at": at}
        if self.conn.dialect.name == "postgresql":
            pg = postgresql.insert(table).values(row)
            self.conn.execute(
                pg.on_conflict_do_update(index_elements=[table.c.key], set_=_counted(pg.excluded, forget_before))
            )
        else:
            lite = sqlite.insert(table).values(row)
            self.conn.execute(
                lite.on_conflict_do_update(index_elements=[table.c.key], set_=_counted(lite.excluded, forget_before))
            )

    def forgive_failure(self, key: str) -> None:
        """Take back one failure counted under ``key`` (an attempt counted ahead that succeeded)."""
        table = sign_in_failures
        self.conn.execute(
            table.update().where(table.c.key == key, table.c.failures > 0).values(failures=table.c.failures - 1)
        )

    def clear_failures(self, key: str) -> None:
        self.conn.execute(sign_in_failures.delete().where(sign_in_failures.c.key == key))

    def clear_failures_under(self, prefix: str) -> int:
        """Drop every count whose key starts with ``prefix`` (lower-case hex); how many there were."""
        # A range rather than LIKE, so that both databases walk the primary key's index: every
        # key is lower-case hex, and "g" sorts after all of its digits.
        key = sign_in_failures.c.key
        query = sign_in_failures.delete().where(key >= prefix, key < prefix + "g")
        return int(self.conn.execute(query).rowcount)

    def forget_failures_before(self, before: dt.datetime) -> None:
        """Drop the counts nobody added to since ``before``: unknown usernames must not pile up."""
        self.conn.execute(sign_in_failures.delete().where(sign_in_failures.c.last_failure_at < before))


def _counted(
    excluded: ReadOnlyColumnCollection[str, KeyedColumnElement[Any]], forget_before: dt.datetime
) -> dict[str, Any]:
    """The SET of the upsert: one more failure (or one again, if the last is forgotten), and the
    later of the two times (another process may have counted a failure a moment after ours)."""
    table = sign_in_failures
    return {
        "failures": sa.case((table.c.last_failure_at <= forget_before, 1), else_=table.c.failures + 1),
        "last_failure_at": sa.case(
            (table.c.last_failure_at > excluded.last_failure_at, table.c.last_failure_at),
            else_=excluded.last_failure_at,
        ),
    }
