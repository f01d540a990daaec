"""`clearway risk ...`: the targeting side from the shell: rules, reference data, trust tiers.

Everything here goes through ``Clearway.risk``, as the API does, so a change made from the shell is
versioned and audited like one made from the pages, and the pipeline picks it up on its next batch.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import msgspec
import polars as pl
import sqlalchemy as sa
import typer
import yaml

from clearway.clearance.errors import ClearwayError
from clearway.cli.common import console, fail, platform
from clearway.dataset.records import Consignment
from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates, RiskInput, build_frame
from clearway.risk.quality import with_quality_inputs
from clearway.risk.reference import VagueTerms
from clearway.store.tables import consignment_versions, consignments

risk_app = typer.Typer(no_args_is_help=True, help="Targeting: the rule catalogue, reference data, trust tiers.")
PARTIES = ("operator", "seller")
BATCH = 50_000
_CONSIGNMENT = msgspec.json.Decoder(Consignment)

Reason = Annotated[str, typer.Option("--reason", help="Why: kept with the version and in the audit trail.")]


def _fail_with(exc: ClearwayError) -> NoReturn:
    """The service's error with each field's detail, which is where a rule's fault is named."""
    details = [f"{e.pointer}: {e.detail}" if e.pointer else e.detail for e in exc.errors]
    fail("; ".join([exc.detail, *details]))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _reason(reason: str) -> str:
    if not reason.strip():
        raise typer.BadParameter("--reason must say why")
    return reason.strip()


@risk_app.command("import-vague-terms")
def import_vague_terms(
    terms_csv: Annotated[Path, typer.Argument(help="HMRC's vague_terms.csv: one description per line.")],
    patterns: Annotated[
        Path | None, typer.Option("--patterns", help="vague_terms_patterns.txt: one regular expression per line.")
    ] = None,
) -> None:
    """Replace the descriptions too vague to classify goods by (the generic stop words are always added)."""
    try:
        vague = VagueTerms.from_files(terms_csv, patterns)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        fail(str(exc))
    source = terms_csv.name if patterns is None else f"{terms_csv.name} + {patterns.name}"
    with platform() as svc:
        terms, patterns_count = svc.risk.import_vague_terms(vague, source=source, actor=_actor())
    console.print(f"{terms:,} vague terms and {patterns_count:,} patterns imported from {source}", highlight=False)


def released_inputs(engine: sa.Engine, limit: int, batch: int = BATCH) -> Iterator[list[RiskInput]]:
    """Released declarations, newest first, in batches: released is what customs accepted, so it is
    what a reference price may be learnt from (a held or seized one may be the undervaluation).

    Keyset paging on the id (ids are time-ordered) keeps each query cheap and the memory bounded.
    """
    body = consignment_versions.c.body
    query = (
        sa.select(consignments.c.id, consignments.c.operator_id, consignments.c.received_at, body)
        .join(
            consignment_versions,
            (consignment_versions.c.consignment_id == consignments.c.id)
            & (consignment_versions.c.version == consignments.c.version),
        )
        .where(consignments.c.state == "released")
        .order_by(consignments.c.id.desc())
    )
    last: str | None = None
    remaining = limit
    while remaining > 0:
        page = query if last is None else query.where(consignments.c.id < last)
        with engine.connect() as conn:
            rows = conn.execute(page.limit(min(batch, remaining))).all()
        if not rows:
            return
        yield [RiskInput(_CONSIGNMENT.decode(text), operator, received) for _, operator, received, text in rows]
        last = rows[-1][0]
        remaining -= len(rows)


def history_frame(inputs_batches: Iterator[list[RiskInput]], euro: EuroRates) -> tuple[pl.DataFrame | None, int]:
    """The risk frame (with the quality inputs) of every batch, and how many declarations it holds."""
    frames = [with_quality_inputs(build_frame(inputs, euro), inputs) for inputs in inputs_batches]
    if not frames:
        return None, 0
    frame = pl.concat(frames, how="vertical")
    return frame, frame.height


@risk_app.command("learn-prices")
def learn_prices(
    min_samples: Annotated[int, typer.Option(min=1, help="Item lines an HS-6 needs to get a reference price.")] = 20,
    limit: Annotated[int, typer.Option(min=1, help="Learn from at most this many of the newest releases.")] = 1_000_000,
) -> None:
    """Replace the reference unit prices per HS-6 subheading with those of released declarations."""
    with platform() as svc:
        frame, declarations = history_frame(released_inputs(svc.engine, limit), EuroRates(EcbRates()))
        if frame is None:
            # Learning from nothing would delete the prices there are; there is nothing to learn yet.
            fail("no released consignments to learn from; reference prices left as they were")
        learned = svc.risk.learn_prices(frame, actor=_actor(), min_samples=min_samples)
    console.print(
        f"reference prices for {learned:,} subheadings learned from {declarations:,} released consignments "
        f"(at least {min_samples} item lines each)",
        highlight=False,
    )


def _rate(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2%}"


@risk_app.command("rules")
def rules(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The rule catalogue: each rule's latest version, its weight and lane, and how often its hits were right."""
    with platform() as svc:
        rows = svc.risk.catalogue_rows()
    if as_json:
        print(msgspec.json.encode(rows).decode())
        return
    for r in rows:
        lane = (r["outcome"] or {}).get("lane", "-")
        print(
            f"{r['name']}  v{r['version']}  {r['status']}  weight={r['weight']}  lane={lane}  hits={r['hits']}"
            f"  inspections={r['inspections']}  findings={r['findings']}  hit_rate={_rate(r['hit_rate'])}"
        )
        print(f"    {r['description']}")


def read_rule(file: Path) -> dict[str, Any]:
    """One rule mapping from a YAML file, as in a pack (unquoted dates stay dates for the loader)."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    except yaml.YAMLError as exc:
        fail(f"{file}: not YAML: {exc}")
    if not isinstance(raw, dict):
        fail(f"{file}: expected one rule (a mapping with name, description, when, ...)")
    if "rules" in raw:
        fail(f"{file}: holds a pack; give one rule (one entry of its rules list) per file")
    return raw


@risk_app.command("rule-set")
def rule_set(
    file: Annotated[Path, typer.Argument(help="A YAML file holding one rule in the pack format (docs/rules.md).")],
    reason: Reason,
) -> None:
    """Add a rule, or a new version of one (same name); checked like a pack and against the other rules."""
    raw, why = read_rule(file), _reason(reason)
    with platform() as svc:
        try:
            version = svc.risk.change_rule(raw, actor=_actor(), reason=why)
        except ClearwayError as exc:
            _fail_with(exc)
    console.print(f"rule {raw.get('name')} is now at version {version}", highlight=False)


@risk_app.command("rule-retire")
def rule_retire(name: Annotated[str, typer.Argument(help="The rule's name.")], reason: Reason) -> None:
    """Retire a rule: a new version that never runs; the earlier versions stay for the record."""
    why = _reason(reason)
    with platform() as svc:
        try:
            version = svc.risk.retire_rule(name, actor=_actor(), reason=why)
        except ClearwayError as exc:
            _fail_with(exc)
    console.print(f"rule {name} retired (version {version})", highlight=False)


@risk_app.command("trust")
def trust(
    party: Annotated[str, typer.Argument(help="operator or seller.")],
    key: Annotated[str, typer.Argument(help="The operator's id, or the seller's key.")],
    tier: Annotated[str, typer.Argument(help="The trust tier (aeo, trusted, standard, new).")],
) -> None:
    """Set the trust tier of an operator or a seller (an operator's tier scales its declarations' rule score)."""
    if party not in PARTIES:
        raise typer.BadParameter(f"PARTY is one of {', '.join(PARTIES)}")
    with platform() as svc:
        try:
            svc.risk.set_trust(party, key, tier, actor=_actor())
        except ClearwayError as exc:
            _fail_with(exc)
    console.print(f"{party} {key}: trust tier {tier}", highlight=False)
