"""Strict decoding of records with every failing field reported.

The fast path is one msgspec decode into the typed record. msgspec stops at the first error, so when
that fails we decode the raw JSON once more and walk it against the record's type, collecting one
error per failing field with its JSON pointer. The slow walk runs only on bad input.
"""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any, Generic, TypeVar

import msgspec

from clearway.dataset.errors import FieldError, join
from clearway.dataset.records import PATTERN_MEANINGS
from clearway.dataset.validate import semantic_errors

T = TypeVar("T", bound=msgspec.Struct)

_RAW = msgspec.json.Decoder(float_hook=Decimal)
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


def _unwrap(tp: Any) -> tuple[Any, list[msgspec.Meta]]:
    metas: list[msgspec.Meta] = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        metas.extend(m for m in args[1:] if isinstance(m, msgspec.Meta))
    return tp, metas


def _walk(value: Any, tp: Any, pointer: str, out: list[FieldError]) -> None:
    base, metas = _unwrap(tp)
    origin = typing.get_origin(base)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(base) if a is not type(None)]
        if value is None and len(options) < len(typing.get_args(base)):
            return
        if len(options) == 1:
            _walk(value, options[0], pointer, out)
            return
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        _walk_struct(value, base, pointer, out)
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
            _walk(item, item_type, join(pointer, index), out)
        return
    try:
        msgspec.convert(value, tp, strict=True)
    except msgspec.ValidationError as exc:
        out.append(FieldError(pointer, _message(exc)))


def _walk_struct(value: Any, cls: type[msgspec.Struct], pointer: str, out: list[FieldError]) -> None:
    if not isinstance(value, dict):
        out.append(FieldError(pointer, f"expected an object, got {_kind(value)}"))
        return
    fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    for key in value:
        if key not in fields:
            out.append(FieldError(join(pointer, key), "unknown field"))
    for name, field in fields.items():
        if name in value:
            _walk(value[name], field.type, join(pointer, name), out)
        elif field.required:
            out.append(FieldError(join(pointer, name), "required field is missing"))


def structural_errors(raw: Any, cls: type[msgspec.Struct]) -> list[FieldError]:
    """Every structural (type, shape, constraint) error of already-parsed JSON against ``cls``."""
    out: list[FieldError] = []
    _walk_struct(raw, cls, "", out)
    return out


class RecordDecoder(Generic[T]):
    """Decode and validate one JSON document into a record, or explain every failing field."""

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls
        self._decoder = msgspec.json.Decoder(cls)

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
        errors = semantic_errors(record)
        return (None, errors) if errors else (record, [])

    def convert(self, raw: Any) -> tuple[T | None, list[FieldError]]:
        """Like :meth:`decode` for an already-parsed object (CSV and Parquet rows)."""
        try:
            record = msgspec.convert(raw, self.cls, strict=True)
        except msgspec.ValidationError as exc:
            errors = structural_errors(raw, self.cls)
            return None, errors or [FieldError("", _message(exc))]
        errors = semantic_errors(record)
        return (None, errors) if errors else (record, [])

    def _explain(self, data: bytes | str, exc: msgspec.ValidationError) -> list[FieldError]:
        try:
            raw = _RAW.decode(data)
            errors = structural_errors(raw, self.cls)
        except msgspec.DecodeError as decode_exc:
            return [FieldError("", f"malformed JSON: {_message(decode_exc)}")]
        except RecursionError:
            return [FieldError("", "malformed JSON: nested too deeply")]
        # The walk and msgspec agree on what is wrong; should they ever not, msgspec's own message
        # still reaches the caller rather than an empty error list.
        return errors or [FieldError("", _message(exc))]
