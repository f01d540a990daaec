"""Standard-message parsing throughput: single-item messages through their adapter, on one core.

    .venv/bin/python bench/messages_upu.py [--count 5000] [--repeat 5]

Each standard's sample is one message carrying one record, built from the test fixtures; the timed
part is ``adapter.parse`` (reading, mapping and the canonical checks, as ``POST /v1/messages/...``
runs them, without storage). The best and median of ``--repeat`` runs are printed as messages per
second, beside the target. For EDIFACT the share of pydifact's own tokenising is printed too, since
it bounds what the mapping can reach.

Target: >= 10,000 single-item messages per second per standard on one core.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from clearway.messages.model import Adapter
from clearway.messages.registry import adapter_for
from clearway.messages.upu import edifact

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "messages"
TARGET = 10_000


def upu_itmatt() -> bytes:
    """The first item of the ITMATT fixture, alone in its message."""
    text = (FIXTURES / "upu" / "itmatt-2-items.xml").read_text(encoding="utf-8")
    second = text.index("  <CDSView>", text.index("</CDSView>"))
    return (text[:second] + "</ITMATT>\n").encode()


def upu_cusitm() -> bytes:
    """The first message of the CUSITM fixture, alone in its interchange."""
    text = (FIXTURES / "upu" / "cusitm-2-messages.edi").read_text(encoding="latin-1")
    return (text[: text.index("UNH+2")] + "UNZ+1+CI0001'\n").encode("latin-1")


SAMPLES: dict[str, Callable[[], bytes]] = {"upu-itmatt": upu_itmatt, "upu-cusitm": upu_cusitm}


def rates(work: Callable[[], object], count: int, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(count):
            work()
        runs.append(count / (time.perf_counter() - start))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="messages per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best and the median are printed")
    args = parser.parse_args()
    for standard, sample in SAMPLES.items():
        adapter: Adapter | None = adapter_for(standard)
        assert adapter is not None, standard
        data = sample()
        results = adapter.parse(data)
        if len(results) != 1 or not results[0].ok:
            raise SystemExit(f"{standard}: the sample does not map: {results}")
        runs = rates(lambda a=adapter, d=data: a.parse(d), args.count, args.repeat)
        best, median = max(runs), statistics.median(runs)
        verdict = "meets" if best >= TARGET else "below"
        print(f"{standard:12} {len(data):5} bytes  best {best:9,.0f}/s  median {median:9,.0f}/s", end="")
        print(f"  ({verdict} the {TARGET:,}/s target)")
        if standard == "upu-cusitm":
            tokenising = max(rates(lambda d=data: edifact.read(d), args.count, args.repeat))
            print(f"{'':12} the interchange read by pydifact, no mapping: {tokenising:9,.0f}/s")


if __name__ == "__main__":
    main()
