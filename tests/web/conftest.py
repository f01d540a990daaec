"""Fixtures of the page and server tests: the app served by uvicorn on localhost, as `clearway serve` runs it."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from clearway.api.app import create_app
from clearway.app.platform import Clearway
from clearway.cli.serve import server_options

Serve = Callable[..., str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve(service: Clearway) -> Iterator[Serve]:
    """Start the app with some settings changed; returns its base URL. Stopped after the test."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**changes: Any) -> str:
        settings = dataclasses.replace(service.settings, **changes)
        port = _free_port()
        app = create_app(settings, service, sweep=False)
        # log_config=None: the test's logging stays as pytest set it (caplog sees the access log).
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", log_config=None, **server_options()
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
