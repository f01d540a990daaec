"""Fixtures of the page and server tests: the app served by uvicorn on localhost, as `clearway serve` runs it."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from clearway.api.app import create_app
from clearway.app.demo import load_demo
from clearway.app.platform import Clearway
from clearway.cli.serve import server_options
from clearway.settings import Settings
from tests.conftest import NO_MODEL, TEST_SECRET, empty
from tests.web.chromium import CHROMIUM, FLAGS, playwright_api

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


# -- a browser on the demo data: Debian's Chromium driven by Playwright ----------------------------


@pytest.fixture(scope="module")
def demo_app(engine: sa.Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory, hs_model: str) -> FastAPI:
    """The app on fresh demo data (one load per test module), as `server` serves it."""
    empty(engine)
    folder = tmp_path_factory.mktemp("browser")
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        secret_key_file=str(folder / "secret.key"),
        model_dir=NO_MODEL,
        hs_model_dir=hs_model,  # the HS assistant: /classify answers, the pipeline checks declared codes
        rate_limit_per_second=0,
        stats_refresh_seconds=0,  # the dashboard reads the store afresh on each visit
    )
    svc = Clearway(settings, engine=engine)
    load_demo(svc, count=400, seed=21, force=True)
    return create_app(settings, svc, sweep=False)


@pytest.fixture(scope="module")
def server(demo_app: FastAPI) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(demo_app, host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    # localhost: a "potentially trustworthy" origin, so the Secure session cookie is kept over http.
    yield f"http://localhost:{port}"
    web.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
