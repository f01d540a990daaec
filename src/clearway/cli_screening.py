"""`clearway screening ...`: look at how the screening score judges pairs of names.

``score-pairs`` lets an analyst calibrate the threshold on pairs they know (the same party or not)
without loading a list: it reads a CSV of ``name1,name2`` and writes it back with a ``score`` column.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from clearway.risk.screening import score

screening_app = typer.Typer(no_args_is_help=True, help="Screening against watchlists: calibrate the name score.")
console = Console(stderr=True, soft_wrap=True)
PAIR_COLUMNS = ("name1", "name2")


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]error[/]: {message}", highlight=False)
    raise typer.Exit(code=1)


def _read(file: Path) -> str:
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")


def score_rows(text: str, source: str) -> str:
    """The CSV text with a ``score`` column (4 decimals) added; exits 1 on a bad header or row."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    try:
        header = next(reader, None)
        names = [h.strip() for h in header or []]
        if not all(c in names for c in PAIR_COLUMNS) or "score" in names:
            got = ",".join(names) if names else "an empty file"
            _fail(f"{source}: line 1: expected a header with the columns name1,name2 (and no score), got {got}")
        first, second = names.index("name1"), names.index("name2")
        writer.writerow([*names, "score"])
        for row in reader:
            if not row:
                continue
            if len(row) != len(names):
                _fail(f"{source}: line {reader.line_num}: expected {len(names)} fields, got {len(row)}")
            writer.writerow([*row, f"{score(row[first], row[second]):.4f}"])
    except csv.Error as exc:
        _fail(f"{source}: line {reader.line_num}: not CSV ({exc})")
    return out.getvalue()


@screening_app.command("score-pairs")
def score_pairs(
    file: Annotated[Path, typer.Argument(help="A CSV with the columns name1,name2; - reads standard input.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the CSV here instead of standard output.")] = None,
) -> None:
    """Score pairs of names in [0, 1] as screening does (1 is the same name)."""
    result = score_rows(_read(file), "standard input" if str(file) == "-" else str(file))
    if out is None:
        sys.stdout.write(result)
        return
    try:
        out.write_text(result, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out}: {exc}")
