"""Pause Python's cyclic garbage collector around bulk work.

A 10,000-record chunk allocates millions of short-lived containers; refcounting frees them, but
each allocation burst also triggers the cyclic collector, whose full passes walk every live object
(measured: a third of the bulk pipeline's time). Our records form no reference cycles, so the
collector is paused while a chunk is processed and resumed after; whatever cyclic garbage a chunk
leaves is collected by the next regular pass. Nested and concurrent pauses are counted, so the
collector comes back only when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def paused_gc() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
