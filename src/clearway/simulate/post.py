"""Sending simulated traffic to a running Clearway API, as the operators would.

Records are sent in the order customs would receive them: the four streams are merged by
``received_at`` and cut into windows of consecutive submissions (at most ``window`` of them, within
at most ``span`` of simulated time); within a window the records are grouped per (record type,
operator), documents first (orders, payments, waybills) and consignments last, and each group is
posted in batches of ``batch_size`` as NDJSON under the sending operator's own API key.
A late document (days after its consignment) therefore reaches the API after the consignment, as in
the simulation, while batches stay large; only within a window may a document overtake a
consignment received minutes before it. This is the only module of clearway.simulate that imports
an HTTP client.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import msgspec

from clearway.simulate.model import Submission, Traffic

NDJSON = "application/x-ndjson"
# Record type -> URL path segment, in the order a window sends them.
KINDS: tuple[tuple[str, str], ...] = (
    ("order", "orders"),
    ("payment", "payments"),
    ("waybill", "waybills"),
    ("consignment", "consignments"),
)
_COUNTS = ("accepted", "duplicates", "rejected")
# Counted when the server reports it (a resubmission that differs from the stored record).
_OPTIONAL = ("conflicts",)
_MAX_ERRORS = 20


def _timeline(traffic: Traffic) -> Iterator[tuple[str, Submission[Any]]]:
    streams: dict[str, Sequence[Submission[Any]]] = {
        "order": traffic.orders,
        "payment": traffic.payments,
        "waybill": traffic.waybills,
        "consignment": traffic.consignments,
    }

    def tagged(kind: str, submissions: Sequence[Submission[Any]]) -> Iterator[tuple[str, Submission[Any]]]:
        return ((kind, s) for s in submissions)

    return heapq.merge(*(tagged(k, s) for k, s in streams.items()), key=lambda pair: pair[1].received_at)


def _windows(
    timeline: Iterator[tuple[str, Submission[Any]]], size: int, span: dt.timedelta
) -> Iterator[list[tuple[str, Submission[Any]]]]:
    window: list[tuple[str, Submission[Any]]] = []
    for pair in timeline:
        if window and (len(window) >= size or pair[1].received_at - window[0][1].received_at >= span):
            yield window
            window = []
        window.append(pair)
    if window:
        yield window


def _groups(window: list[tuple[str, Submission[Any]]]) -> list[tuple[str, str, list[Any]]]:
    """(kind, operator, records) of one window: documents before consignments, operators by first use."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for kind, submission in window:
        grouped.setdefault((kind, submission.operator_id), []).append(submission.record)
    order = {kind: rank for rank, (kind, _) in enumerate(KINDS)}
    keys = sorted(grouped, key=lambda key: order[key[0]])  # stable: operators keep first-use order
    return [(kind, operator, grouped[kind, operator]) for kind, operator in keys]


def post_traffic(
    traffic: Traffic,
    base_url: str,
    batch_size: int = 1000,
    *,
    credentials: Mapping[str, str],
    window: int | None = None,
    span: dt.timedelta = dt.timedelta(hours=1),
    client: httpx.Client | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """POST every record of ``traffic`` to ``{base_url}/v1/{kind}s/batch`` and sum up the responses.

    ``credentials`` maps each operator id to its API key (``clearway demo`` writes them to
    var/demo-keys.json); an operator of the traffic without a key is refused before anything is sent.

    ``window`` is how many consecutive submissions are grouped at a time (default 10 x batch_size),
    ``span`` the longest stretch of simulated time a window covers.
    Returns ``requests``, ``records``, ``accepted``, ``duplicates``, ``rejected``, ``conflicts``
    (0 unless the server reports them), ``failed`` (records of requests that got no usable
    answer), the same counts per record type in
    ``by_kind``, and up to 20 ``errors`` (kind, operator_id, status, detail). An HTTP error status
    is counted and reported; a transport error (server unreachable) is raised.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    senders = {op.id for op in traffic.operators}
    if missing := sorted(senders - set(credentials)):
        raise ValueError(f"no API key for operators: {', '.join(missing)}")
    window = window or 10 * batch_size
    base = base_url.rstrip("/")
    paths = dict(KINDS)
    encoder = msgspec.json.Encoder(decimal_format="string")
    summary: dict[str, Any] = dict.fromkeys(("requests", "records", *_COUNTS, *_OPTIONAL, "failed"), 0)
    by_kind = {kind: dict.fromkeys(("records", *_COUNTS, *_OPTIONAL, "failed"), 0) for kind, _ in KINDS}
    errors: list[dict[str, Any]] = []
    owned = client is None
    http = client if client is not None else httpx.Client(timeout=timeout)
    try:
        for chunk in _windows(_timeline(traffic), window, span):
            for kind, operator, records in _groups(chunk):
                for begin in range(0, len(records), batch_size):
                    batch = records[begin : begin + batch_size]
                    response = http.post(
                        f"{base}/v1/{paths[kind]}/batch",
                        content=encoder.encode_lines(batch),
                        headers={"Content-Type": NDJSON, "Authorization": f"Bearer {credentials[operator]}"},
                    )
                    counts, problem = _counts(response)
                    summary["requests"] += 1
                    summary["records"] += len(batch)
                    by_kind[kind]["records"] += len(batch)
                    if counts is None:
                        summary["failed"] += len(batch)
                        by_kind[kind]["failed"] += len(batch)
                        if len(errors) < _MAX_ERRORS:
                            errors.append(
                                {
                                    "kind": kind,
                                    "operator_id": operator,
                                    "status": response.status_code,
                                    "detail": problem,
                                }
                            )
                        continue
                    for name, value in counts.items():
                        summary[name] += value
                        by_kind[kind][name] += value
    finally:
        if owned:
            http.close()
    summary["by_kind"] = by_kind
    summary["errors"] = errors
    return summary


def _counts(response: httpx.Response) -> tuple[dict[str, int] | None, str]:
    """The accepted / duplicates / rejected counts of a batch response, or why there are none."""
    if response.status_code >= 400:
        return None, response.text[:500]
    try:
        body = response.json()
    except ValueError:
        return None, "response is not JSON"
    if not isinstance(body, dict) or not all(isinstance(body.get(name), int) for name in _COUNTS):
        return None, "response lacks accepted / duplicates / rejected counts"
    counts = {name: int(body[name]) for name in _COUNTS}
    counts.update({name: body[name] for name in _OPTIONAL if isinstance(body.get(name), int)})
    return counts, ""
