"""`clearway hs corrections` and `clearway hs retrain`: officers' corrected codes as training examples.

Beside the core's `clearway hs train` (reference data only, no database): an officer who records a
misclassification with the correct code labels that item's description, and these commands read
those labels from the database (docs/classification.md, "Learning from corrections").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from clearway.cli.common import console, fail, platform
from clearway.cli.hs import hs_app


@hs_app.command("corrections")
def corrections_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line: description and code.")] = False,
) -> None:
    """The officers' corrected HS codes that train the classifier: (item description, correct code)."""
    with platform() as svc:
        examples, ambiguous = svc.classification.corrections()
    if as_json:
        for description, code in examples:
            print(json.dumps({"description": description, "code": code}, ensure_ascii=False))
        return
    for description, code in examples:
        print(f"{code}  {description}")
    console.print(
        f"{len(examples):,} corrected codes; {ambiguous:,} left out (the consignment had several items)",
        highlight=False,
    )


@hs_app.command("retrain")
def retrain_command(
    out: Annotated[Path | None, typer.Option("--out", help="Model folder (default CLEARWAY_HS_MODEL_DIR).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")] = False,
) -> None:
    """Train the classifier on the reference data and the officers' corrected codes, and install it."""
    with platform() as svc:
        examples, ambiguous = svc.classification.corrections()
        try:
            classifier = svc.classification.retrain(out)
        except (OSError, ValueError) as exc:
            fail(str(exc))
        folder = out or svc.classification.folder
    manifest = classifier.manifest
    summary = {
        "version": manifest["version"],
        "folder": str(folder),
        "corrections": len(examples),
        "corrections_left_out": ambiguous,
        "counts": manifest["counts"],
        "evaluation": manifest["evaluation"],
    }
    if as_json:
        print(json.dumps(summary, indent=1))
        return
    console.print(
        f"HS model {manifest['version']} in {folder}: trained with {len(examples):,} officers' corrections "
        f"({ambiguous:,} left out: several items)",
        highlight=False,
    )
