"""`clearway serve`: the API and the pages under uvicorn."""

from __future__ import annotations

import copy
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


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the application's loggers (the access log among them) on its handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["clearway"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API and the pages, with an access log on standard error (route templates, no queries)."""
    import uvicorn

    from clearway.store.readiness import require_ready

    # Refused here, on one line, rather than by a traceback from the first request or the startup.
    require_ready(settings().database_url)
    # One serving process per SQLite file (store/writer_lock.py); nothing for PostgreSQL.
    with sole_writer(settings().database_url, processes=workers, what="clearway serve"):
        uvicorn.run(
            "clearway.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=log_config(),
            **server_options(),
        )


def register(app: typer.Typer) -> None:
    app.command()(serve)
