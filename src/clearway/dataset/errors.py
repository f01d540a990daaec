"""Field errors: what is wrong with a record, located by an RFC 6901 JSON pointer."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One problem with one field; ``pointer`` is "" when the whole record is at fault."""

    pointer: str
    detail: str


def pointer_token(key: str | int) -> str:
    """Escape a key for a JSON pointer (RFC 6901: '~' -> '~0', '/' -> '~1')."""
    return str(key).replace("~", "~0").replace("/", "~1")


def join(pointer: str, key: str | int) -> str:
    return f"{pointer}/{pointer_token(key)}"
