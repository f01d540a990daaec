"""Catching up, after a batch commits, with what another process committed at the same moment.

Linking reads what is stored, then writes. When a declaration and one of its documents arrive in two
processes at the same instant, neither transaction sees the other's uncommitted row: the declaration
waits, and the document finds nobody waiting. On PostgreSQL with several workers that is a normal
day, not a corner case, and the sweep would only catch it at the deadline (docs/adr/0002).

So each submission, once committed, looks again in a new transaction: at the declarations it left
waiting, and at the declarations waiting for the keys of the documents it stored. Of two such
transactions, the one that commits last always sees the other's row (its look comes after both
commits), so no match is missed; when both see it, the row lock and the state re-read in
``awaiting_by_keys`` / ``consignments_by_id`` let only the first move the declaration. A declaration
is linked again only when the documents it can see now differ from what its last link result
recorded, so a look that finds nothing new writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from clearway.clearance.documents import link_views_for
from clearway.clearance.lifecycle import State
from clearway.clearance.linking import payment_key
from clearway.clearance.model import StoredConsignment, SubmissionResult
from clearway.clearance.pipeline import PipelineConfig, link_with, relink
from clearway.clearance.store import ClearanceStore
from clearway.dataset.records import Consignment, Document, DocumentKind, Payment, document_number


def with_documents(store: ClearanceStore, waiting: Mapping[str, Consignment]) -> list[str]:
    """Of the declarations a batch left waiting (id -> record), those some document is now stored for
    under one of their keys. A declaration none of whose keys has any document has nothing to catch
    up with: this narrow read (nothing decoded, nothing locked) spares reading it, the usual case
    when declarations come first."""
    if not waiting:
        return []
    present = store.documents_present(_keys_of(waiting.values()))
    return [cid for cid, c in waiting.items() if any(key in present.get(kind, ()) for kind, key in _keys(c))]


def catch_up(
    store: ClearanceStore,
    candidates: Collection[str],
    document_keys: Mapping[DocumentKind, Collection[str]],
    *,
    seen: Collection[str] = (),
    now: dt.datetime,
    actor: str,
    config: PipelineConfig,
) -> list[str]:
    """Link again the declarations that can now see documents their last link did not; their ids.

    ``candidates``: declarations the batch left waiting that documents are stored for
    (``with_documents``); ``document_keys``: the link keys of the documents the batch stored;
    ``seen``: the waiting declarations the batch already linked with those documents (rows it
    locked: nobody else moved them meanwhile).
    """
    rows: dict[str, StoredConsignment] = {}
    if candidates:
        rows.update(store.consignments_by_id(candidates, lock=True))
    skip = set(seen)
    for kind, keys in document_keys.items():
        if keys:
            rows.update((row.id, row) for row in store.awaiting_by_keys(kind, keys) if row.id not in skip)
    rows_waiting = [row for row in rows.values() if row.status.state is State.AWAITING_DOCUMENTS]
    if not rows_waiting:
        return []
    docs = link_views_for(store, rows_waiting)
    last = store.last_links([row.id for row in rows_waiting])
    moved = [row for row in rows_waiting if link_with(docs, row) != last.get(row.id)]
    relink(store, moved, now=now, actor=actor, config=config)
    return [row.id for row in moved]


def _keys(c: Consignment) -> list[tuple[DocumentKind, str]]:
    """The keys a declaration's documents are found by (clearance.documents.documents_for)."""
    return [
        ("order", c.transaction.order_number),
        ("payment", payment_key(c)),
        ("waybill", c.logistics.transport_document),
    ]


def _keys_of(records: Collection[Consignment]) -> dict[DocumentKind, set[str]]:
    found: dict[DocumentKind, set[str]] = {"order": set(), "payment": set(), "waybill": set()}
    for c in records:
        for kind, key in _keys(c):
            found[kind].add(key)
    return found


def left_waiting(
    results: Collection[SubmissionResult], records: Sequence[Consignment] | Mapping[int, Consignment]
) -> dict[str, Consignment]:
    """The declarations a batch accepted, or found stored already, that wait for documents
    (``results`` in the order of ``records``). Duplicates count: a batch delivered again after its
    first delivery committed but did not catch up (a process killed in between) catches up now."""
    return {
        r.id: records[r.index] for r in results if r.status in _STORED and r.id and r.state is State.AWAITING_DOCUMENTS
    }


_STORED = frozenset({"accepted", "duplicate"})


def link_keys(kind: DocumentKind, record: Document) -> set[str]:
    """The keys a stored document is looked up by: its number, and a payment's order number too (a
    declaration that names no payment id waits for its payment under the order number)."""
    if kind == "payment" and isinstance(record, Payment):
        return {document_number(record), record.order_number}
    return {document_number(record)}


def keys_stored(kind: DocumentKind, records: Sequence[Document], results: Sequence[SubmissionResult]) -> set[str]:
    """The link keys of the documents a batch stored, or found stored already (a redelivery catches
    up what its first delivery may not have: ``left_waiting``), ``results`` in the order of ``records``."""
    keys: set[str] = set()
    for result in results:
        if result.status in _STORED:
            keys |= link_keys(kind, records[result.index])
    return keys
