"""One batch of stream records through the application's services: one result per record, in order.

Canonical records of every kind and operator go through ``Clearway.submit_mixed`` in ONE transaction
(the path the API's group commit takes); each standard message goes through the message service as
``POST /v1/messages/{standard}`` does, in its own transaction with the message kept as received.
Nothing here commits a broker offset: the loop (app.stream.loop) does that once every transaction of
the batch has committed.

Idempotency is the pipeline's own: a record whose operator and reference (or document number) are
stored with the same content is answered ``duplicate`` with the stored id and state, and stored
nothing. A standard message is kept once per operator and content: the same bytes from the same
operator within ``MESSAGE_REPEAT_WINDOW`` are answered ``duplicate`` with what they became the first time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence

import sqlalchemy as sa

from clearway.app.messages import outcomes_of
from clearway.app.platform import Clearway
from clearway.app.stream.records import (
    Canonical,
    Incoming,
    Message,
    Refusal,
    StreamResult,
    operator_of,
    read,
    source_of,
)
from clearway.clearance.model import SubmissionResult
from clearway.dataset.errors import FieldError
from clearway.store.message_tables import messages
from clearway.store.tables import operators

_log = logging.getLogger(__name__)
# A redelivery comes when a worker restarts after a crash: minutes, at worst days, after the first
# delivery. The look-up for a repeated message runs on the (operator, received_at) index within it.
MESSAGE_REPEAT_WINDOW = dt.timedelta(days=7)


@dataclasses.dataclass(frozen=True, slots=True)
class Decided:
    """What became of one record, and whether it goes to the dead-letter topic (with which stage)."""

    incoming: Incoming
    result: StreamResult
    dead_letter_stage: str | None = None


def decide(svc: Clearway, batch: Sequence[Incoming]) -> list[Decided]:
    """Every record of the batch decided and stored (or refused), in the order given.

    Raises only what a retry may mend (the database went away): then nothing of the canonical part
    was stored, and a message already kept is answered ``duplicate`` on the retry.
    """
    read_all = [read(incoming) for incoming in batch]
    registered = _active_operators(svc, {r.operator for r in read_all if not isinstance(r, Refusal)})
    decided: list[Decided | None] = [None] * len(batch)
    canonical: list[tuple[int, Canonical]] = []
    for i, (incoming, what) in enumerate(zip(batch, read_all, strict=True)):
        if not isinstance(what, Refusal) and what.operator not in registered:
            detail = f"operator {what.operator!r} is not registered and active at customs"
            what = Refusal("operator", [FieldError("", detail)], what.operator, _kind(what))
        if isinstance(what, Refusal):
            decided[i] = _refused(incoming, what)
        elif isinstance(what, Canonical):
            canonical.append((i, what))
    for (i, _), done in zip(canonical, _submit(svc, [(batch[i], c) for i, c in canonical]), strict=True):
        decided[i] = done
    for i, what in enumerate(read_all):
        if decided[i] is None and isinstance(what, Message):
            decided[i] = _receive(svc, batch[i], what)
    return [d for d in decided if d is not None]


def _kind(what: Canonical | Message) -> str:
    return what.kind if isinstance(what, Canonical) else what.standard


def _active_operators(svc: Clearway, wanted: set[str]) -> set[str]:
    if not wanted:
        return set()
    query = sa.select(operators.c.id).where(operators.c.id.in_(sorted(wanted)), operators.c.status == "active")
    with svc.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def _refused(incoming: Incoming, refusal: Refusal) -> Decided:
    operator = refusal.operator if refusal.operator is not None else operator_of(incoming)
    result = StreamResult(
        status="rejected",
        source=source_of(incoming),
        operator=operator if isinstance(operator, str) else None,
        kind=refusal.kind,
        errors=refusal.errors,
        dead_lettered=True,
    )
    return Decided(incoming, result, refusal.stage)


def _submit(svc: Clearway, items: list[tuple[Incoming, Canonical]]) -> list[Decided]:
    """The canonical records in one transaction; if it fails for another reason than the database
    going away, one by one, so that one record cannot fail its neighbours (as api/batcher.py does)."""
    if not items:
        return []
    submissions = [(c.kind, c.operator, c.record) for _, c in items]
    try:
        results = svc.submit_mixed(submissions)
    except sa.exc.OperationalError:
        raise
    except Exception:
        _log.exception("a batch of %d stream records failed as a whole; submitting them one by one", len(items))
        results = [r for one in submissions for r in _submit_one(svc, one)]
    return [_submitted(incoming, what, result) for (incoming, what), result in zip(items, results, strict=True)]


def _submit_one(svc: Clearway, submission: tuple[str, str, object]) -> list[SubmissionResult]:
    try:
        return svc.submit_mixed([submission])
    except sa.exc.OperationalError:
        raise
    except Exception as exc:
        # A record the pipeline itself cannot take is poison: refused alone, sent to the dead letters.
        _log.exception("a stream record failed in the pipeline")
        detail = f"the pipeline failed on this record: {type(exc).__name__}: {str(exc)[:300]}"
        return [SubmissionResult(index=0, status="rejected", errors=[FieldError("", detail)])]


def _submitted(incoming: Incoming, what: Canonical, result: SubmissionResult) -> Decided:
    # Refused by the pipeline's checks (or failed in it): poison. A conflict (a reference reused with
    # other content) is an answer, not poison: the operator amends instead of sending it again.
    failed = result.status == "rejected"
    stream_result = StreamResult(
        status=result.status,
        source=source_of(incoming),
        operator=what.operator,
        kind=what.kind,
        reference=result.reference,
        id=result.id,
        state=str(result.state) if result.state is not None else None,
        version=result.version,
        errors=list(result.errors),
        dead_lettered=failed,
    )
    return Decided(incoming, stream_result, "pipeline" if failed else None)


def _receive(svc: Clearway, incoming: Incoming, message: Message) -> Decided:
    digest = hashlib.sha256(message.body).hexdigest()
    result = StreamResult(
        status="accepted", source=source_of(incoming), operator=message.operator, kind=message.standard
    )
    kept = _kept_before(svc, message.operator, digest)
    if kept is not None:
        result.status, result.message_id = "duplicate", kept[0]
        result.records = list(outcomes_of(kept[1]))
        return Decided(incoming, result)
    try:
        received = svc.messages.receive(message.standard, message.operator, message.body, message.media_type)
    except sa.exc.OperationalError:
        raise
    except Exception as exc:
        # A message its adapter or the pipeline cannot take at all must not stop the worker (it would
        # come again and again): refused alone, a dead letter.
        _log.exception("a stream message failed in the message service")
        detail = f"the message service failed on this message: {type(exc).__name__}: {str(exc)[:300]}"
        result.status, result.errors, result.dead_lettered = "rejected", [FieldError("", detail)], True
        return Decided(incoming, result, "pipeline")
    result.message_id, result.records = received.id, received.records
    if received.refused:
        # Kept as received with each record's own refusal (as the API keeps it), so not a dead letter.
        result.status = "rejected"
    return Decided(incoming, result)


def _kept_before(svc: Clearway, operator: str, digest: str) -> tuple[str, str] | None:
    since = dt.datetime.now(dt.UTC) - MESSAGE_REPEAT_WINDOW
    query = (
        sa.select(messages.c.id, messages.c.result)
        .where(messages.c.operator_id == operator, messages.c.received_at >= since, messages.c.sha256 == digest)
        .order_by(messages.c.received_at)
        .limit(1)
    )
    with svc.engine.connect() as conn:
        row = conn.execute(query).first()
    return (row[0], row[1]) if row is not None else None
