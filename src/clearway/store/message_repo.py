"""Kept standard messages as the pipeline needs them: which messages a batch's changed declarations
came in, so that their senders can be told the answers changed (``message.response_ready``)."""

from __future__ import annotations

from collections.abc import Collection

from clearway.store.bulk import BulkWriter

_CHUNK = 2000
# The standards whose family answers a message from its records' states (messages.registry's
# responders; a test holds the two lists equal). The store does not import the adapters.
ANSWERED_STANDARDS = ("cn-ceb", "eu-h7", "eu-ics2", "upu-cusitm", "upu-itmatt")


def messages_answering(bulk: BulkWriter, consignment_ids: Collection[str]) -> list[tuple[str, str, str]]:
    """(message id, standard, sender) of the messages of ANSWERED_STANDARDS that carried these
    declarations, each once, in message id order."""
    found: dict[str, tuple[str, str, str]] = {}
    ids = sorted(consignment_ids)
    standards = ", ".join(f"'{s}'" for s in ANSWERED_STANDARDS)  # constants, not input
    for start in range(0, len(ids), _CHUNK):
        among, params = bulk.among("r.record_id", ids[start : start + _CHUNK])
        sql = (
            "SELECT m.id, m.standard, m.operator_id FROM message_records r JOIN messages m ON m.id = r.message_id "
            f"WHERE {among} AND r.kind = 'consignment' AND m.standard IN ({standards})"
        )
        for message_id, standard, operator_id in bulk.conn.exec_driver_sql(sql, params):
            found[message_id] = (message_id, standard, operator_id)
    return [found[key] for key in sorted(found)]
