"""`clearway hs train|suggest|evaluate`: the HS classification assistant from the shell (docs/classification.md).

No database: the classifier is trained from the public reference data (CLEARWAY_HS_REFERENCE_DIR)
into a model folder (CLEARWAY_HS_MODEL_DIR). ``suggest`` on a fresh clone, with no model there yet,
trains one into the default folder first and says so in one line on standard error.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Final

import typer

from clearway.cli.common import console, fail
from clearway.cli.common import settings as load_settings

if TYPE_CHECKING:  # the classifier loads lazily (numpy, scipy): not for every command
    from clearway.classify.classifier import Answer, Classifier

hs_app = typer.Typer(no_args_is_help=True, help="HS classification assistant: suggest codes from descriptions.")
BATCH: Final = 1000
Json = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]
ModelDir = Annotated[Path | None, typer.Option("--model", help="Model folder (default CLEARWAY_HS_MODEL_DIR).")]


def _reference_dir() -> Path:
    return Path(load_settings().hs_reference_dir)


def load_classifier(model: Path | None) -> Classifier:
    """The model in ``model``, or in the default folder, trained there first when it has none."""
    from clearway.classify import artefact

    try:
        if model is not None:
            # A folder named on the command line is used as it is, never trained over.
            return artefact.load(model)
        return artefact.load_or_train(
            Path(load_settings().hs_model_dir), _reference_dir(), lambda line: console.print(line, highlight=False)
        )
    except (OSError, ValueError) as exc:
        fail(str(exc))


@hs_app.command("train")
def train_command(
    out: Annotated[Path | None, typer.Option("--out", help="Model folder (default CLEARWAY_HS_MODEL_DIR).")] = None,
    as_json: Json = False,
) -> None:
    """Train the classifier from the reference data, measure it on the held-out split, save it."""
    from clearway.classify import artefact, building

    folder = out or Path(load_settings().hs_model_dir)
    try:
        classifier = building.train(_reference_dir())
    except (OSError, ValueError) as exc:
        fail(str(exc))
    artefact.save(classifier, folder)
    manifest = classifier.manifest
    summary = {
        "version": manifest["version"],
        "folder": str(folder),
        "counts": manifest["counts"],
        "evaluation": manifest["evaluation"],
        "seconds": manifest["train_seconds"],
    }
    if as_json:
        print(json.dumps(summary, indent=1))
        return
    clean = manifest["evaluation"]["clean"]["model"]
    noisy = manifest["evaluation"]["noisy"]["model"]
    console.print(
        f"HS model {manifest['version']} in {folder} ({manifest['train_seconds']} s): held-out top-1 at 2/4/6 digits "
        f"{clean['top1_2']:.1%}/{clean['top1_4']:.1%}/{clean['top1_6']:.1%}, noisy {noisy['top1_2']:.1%}/"
        f"{noisy['top1_4']:.1%}/{noisy['top1_6']:.1%}",
        highlight=False,
    )


def _lines(handle: IO[bytes], limit: int) -> Iterator[tuple[int, Any]]:
    """(line number, decoded JSON value or an error string), one per input line, streamed."""
    for number, raw in enumerate(handle, 1):
        if len(raw) > limit:
            yield number, f"line {number}: longer than {limit} bytes"
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield number, f"line {number}: not UTF-8"
            continue
        if not text:
            yield number, f"line {number}: empty line, expected a JSON object"
            continue
        try:
            yield number, json.loads(text)
        except ValueError as exc:
            yield number, f"line {number}: not JSON ({exc})"


def _answers(classifier: Classifier, handle: IO[bytes], top: int) -> Iterator[tuple[int, Any, Answer]]:
    from clearway.classify.classifier import Invalid, Item, item_from_json

    limit = load_settings().max_record_bytes
    batch: list[tuple[int, Any, Item | Invalid]] = []

    def flush() -> Iterator[tuple[int, Any, Answer]]:
        items = [x for _, _, x in batch if isinstance(x, Item)]
        answers = iter(classifier.suggest_many(items, top=top))
        for number, raw, x in batch:
            answer = x if isinstance(x, Invalid) else next(answers)
            if isinstance(answer, Invalid) and not answer.error.startswith("line "):
                answer = Invalid(f"line {number}: {answer.error}")
            yield number, raw, answer
        batch.clear()

    for number, value in _lines(handle, limit):
        if isinstance(value, str) and value.startswith(f"line {number}:"):
            batch.append((number, None, Invalid(value)))
        else:
            try:
                batch.append((number, value, item_from_json(value)))
            except ValueError as exc:
                batch.append((number, value, Invalid(f"line {number}: {exc}")))
        if len(batch) >= BATCH:
            yield from flush()
    yield from flush()


def _print_table(number: int, raw: Any, answer: Answer) -> None:
    from clearway.classify.classifier import Invalid

    description = raw.get("description") if isinstance(raw, dict) else None
    title = str(description)[:70] if isinstance(description, str) else ""
    print(f"{number:>5}  {title}")
    if isinstance(answer, Invalid):
        print(f"       error: {answer.error}")
        return
    for s in answer.suggestions:
        print(f"       {s.code}  {s.confidence:>4.0%}  {s.nomenclature.split(' | ')[0][:90]}")
    if answer.low_confidence:
        print(f"       low confidence: {answer.why}" + (f"; {answer.question}" if answer.question else ""))


@hs_app.command("suggest")
def suggest_command(
    file: Annotated[
        str, typer.Argument(help="NDJSON, one item a line ({\"description\": ...}); '-' for standard input.")
    ],
    top: Annotated[int, typer.Option("--top", min=1, max=20, help="Codes per item.")] = 3,
    as_json: Json = False,
    model: ModelDir = None,
) -> None:
    """Suggest HS-6 codes for each line of FILE, in order; a bad line gets an error and the rest go on."""
    if file != "-" and not Path(file).is_file():
        fail(f"no such file: {file}")
    classifier = load_classifier(model)
    with contextlib.ExitStack() as stack:
        handle = sys.stdin.buffer if file == "-" else stack.enter_context(Path(file).open("rb"))
        for number, raw, answer in _answers(classifier, handle, top):
            if as_json:
                sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
            else:
                _print_table(number, raw, answer)


@hs_app.command("evaluate")
def evaluate_command(
    as_json: Json = False,
    per_chapter: Annotated[
        bool, typer.Option("--per-chapter/--no-per-chapter", help="Include each chapter's accuracy.")
    ] = True,
) -> None:
    """Accuracy on the held-out split (clean and noisy titles), the model beside nearest-neighbour retrieval."""
    from clearway.classify import building, evaluate

    started = time.perf_counter()
    try:
        classifier, test, corpus = building.held_out(_reference_dir())
    except (OSError, ValueError) as exc:
        fail(str(exc))
    report = evaluate.evaluate(classifier, test)
    report["split"] = {"train": len(corpus.examples) - len(test), "test": len(test)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    if not per_chapter:
        for side in ("clean", "noisy"):
            report[side].pop("per_chapter")
    if as_json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return
    for side in ("clean", "noisy"):
        for name in ("model", "baseline_nearest_neighbour"):
            m = report[side][name]
            print(
                f"{side:<6} {name:<27} top-1 2/4/6 digits {m['top1_2']:.1%} / {m['top1_4']:.1%} / {m['top1_6']:.1%}"
                f"   top-3 6 digits {m['top3_6']:.1%}"
            )
