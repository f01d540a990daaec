"""`clearway risk train|score|evaluate|replay|drift`: the targeting model from the shell.

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


Fraud = Annotated[Preset, typer.Option("--fraud", help="Generator configuration of the hidden non-compliance.")]


def _history(data: Path | None, count: int, seed: int, days: float, fraud: Preset) -> pl.DataFrame:
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


def _print(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=1, default=str))


def train_command(
    data: Data = None,
    count: Annotated[int | None, typer.Option("--simulate", min=1000, help="Train on a generated history.")] = None,
    seed: Seed = 1,
    days: Days = 112.0,
    fraud: Fraud = Preset.DEFAULT,
    out: Annotated[Path | None, typer.Option("--out", help="Model folder (default CLEARWAY_MODEL_DIR).")] = None,
    as_json: Json = False,
) -> None:
    """Train the targeting model: on the recorded outcomes in the store, or on --data / --simulate."""
    settings = load_settings() if out is None else load_settings(model_dir=str(out))
    with platform(settings) as svc:
        started = time.perf_counter()
        try:
            if data is not None or count is not None:
                labelled = _history(data, count or 120_000, seed, days, fraud)
            else:
                labelled = svc.learning.labelled()
            model = svc.learning.train_and_install(labelled)
        except ValueError as exc:
            fail(str(exc))
    summary = {
        "model": model.version,
        "folder": settings.model_dir,
        "rows": model.manifest["rows"],
        "findings": model.manifest["findings"],
        "training_window": model.manifest["training_window"],
        "validation": model.manifest["metrics"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if as_json:
        _print(summary)
        return
    metrics = summary["validation"]
    console.print(
        f"model {model.version} in {settings.model_dir}: {summary['rows']:,} consignments, "
        f"{summary['findings']:,} findings; validation AUC {metrics['auc'] or 0:.3f}, "
        f"precision@5% {metrics['precision']['5']:.3f}, revenue@5% {metrics['revenue']['5']:.3f} "
        f"({summary['seconds']} s)",
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
        _print(
            {
                "model": model.version,
                "consignments": frame.height,
                "assess_seconds": round(assessed - started, 3),
                "score_seconds": round(seconds, 3),
                "drift": report,
            }
        )


def evaluate_command(
    data: Data = None,
    count: Count = 120_000,
    seed: Seed = 1,
    days: Days = 112.0,
    fraud: Fraud = Preset.DEFAULT,
    train_share: Annotated[float, typer.Option("--train-share", help="Share of the time span to train on.")] = 0.7,
    as_json: Json = False,
) -> None:
    """Model against baselines on a split by time: Precision, Recall, Revenue @ 1/2/5/10 % and AUC."""
    from clearway.risk.learning.evaluate import evaluate

    labelled = _history(data, count, seed, days, fraud)
    try:
        result = evaluate(labelled, train_share=train_share, seed=seed)
    except ValueError as exc:
        fail(str(exc))
    result["data"] = str(data) if data else {"simulated": count, "seed": seed, "days": days, "fraud": fraud.value}
    if as_json:
        _print(result)
        return
    split = result["split"]
    print(
        f"time split at {split['cut']}: train {split['train_rows']:,} ({split['train_findings']:,} findings), "
        f"test {split['test_rows']:,} ({split['test_findings']:,} findings, EUR {split['test_revenue_eur']:,.2f})"
    )
    header = "ranking         AUC    " + "  ".join(f"P@{n}%   R@{n}%   Rev@{n}%" for n in (1, 2, 5, 10))
    print(header)
    for name, m in result["models"].items():
        cells = "  ".join(
            f"{m['precision'][n]:.3f}  {m['recall'][n]:.3f}  {m['revenue'][n]:.3f} " for n in ("1", "2", "5", "10")
        )
        print(f"{name:<14} {m['auc'] or 0:.3f}  {cells}")


def replay_command(
    data: Data = None,
    count: Count = 120_000,
    seed: Seed = 1,
    days: Days = 112.0,
    fraud: Fraud = Preset.DEFAULT,
    rate: Annotated[float, typer.Option("--rate", help="Share of each week's consignments inspected.")] = 0.05,
    as_json: Json = False,
) -> None:
    """Replay history week by week (labels only for what was inspected): exploitation vs 10 % exploration."""
    from clearway.risk.learning.loop import replay

    labelled = _history(data, count, seed, days, fraud)
    try:
        result = replay(labelled, rate=rate, seed=seed)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        _print(result)
        return
    names = list(result["policies"])
    print("week  " + "  ".join(f"{n:>22}" for n in names))
    print("      " + "  ".join(f"{'precision':>10} {'revenue':>11}" for _ in names))
    for i, week in enumerate(result["weeks"]):
        cells = []
        for name in names:
            point = result["policies"][name]["curve"][i]
            cells.append(f"{point['precision']:>10.3f} {point['revenue']:>11.3f}")
        print(f"{week:>4}  " + "  ".join(cells))
    means = "  ".join(
        f"{result['policies'][n]['mean_precision']:>10.3f} {result['policies'][n]['mean_revenue']:>11.3f}"
        for n in names
    )
    print(f"mean  {means}")


def drift_command(
    days: Annotated[int, typer.Option("--days", min=1, help="Compare the consignments of the last N days.")] = 7,
    as_json: Json = False,
) -> None:
    """Population stability of recent traffic against the model's training window (score and features)."""
    from clearway.clearance.errors import NotFound

    with platform() as svc:
        try:
            result = svc.learning.drift(days=days)
        except NotFound as exc:
            fail(exc.detail)
    if as_json:
        _print(result)
        return
    if not result["consignments"]:
        print(f"no consignments in the last {days} days")
        return
    score = result["score"]
    head = f"model {result['model']}, {result['consignments']:,} consignments"
    print(f"{head}: score PSI {score['psi']} ({score['reading']})")
    for entry in result["most_shifted"]:
        print(f"  {entry['feature']}: PSI {entry['psi']} ({entry['reading']})")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.command("score")(score_command)
    app.command("evaluate")(evaluate_command)
    app.command("replay")(replay_command)
    app.command("drift")(drift_command)
