"""Debian's Chromium, driven by Playwright: where it is and how it is started on a closed network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine notes say: without these, Chromium's background connections fail on a closed network.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

# `make test` installs Chromium; a machine without it skips the page tests, and says why.
requires_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium missing: `make test` installs it")
