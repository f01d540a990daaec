"""The intake package stays pure: importable without the web, database or HTTP stacks."""

from __future__ import annotations

import subprocess
import sys

import clearway.intake


def test_intake_imports_no_framework_database_or_http_client() -> None:
    code = (
        "import sys, clearway.intake, clearway.intake.tabular, clearway.intake.sniff\n"
        "bad = ('fastapi', 'starlette', 'sqlalchemy', 'httpx', 'polars')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # polars is loaded only when a Parquet function runs, so the API does not pay for it.
    assert out.stdout.strip() == ""


def test_public_api_is_exported() -> None:
    for name in clearway.intake.__all__:
        assert getattr(clearway.intake, name) is not None
    assert {"parse_ndjson", "iter_ndjson_lines", "read_csv", "read_parquet", "detect_format"} <= set(
        clearway.intake.__all__
    )
