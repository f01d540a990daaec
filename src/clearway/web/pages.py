"""The landing page: people land on the dashboard (the figures of the flows and controls)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from clearway.web.auth import Person

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index(person: Person) -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)
