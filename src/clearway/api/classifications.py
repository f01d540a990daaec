"""``POST /v1/classifications``: the HS classification assistant over HTTP (docs/classification.md).

Public, like ``POST /v1/quotes``: a small seller's page and an operator's system ask the same
question, and the answer reads no one's data and stores nothing. It is rate limited per client
address as the other public routes are (api/rate_limit.py), whatever credential is sent.

One request carries 1 to ``MAX_ITEMS`` items; each is decoded on its own, so that a bad item gets
its errors (JSON pointers into the request, ``/items/3/price``) and the others their suggestions.
More items than that is 413 (``too-many-items``), an unknown jurisdiction 422
(``unknown-jurisdiction``, pointer ``/jurisdiction``), no model 503 (``classifier-unavailable``).
An item may carry its declared ``hs_code``: the answer then says whether the description supports
it (``check``), as the pipeline's rule ``hs_code_does_not_match_description`` reads it.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearway.api import schemas
from clearway.api.deps import PUBLIC, SESSION_COOKIE, Service, authenticate, read_body
from clearway.api.problems import ApiError
from clearway.api.responses import json_body, json_response, ok, problem_responses
from clearway.api.revenue import quote_destinations
from clearway.app.classification import ClassifierUnavailable, UnknownJurisdiction
from clearway.app.classification_views import (
    ClassificationResponse,
    ClassificationResult,
    ClassifierBusy,
    CodeCheckView,
    ItemView,
    NationalLineView,
    SuggestionView,
    classify_items,
)
from clearway.app.platform import Clearway
from clearway.clearance.errors import InvalidRecord
from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError

router = APIRouter(tags=["public"])

MAX_ITEMS: Final = 1_000
# Without a credential (a small seller's page, anyone on the internet) a request is kept small: the
# batch sizes are for operators' systems, whose key proves who is asking.
ANONYMOUS_ITEMS: Final = 20
MAX_BODY: Final = 16 * 1024 * 1024  # 1,000 items of a 10,000-character title and more
MAX_DESCRIPTION: Final = 20_000
MAX_ATTRIBUTES: Final = 50

Text = Annotated[str, msgspec.Meta(max_length=500)]


class ClassificationItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a marketplace knows of an item; only the description is required."""

    description: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_DESCRIPTION,
            description="The title or description as listed: any language, brands, sizes and all.",
        ),
    ]
    category: Annotated[str, msgspec.Meta(max_length=500, description="A category path, 'Women > Dresses'.")] | None = (
        None
    )
    attributes: (
        Annotated[
            dict[Text, Text | int | float],
            msgspec.Meta(max_length=MAX_ATTRIBUTES, description="Material, gender, metal type..."),
        ]
        | None
    ) = None
    # A hint to the classifier, never charged: a float, as a quote's amounts are not.
    price: Annotated[float, msgspec.Meta(ge=0, description="The unit price, in `currency` (a hint).")] | None = None
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217, e.g. USD.")] | None = None
    hs_code: (
        Annotated[str, msgspec.Meta(max_length=20, description="The declared HS code to check (6, 8 or 10 digits).")]
        | None
    ) = None


class ClassificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[ClassificationItem], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]
    top: Annotated[int, msgspec.Meta(ge=1, le=20, description="Codes per item, best first.")] = 3
    jurisdiction: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=8,
                description="A jurisdiction (GB, EU...) or a destination country (DE): adds the national tariff "
                "lines under each code when its tariff is loaded.",
            ),
        ]
        | None
    ) = None


class _Envelope(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The request with its items undecoded: each item is decoded (and refused) on its own."""

    items: list[msgspec.Raw]
    top: Annotated[int, msgspec.Meta(ge=1, le=20)] = 3
    jurisdiction: Annotated[str, msgspec.Meta(max_length=8)] | None = None


CLASSIFICATION_SCHEMAS: list[Any] = [
    ClassificationRequest,
    ClassificationItem,
    ClassificationResponse,
    ClassificationResult,
    SuggestionView,
    NationalLineView,
    CodeCheckView,
]
_ENVELOPE: Final = RecordDecoder(_Envelope, lambda _: [])
_ITEM: Final = RecordDecoder(ClassificationItem, lambda _: [])


def jurisdictions(svc: Clearway) -> list[str]:
    """The codes ``jurisdiction`` takes, the OpenAPI document's enum: the installed jurisdictions'
    own (GB, EU...) and the countries that resolve to one (DE -> EU), in capitals exactly as listed
    (a generated client sends them so; the /classify page reads any case)."""
    return sorted(set(svc.revenue.catalogue.jurisdictions) | set(quote_destinations(svc)))


def decode_items(raws: list[msgspec.Raw]) -> list[ItemView | list[FieldError]]:
    """Each raw item decoded, or its errors with pointers into the request (``/items/<i>/...``)."""
    out: list[ItemView | list[FieldError]] = []
    for index, raw in enumerate(raws):
        item, errors = _ITEM.decode(bytes(raw))
        if item is None:
            out.append([FieldError(f"/items/{index}{e.pointer}", e.detail) for e in errors])
            continue
        attributes = dict(item.attributes) if item.attributes else None
        price = None if item.price is None else float(item.price)
        out.append(ItemView(item.description, item.category, attributes, price, item.currency, item.hs_code))
    return out


@router.post(
    "/v1/classifications",
    dependencies=[Depends(PUBLIC)],
    summary="Suggest HS codes for goods as marketplaces describe them, and check declared codes (public)",
    description=(
        "1 to 20 items without a credential, up to 1,000 with an operator's API key (413 beyond). Each gets "
        "the top HS-6 codes with a calibrated confidence, in numbers and "
        "in words, and the reasons; a low confidence says why and names the question that would decide. With "
        "`jurisdiction`, the national tariff lines under each code where that tariff is loaded. With an item's "
        "`hs_code`, whether its description supports the declared code. A bad item gets `errors` (pointers into "
        "the request) and the others still get their answers. Stores nothing."
    ),
    openapi_extra=json_body(schemas.ref(ClassificationRequest)),
    responses={
        **ok(ClassificationResponse, "One result per item, in order"),
        **problem_responses(400, 401, 413, 415, 422, 503, public=True),
    },
    response_class=Response,
)
async def classify(request: Request, svc: Service) -> Response:
    body = await read_body(request, ("application/json",), MAX_BODY)
    envelope, errors = _ENVELOPE.decode(body)
    if envelope is None:
        raise InvalidRecord("the classification request has invalid fields", errors)
    if not envelope.items:
        raise InvalidRecord("no items", [FieldError("/items", "send 1 to 1,000 items")])
    if len(envelope.items) > MAX_ITEMS:
        detail = f"{len(envelope.items):,} items; one request takes at most {MAX_ITEMS:,}: split them"
        raise ApiError(413, "Too many items", detail, "too-many-items", [FieldError("/items", detail)])
    if len(envelope.items) > ANONYMOUS_ITEMS:
        if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
            detail = (
                f"{len(envelope.items):,} items; without an API key a request takes at most {ANONYMOUS_ITEMS}, "
                f"with an operator's key up to {MAX_ITEMS:,}"
            )
            raise ApiError(413, "Too many items", detail, "too-many-items", [FieldError("/items", detail)])
        await authenticate(request)  # a credential that proves no one is refused (401), not waved through
    if envelope.jurisdiction is not None and envelope.jurisdiction not in jurisdictions(svc):
        known = ", ".join(sorted(svc.revenue.catalogue.jurisdictions))
        detail = (
            f"no jurisdiction answers to '{envelope.jurisdiction[:12]}'; use one of {known} "
            "or a destination country's code, in capitals (DE)"
        )
        pointer = [FieldError("/jurisdiction", detail)]
        raise ApiError(422, "Unknown jurisdiction", detail, "unknown-jurisdiction", pointer)
    decoded = decode_items(envelope.items)
    try:
        answer = await run_in_threadpool(
            classify_items, svc.classification, decoded, envelope.top, envelope.jurisdiction
        )
    except UnknownJurisdiction as exc:
        raise ApiError(
            422, "Unknown jurisdiction", str(exc), "unknown-jurisdiction", [FieldError("/jurisdiction", str(exc))]
        ) from exc
    except ClassifierUnavailable as exc:
        raise ApiError(503, "Classifier unavailable", str(exc), "classifier-unavailable") from exc
    except ClassifierBusy as exc:
        busy = ApiError(503, "Classifier busy", str(exc), "classifier-busy")
        busy.headers = {"Retry-After": "5"}
        raise busy from exc
    return json_response(answer)
