"""Operators, API keys, people and sessions on SQL (SQLAlchemy Core: none of this is a hot path
except key lookups, which the service caches)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

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

    def set_failures(self, key: str, failures: int, at: dt.datetime) -> None:
        if failures <= 0:
            self.conn.execute(sign_in_failures.delete().where(sign_in_failures.c.key == key))
            return
        updated = self.conn.execute(
            sign_in_failures.update().where(sign_in_failures.c.key == key).values(failures=failures, last_failure_at=at)
        )
        if updated.rowcount == 0:
            self.conn.execute(sign_in_failures.insert().values(key=key, failures=failures, last_failure_at=at))

    def forget_failures_before(self, before: dt.datetime) -> None:
        """Drop the counts nobody added to since ``before``: unknown usernames must not pile up."""
        self.conn.execute(sign_in_failures.delete().where(sign_in_failures.c.last_failure_at < before))
