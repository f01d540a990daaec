"""The HS code check of a coming batch, computed in another process while this one works.

The check (classify.mismatch.check_codes, 3,000 to 4,000 pairs a CPU-second) is the costliest part
of the risk stage when a file's titles are all different, and the bulk pipeline runs on one core. A
caller that knows its next batch before the current one reaches the risk stage (`clearway ingest`
reads two chunks ahead) asks for those batches' answers here; a process of its own, started once,
loads the same model and computes them on another core. The risk stage takes them when its batch
comes (risk.hs_mismatch.HsMismatchStage.ask_ahead), and computes itself, without waiting, those
not ready yet.

The other process must answer with exactly the model this one uses: it loads the model folder and
refuses to answer (every answer is then computed here) unless the manifest's digest is the one this
process loaded. It is started with ``spawn`` (a fresh interpreter: forking a process that holds
threads and database connections is unsafe; ``spawn`` imports the caller's main module again, so
only callers whose main module is import-safe ask for it: the ``clearway`` command and the benches)
once per process and model, and kept for the next file. Anything that goes wrong with it (it cannot
start, it dies, it refuses) costs time, never an answer: the check then runs in this process.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from clearway.risk.hs_mismatch import Far, HsMismatchStage, Pair, far_of

_log = logging.getLogger(__name__)
_CLASSIFIER: Any = None  # in the other process: the loaded model
_POOLS: dict[tuple[str, str], ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
_AT_EXIT = False  # shutdown_pools registered to run at exit


class CheckAhead:
    """Asks a stage's coming pairs of the process of its model (``submit`` is the stage's ``Submit``).
    Used by one thread at a time (an ingest), as the stage's asking is."""

    def __init__(self, stage: HsMismatchStage, folder: Path, digest: str) -> None:
        self.stage = stage
        self._key = (str(folder.resolve()), digest)
        self._gone = False

    def submit(self, pairs: list[Pair]) -> Future[list[Far]]:
        return _pool(*self._key).submit(_answers, pairs)

    def ask(self, descriptions: Sequence[Sequence[str | None]], codes: Sequence[Sequence[str | None]]) -> list[Pair]:
        """Ask ahead for a coming batch's items (descriptions and declared codes per consignment);
        the pairs asked, to ``release`` once the batch has gone through (none once the other process
        is gone: the stage computes them all)."""
        if self._gone:
            return []
        try:
            return self.stage.ask_ahead(descriptions, codes, self.submit)
        except Exception as exc:  # cannot start, died, shut down: carry on without it
            _log.warning("the HS check process is not available (%s): the check runs in this process", exc)
            self._gone = True
            _forget(self._key)
            return []

    def release(self, pairs: list[Pair]) -> None:
        """The batch asked for has gone through: keep its ready answers, cancel the rest."""
        self.stage.settle(pairs)


@contextlib.contextmanager
def check_ahead(folder: Path, stage: HsMismatchStage | None) -> Iterator[CheckAhead | None]:
    """A CheckAhead for the pipeline's stage, or None: no stage (no model loaded), a single CPU, or
    a process that cannot be started (the check then runs in this one).
    What was asked and not taken is forgotten at the end."""
    # Started now if not yet: it loads its model while the file is counted and its first chunk read.
    digest = start(folder, stage)
    if stage is None or digest is None:
        yield None
        return
    try:
        yield CheckAhead(stage, folder, digest)
    finally:
        stage.drop_ahead()


def start(folder: Path, stage: HsMismatchStage | None) -> str | None:
    """Start the process of the stage's model, if the check can be asked ahead, without waiting for
    it; the model's digest, or None when there is no such process (no model, one CPU, cannot start)."""
    digest = _usable(stage)
    return digest if digest is not None and _started(folder, digest) else None


def _started(folder: Path, digest: str) -> bool:
    """Whether the process of this model runs or is starting (started now if need be)."""
    key = (str(folder.resolve()), digest)
    try:
        _pool(*key)
    except Exception as exc:  # the interpreter cannot be started: the check runs in this process
        _log.warning("the HS check process cannot start (%s): the check runs in this process", exc)
        _forget(key)
        return False
    return True


def _usable(stage: HsMismatchStage | None) -> str | None:
    """The digest of the stage's model, if its check can be asked ahead: a model and two CPUs."""
    # Imported here: app.classification loads the classifier's modules, which a caller without a
    # stage (no model) never needs.
    from clearway.app.classification import digest_of

    if stage is None or _cpus() < 2:
        return None
    return digest_of(stage)


def shutdown_pools() -> None:
    """End every HS check process (tests; an interpreter's exit ends them too)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


def _cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _pool(folder: str, digest: str) -> ProcessPoolExecutor:
    """The process of this model, started on first use and kept for the next files (starting one
    costs an interpreter and a model load). Started at once, not at its first task: an executor
    starts its process when a task is first submitted, so it is given one that does nothing."""
    with _POOLS_LOCK:
        pool = _POOLS.get((folder, digest))
        if pool is None:
            pool = _POOLS[(folder, digest)] = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load,
                initargs=(folder, digest),
            )
            pool.submit(_nothing)
            global _AT_EXIT
            if not _AT_EXIT:
                # Ended before the interpreter tears its modules down: an executor collected during
                # that teardown prints an ignored error from its weak-reference callback.
                atexit.register(shutdown_pools)
                _AT_EXIT = True
        return pool


def _nothing() -> None:
    """The first task of a new process: none, so that it starts (and loads its model) now."""


def _forget(key: tuple[str, str]) -> None:
    """A pool that failed is dropped: the next file starts a new one."""
    with _POOLS_LOCK:
        pool = _POOLS.pop(key, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _load(folder: str, digest: str) -> None:
    """In the other process: load the model, only the very one the asking process uses."""
    global _CLASSIFIER
    from clearway.classify import artefact

    classifier = artefact.load(Path(folder))
    if str(classifier.manifest.get("model_sha256", "")) != digest:
        # Retrained in between: answers of another model would label differently.
        _log.warning("the HS model in %s changed since this process loaded it: no answers computed ahead", folder)
        return
    _CLASSIFIER = classifier


def _answers(pairs: list[Pair]) -> list[Far]:
    if _CLASSIFIER is None:
        raise RuntimeError("no model loaded in the HS check process")
    from clearway.classify.mismatch import check_codes

    return [far_of(answer) for answer in check_codes(_CLASSIFIER, pairs, explain="far")]
