"""Narrow reads for catching up with another process's commit (clearance.catch_up): which link keys
have a document stored under them, and each waiting declaration's last link result."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

import msgspec

from clearway.clearance.linking import LinkResult
from clearway.dataset.records import DocumentKind
from clearway.store.bulk import BulkWriter

_CHUNK = 2000
_LINK = msgspec.json.Decoder(LinkResult)


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def documents_present(w: BulkWriter, keys: Mapping[DocumentKind, Collection[str]]) -> dict[DocumentKind, set[str]]:
    """Of ``keys``, those a stored document of that kind is found by (a payment by its id or its
    order number), whoever sent it: keys only, no body read."""
    found: dict[DocumentKind, set[str]] = {}
    for kind, wanted in keys.items():
        columns = ("number", "order_number") if kind == "payment" else ("number",)
        for column in columns:
            for chunk in _chunks(wanted):
                among, values_params = w.among(column, chunk)
                sql = f"SELECT DISTINCT {column} FROM documents WHERE kind = {w.mark} AND {among}"
                for (key,) in w.conn.exec_driver_sql(sql, (kind, *values_params)):
                    found.setdefault(kind, set()).add(key)
    return found


def last_links(w: BulkWriter, consignment_ids: Collection[str]) -> dict[str, LinkResult]:
    """Each consignment's latest link result (results are appended in id order)."""
    found: dict[str, LinkResult] = {}
    for chunk in _chunks(consignment_ids):
        among, values_params = w.among("consignment_id", chunk)
        sql = f"SELECT consignment_id, link FROM results WHERE {among} ORDER BY id"
        for cid, body in w.conn.exec_driver_sql(sql, values_params):
            found[cid] = _LINK.decode(body)
    return found
