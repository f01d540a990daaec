"""Standard message adapters' throughput: messages parsed and mapped per second, on one core.

    .venv/bin/python bench/messages.py [--seconds 2] [--rounds 7]

Each case is one message of the test fixtures (tests/fixtures/messages/), parsed again and again by
its adapter: the safe XML parse, the mapping, and the canonical checks of the record (everything
``Adapter.parse`` does). Time is the process's CPU time, so that other work on a shared machine
slows a round without counting in it; the best round is printed, with the median beside it.

Target (issue "Interoperability"): >= 10,000 messages/s for China's CEB311 and CEB621 with one
block each. A stage breakdown for the CEB621 says where the time goes.
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


def ceb_cases() -> dict[str, Callable[[], object]]:
    adapter = CebAdapter()
    cases: dict[str, Callable[[], object]] = {}
    for name in ("CEB311", "CEB411", "CEB511", "CEB621"):
        data = (FIXTURES / "cn" / f"{name}Message.xml").read_bytes()
        [mapped] = adapter.parse(data)
        if not mapped.ok:
            raise SystemExit(f"{name} fixture does not map: {mapped.errors}")
        cases[f"{name} ({len(data):,} bytes, 1 block)"] = lambda data=data: adapter.parse(data)  # type: ignore[misc]
    return cases


def ceb621_stages() -> dict[str, Callable[[], object]]:
    data = (FIXTURES / "cn" / "CEB621Message.xml").read_bytes()
    root = xml_safe.parse(data)
    spec = ceb.SPECS[str(root.tag)]
    block = root[0]

    def build() -> dict[str, object]:
        found = Block("/b")
        head = Fields(found, block[0], "/b/h")
        return spec.build(head, [Fields(found, line, "/b/l") for line in block[1:]])

    record = build()
    return {
        "  safe XML parse": lambda: xml_safe.parse(data),
        "  mapping (read the elements, build the record)": build,
        "  canonical checks (RecordDecoder.convert)": lambda: spec.decoder.convert(record),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"{'case':58} {'best/s':>10} {'median/s':>10}")
    for title, cases in (("", ceb_cases()), ("CEB621 stages (each alone):", ceb621_stages())):
        if title:
            print(title)
        for name, run in cases.items():
            best, median = per_second(run, args.seconds, args.rounds)
            flag = "" if title or best >= TARGET else f"  (below the {TARGET:,}/s target)"
            print(f"{name:58} {best:>10,.0f} {median:>10,.0f}   {1e6 / best:6.1f} us{flag}")
    # Webhook delivery per second to a local receiver: bench/webhooks.py (its own options there).
    import webhooks

    webhooks.main([])


if __name__ == "__main__":
    main()
