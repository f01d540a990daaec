"""Kept standard messages as the pipeline needs them: which messages a batch's changed declarations
(or pre-loading filings) came in, so that their senders can be told the answers changed
(``message.response_ready``)."""

from __future__ import annotations

from collections.abc import Collection

from clearway.store.bulk import BulkWriter

_CHUNK = 2000
# The standards whose family answers a message from its records' states (messages.registry's
# responders; a test holds the two lists equal). The store does not import the adapters.
ANSWERED_STANDARDS = ("cn-ceb", "eu-h7", "eu-ics2", "upu-cusitm", "upu-itmatt")


def messages_answering(
    bulk: BulkWriter, record_ids: Collection[str], kind: str = "consignment"
) -> list[tuple[str, str, str]]:
    """(message id, standard, sender) of the messages of ANSWERED_STANDARDS that carried these
    records of ``kind`` (declarations, pre-loading filings), each once, in message id order."""
    found: dict[str, tuple[str, str, str]] = {}
    ids = sorted(record_ids)
    standards = ", ".join(f"'{s}'" for s in ANSWERED_STANDARDS)  # constants, not input
    for start in range(0, len(ids), _CHUNK):
        among, params = bulk.among("r.record_id", ids[start : start + _CHUNK])
        sql = (
            "SELECT m.id, m.standard, m.operator_id FROM message_records r JOIN messages m ON m.id = r.message_id "
            f"WHERE {among} AND r.kind = {bulk.mark} AND m.standard IN ({standards})"
        )
        for message_id, standard, operator_id in bulk.conn.exec_driver_sql(sql, (*params, kind)):
            found[message_id] = (message_id, standard, operator_id)
    return [found[key] for key in sorted(found)]
