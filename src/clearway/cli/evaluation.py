"""`clearway risk evaluate|replay|drift`: how the targeting model compares with the baselines on a
time split, how it would have done week by week, and how far today's traffic has moved from its own."""

from __future__ import annotations

from typing import Annotated

import typer

from clearway.cli.common import fail, platform
from clearway.cli.learning import Count, Data, Days, Fraud, Json, Preset, Seed, history, print_json


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

    labelled = history(data, count, seed, days, fraud)
    try:
        result = evaluate(labelled, train_share=train_share, seed=seed)
    except ValueError as exc:
        fail(str(exc))
    result["data"] = str(data) if data else {"simulated": count, "seed": seed, "days": days, "fraud": fraud.value}
    if as_json:
        print_json(result)
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

    labelled = history(data, count, seed, days, fraud)
    try:
        result = replay(labelled, rate=rate, seed=seed)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
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
        print_json(result)
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
    app.command("evaluate")(evaluate_command)
    app.command("replay")(replay_command)
    app.command("drift")(drift_command)
