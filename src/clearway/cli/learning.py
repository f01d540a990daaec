"""`clearway risk train|score`: the targeting model from the shell (evaluate, replay, drift: evaluation.py).

Labelled data comes from one of three places: the store (the officers' recorded outcomes, the
default for ``train``), a folder written by ``clearway simulate --out`` (``--data``: the truth says
what an inspection would find), or a simulated history generated on the spot (``--simulate N``,
seeded; the default for ``evaluate`` and ``replay``, so that one command shows the comparison).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import time
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from clearway.cli.common import console, fail, platform
from clearway.cli.common import settings as load_settings

Json = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]
Data = Annotated[
    Path | None, typer.Option("--data", help="A folder written by 'clearway simulate --out' (with truth.ndjson).")
]
Count = Annotated[int, typer.Option("--simulate", min=1000, help="Generate a labelled history of N consignments.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the generated history.")]
Days = Annotated[float, typer.Option("--days", min=7, help="Days the generated history spans.")]


class Preset(enum.StrEnum):
    DEFAULT = "default"
    ALTERNATE = "alternate"
    HARD = "hard"


Fraud = Annotated[Preset, typer.Option("--fraud", help="Generator configuration of the hidden non-compliance.")]


def history(data: Path | None, count: int, seed: int, days: float, fraud: Preset) -> pl.DataFrame:
    from clearway.app.learning import data as learning_data

    started = time.perf_counter()
    try:
        if data is not None:
            frame = learning_data.from_directory(data)
        else:
            frame = learning_data.simulated_history(count, seed, days=days, fraud=fraud.value)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    console.print(
        f"{frame.height:,} labelled consignments ({int(frame['label'].sum()):,} findings) "
        f"in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
    return frame


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=1, default=str))


def train_command(
    data: Data = None,
    count: Annotated[int | None, typer.Option("--simulate", min=1000, help="Train on a generated history.")] = None,
    seed: Seed = 1,
    days: Days = 112.0,
    fraud: Fraud = Preset.DEFAULT,
    out: Annotated[Path | None, typer.Option("--out", help="Model folder (default CLEARWAY_MODEL_DIR).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Install even if the model in use does better on the recent hold-out.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Train the targeting model: on the recorded outcomes in the store, or on --data / --simulate.

    A model in use is replaced only if the new one is not worse on the latest 20 % of the labels
    (Precision@5% and Revenue@5%, docs/learning.md); the decision is printed and audited.
    """
    import getpass

    settings = load_settings() if out is None else load_settings(model_dir=str(out))
    with platform(settings) as svc:
        started = time.perf_counter()
        try:
            if data is not None or count is not None:
                labelled = history(data, count or 120_000, seed, days, fraud)
            else:
                labelled = svc.learning.labelled()
            done = svc.learning.train_and_install(labelled, force=force, actor=f"cli:{getpass.getuser()}")
        except ValueError as exc:
            fail(str(exc))
    model, gate = done.model, done.decision
    summary = {
        "model": model.version,
        "installed": gate.installed,
        "gate": gate.to_json(),
        "folder": settings.model_dir,
        "rows": model.manifest["rows"],
        "findings": model.manifest["findings"],
        "training_window": model.manifest["training_window"],
        "validation": model.manifest["metrics"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if as_json:
        print_json(summary)
        return
    metrics = summary["validation"]
    if gate.installed:
        console.print(
            f"model {model.version} installed in {settings.model_dir}: {summary['rows']:,} consignments, "
            f"{summary['findings']:,} findings; validation AUC {metrics['auc'] or 0:.3f}, "
            f"precision@5% {metrics['precision']['5']:.3f}, revenue@5% {metrics['revenue']['5']:.3f} "
            f"({summary['seconds']} s)",
            highlight=False,
        )
    else:
        console.print(
            f"model {gate.candidate_version} not installed; model {model.version} stays in use "
            f"({summary['seconds']} s)",
            highlight=False,
        )
    console.print(f"quality gate: {gate.reason}", highlight=False)
    if gate.candidate is not None and gate.current is not None:
        holdout = gate.holdout
        console.print(
            f"  hold-out {holdout['rows']:,} consignments ({holdout['findings']:,} findings) from {holdout['from']}",
            highlight=False,
        )
        for name, m in (("new", gate.candidate), ("in use", gate.current)):
            console.print(
                f"  {name:<7} precision@5% {m['precision']:.3f}  revenue@5% {m['revenue']:.3f}  "
                f"AUC {m['auc'] or 0:.3f}",
                highlight=False,
            )


def score_command(
    file: Annotated[Path, typer.Argument(help="NDJSON of consignments (one declaration per line).")],
    operator: Annotated[str, typer.Option("--operator", help="The declaring operator of these records.")] = "unknown",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write NDJSON scores here (default: standard output).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Score declarations: probability of a finding, revenue if found, expected value, and why."""
    from clearway.app.learning.data import read_consignments
    from clearway.app.learning.service import drift_report
    from clearway.risk.frame import RiskInput

    now = dt.datetime.now(dt.UTC)
    try:
        inputs = [RiskInput(record, operator, now) for record in read_consignments(file)]
    except OSError as exc:
        fail(f"cannot read {file}: {exc}")
    except ValueError as exc:
        fail(str(exc))
    with platform() as svc:
        model = svc.risk.model()
        if model is None:
            fail(f"no usable model in {svc.settings.model_dir} (see the log, or train one: 'clearway risk train')")
        started = time.perf_counter()
        frame = svc.risk.step().frame(inputs, {}, None)
        assessed = time.perf_counter()
        scored = model.score(frame)
        seconds = time.perf_counter() - assessed
        report = drift_report(model, frame) if frame.height else {}
    rows = frame.select("reference").hstack(scored)
    text = "\n".join(json.dumps(r, default=str) for r in rows.to_dicts())
    if out is not None:
        out.write_text(text + "\n" if text else "")
    elif not as_json:
        print(text)
    if as_json:
        print_json(
            {
                "model": model.version,
                "consignments": frame.height,
                "assess_seconds": round(assessed - started, 3),
                "score_seconds": round(seconds, 3),
                "drift": report,
            }
        )


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.command("score")(score_command)
