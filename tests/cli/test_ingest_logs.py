"""`clearway ingest` with CLEARWAY_LOG_FORMAT=json: its log lines are JSON, one batch id for the run."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import FIXTURES
from tests.store.test_writer_lock import clearway, env  # noqa: F401 - env is the fixture clearway runs in


def test_an_ingest_logs_json_lines_with_one_batch_id(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    orders = tmp_path / "orders.ndjson"
    orders.write_text((FIXTURES / "order.json").read_text().replace("\n", " ") + "\n{}\n")
    done = clearway({**env, "CLEARWAY_LOG_FORMAT": "json"}, "ingest", str(orders), "--operator", "op-platform-1",
                    "--kind", "order", "--json")  # fmt: skip
    assert done.returncode == 1, done.stderr  # one record refused
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["logger"] == "clearway.app.intake"]
    assert [line["message"].split(":")[0] for line in ours] == [
        "ingest of orders.ndjson (order) for op-platform-1 started",
        "ingest of orders.ndjson",
    ]
    assert len({line["batch_id"] for line in ours}) == 1 and re.fullmatch(r"[0-9a-f]{32}", ours[0]["batch_id"])
    assert (ours[1]["read"], ours[1]["accepted"], ours[1]["file"]) == (2, 1, "orders.ndjson")
    assert json.loads(done.stdout)["rejected"] == 1
