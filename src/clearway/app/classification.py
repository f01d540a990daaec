"""The HS classification assistant in the application: one classifier per platform, for the API, the
pages and the pipeline (docs/classification.md).

The model is the folder ``CLEARWAY_HS_MODEL_DIR`` names (``clearway hs train`` writes it). It is
loaded once per process and folder (a platform, its API and its pipeline share it; loading takes
about a second, the arrays stay read-only). Nothing here trains one (about 15 s of CPU): a public
request could otherwise start it, again and again where the folder cannot be written, and several
server processes would train into one folder at once. ``make run`` and ``clearway hs train`` make
the model before it serves. When the folder has none:

- the API and the pages answer that the assistant is unavailable (503), saying how to train it;
- the pipeline goes on without the check ``hs_code_does_not_match_description`` and logs why once.

National lines come from the jurisdiction's loaded tariff measures (docs/tariff.md): each stored
8- to 10-digit code in force today, with its measure's duty expression, through the classifier's
``NationalLines`` protocol (``classify.national.CodeLines``). They are rebuilt after a tariff import
(the revenue service's configuration is then a new object).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from clearway.app.revenue import RevenueService
from clearway.jurisdictions import UnknownDestination
from clearway.risk.hs_mismatch import HsMismatchStage
from clearway.settings import Settings
from clearway.store import classification_repo
from clearway.store.tariff_repo import SqlTariffStore

if TYPE_CHECKING:  # numpy and scipy load with the classifier, on first use
    from clearway.classify.classifier import Answer, Classifier, Item
    from clearway.classify.mismatch import CodeCheck
    from clearway.classify.national import CodeLines

_log = logging.getLogger(__name__)
_LOADED: dict[tuple[str, str], Classifier] = {}
_LOADING = threading.Lock()
_STAGES: dict[int, tuple[Classifier, HsMismatchStage]] = {}
_WARNED: set[str] = set()


class ClassifierUnavailable(RuntimeError):
    """No model in the configured folder (and none may be trained there), or it was refused."""


class UnknownJurisdiction(ValueError):
    """A jurisdiction (or destination) no configured jurisdiction answers to."""


@dataclass(frozen=True, slots=True)
class Suggested:
    """What suggest returns: an answer per item, the jurisdiction resolved, and a note on national lines."""

    answers: list[Answer]
    jurisdiction: str | None = None
    note: str | None = None


def _manifest_digest(folder: Path) -> str | None:
    path = folder / "manifest.json"
    try:
        import json

        found = json.loads(path.read_text(encoding="utf-8")).get("model_sha256")
    except (OSError, ValueError, AttributeError):
        return None
    return str(found) if found else None


def load_shared(folder: Path) -> Classifier:
    """The classifier in ``folder``, loaded once per process and model; ClassifierUnavailable when
    there is none, or it is stale (another version's) or altered."""
    from clearway.classify import artefact

    with _LOADING:
        digest = _manifest_digest(folder)
        key = (str(folder.resolve()), digest or "")
        if digest is not None and key in _LOADED:
            return _LOADED[key]
        try:
            if digest is None:
                raise ClassifierUnavailable(f"no HS model in {folder}; train one with 'clearway hs train'")
            classifier = artefact.load(folder)
        except (OSError, ValueError) as exc:
            raise ClassifierUnavailable(str(exc)) from exc
        _LOADED[(str(folder.resolve()), str(classifier.manifest.get("model_sha256", "")))] = classifier
        return classifier


class ClassificationService:
    def __init__(self, engine: sa.Engine, settings: Settings, revenue: RevenueService) -> None:
        self.engine = engine
        self.settings = settings
        self.revenue = revenue
        self.folder = Path(settings.hs_model_dir)
        self._lines: tuple[object, CodeLines] | None = None

    def classifier(self) -> Classifier:
        """The platform's classifier; ClassifierUnavailable when there is none (see the module's doc)."""
        return load_shared(self.folder)

    def available(self) -> bool:
        try:
            self.classifier()
        except ClassifierUnavailable:
            return False
        return True

    def version(self) -> str | None:
        try:
            return self.classifier().version
        except ClassifierUnavailable:
            return None

    # -- officers' corrections as labelled examples ------------------------------------------------

    def corrections(self) -> tuple[list[tuple[str, str]], int]:
        """(description, corrected code) of every outcome that corrected an HS code on a one-item
        version, oldest first, and how many were left out because the version had several items."""
        with self.engine.connect() as conn:
            found = classification_repo.corrections(conn)
        examples = [(c.description, c.corrected) for c in found if c.description is not None]
        return examples, len(found) - len(examples)

    def retrain(self, folder: Path | None = None) -> Classifier:
        """Train from the reference data and the officers' corrections, measure, save in ``folder``
        (default: the platform's model folder, which the API and the pipeline then load)."""
        from clearway.classify import artefact, building

        examples, _ = self.corrections()
        classifier = building.train(Path(self.settings.hs_reference_dir), examples)
        artefact.save(classifier, folder or self.folder)
        return classifier

    # -- suggestions --------------------------------------------------------------------------------

    def resolve(self, code: str) -> str:
        """The jurisdiction of a code: a jurisdiction's own (GB, EU) or a destination's (DE -> EU)."""
        wanted = code.strip().upper()
        catalogue = self.revenue.catalogue
        if wanted in catalogue.jurisdictions:
            return wanted
        try:
            return catalogue.resolve(wanted)[0].code
        except UnknownDestination:
            known = ", ".join(sorted(catalogue.jurisdictions))
            raise UnknownJurisdiction(
                f"no jurisdiction answers to '{code[:12]}'; use one of {known} or a destination country's code"
            ) from None

    def suggest(self, items: Sequence[Item], top: int = 3, jurisdiction: str | None = None) -> Suggested:
        """One answer per item, in order; with a jurisdiction, the national lines of its loaded tariff."""
        classifier = self.classifier()
        if jurisdiction is None:
            return Suggested(classifier.suggest_many(items, top))
        resolved = self.resolve(jurisdiction)
        lines = self.national_lines()
        if not lines.knows(resolved):
            note = f"no tariff is loaded for {resolved}, so no national lines are shown (clearway tariff import)"
            return Suggested(classifier.suggest_many(items, top), resolved, note)
        return Suggested(classifier.suggest_many(items, top, national=lines, jurisdiction=resolved), resolved)

    def check(self, pairs: Sequence[tuple[str, str]], top: int = 3) -> list[CodeCheck | Any]:
        """The verdict on each (description, declared code) pair (classify.mismatch.check_codes)."""
        from clearway.classify.mismatch import check_codes

        return check_codes(self.classifier(), pairs, top)

    def national_lines(self) -> CodeLines:
        """The loaded tariffs' national lines (rebuilt after a tariff import)."""
        from clearway.classify.national import CodeLines

        config = self.revenue.config()
        if self._lines is None or self._lines[0] is not config:
            today = dt.date.today()
            measures = [m for m in SqlTariffStore(self.engine).measures() if m.in_force(today)]
            # The third-country duty names a line best; preferences and suspensions after it.
            measures.sort(key=lambda m: (m.measure_type != "third_country", m.code))
            rows = [(m.jurisdiction, m.code, _line_text(m.measure_type, m.expression)) for m in measures]
            self._lines = (config, CodeLines(rows))
        return self._lines[1]


def pipeline_stage(settings: Settings) -> HsMismatchStage | None:
    """The risk step's HS check, one per loaded model and process (its table of known pairs is
    shared by every batch), or None, logged once per folder, when the folder has no usable model."""
    from clearway.classify.mismatch import check_codes

    try:
        classifier = load_shared(Path(settings.hs_model_dir))
    except ClassifierUnavailable as exc:
        if settings.hs_model_dir not in _WARNED:
            _WARNED.add(settings.hs_model_dir)
            _log.warning("the check hs_code_does_not_match_description is off: %s", exc)
        return None
    with _LOADING:
        found = _STAGES.get(id(classifier))
        if found is None or found[0] is not classifier:
            # The stage labels far items alone: the suggestions of the others are never written.
            stage = HsMismatchStage(lambda pairs: check_codes(classifier, pairs, explain="far"))
            found = _STAGES[id(classifier)] = (classifier, stage)
    return found[1]


def digest_of(stage: HsMismatchStage) -> str | None:
    """The digest (manifest ``model_sha256``) of the model whose stage this is; None for another stage."""
    with _LOADING:
        for classifier, known in _STAGES.values():
            if known is stage:
                return str(classifier.manifest.get("model_sha256", "")) or None
    return None


def _line_text(measure_type: str, expression: str) -> str:
    kind = measure_type.replace("_", " ")
    return f"{kind} duty {expression}".strip() if expression else f"{kind} duty"
