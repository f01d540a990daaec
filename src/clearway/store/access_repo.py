"""Operators, API keys, people and sessions on SQL (SQLAlchemy Core: none of this is a hot path
except key lookups, which the service caches)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from clearway.store.tables import api_keys, operators, people, plain_row, sessions


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

    def count_people(self, role: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(people)
        if role is not None:
            query = query.where(people.c.role == role)
        return int(self.conn.execute(query).scalar_one())

    def update_person(self, username: str, **values: Any) -> None:
        self.conn.execute(people.update().where(people.c.username == username).values(**values))

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

    def delete_session(self, token_hash: str) -> None:
        self.conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash))

    def delete_sessions_of(self, username: str) -> None:
        self.conn.execute(sessions.delete().where(sessions.c.username == username))
