"""The HS code check of a coming batch, computed in another process while this one works.

The check (classify.mismatch.check_codes, about 4,000 pairs a CPU-second) is the costliest part of
the risk stage when a file's titles are all different, and the bulk pipeline runs on one core. A
caller that knows its next batch before the current one reaches the risk stage (`clearway ingest`
reads one chunk ahead) asks for that batch's answers here; a process of its own, started once,
loads the same model and computes them on another core. The risk stage takes them when its batch
comes (risk.hs_mismatch.HsMismatchStage.ask_ahead), and computes itself, without waiting, those
not ready yet.

The other process must answer with exactly the model this one uses: it loads the model folder and
refuses to answer (every answer is then computed here) unless the manifest's digest is the one this
process loaded. It is started with ``spawn`` (a fresh interpreter: forking a process that holds
threads and database connections is unsafe; the main module must be import-safe, as the ``clearway``
command and the benches are) once per process and model, and kept for the next file; a crash of it
costs time, never an answer.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from clearway.risk.hs_mismatch import Far, HsMismatchStage, Pair, far_of
from clearway.settings import Settings

_log = logging.getLogger(__name__)
_CLASSIFIER: Any = None  # in the other process: the loaded model
_POOLS: dict[tuple[str, str], ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


class CheckAhead:
    """Asks a stage's coming pairs of the process of its model (``submit`` is the stage's ``Submit``)."""

    def __init__(self, stage: HsMismatchStage, pool: ProcessPoolExecutor) -> None:
        self.stage = stage
        self._pool: ProcessPoolExecutor | None = pool

    def submit(self, pairs: list[Pair]) -> Future[list[Far]]:
        if self._pool is None:
            raise BrokenProcessPool("the HS check process is gone")
        return self._pool.submit(_answers, pairs)

    def ask(self, descriptions: list[list[str | None]], codes: list[list[str | None]]) -> int:
        """Ask ahead for a coming batch's items (descriptions and declared codes per consignment);
        the number of pairs asked (0 once the other process is gone: the stage computes them all)."""
        if self._pool is None:
            return 0
        try:
            return self.stage.ask_ahead(descriptions, codes, self.submit)
        except (BrokenProcessPool, RuntimeError) as exc:  # died, or shut down at exit
            _log.warning("the HS check process is gone (%s): the check runs in this process", exc)
            self._pool = None
            return 0


@contextlib.contextmanager
def check_ahead(settings: Settings, stage: HsMismatchStage | None) -> Iterator[CheckAhead | None]:
    """A CheckAhead for the pipeline's stage, or None: no stage (no model), one CPU only, or the
    setting ``hs_check_ahead`` off. What was asked and not taken is forgotten at the end."""
    from clearway.app.classification import digest_of

    digest = digest_of(stage) if stage is not None else None
    usable = settings.hs_check_ahead and (os.cpu_count() or 1) > 1
    if stage is None or digest is None or not usable:
        yield None
        return
    try:
        yield CheckAhead(stage, _pool(Path(settings.hs_model_dir), digest))
    finally:
        stage.drop_ahead()


def _pool(folder: Path, digest: str) -> ProcessPoolExecutor:
    """The process of this model, started on first use and kept for the next files (starting one
    costs an interpreter and a model load); a broken one is replaced."""
    key = (str(folder.resolve()), digest)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None or getattr(pool, "_broken", False):
            pool = _POOLS[key] = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load,
                initargs=(str(folder), digest),
            )
        return pool


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
