"""Group commit: concurrent single submissions share transactions and keep their own results."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from clearway.api.app import create_app
from clearway.api.batcher import GroupCommitter
from clearway.app.platform import Clearway
from tests.api.conftest import headers
from tests.conftest import fixture_json


def variant(data: dict[str, Any], n: int) -> bytes:
    copy = json.loads(json.dumps(data))
    copy["reference"] = f"CONC-{n:04d}"
    return json.dumps(copy).encode()


async def _concurrent_posts(service: Clearway, consignment_data: dict[str, Any]) -> list[httpx.Response]:
    app = create_app(service.settings, service, sweep=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        posts = [
            client.post("/v1/consignments", content=variant(consignment_data, n), headers=headers()) for n in range(40)
        ]
        # The same declaration twice at once, and the three documents from their own operators.
        posts.append(client.post("/v1/consignments", content=variant(consignment_data, 0), headers=headers()))
        for kind, operator in (("order", "op-platform-1"), ("payment", "op-psp-1"), ("waybill", "op-post-1")):
            body = json.dumps(fixture_json(f"{kind}.json")).encode()
            posts.append(client.post(f"/v1/{kind}s", content=body, headers=headers(operator)))
        return list(await asyncio.gather(*posts))


def test_concurrent_single_submissions(service: Clearway, consignment_data: dict[str, Any]) -> None:
    responses = asyncio.run(_concurrent_posts(service, consignment_data))
    declarations, twin, documents = responses[:40], responses[40], responses[41:]
    assert [r.status_code for r in declarations].count(201) + (twin.status_code == 201) == 40
    ids = {r.json()["reference"]: r.json()["id"] for r in declarations}
    assert len(set(ids.values())) == 40
    assert twin.status_code in (200, 201) and twin.json()["id"] == ids["CONC-0000"]
    assert [r.status_code for r in documents] == [201, 201, 201]


class _Flaky(Clearway):
    """Fails any multi-record group, so the committer must fall back to one record at a time."""

    def submit_mixed(self, items: Any, *, now: Any = None) -> Any:
        if len(items) > 1:
            raise RuntimeError("simulated failure of a whole group")
        return super().submit_mixed(items, now=now)


def test_a_failed_group_is_retried_record_by_record(service: Clearway, consignment: Any) -> None:
    flaky = _Flaky(service.settings, engine=service.engine)
    committer = GroupCommitter(flaky)

    async def run() -> list[Any]:
        try:
            first = [committer.submit("consignment", f"op-courier-{n}", consignment) for n in range(5)]
            return list(await asyncio.gather(*first))
        finally:
            await committer.close()

    results = asyncio.run(run())
    assert [r.status for r in results] == ["accepted"] * 5


def test_an_exception_reaches_only_its_own_request(service: Clearway, consignment: Any) -> None:
    committer = GroupCommitter(service)

    async def run() -> Any:
        try:
            return await committer.submit("parcel", "op-courier-1", consignment)
        finally:
            await committer.close()

    with pytest.raises(Exception, match="parcel"):
        asyncio.run(run())
