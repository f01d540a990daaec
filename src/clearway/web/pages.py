"""The landing page: what is running, what is in the store, where the API is."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from clearway import __version__
from clearway.api.deps import Service
from clearway.store.tables import consignments, documents
from clearway.web.auth import Person, session_csrf

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, svc: Service, person: Person) -> HTMLResponse:
    def counts() -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        with svc.engine.connect() as conn:
            states = conn.execute(
                sa.select(consignments.c.state, sa.func.count())
                .group_by(consignments.c.state)
                .order_by(consignments.c.state)
            ).all()
            docs = conn.execute(
                sa.select(documents.c.kind, sa.func.count()).group_by(documents.c.kind).order_by(documents.c.kind)
            ).all()
        return [(s, n) for s, n in states], [(k, n) for k, n in docs]

    states, docs = await run_in_threadpool(counts)
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "version": __version__,
            "states": states,
            "documents": docs,
            "total": sum(n for _, n in states),
            "person": person,
            "csrf": await session_csrf(request),
        },
    )
