"""Strict decoding of records with every failing field reported.

The fast path is one msgspec decode into the typed record. msgspec stops at the first error, so when
that fails we decode the raw JSON once more and walk it against the record's type, collecting one
error per failing field with its JSON pointer. The slow walk runs only on bad input.

Amounts are the exception to "msgspec checks the form": it reads a Decimal from any text Python's
Decimal reads ("1_000", " 1", "1e3", fullwidth digits) and from any JSON number. So a second,
narrower msgspec decode checks only the amounts' form, against a shadow of the record type that has
nothing but its Decimal fields, each typed as the documented text or a whole JSON number (records.py
says why). msgspec skips the other fields without building them, so the check costs a fraction of
the decode and stays in C.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from clearway.dataset.errors import FieldError, join
from clearway.dataset.records import AMOUNT_TEXT, PATTERN_MEANINGS
from clearway.dataset.validate import semantic_errors

T = TypeVar("T", bound=msgspec.Struct)

_RAW = msgspec.json.Decoder(float_hook=Decimal)
# What a walk says of a required field that is absent (pages match it to say "Enter the ...").
MISSING_FIELD = "required field is missing"
_JSON_KIND = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def _kind(value: object) -> str:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return "a number"
    return _JSON_KIND.get(type(value), type(value).__name__)


_REGEX_MESSAGE = {
    f"Expected `str` matching regex {pattern!r}": meaning for pattern, meaning in PATTERN_MEANINGS.items()
}


def _message(exc: msgspec.MsgspecError) -> str:
    # msgspec appends " - at `$...`"; the pointer already says where.
    text = str(exc).split(" - at `", 1)[0]
    return _REGEX_MESSAGE.get(text, text)


_AMOUNT_FORM = re.compile(AMOUNT_TEXT)
_TEXT_FORM = (
    'expected decimal text such as "12.50" (ASCII digits and an optional fraction: no sign, exponent,'
    " spaces or separators), got {!r}"
)
_NUMBER_FORM = (
    'a JSON number with a fraction or an exponent is not exact in many clients: send it as text, such as "12.50"'
)
# What a shadow field accepts: the documented text or a whole JSON number (any JSON integer: its size
# and sign are the semantic checks' business, with their own messages).
_AmountForm = Annotated[str, msgspec.Meta(pattern=AMOUNT_TEXT)] | int


def _amount_form_error(value: Any) -> str | None:
    if isinstance(value, str) and not _AMOUNT_FORM.match(value):
        return _TEXT_FORM.format(value)
    if isinstance(value, Decimal):  # a JSON number with a fraction or exponent (float_hook)
        return _NUMBER_FORM
    return None


def _shadow(tp: Any) -> Any:
    """The type that checks only the amounts' form in values of ``tp``; None when it holds none."""
    base, _ = _unwrap(tp)
    if base is Decimal:
        return _AmountForm
    origin = typing.get_origin(base)
    if origin in (typing.Union, types.UnionType):
        options = [_shadow(a) for a in typing.get_args(base) if a is not type(None)]
        kept = [o for o in options if o is not None]
        if not kept:
            return None
        if len(kept) != len(options):
            raise TypeError(f"cannot shadow a union that mixes amounts with other types: {tp}")
        return typing.Union[(*kept, None)]
    if origin is list:
        inner = _shadow(typing.get_args(base)[0])
        return None if inner is None else list[inner]  # type: ignore[valid-type]
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        return _shadow_struct(base)
    return None


@functools.cache
def _shadow_struct(cls: type[msgspec.Struct]) -> type[msgspec.Struct] | None:
    fields = []
    for field in msgspec.structs.fields(cls):
        shadow = _shadow(field.type)
        if shadow is not None:
            fields.append((field.encode_name, shadow | None, None))
    # Unknown fields allowed: every field but the amounts is unknown here, and skipped unbuilt.
    return msgspec.defstruct(f"{cls.__name__}Amounts", fields, kw_only=True) if fields else None


def _unwrap(tp: Any) -> tuple[Any, list[msgspec.Meta]]:
    metas: list[msgspec.Meta] = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        metas.extend(m for m in args[1:] if isinstance(m, msgspec.Meta))
    return tp, metas


def _walk(value: Any, tp: Any, pointer: str, out: list[FieldError], json_text: bool) -> None:
    base, metas = _unwrap(tp)
    origin = typing.get_origin(base)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(base) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(base)):
            return
        if len(options) == 1:
            _walk(value, options[0], pointer, out, json_text)
            return
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        _walk_struct(value, base, pointer, out, json_text)
        return
    if origin is list:
        if not isinstance(value, list):
            out.append(FieldError(pointer, f"expected an array, got {_kind(value)}"))
            return
        for meta in metas:
            if meta.min_length is not None and len(value) < meta.min_length:
                out.append(FieldError(pointer, f"expected at least {meta.min_length} entries"))
            if meta.max_length is not None and len(value) > meta.max_length:
                out.append(FieldError(pointer, f"expected at most {meta.max_length} entries"))
        (item_type,) = typing.get_args(base)
        for index, item in enumerate(value):
            _walk(item, item_type, join(pointer, index), out, json_text)
        return
    # JSON text only: CSV and Parquet cells arrive as Decimals their own parsers read (intake.layout).
    if json_text and base is Decimal:
        message = _amount_form_error(value)
        if message is not None:
            out.append(FieldError(pointer, message))
            return
    try:
        msgspec.convert(value, tp, strict=True)
    except msgspec.ValidationError as exc:
        out.append(FieldError(pointer, _message(exc)))


def _walk_struct(value: Any, cls: type[msgspec.Struct], pointer: str, out: list[FieldError], json_text: bool) -> None:
    if not isinstance(value, dict):
        out.append(FieldError(pointer, f"expected an object, got {_kind(value)}"))
        return
    fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    for key in value:
        if key not in fields:
            out.append(FieldError(join(pointer, key), "unknown field"))
    for name, field in fields.items():
        if name in value:
            _walk(value[name], field.type, join(pointer, name), out, json_text)
        elif field.required:
            out.append(FieldError(join(pointer, name), MISSING_FIELD))


def structural_errors(raw: Any, cls: type[msgspec.Struct], *, json_text: bool = False) -> list[FieldError]:
    """Every structural (type, shape, constraint) error of already-parsed data against ``cls``; with
    ``json_text``, parsed from JSON by ``_RAW``, whose amounts must also have the documented form."""
    out: list[FieldError] = []
    _walk_struct(raw, cls, "", out, json_text)
    return out


class RecordDecoder(Generic[T]):
    """Decode and validate one JSON document into a record, or explain every failing field."""

    def __init__(self, cls: type[T], checks: Callable[[T], list[FieldError]] = semantic_errors) -> None:
        self.cls = cls
        self._checks = checks
        self._decoder = msgspec.json.Decoder(cls)
        shadow = _shadow_struct(cls)
        self._amounts = None if shadow is None else msgspec.json.Decoder(shadow)

    def decode(self, data: bytes | str) -> tuple[T | None, list[FieldError]]:
        try:
            record = self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            return None, self._explain(data, exc)
        except msgspec.DecodeError as exc:
            return None, [FieldError("", f"malformed JSON: {_message(exc)}")]
        except UnicodeDecodeError as exc:
            return None, [FieldError("", f"text is not valid UTF-8 (byte offset {exc.start})")]
        except RecursionError:  # msgspec decodes nested arrays and objects recursively
            return None, [FieldError("", "malformed JSON: nested too deeply")]
        errors = self._checks(record)
        if self._amounts is not None:
            try:
                self._amounts.decode(data)
            except msgspec.ValidationError as exc:
                # The record decoded, so its other checks still say what else is wrong; an amount
                # in the wrong form keeps its form error rather than a second one about its value.
                form = self._explain(data, exc)
                named = {e.pointer for e in form}
                return None, form + [e for e in errors if e.pointer not in named]
        return (None, errors) if errors else (record, [])

    def convert(self, raw: Any) -> tuple[T | None, list[FieldError]]:
        """Like :meth:`decode` for an already-parsed object (CSV and Parquet rows)."""
        try:
            record = msgspec.convert(raw, self.cls, strict=True)
        except msgspec.ValidationError as exc:
            errors = structural_errors(raw, self.cls)
            return None, errors or [FieldError("", _message(exc))]
        errors = self._checks(record)
        return (None, errors) if errors else (record, [])

    def _explain(self, data: bytes | str, exc: msgspec.ValidationError) -> list[FieldError]:
        try:
            raw = _RAW.decode(data)
            errors = structural_errors(raw, self.cls, json_text=True)
        except msgspec.DecodeError as decode_exc:
            return [FieldError("", f"malformed JSON: {_message(decode_exc)}")]
        except RecursionError:
            return [FieldError("", "malformed JSON: nested too deeply")]
        # The walk and msgspec agree on what is wrong; should they ever not, msgspec's own message
        # still reaches the caller rather than an empty error list.
        return errors or [FieldError("", _message(exc))]
