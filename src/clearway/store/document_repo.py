"""Documents in the store with their link views (clearance.link_view; migration 0024).

Each document row holds its body and, beside it, ``link_view``: the few values linking compares,
written by the same INSERT as the body, by the bulk path and single submissions alike. Linking reads
the views alone (``views_by``), one narrow query per kind and chunk of keys, and never a body.

The view must say what the stored body says. Bodies are written once, and rewritten only by
retention's anonymisation (store.privacy_sql) or by hand; a trigger (``create_trigger``) clears the
view of any row whose body an UPDATE changes without writing a new view, and a row without a view
is read with its body, decoded, instead (the same query hands the body over for those rows only).
So a stale view is never read: at worst a row costs a decode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from clearway.clearance.link_view import LinkDocument, decode_view, encode_view, view_of
from clearway.clearance.model import StoredDocument, canonical_json
from clearway.dataset.records import DOCUMENT_TYPES, DocumentKind
from clearway.store.bulk import BulkWriter
from clearway.store.tables import documents

_CHUNK = 2000
_DOCUMENT = {kind: msgspec.json.Decoder(cls) for kind, cls in DOCUMENT_TYPES.items()}
_COLUMNS = (
    "id",
    "kind",
    "operator_id",
    "number",
    "order_number",
    "body_hash",
    "received_at",
    "body",
    "sender_kind",
    "link_view",
)
# The body only where there is no view to read (written before migration 0024's backfill finished,
# or cleared by the trigger): NULL costs nothing to hand over.
_VIEW_SELECT = (
    "SELECT id, kind, operator_id, number, order_number, body_hash, received_at, sender_kind, link_view,"
    " CASE WHEN link_view IS NULL THEN body END FROM documents"
)


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def insert(w: BulkWriter, rows: Sequence[StoredDocument]) -> None:
    w.insert(
        documents,
        _COLUMNS,
        [
            (
                d.id,
                d.kind,
                d.operator_id,
                d.number,
                d.record.order_number,
                d.body_hash,
                w.time(d.received_at),
                canonical_json(d.record).decode(),
                d.sender_kind,
                encode_view(view_of(d.record)),
            )
            for d in rows
        ],
    )


def views_by(w: BulkWriter, kind: DocumentKind, column: str, keys: Collection[str]) -> dict[str, list[LinkDocument]]:
    """Every document of ``kind`` whose ``column`` (number, or a payment's order_number) is one of
    ``keys``, from every sender, oldest first, as linking reads it."""
    found: dict[str, list[LinkDocument]] = {}
    key = 3 if column == "number" else 4  # position of the key column in _VIEW_SELECT
    times: dict[Any, dt.datetime] = {}  # a batch's documents share a few arrival times
    for chunk in _chunks(keys):
        among, values_params = w.among(column, chunk)
        sql = f"{_VIEW_SELECT} WHERE kind = {w.mark} AND {among} ORDER BY received_at, id"
        for row in w.conn.exec_driver_sql(sql, (kind, *values_params)):
            did, kind_, operator, number, _order, body_hash, received, sender_kind, view, body = row
            at = times.get(received)
            if at is None:
                at = times[received] = w.read_time(received)
            found.setdefault(row[key], []).append(
                LinkDocument(
                    id=did,
                    kind=kind_,
                    operator_id=operator,
                    number=number,
                    body_hash=body_hash,
                    received_at=at,
                    view=decode_view(view) if view is not None else view_of(_DOCUMENT[kind_].decode(body)),
                    sender_kind=sender_kind,
                )
            )
    return found


# -- the trigger that keeps a view from outliving its body (migration 0024) ------------------------

TRIGGER = "documents_link_view_stale"


def create_trigger(conn: sa.Connection) -> None:
    # Only when the body changes and the view does not: a writer that rewrites both (or neither)
    # is left alone; one that rewrites the body alone leaves no view to be trusted.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"""CREATE TRIGGER {TRIGGER} AFTER UPDATE OF body ON documents
               FOR EACH ROW WHEN NEW.body IS NOT OLD.body AND NEW.link_view IS OLD.link_view
               BEGIN UPDATE documents SET link_view = NULL WHERE id = NEW.id; END"""
        )
        return
    conn.exec_driver_sql(
        f"""CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.body IS DISTINCT FROM OLD.body AND NEW.link_view IS NOT DISTINCT FROM OLD.link_view THEN
               NEW.link_view := NULL;
             END IF;
             RETURN NEW;
           END $$"""
    )
    conn.exec_driver_sql(
        f"""CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF body ON documents
           FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"""
    )


def drop_trigger(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TRIGGER}")
        return
    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TRIGGER} ON documents")
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {TRIGGER}()")


def backfill(conn: sa.Connection, chunk: int = 5000) -> int:
    """Write the view of every document that has none, from its body; returns how many."""
    done = 0
    after = ""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    while True:
        rows = conn.exec_driver_sql(
            f"SELECT id, kind, body FROM documents WHERE id > {mark} AND link_view IS NULL ORDER BY id LIMIT {chunk}",
            (after,),
        ).all()
        if not rows:
            return done
        views = []
        for did, kind, body in rows:
            try:
                record = _DOCUMENT[kind].decode(body)
            except msgspec.MsgspecError:
                # A body today's records do not read (hand-made, or from a format long gone): left
                # without a view, it is read through its body as before, with the same outcome.
                continue
            views.append((encode_view(view_of(record)), did))
        if views:
            conn.exec_driver_sql(f"UPDATE documents SET link_view = {mark} WHERE id = {mark}", views)
        done += len(views)
        after = rows[-1][0]
