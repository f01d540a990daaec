"""WCAG checks the page tests run in Chromium: axe-core's rules, reflow at 320 px, focus-ring contrast.

axe-core comes from the npm registry at the version of src/clearway/web/vendor/package-lock.json
(`make install` runs `npm ci` there); it is a test tool and is never served by the app. The checks'
own JavaScript is in tests/web/js/.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.web.chromium import playwright_api

AXE_PACKAGE = Path(__file__).resolve().parents[2] / "src/clearway/web/vendor/node_modules/axe-core"
SCRIPTS = Path(__file__).with_name("js")
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA: what the accessibility statement promises.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# WCAG 1.4.10 Reflow: content readable at 320 CSS px wide without scrolling in two directions.
NARROW = 320
WIDE = 1280
# WCAG 1.4.11: a focus indicator is a non-text element that must stand out 3:1 from what is around it.
MIN_FOCUS_CONTRAST = 3.0


@cache
def script(name: str) -> str:
    return (SCRIPTS / name).read_text(encoding="utf-8")


@cache
def axe_source() -> str:
    source = AXE_PACKAGE / "axe.min.js"
    if not source.exists():
        pytest.fail(f"axe-core is missing ({source}): run `make install`, which installs it with npm ci")
    return source.read_text(encoding="utf-8")


@cache
def axe_version() -> str:
    return str(json.loads((AXE_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"])


def _inject(page: Any) -> None:
    # Evaluated through the DevTools protocol rather than added as a <script> tag, which the pages'
    # Content-Security-Policy (script-src 'self') rightly refuses: the pages are checked as served.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())


def violations(page: Any, state: str) -> list[str]:
    """axe-core's WCAG A and AA violations on the page as it is now, one readable entry each."""
    _inject(page)
    found = page.evaluate(script("axe_run.js"), TAGS)
    width = page.viewport_size["width"]
    messages = []
    for v in found:
        nodes = "\n".join(f"      at {n['target']}: {' '.join(n['summary'].split())}" for n in v["nodes"][:5])
        more = f"\n      and {len(v['nodes']) - 5} more" if len(v["nodes"]) > 5 else ""
        messages.append(
            f"[{state} at {width} px, {page.url}] {v['id']} ({v['impact']}): {v['help']} ({v['url']})\n{nodes}{more}"
        )
    return messages


def assert_accessible(page: Any, state: str) -> None:
    """Fail with every WCAG 2.2 A/AA rule axe-core finds broken in this state of the page."""
    found = violations(page, state)
    assert not found, f"axe-core {axe_version()}: {len(found)} WCAG violation(s)\n" + "\n".join(found)


def resize(page: Any, width: int, height: int) -> None:
    """Set the viewport and let the page settle: Chart.js redraws its charts on the animation frames
    after a resize, and until then a chart keeps its former width (seconds on a busy machine)."""
    page.set_viewport_size({"width": width, "height": height})
    # Past the timeout the page does not fit: reflow_problems says what sticks out.
    with contextlib.suppress(playwright_api.TimeoutError):
        page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth + 1", timeout=10_000)


def _words(page: Any) -> Counter[str]:
    return Counter(page.evaluate("() => document.body.innerText").split())


def reflow_problems(page: Any, state: str) -> list[str]:
    """WCAG 1.4.10 at 320 px wide: the document does not scroll sideways, nothing reaches past the
    screen's edge but inside a box that scrolls, and no text shown at 1280 px is hidden."""
    size = page.viewport_size
    try:
        resize(page, WIDE, size["height"])
        wide_words = _words(page)
        resize(page, NARROW, size["height"])
        found = page.evaluate(script("overflow.js"))
        lost = wide_words - _words(page)
    finally:
        if size["width"] != NARROW:
            resize(page, size["width"], size["height"])
    problems = list(found["wide"])
    if found["scrollWidth"] > found["width"] + 1:
        problems.insert(0, f"the document is {found['scrollWidth']} px wide")
    if lost:
        problems.append(f"hidden at {NARROW} px but shown at {WIDE} px: {' '.join(sorted(lost)[:12])}")
    return [f"[{state} at {NARROW} px, {page.url}] {p}" for p in problems]


def assert_reflows(page: Any, state: str) -> None:
    """At 320 px wide the page does not scroll sideways and loses nothing: wide tables scroll in their own box."""
    found = reflow_problems(page, state)
    assert not found, "WCAG 1.4.10 reflow:\n" + "\n".join(found)


def focus_ring(page: Any) -> dict[str, Any]:
    """The focused element's outline (style, width, colour), its place (header, main, footer) and its
    lowest contrast with its surroundings (None when no side of it is on the screen)."""
    ring: dict[str, Any] = page.evaluate(script("focus_ring.js"))
    return ring
