from __future__ import annotations

import gc
import threading

from clearway.gc_pause import paused_gc


def test_pauses_nest_and_restore() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_concurrent_pauses_resume_after_the_last() -> None:
    entered = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with paused_gc():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(5)
    with paused_gc():
        pass
    assert not gc.isenabled()  # the worker's pause outlives ours
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
