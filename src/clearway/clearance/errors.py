"""Domain errors. Each carries the HTTP status it maps to, so one handler table in the API turns
any of them into a problem+json response (the yente pattern) without the core knowing about HTTP."""

from __future__ import annotations

from clearway.dataset.errors import FieldError


class ClearwayError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(ClearwayError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(ClearwayError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class InvalidRecord(ClearwayError):
    status = 422
    title = "Invalid record"
    slug = "invalid-record"


class UnderCustomsControl(Conflict):
    """The declarant asked to change or withdraw a declaration customs has taken into control."""

    slug = "under-customs-control"
    title = "Under customs control"

    def __init__(self, detail: str, *, law: str) -> None:
        super().__init__(f"{detail} ({law})")
        self.law = law
