"""Standard message adapters' throughput: messages parsed and mapped per second, on one core.

    .venv/bin/python bench/messages.py [--seconds 2] [--rounds 7] [--stages]

Each family's case is one message like the test fixtures (tests/fixtures/messages/), carrying one
record, parsed again and again by its adapter: the safe XML parse (or pydifact's EDIFACT read), the
mapping, and the canonical checks of the record (everything ``Adapter.parse`` does, as
``POST /v1/messages/{standard}`` runs it, without storage). The China messages are the fixtures as
they are (one block each); the UPU and H7 fixtures hold two records, and their first one is taken
alone. Time is the process's CPU time, so that other work on a shared machine slows a round without
counting in it; the best round is printed, with the median beside it.

Target (issue "Interoperability"): >= 10,000 messages/s for each family's parser on one core.
``--stages`` adds where the time goes for the CEB621 and for CUSITM (pydifact's own read alone).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from clearway.messages import xml_safe
from clearway.messages.cn import CebAdapter
from clearway.messages.cn import adapter as ceb
from clearway.messages.cn.read import Block, Fields
from clearway.messages.eu.h7 import H7Adapter
from clearway.messages.eu.ics2 import Ics2HouseAdapter
from clearway.messages.model import Adapter
from clearway.messages.upu import edifact
from clearway.messages.upu.cusitm import CusitmAdapter
from clearway.messages.upu.itmatt import ItmattAdapter

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "messages"
TARGET = 10_000


def per_second(run: Callable[[], object], seconds: float, rounds: int) -> tuple[float, float]:
    """Best and median calls per second over ``rounds`` rounds of about ``seconds`` of CPU time each."""
    calls = 1
    start = time.process_time()
    while time.process_time() - start < 0.05:  # calibrate: about 50 ms of calls
        for _ in range(calls):
            run()
        calls *= 2
    per_call = (time.process_time() - start) / (2 * calls - 1)
    count = max(1, int(seconds / max(per_call, 1e-9)))
    rates = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(count):
            run()
        rates.append(count / (time.process_time() - start))
    return max(rates), statistics.median(rates)


def first_itmatt() -> bytes:
    """The first item of the ITMATT fixture, alone in its message."""
    text = (FIXTURES / "upu" / "itmatt-2-items.xml").read_text(encoding="utf-8")
    second = text.index("  <CDSView>", text.index("</CDSView>"))
    return (text[:second] + "</ITMATT>\n").encode()


def first_cusitm() -> bytes:
    """The first message of the CUSITM fixture, alone in its interchange."""
    text = (FIXTURES / "upu" / "cusitm-2-messages.edi").read_text(encoding="latin-1")
    return (text[: text.index("UNH+2")] + "UNZ+1+CI0001'\n").encode("latin-1")


def first_h7() -> bytes:
    """The first declaration of the H7 fixture, alone in its message."""
    text = (FIXTURES / "eu" / "h7-2-declarations.xml").read_text(encoding="utf-8")
    second = text.index("  <H7Declaration>", text.index("</H7Declaration>"))
    return (text[:second] + "</H7Message>\n").encode()


def first_ics2() -> bytes:
    """The first house consignment of the ICS2 fixture, alone in its filing."""
    text = (FIXTURES / "eu" / "ics2-IE3F22-2-houses.xml").read_text(encoding="utf-8")
    first = text.index("</consignmentHouseLevel>") + len("</consignmentHouseLevel>")
    second_end = text.index("</consignmentHouseLevel>", first) + len("</consignmentHouseLevel>")
    return (text[:first] + text[second_end:]).encode()


def samples() -> list[tuple[str, Adapter, bytes]]:
    """Each family's parser and its one-record message: (name, adapter, bytes)."""
    ceb_adapter = CebAdapter()
    found: list[tuple[str, Adapter, bytes]] = [
        (name, ceb_adapter, (FIXTURES / "cn" / f"{name}Message.xml").read_bytes())
        for name in ("CEB311", "CEB411", "CEB511", "CEB621")
    ]
    found += [
        ("ITMATT", ItmattAdapter(), first_itmatt()),
        ("CUSITM", CusitmAdapter(), first_cusitm()),
        ("H7", H7Adapter(), first_h7()),
        ("ICS2 IE3F22", Ics2HouseAdapter(), first_ics2()),
    ]
    for name, adapter, data in found:
        results = adapter.parse(data)
        if len(results) != 1 or not results[0].ok:
            raise SystemExit(f"{name}: the sample does not map: {results}")
    return found


def stages() -> dict[str, Callable[[], object]]:
    """Where the time goes: the CEB621's parse, mapping and canonical checks; CUSITM's EDIFACT read."""
    data = (FIXTURES / "cn" / "CEB621Message.xml").read_bytes()
    root = xml_safe.parse(data)
    spec = ceb.SPECS[str(root.tag)]
    block = root[0]

    def build() -> dict[str, object]:
        found = Block("/b")
        head = Fields(found, block[0], "/b/h")
        return spec.build(head, [Fields(found, line, "/b/l") for line in block[1:]])

    record = build()
    interchange = first_cusitm()
    return {
        "CEB621: safe XML parse": lambda: xml_safe.parse(data),
        "CEB621: mapping (read the elements, build the record)": build,
        "CEB621: canonical checks (RecordDecoder.convert)": lambda: spec.decoder.convert(record),
        "CUSITM: pydifact read and envelope checks, no mapping": lambda: edifact.read(interchange),
    }


def report(name: str, run: Callable[[], object], args: argparse.Namespace, target: bool = True) -> None:
    best, median = per_second(run, args.seconds, args.rounds)
    flag = f"  (below the {TARGET:,}/s target)" if target and best < TARGET else ""
    print(f"{name:58} {best:>10,.0f} {median:>10,.0f}   {1e6 / best:6.1f} us{flag}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--stages", action="store_true", help="also time the stages of CEB621 and CUSITM")
    args = parser.parse_args()
    print(f"{'parser (one record a message)':58} {'best/s':>10} {'median/s':>10}")
    for name, adapter, data in samples():
        report(f"{name} ({len(data):,} bytes)", lambda a=adapter, d=data: a.parse(d), args)
    if args.stages:
        print("stages (each alone):")
        for name, run in stages().items():
            report(f"  {name}", run, args, target=False)
    # Webhook delivery per second to a local receiver: bench/webhooks.py (its own options there).
    import webhooks

    webhooks.main([])


if __name__ == "__main__":
    main()
