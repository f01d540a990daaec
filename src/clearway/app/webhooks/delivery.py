"""The deliverer: claims due deliveries from the outbox, POSTs them signed, records every try.

At least once, in order per subscription: a delivery is claimed (for a while, so that a deliverer
that dies mid-send leaves it to the next), sent, and its result recorded; a 2xx delivers it,
anything else or no answer is tried again after a wait drawn at random up to the schedule's step
("full jitter", so that a receiver coming back is not hit by every sender at once), and after the
last try it has failed. A subscription's next delivery waits until the one before it is delivered
or has failed. Receivers deduplicate by the webhook-id header, which a retry or redelivery keeps.

A pass claims the first waiting delivery of up to ``batch`` subscriptions with up to ``run - 1``
queued behind each, and sends each subscription's run in order, on its own thread (``workers`` at
once) and over a kept-alive connection: the next of a run goes only once the one before it is
delivered, and a failed try, or a run that has taken ``run_seconds`` already, hands the rest back
to wait their turn. Endpoints go in parallel; one endpoint's deliveries, one after the other.

Runs in the server (api/app.py, beside the sweep) and as ``clearway webhooks deliver``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa

from clearway.app.webhooks import signing
from clearway.app.webhooks.addresses import RefusedUrl, Resolver, resolve_target, system_resolver
from clearway.store import webhook_repo
from clearway.store.webhook_repo import DELIVERED, FAILED, PENDING, Attempt, Claimed, Outcome

log = logging.getLogger("clearway.webhooks")

# The waits before tries 2 to 8 (each drawn between 0 and its step): 8 tries over about a day and a half.
SCHEDULE: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=3),
    dt.timedelta(hours=6),
    dt.timedelta(hours=24),
)
TRIES = len(SCHEDULE) + 1
# How long a claim lasts: well past one try's timeout, so that only a dead deliverer's claims run out.
CLAIM = dt.timedelta(minutes=2)
USER_AGENT = "Clearway-Webhooks/1"
_CLIENTS = 64


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def next_try(tries: int, now: dt.datetime, rng: random.Random) -> dt.datetime | None:
    """When to try again after ``tries`` failed tries (None: that was the last one)."""
    if tries >= TRIES:
        return None
    step = SCHEDULE[tries - 1]
    return now + dt.timedelta(seconds=rng.uniform(0, step.total_seconds()))


class Deliverer:
    def __init__(
        self,
        engine: sa.Engine,
        key: bytes,
        *,
        write_lock: threading.Lock,
        allow_private: bool,
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
        resolve: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
        batch: int = 32,
        workers: int = 8,
        run: int = 32,
        run_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.key = key
        self._lock = write_lock
        self.allow_private = allow_private
        # Half to connect, half for the answer's headers: at most about ``timeout`` seconds a try.
        half = timeout / 2
        self.timeout = httpx.Timeout(connect=half, read=half, write=half, pool=half)
        self.budget = timeout
        self.clock = clock
        self.rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.resolve = resolve
        self.verify = verify
        self.batch = batch
        self.workers = workers
        self.run = run
        # Past this, a run stops after its current try: a slow endpoint neither keeps its claim near
        # its end nor holds up the pass (and so the other endpoints' next runs) for long.
        self.run_seconds = run_seconds
        # Kept for the deliverer's life: a pass every few milliseconds must not start threads.
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhooks")
        # One client per (scheme, host name, port, address): a kept-alive connection is only reused
        # for the name it was opened (and its certificate checked) for.
        self._clients: OrderedDict[tuple[str, str, int, str], httpx.Client] = OrderedDict()
        self._clients_lock = threading.Lock()

    # -- one pass -------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim what is due now, send it, record the results; how many tries were made."""
        now = self.clock()
        with self._lock, self.engine.begin() as conn:
            claimed = webhook_repo.claim_due(conn, now, now + CLAIM, self.batch, run=self.run)
        if not claimed:
            return 0
        runs: dict[str, list[Claimed]] = {}
        for delivery in claimed:
            runs.setdefault(delivery.subscription_id, []).append(delivery)
        outcomes: list[Outcome] = []
        unsent: list[Claimed] = []
        for tried, rest in self._pool.map(self._send_run, runs.values()):
            outcomes += tried
            unsent += rest
        with self._lock, self.engine.begin() as conn:
            moved = webhook_repo.record_attempts(conn, outcomes)
            webhook_repo.release_claims(conn, unsent, self.clock())
        for o in outcomes:
            if o.claimed.id not in moved:
                log.warning("delivery %s: its claim ran out before its result came (try logged only)", o.claimed.id)
            elif o.state == FAILED:
                log.warning(
                    "delivery %s to subscription %s failed after %d tries",
                    o.claimed.id,
                    o.claimed.subscription_id,
                    o.claimed.tries + 1,
                )
        return len(outcomes)

    def drain(self, *, rounds: int = 10_000) -> int:
        """Pass after pass until nothing is due now (what ``clearway webhooks deliver --once`` does)."""
        total = 0
        for _ in range(rounds):
            done = self.run_once()
            if not done:
                break
            total += done
        return total

    def _send_run(self, run: Sequence[Claimed]) -> tuple[list[Outcome], list[Claimed]]:
        """Send a subscription's claimed deliveries in order until one fails or time is up: the
        outcomes of those tried, and those left to hand back."""
        deadline = time.monotonic() + self.run_seconds
        tried: list[Outcome] = []
        for i, delivery in enumerate(run):
            outcome = self._outcome(delivery, self._send(delivery))
            tried.append(outcome)
            if outcome.state != DELIVERED or time.monotonic() > deadline:
                return tried, list(run[i + 1 :])
        return tried, []

    def _outcome(self, delivery: Claimed, attempt: Attempt) -> Outcome:
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            return Outcome(delivery, attempt, DELIVERED, None)
        with self._rng_lock:  # one random.Random for the pass's threads
            next_at = next_try(delivery.tries + 1, self.clock(), self.rng)
        return Outcome(delivery, attempt, PENDING if next_at is not None else FAILED, next_at)

    # -- one try ----------------------------------------------------------------------------------

    def _send(self, delivery: Claimed) -> Attempt:
        at = self.clock()
        started = time.perf_counter()

        def result(status: int | None, error: str | None = None) -> Attempt:
            return Attempt(
                at=at, status_code=status, error=error, duration_ms=int(1000 * (time.perf_counter() - started))
            )

        try:
            # Resolved and checked again now: the name may point elsewhere than at subscription time.
            target = resolve_target(delivery.url, allow_private=self.allow_private, resolve=self.resolve)
        except RefusedUrl as exc:
            return result(None, f"not sent: {exc}")
        # The signature's time is the real one, whatever clock schedules the tries: the receiver
        # compares it with its own clock to refuse replays.
        timestamp = int(time.time())
        message_id = f"msg_{delivery.event_id}"
        headers = {
            "Content-Type": "application/json",
            "Host": target.host_header(),
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(
                self._secrets(delivery, at), message_id, timestamp, delivery.payload
            ),
        }
        # The connection goes to the address just checked; TLS checks the certificate against the name.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" and not target.is_literal else {}
        try:
            client = self._client(target.scheme, target.host, target.port, target.address)
            with client.stream(
                "POST", target.connect_url(), content=delivery.payload, headers=headers, extensions=extensions
            ) as answer:
                _drain(answer, started + self.budget)
                return result(answer.status_code)
        except httpx.TimeoutException:
            return result(None, "no answer in time")
        except httpx.HTTPError as exc:
            return result(None, f"no connection: {type(exc).__name__}: {exc}"[:300])

    def _secrets(self, delivery: Claimed, now: dt.datetime) -> Sequence[bytes]:
        keys = [signing.secret_of(self.key, delivery.secret_salt)]
        if delivery.previous_salt and delivery.previous_until is not None and delivery.previous_until > now:
            keys.append(signing.secret_of(self.key, delivery.previous_salt))
        return keys

    def _client(self, scheme: str, host: str, port: int, address: str) -> httpx.Client:
        key = (scheme, host, port, address)
        with self._clients_lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            client = httpx.Client(
                timeout=self.timeout,
                follow_redirects=False,
                verify=self.verify,
                trust_env=False,  # no proxy from the environment: the address checked is the one reached
                headers={"User-Agent": USER_AGENT},
                # As many connections to one address as the pass has threads, each kept alive for the
                # next delivery (receivers often serve several subscriptions on one host).
                limits=httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers),
            )
            self._clients[key] = client
            while len(self._clients) > _CLIENTS:
                _, oldest = self._clients.popitem(last=False)
                oldest.close()
            return client

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._clients_lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


# The most of a receiver's answer body read (and thrown away) so that its connection can carry the
# next delivery: an acknowledgement is short, and a longer one just closes the connection.
_BODY = 4096


def _drain(answer: httpx.Response, deadline: float) -> None:
    """Read a short answer's body to its end, within the try's time (perf_counter ``deadline``), so
    that the kept-alive connection is reused; an answer closed unread closes its connection. The
    status is the answer, whatever happens to its body."""
    read = 0
    try:
        for chunk in answer.iter_raw():
            read += len(chunk)
            if read > _BODY or time.perf_counter() > deadline:
                return
    except httpx.HTTPError:
        return


__all__ = ["CLAIM", "SCHEDULE", "TRIES", "Deliverer", "next_try"]
