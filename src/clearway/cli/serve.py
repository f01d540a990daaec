"""`clearway serve`: the API and the pages under uvicorn."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from clearway.cli.common import settings
from clearway.store.writer_lock import sole_writer


def server_options() -> dict[str, Any]:
    """uvicorn's options as `clearway serve` sets them (the server tests start theirs with these too)."""
    return {
        # The application takes X-Forwarded-For itself, from CLEARWAY_TRUSTED_PROXIES only
        # (api/app.py); uvicorn's own handling would trust it from 127.0.0.1 and FORWARDED_ALLOW_IPS.
        "proxy_headers": False,
        # uvicorn's access log prints each path with its query string, which can carry personal data;
        # the application's own (clearway.access, api/access_log.py) names route templates only.
        "access_log": False,
        "server_header": False,
    }


def log_config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's and the application's loggers (the access log among them) on one handler, as text
    or JSON lines (CLEARWAY_LOG_FORMAT), each line with its request id."""
    from clearway.app.logs import logging_config

    return logging_config(log_format)


def share_metrics(chosen: str, workers: int) -> str | None:
    """The directory the worker processes share their metrics in (app/metrics.py), emptied, and
    named in PROMETHEUS_MULTIPROC_DIR for them; None for one process, which keeps them in memory.

    uvicorn starts its workers as new interpreters, which read the variable when they import
    prometheus-client; files left by an earlier run would add its counts to this one's.
    """
    if workers <= 1:
        return None
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or chosen or tempfile.mkdtemp(prefix="clearway-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return str(folder)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API and the pages, with an access log on standard error (route templates, no queries)."""
    import uvicorn

    from clearway.store.readiness import require_ready

    # Refused here, on one line, rather than by a traceback from the first request or the startup.
    chosen = settings()
    require_ready(chosen.database_url)
    # One serving process per SQLite file (store/writer_lock.py); nothing for PostgreSQL.
    with sole_writer(chosen.database_url, processes=workers, what="clearway serve"):
        share_metrics(chosen.metrics_dir, workers)
        uvicorn.run(
            "clearway.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=log_config(chosen.log_format),
            **server_options(),
        )


def register(app: typer.Typer) -> None:
    app.command()(serve)
