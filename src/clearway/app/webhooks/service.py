"""Operators' webhook subscriptions: subscribe, list, read, delete, rotate the secret; the delivery log
and manual redelivery. Each is the calling operator's own: another's is reported as missing.

Subscribing, deleting, rotating and redelivering are written to the audit chain (the host the URL
names, never its path or query, which may carry a receiver's token).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from clearway.app.secrets import derive, load_or_create
from clearway.app.webhooks import signing
from clearway.app.webhooks.addresses import RefusedUrl, Resolver, resolve_target, system_resolver
from clearway.app.webhooks.delivery import Deliverer, utcnow
from clearway.clearance.errors import Conflict, InvalidRecord, NotFound
from clearway.clearance.model import new_id
from clearway.clearance.notices import EVENT_TYPES
from clearway.dataset.errors import FieldError
from clearway.settings import Settings
from clearway.store import webhook_repo
from clearway.store.audit_log import SqlAuditLog

# Enough endpoints for production, staging and a few systems; a runaway script stops here.
MAX_SUBSCRIPTIONS = 10
# How long the secret replaced by a rotation keeps signing beside the new one.
GRACE = dt.timedelta(hours=24)
DELIVERY_STATES = ("pending", "delivered", "failed", "cancelled")


class WebhookService:
    def __init__(
        self,
        engine: sa.Engine,
        settings: Settings,
        *,
        write_lock: threading.Lock,
        resolve: Resolver = system_resolver,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = write_lock
        self.key = derive(load_or_create(settings.secret_key or None, settings.secret_key_file), signing.PURPOSE)
        # Tests point these at a resolver of their own and a clock they move.
        self.resolve = resolve
        self.clock = clock

    # -- subscriptions ----------------------------------------------------------------------------

    def subscribe(
        self, operator_id: str, url: str, event_types: Sequence[str], *, description: str = ""
    ) -> tuple[dict[str, Any], str]:
        """A new subscription, and its signing secret (shown this once)."""
        self._check(url, event_types, description)
        now = self.clock()
        salt = signing.new_salt()
        types = " ".join(sorted(set(event_types), key=EVENT_TYPES.index))
        row: dict[str, Any] = {
            "id": new_id(),
            "operator_id": operator_id,
            "url": url,
            "event_types": types,
            "description": description,
            "secret_salt": salt,
            "previous_salt": None,
            "previous_until": None,
            "created_at": now,
            "secret_rotated_at": None,
            "deleted_at": None,
        }
        with self._lock, self.engine.begin() as conn:
            webhook_repo.lock_operator(conn, operator_id)
            live = webhook_repo.live_subscriptions(conn, operator_id)
            if len(live) >= MAX_SUBSCRIPTIONS:
                raise Conflict(f"an operator has at most {MAX_SUBSCRIPTIONS} subscriptions: delete one first")
            if any(existing["url"] == url for existing in live):
                raise Conflict(
                    "this URL already has a subscription: to change its event types, subscribe anew and delete it",
                    [FieldError("/url", "already subscribed")],
                )
            webhook_repo.insert_subscription(conn, row)
            detail = {"host": _host(url), "event_types": types.split()}
            SqlAuditLog(conn).record(f"operator:{operator_id}", "webhook.subscribed", str(row["id"]), detail, at=now)
        return _view(row), signing.shown(signing.secret_of(self.key, salt))

    def _check(self, url: str, event_types: Sequence[str], description: str) -> None:
        errors: list[FieldError] = []
        try:
            # Resolved now as at every delivery: a name pointing at a private network is refused
            # here, where the operator sees why, rather than failing every try later.
            resolve_target(url, allow_private=self.settings.webhooks_allow_private, resolve=self.resolve)
        except RefusedUrl as exc:
            errors.append(FieldError("/url", str(exc)))
        if not event_types:
            errors.append(FieldError("/event_types", "name at least one event type"))
        seen: set[str] = set()
        for i, kind in enumerate(event_types):
            if kind not in EVENT_TYPES:
                errors.append(
                    FieldError(f"/event_types/{i}", f"unknown event type; expected one of {', '.join(EVENT_TYPES)}")
                )
            elif kind in seen:
                errors.append(FieldError(f"/event_types/{i}", f"'{kind}' is named twice"))
            seen.add(kind)
        if len(description) > 200:
            errors.append(FieldError("/description", "at most 200 characters"))
        if errors:
            raise InvalidRecord("the subscription has invalid fields", errors)

    def subscriptions(self, operator_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_view(row) for row in webhook_repo.live_subscriptions(conn, operator_id)]

    def read(self, operator_id: str, subscription_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return _view(_own(conn, operator_id, subscription_id))

    def delete(self, operator_id: str, subscription_id: str) -> None:
        """End a subscription; what it still had to deliver is cancelled."""
        now = self.clock()
        with self._lock, self.engine.begin() as conn:
            _own(conn, operator_id, subscription_id, lock=True)
            cancelled = webhook_repo.delete_subscription(conn, subscription_id, now)
            detail = {"cancelled_deliveries": cancelled}
            SqlAuditLog(conn).record(f"operator:{operator_id}", "webhook.deleted", subscription_id, detail, at=now)

    def rotate_secret(self, operator_id: str, subscription_id: str) -> tuple[str, dt.datetime]:
        """A new secret (shown this once); the one it replaces signs beside it for GRACE."""
        now = self.clock()
        salt = signing.new_salt()
        until = now + GRACE
        with self._lock, self.engine.begin() as conn:
            row = _own(conn, operator_id, subscription_id, lock=True)
            webhook_repo.rotate_secret(conn, subscription_id, salt, keep=row["secret_salt"], until=until, now=now)
            detail = {"previous_valid_until": until.isoformat()}
            SqlAuditLog(conn).record(
                f"operator:{operator_id}", "webhook.secret_rotated", subscription_id, detail, at=now
            )
        return signing.shown(signing.secret_of(self.key, salt)), until

    # -- the delivery log -------------------------------------------------------------------------

    def deliveries(
        self, operator_id: str, subscription_id: str, *, state: str | None, before: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """A page of the subscription's deliveries, newest first, each with every try."""
        with self.engine.connect() as conn:
            _own(conn, operator_id, subscription_id)
            return webhook_repo.deliveries_page(conn, subscription_id, state=state, before=before, limit=limit)

    def redeliver(self, operator_id: str, subscription_id: str, delivery_id: str) -> dict[str, Any]:
        """Send a delivered or failed delivery again, behind what the subscription has waiting."""
        now = self.clock()
        with self._lock, self.engine.begin() as conn:
            _own(conn, operator_id, subscription_id, lock=True)
            found = webhook_repo.delivery(conn, subscription_id, delivery_id)
            if found is None:
                raise NotFound(f"no delivery '{delivery_id}' of this subscription")
            if found["state"] == webhook_repo.PENDING:
                raise Conflict("this delivery is still queued: it is sent (or tried again) without being asked")
            webhook_repo.requeue(conn, delivery_id, now)
            detail = {"subscription": subscription_id, "was": found["state"]}
            SqlAuditLog(conn).record(f"operator:{operator_id}", "webhook.redelivery", delivery_id, detail, at=now)
            redone = webhook_repo.delivery(conn, subscription_id, delivery_id)
        if redone is None:  # pragma: no cover - requeued in this transaction
            raise NotFound(f"no delivery '{delivery_id}' of this subscription")
        return redone

    def listing(self, operator_id: str) -> list[dict[str, Any]]:
        """What `clearway webhooks list` shows: each subscription with the count of deliveries by state."""
        with self.engine.connect() as conn:
            rows = webhook_repo.subscriptions_of_operator(conn, operator_id)
        return [_view(row) | {"deliveries": row.get("deliveries", {})} for row in rows]

    # -- the deliverer ------------------------------------------------------------------------------

    def deliverer(self, **overrides: Any) -> Deliverer:
        """A deliverer on this service's database, settings, resolver and clock."""
        options: dict[str, Any] = {
            "write_lock": self._lock,
            "allow_private": self.settings.webhooks_allow_private,
            "timeout": self.settings.webhooks_timeout_seconds,
            "clock": self.clock,
            "resolve": self.resolve,
        }
        return Deliverer(self.engine, self.key, **(options | overrides))


def _own(conn: sa.Connection, operator_id: str, subscription_id: str, *, lock: bool = False) -> dict[str, Any]:
    row = webhook_repo.subscription(conn, operator_id, subscription_id, lock=lock)
    # Another operator's subscription is reported exactly like a missing one.
    if row is None:
        raise NotFound(f"no webhook subscription '{subscription_id}'")
    return row


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """A subscription as its operator reads it: never its secret nor the salt it comes from."""
    return {
        "id": row["id"],
        "url": row["url"],
        "event_types": str(row["event_types"]).split(),
        "description": row["description"],
        "created_at": row["created_at"],
        "secret_rotated_at": row["secret_rotated_at"],
        "previous_secret_valid_until": row["previous_until"],
    }


__all__ = ["DELIVERY_STATES", "GRACE", "MAX_SUBSCRIPTIONS", "WebhookService"]
