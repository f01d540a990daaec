"""`clearway screening ...`: load watchlists and sanctions lists; see how the name score judges pairs.

``import`` replaces one list with the entries of a file (our CSV, OFAC's sdn.csv or the UN consolidated
XML), so that what a consignment was screened against is always a file an administrator chose.
``score-pairs`` lets an analyst calibrate the threshold on pairs they know (the same party or not)
without loading a list: it reads a CSV of ``name1,name2`` and writes it back with a ``score`` column.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from clearway.cli.common import console, fail, platform
from clearway.risk.screening import (
    ListFormatError,
    WatchEntry,
    read_ofac_sdn_csv,
    read_un_consolidated_xml,
    read_watchlist_csv,
    score,
)
from clearway.store.risk_repo import watchlist_counts

screening_app = typer.Typer(
    no_args_is_help=True, help="Screening against watchlists: import lists, calibrate the name score."
)
PAIR_COLUMNS = ("name1", "name2")
FORMATS = ("csv", "ofac-sdn", "un-xml")
LIST_KINDS = ("sanctions", "watchlist")


def _read(file: Path) -> str:
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")


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
            fail(f"{source}: line 1: expected a header with the columns name1,name2 (and no score), got {got}")
        first, second = names.index("name1"), names.index("name2")
        writer.writerow([*names, "score"])
        for row in reader:
            if not row:
                continue
            if len(row) != len(names):
                fail(f"{source}: line {reader.line_num}: expected {len(names)} fields, got {len(row)}")
            writer.writerow([*row, f"{score(row[first], row[second]):.4f}"])
    except csv.Error as exc:
        fail(f"{source}: line {reader.line_num}: not CSV ({exc})")
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
        fail(f"cannot write {out}: {exc}")


def _csv_entries(list_name: str) -> Callable[[str], list[WatchEntry]]:
    """Our CSV names its list on every row: a row of another list means the wrong file or the wrong --list."""

    def read(text: str) -> list[WatchEntry]:
        entries = read_watchlist_csv(text)
        others = sorted({e.list_name for e in entries} - {list_name})
        if others:
            raise ListFormatError(
                f"the file holds entries of the list(s) {', '.join(others)}, not only of {list_name} (--list)"
            )
        return entries

    return read


def read_list(text: str, list_format: str, list_name: str) -> list[WatchEntry]:
    """The entries of a list file in one of FORMATS; raises ListFormatError naming the line."""
    readers: dict[str, Callable[[str], list[WatchEntry]]] = {
        "csv": _csv_entries(list_name),
        "ofac-sdn": lambda t: read_ofac_sdn_csv(t, list_name),
        "un-xml": lambda t: read_un_consolidated_xml(t, list_name),
    }
    return readers[list_format](text)


def _format_of(file: Path, given: str | None) -> str:
    """--format, else the extension: .xml is the UN list; .csv is ours (OFAC's sdn.csv needs --format)."""
    if given is not None:
        if given not in FORMATS:
            raise typer.BadParameter(f"--format is one of {', '.join(FORMATS)}")
        return given
    suffix = file.suffix.lower()
    if suffix == ".xml":
        return "un-xml"
    if suffix == ".csv":
        return "csv"
    raise typer.BadParameter(f"cannot tell the format of {file} from its name: give --format {'|'.join(FORMATS)}")


@screening_app.command("import")
def import_list(
    file: Annotated[Path, typer.Argument(help="The list file; - reads standard input (then give --format).")],
    list_name: Annotated[str, typer.Option("--list", help="The list's name; its entries are replaced.")],
    list_format: Annotated[
        str | None,
        typer.Option("--format", help="csv (ours), ofac-sdn (sdn.csv) or un-xml; default from the extension."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="sanctions or watchlist; default sanctions for ofac-sdn and un-xml, watchlist for csv."),
    ] = None,
) -> None:
    """Replace a watchlist or sanctions list with the entries of FILE (nothing is imported if a line is bad)."""
    name = list_name.strip()
    if not name:
        raise typer.BadParameter("--list must not be empty")
    chosen = _format_of(file, list_format)
    list_kind = kind or ("watchlist" if chosen == "csv" else "sanctions")
    if list_kind not in LIST_KINDS:
        raise typer.BadParameter(f"--kind is one of {', '.join(LIST_KINDS)}")
    stdin = str(file) == "-"
    source = "standard input" if stdin else str(file)
    try:
        entries = read_list(_read(file), chosen, name)
    except ListFormatError as exc:
        fail(f"{source}: {exc}")
    if not entries:
        # Importing nothing would silently empty the list; an administrator who means that can say so.
        fail(f"{source}: no entries to import; list {name} left as it was")
    with platform() as svc:
        count = svc.risk.import_watchlist(
            name, list_kind, entries, source="standard input" if stdin else file.name, actor=f"cli:{getpass.getuser()}"
        )
    console.print(f"{name} ({list_kind}): {count:,} entries imported from {source}", highlight=False)


@screening_app.command("lists")
def lists(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The lists imported, with their number of entries (one per name, alias or other value)."""
    with platform() as svc, svc.engine.connect() as conn:
        counts = watchlist_counts(conn)
    rows = [{"list": name, "entries": count} for name, count in sorted(counts.items())]
    if as_json:
        print(json.dumps(rows))
        return
    if not rows:
        console.print("no lists imported yet (clearway screening import FILE --list NAME)")
    for row in rows:
        print(f"{row['list']}  {row['entries']:,} entries")
