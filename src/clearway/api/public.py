"""Public awareness over HTTP (WCO Principle VII): what is prohibited where, and where a parcel stands.

Both routes are public (no credential) and read only. ``GET /v1/restrictions`` answers from the
jurisdictions' restrictions.yaml; ``GET /v1/tracking/{transport_document}`` from one indexed
query, shaped by clearway.clearance.tracking so that it shows the holder of the number the
state, the last change and what is due, and nothing about anyone else or about customs' reasons.
Tracking numbers are not secrets, so the application's per-caller rate limit guards against
walking through them; an unknown number and a malformed one take the same path and answer the
same 404.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.api.deps import PUBLIC, Service
from clearway.api.paths import date_text
from clearway.api.problems import ApiError
from clearway.api.responses import json_response, ok, problem_responses
from clearway.app.platform import Clearway
from clearway.clearance.tracking import NUMBER_FORMATS, DutiesDue, ParcelStatus, normalise_number, public_status
from clearway.dataset.errors import FieldError
from clearway.dataset.identifiers import COUNTRIES
from clearway.jurisdictions import UnknownDestination
from clearway.jurisdictions.restrictions import Match, RestrictionCatalogue, UnknownJurisdiction
from clearway.store.tracking_repo import parcel_by_transport_document

router = APIRouter(tags=["public"])

DISCLAIMER = (
    "A summary for the public, not legal advice and not complete: the law cited and the authority named decide. "
    'References marked "(check)" have not yet been confirmed against the legal text.'
)
MAX_QUERY = 200


class RestrictionView(msgspec.Struct, kw_only=True, omit_defaults=True):
    category: str
    title: str
    status: Literal["prohibited", "restricted"]
    meaning: str
    reference: str
    verified: bool
    valid_from: dt.date
    valid_to: dt.date | None = None
    authority: str | None = None
    matched: list[str] = []


class RestrictionList(msgspec.Struct, kw_only=True, omit_defaults=True):
    jurisdiction: str
    name: str
    as_of: dt.date
    disclaimer: str
    restrictions: list[RestrictionView]
    query: str | None = None
    note: str | None = None


PUBLIC_SCHEMAS = [RestrictionList, RestrictionView, ParcelStatus, DutiesDue]


@functools.lru_cache(maxsize=4)
def _catalogue(extra_dirs: str) -> RestrictionCatalogue:
    # Loaded once per process on first use: the files ship with the package and change with a release.
    return RestrictionCatalogue.load(Path(p) for p in extra_dirs.split(":") if p)


def restrictions(svc: Clearway) -> RestrictionCatalogue:
    return _catalogue(svc.settings.jurisdictions_dir)


def resolve_jurisdiction(svc: Clearway, code: str) -> str:
    """The restriction list for a code: a jurisdiction (EU, GB...) or an EU member state (DE -> EU)."""
    catalogue = restrictions(svc)
    wanted = code.strip().upper()
    if wanted in catalogue.lists:
        return wanted
    try:
        jurisdiction, _ = svc.revenue.catalogue.resolve(wanted)
    except UnknownDestination:
        jurisdiction = None
    if jurisdiction is not None and jurisdiction.code in catalogue.lists:
        return jurisdiction.code
    raise UnknownJurisdiction(
        f"no restrictions are recorded for '{code}'; use one of {', '.join(catalogue.codes())} "
        "(or an EU member state's code)"
    )


@functools.lru_cache(maxsize=4)
def jurisdiction_codes(svc: Clearway) -> list[str]:
    """The codes ``GET /v1/restrictions`` knows: the lists' own and the countries that resolve to one
    of them (DE -> EU), the OpenAPI document's enum. The route takes exactly these (a generated client
    sends them as listed); the /prohibited page reads them in any case and with spaces around, as
    people type them."""
    lists = restrictions(svc).lists
    countries = []
    for country in sorted(COUNTRIES - set(lists)):
        try:
            jurisdiction, _ = svc.revenue.catalogue.resolve(country)
        except UnknownDestination:
            continue
        if jurisdiction is not None and jurisdiction.code in lists:
            countries.append(country)
    return sorted(lists) + countries


def restriction_list(svc: Clearway, code: str, text: str | None, as_of: dt.date) -> RestrictionList:
    """What ``GET /v1/restrictions`` and the /prohibited page show; UnknownJurisdiction when unknown."""
    catalogue = restrictions(svc)
    resolved = resolve_jurisdiction(svc, code)
    found = catalogue.lists[resolved]
    query = " ".join((text or "").split()) or None
    return RestrictionList(
        jurisdiction=resolved,
        name=found.name,
        as_of=as_of,
        disclaimer=DISCLAIMER,
        restrictions=[_view(m) for m in catalogue.lookup(resolved, query, as_of)],
        query=query,
        note=found.note,
    )


def _view(match: Match) -> RestrictionView:
    r = match.restriction
    return RestrictionView(
        category=r.category.code,
        title=r.title,
        status=r.status,
        meaning=r.meaning,
        reference=r.reference,
        verified=r.verified,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        authority=r.authority,
        matched=list(match.keywords),
    )


def track(engine: sa.Engine, raw_number: str) -> ParcelStatus | None:
    """The public status for a tracking number, or None; the same work whether or not it exists."""
    number = normalise_number(raw_number)
    with engine.connect() as conn:
        parcel = parcel_by_transport_document(conn, number)
    return None if parcel is None else public_status(parcel)


def not_found_detail(number: str) -> str:
    return f"we could not find a parcel with the number '{number[:70]}': check it; numbers look like {NUMBER_FORMATS}"


@router.get(
    "/v1/restrictions",
    dependencies=[Depends(PUBLIC)],
    summary="Prohibited and restricted goods in a jurisdiction, optionally those a description touches (public)",
    description=(
        "Without `q`, every category recorded for the jurisdiction on the date; with `q`, those whose keywords "
        "the text mentions (whole words, case- and accent-insensitive). An empty list means no restriction is "
        "recorded for this text, not that the goods are allowed. 422 names the parameter in `errors[].pointer`."
    ),
    responses={
        **ok(RestrictionList, "The restrictions in force"),
        **problem_responses(422, public=True),
    },
    response_class=Response,
)
async def get_restrictions(
    svc: Service,
    jurisdiction: Annotated[
        str,
        Query(min_length=1, max_length=8, description="A jurisdiction code (EU, GB, US...) or an EU member state."),
    ],
    q: Annotated[
        str | None, Query(max_length=MAX_QUERY, description="What you want to send or buy, in a few words.")
    ] = None,
    as_of: Annotated[
        dt.date | None, BeforeValidator(date_text), Query(description="The date (YYYY-MM-DD); today when left out.")
    ] = None,
) -> Response:
    try:
        if jurisdiction not in jurisdiction_codes(svc):  # the document's enum, exactly: no other spelling
            raise UnknownJurisdiction(
                f"no restrictions are recorded for '{jurisdiction}'; use one of {', '.join(jurisdiction_codes(svc))}"
            )
        answer = restriction_list(svc, jurisdiction, q, as_of or dt.date.today())
    except UnknownJurisdiction as exc:
        raise ApiError(
            422, "Unknown jurisdiction", str(exc), "unknown-jurisdiction", [FieldError("/jurisdiction", str(exc))]
        ) from exc
    return json_response(answer)


@router.get(
    "/v1/tracking/{transport_document}",
    dependencies=[Depends(PUBLIC)],
    summary="Where a parcel stands, by its tracking number: status in plain words and what is due (public)",
    description=(
        "Shows the holder of a transport document number (UPU S10 item id or waybill number) the status, the time "
        "of the last change, what they can do and any duties and taxes due at delivery, and who collects them. "
        "It never shows names, addresses, values or why customs holds a parcel. An unknown number answers 404."
    ),
    responses={
        **ok(ParcelStatus, "The parcel's status"),
        **problem_responses(404, public=True),
    },
    response_class=Response,
)
async def get_tracking(svc: Service, transport_document: str) -> Response:
    status = await run_in_threadpool(track, svc.engine, transport_document)
    if status is None:
        raise ApiError(404, "Not found", not_found_detail(normalise_number(transport_document)), "parcel-not-found")
    return json_response(status)
