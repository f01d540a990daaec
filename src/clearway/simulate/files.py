"""Writing simulated traffic as NDJSON files, one record per line, the way operators would upload them.

``consignments.ndjson``, ``orders.ndjson``, ``payments.ndjson`` and ``waybills.ndjson`` hold the
bare records (``msgspec.json.encode(record)``, sorted by the time customs received them). Who sent
each record is in ``truth.ndjson``: line i describes line i of ``consignments.ndjson`` and names the
operator id that sent the consignment and each of its documents (null for a document never sent),
with the document numbers to find them by (order_number, payment_id, transport_document).
``operators.ndjson`` lists the operators (id, kind, name, country).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from clearway.simulate.model import Submission, Traffic

FILES: tuple[str, ...] = (
    "consignments.ndjson",
    "orders.ndjson",
    "payments.ndjson",
    "waybills.ndjson",
    "truth.ndjson",
    "operators.ndjson",
)
_CHUNK = 20_000


def _write(path: Path, items: Sequence[Any], encoder: msgspec.json.Encoder) -> int:
    with path.open("wb") as out:
        for begin in range(0, len(items), _CHUNK):
            out.write(encoder.encode_lines(items[begin : begin + _CHUNK]))
    return len(items)


def _records(submissions: Iterable[Submission[Any]]) -> list[Any]:
    return [s.record for s in submissions]


def write_traffic(traffic: Traffic, out_dir: str | Path) -> dict[str, int]:
    """Write the six NDJSON files into ``out_dir`` (created if needed); returns lines per file."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder(decimal_format="string")
    batches: dict[str, Sequence[Any]] = {
        "consignments.ndjson": _records(traffic.consignments),
        "orders.ndjson": _records(traffic.orders),
        "payments.ndjson": _records(traffic.payments),
        "waybills.ndjson": _records(traffic.waybills),
        "truth.ndjson": traffic.truth,
        "operators.ndjson": traffic.operators,
    }
    return {name: _write(directory / name, items, encoder) for name, items in batches.items()}
