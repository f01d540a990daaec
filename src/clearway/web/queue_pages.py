"""The inspection queue page: consignments held for customs action, highest priority first,
filtered by lane, operator, origin, HS chapter, rule and age, paged by keyset."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from clearway.api.deps import Service
from clearway.risk.lanes import RiskResult
from clearway.store import queue_repo
from clearway.web.auth import CustomsPerson, session_csrf
from clearway.web.form_messages import FormErrors, invalid
from clearway.web.templating import templates

router = APIRouter(include_in_schema=False)
LANES = ("do_not_load", "red", "yellow", "green")
PAGE = 50
_RESULT = msgspec.json.Decoder(RiskResult)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CHAPTER = re.compile(r"^[0-9]{2}$")


def encode_cursor(priority: float, consignment_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([priority, consignment_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[float, str] | None:
    """The keyset of a cursor, or None for the first page (a malformed cursor starts again)."""
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(raw[0]), str(raw[1])
    except (ValueError, TypeError, IndexError, KeyError):
        return None


def _clean(value: str | None, pattern: re.Pattern[str] | None = None, choices: tuple[str, ...] = ()) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if choices and text not in choices:
        return None
    if pattern is not None and not pattern.match(text.upper()):
        return None
    return text.upper() if pattern is _COUNTRY else text


def filter_errors(form: dict[str, str | None], rules: tuple[str, ...]) -> FormErrors:
    """What is wrong with the filters sent (a wrong one is left out of the query, and said so)."""
    errors = FormErrors()
    checks: tuple[tuple[str, re.Pattern[str] | None, tuple[str, ...]], ...] = (
        ("lane", None, LANES),
        ("origin", _COUNTRY, ()),
        ("chapter", _CHAPTER, ()),
        ("rule", None, rules),
    )
    for field, pattern, choices in checks:
        if (form.get(field) or "").strip() and _clean(form.get(field), pattern, choices) is None:
            errors.add(field, invalid("queue", field))
    age = (form.get("age") or "").strip()
    if age and not age.isdigit():
        errors.add("age", invalid("queue", "age"))
    return errors


def _row(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    result = _RESULT.decode(row["body"])
    top = [r.message for r in result.reasons if r.code not in ("random_inspection",)][:2]
    received: dt.datetime = row["received_at"]
    return {
        **{k: v for k, v in row.items() if k != "body"},
        "age_hours": max(0, int((now - received).total_seconds() // 3600)),
        "rules": result.rule_hits,
        "reasons": top,
        "model_probability": result.model.probability if result.model else None,
        "random": result.random_inspection,
    }


@router.get("/queue", response_class=HTMLResponse)
async def queue(
    request: Request,
    svc: Service,
    person: CustomsPerson,
    lane: Annotated[str | None, Query(max_length=16)] = None,
    operator: Annotated[str | None, Query(max_length=64)] = None,
    # Longer than valid, so that a wrong value reaches the page, which says what to enter.
    origin: Annotated[str | None, Query(max_length=16)] = None,
    chapter: Annotated[str | None, Query(max_length=16)] = None,
    rule: Annotated[str | None, Query(max_length=80)] = None,
    # A plain form sends every field, empty ones as "": text here, a number below.
    age: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    now = dt.datetime.now(dt.UTC)
    # The rules in force, from the loaded risk step: the catalogue would count every rule's hits.
    rules = sorted(r.name for r in (await run_in_threadpool(svc.risk.step)).rules)
    sent = {"lane": lane, "origin": origin, "chapter": chapter, "rule": rule, "age": age}
    errors = filter_errors(sent, tuple(rules))
    where = queue_repo.QueueFilter(
        lane=_clean(lane, choices=LANES),
        operator_id=_clean(operator),
        origin=_clean(origin, _COUNTRY),
        hs_chapter=_clean(chapter, _CHAPTER),
        rule=_clean(rule, choices=tuple(rules)),
        min_age_hours=min(int(age), 24 * 365) if age and age.strip().isdigit() else None,
    )

    def read() -> tuple[list[dict[str, Any]], dict[str, int], list[str]]:
        with svc.engine.connect() as conn:
            rows = queue_repo.queue_page(conn, where, now=now, after=decode_cursor(cursor), limit=PAGE)
            return rows, queue_repo.queue_counts(conn), queue_repo.operator_ids(conn)

    rows, counts, operators = await run_in_threadpool(read)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    following = encode_cursor(rows[-1]["priority"], rows[-1]["id"]) if more else None
    params = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    return templates.TemplateResponse(
        request,
        "queue.html",
        {
            "person": person,
            "csrf": await session_csrf(request),
            "section": "queue",
            "rows": [_row(r, now) for r in rows],
            "counts": counts,
            "total": sum(counts.values()),
            "filters": where,
            "lanes": LANES,
            "operators": operators,
            "rules": rules,
            "next_cursor": following,
            "params": params,
            "first_page": cursor is None,
            "errors": errors,
            "sent": sent,  # the text fields show what was typed, a wrong value too, to correct it
            # A sent filter form (or a further page): the focus goes to what it found.
            "filtered": bool(params) or cursor is not None,
        },
        status_code=422 if errors else 200,
    )
