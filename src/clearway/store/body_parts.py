"""Parts that stored bodies share, kept once each under the SHA-256 of their JSON (``body_parts``,
migration 0022): the legal references, parameter versions and exchange rates of assessments
(store.assessment_codec), the rule versions of risk results (store.risk_repo).

Content-addressed, so several processes writing the same part write the same row (the second
write does nothing), and a part once read never changes: each process keeps those it has read.
Parts hold parameter and rule names, legal references and published rates: never personal data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping

import sqlalchemy as sa

from clearway.store.bulk import BulkWriter
from clearway.store.tables import metadata

DIGEST_CHARS = 32  # 128 bits of SHA-256: content addresses of values no sender chooses
_CACHE_LIMIT = 100_000

body_parts = sa.Table(
    "body_parts",
    metadata,
    sa.Column("digest", sa.String(DIGEST_CHARS), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)

# Parts by digest, as read or written by this process.
_KNOWN: dict[str, str] = {}


def digest(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()[:DIGEST_CHARS]


def store(w: BulkWriter, parts: Mapping[str, str]) -> None:
    """A batch's parts, those already stored left alone. In digest order, so that within one call
    two processes adding the same new parts wait for each other in one order. A batch stores its
    assessments' parts and its rule set's in two calls, so two batches can still deadlock across
    them (rarely); PostgreSQL then refuses one, and app.concurrency.retry_conflicts runs it again."""
    if not parts:
        return
    verb, tail = ("INSERT OR IGNORE", "") if w.sqlite else ("INSERT", " ON CONFLICT (digest) DO NOTHING")
    w.conn.exec_driver_sql(
        f"{verb} INTO body_parts (digest, body) VALUES ({w.mark}, {w.mark}){tail}",
        [(key, parts[key]) for key in sorted(parts)],
    )


def read(conn: sa.Connection, digests: Collection[str]) -> dict[str, str]:
    """The parts named (digest -> JSON), from the process's cache or the database."""
    # A local copy of what is known: API threads share the cache, which may be cleared.
    have = {key: text for key in digests if (text := _KNOWN.get(key)) is not None}
    if missing := set(digests) - have.keys():
        query = sa.select(body_parts.c.digest, body_parts.c.body).where(body_parts.c.digest.in_(sorted(missing)))
        found = {str(key): str(text) for key, text in conn.execute(query)}
        if len(_KNOWN) > _CACHE_LIMIT:
            _KNOWN.clear()
        _KNOWN.update(found)
        have.update(found)
    return have
