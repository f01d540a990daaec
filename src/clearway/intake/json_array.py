"""A batch as one JSON array of records: each item decoded on its own, like an NDJSON line.

The array is the form generated API clients can send (they type a JSON body as a list of records;
most cannot produce NDJSON). It follows the NDJSON rules wherever they apply, so that the two forms
of one batch get the same answers:

* each item is decoded by the same :class:`~clearway.dataset.decode.RecordDecoder` from its own
  JSON text, so an item's errors are exactly those of the same record sent alone or on a line;
* an item is numbered like a line, from 1 (``Parsed.line`` is the item's index + 1), and its
  errors' pointers are prefixed with its index, so they point into the array: ``/0/items/0/hs_code``;
* an item longer than ``max_record_bytes`` is an error for that item and is never decoded;
* more than ``max_records`` items raises :class:`~clearway.intake.ndjson.TooManyLines` before any
  item is decoded.

Unlike NDJSON, whose lines are independent texts, the array is one JSON text: a body that is not
JSON, or not an array, has no items to answer one by one and raises :class:`NotAJsonArray`.
"""

from __future__ import annotations

import json
import re

import msgspec
import numpy as np

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.intake.ndjson import DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_LINES, TooManyLines
from clearway.intake.parsed import Parsed, T

__all__ = ["NotAJsonArray", "at_item", "parse_json_array"]

# Splitting the array keeps each item's own bytes (msgspec.Raw): decoding an item from them is what
# makes its errors the same as on an NDJSON line. msgspec skips items without checking their UTF-8,
# so a bad string is that item's error, as on a line.
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])


class NotAJsonArray(Exception):
    """The body is not a JSON array: the whole request is refused, with what is wrong at ``""``."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.errors = [FieldError("", detail)]


# Counting the array's items before building them: an array of tiny items ("[0,0,0,...]" in a
# 128 MB body is 64 million) would take gigabytes as item objects before the count could refuse it.
# Strings are blanked (a comma inside one is no separator), then commas at depth 1 are counted in
# chunks, so the count itself stays within a few tens of megabytes.
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b"[]{},")
_CHUNK = 1 << 22


def _more_items_than(data: bytes, limit: int) -> bool:
    if data.count(b",") < limit:  # n items need n - 1 commas
        return False
    structure = np.frombuffer(_STRINGS.sub(b"", data).translate(None, _NOT_STRUCTURE), dtype=np.uint8)
    depth, commas = 0, 0
    for start in range(0, len(structure), _CHUNK):
        chunk = structure[start : start + _CHUNK]
        step = (chunk == ord("[")).astype(np.int32) + (chunk == ord("{")) - (chunk == ord("]")) - (chunk == ord("}"))
        level = np.cumsum(step, dtype=np.int64) + depth
        commas += int(np.count_nonzero((chunk == ord(",")) & (level == 1)))
        depth = int(level[-1])
    return commas + 1 > limit


def _split(data: bytes) -> list[msgspec.Raw]:
    try:
        return _ITEMS.decode(data)
    except msgspec.ValidationError as exc:
        got = str(exc).removeprefix("Expected `array`, got `").removesuffix("`")
        raise NotAJsonArray(f"expected a JSON array of records, got {_json_kind(got)}") from None
    except msgspec.DecodeError as exc:
        raise NotAJsonArray(f"malformed JSON: {_malformed(data, exc)}") from None
    except RecursionError:
        raise NotAJsonArray("malformed JSON: nested too deeply") from None


_KINDS = {"object": "an object", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean"}


def _json_kind(msgspec_name: str) -> str:
    return _KINDS.get(msgspec_name, msgspec_name)


def _malformed(data: bytes, exc: msgspec.DecodeError) -> str:
    text = str(exc)
    if text == "Input data was truncated":
        try:
            json.loads(data)
        except (ValueError, RecursionError):
            return "the input ends in the middle of the array (was the upload cut off?)"
        # msgspec also says "truncated" for an unpaired surrogate escape such as "\ud800".
        return "invalid \\u escape (an unpaired UTF-16 surrogate)"
    return text.removeprefix("JSON is malformed: ")


def at_item(index: int, errors: list[FieldError]) -> list[FieldError]:
    """``errors`` of the item at ``index``, their pointers made to point into the whole array."""
    return [FieldError(f"/{index}{e.pointer}", e.detail) for e in errors]


def parse_json_array(
    data: bytes,
    decoder: RecordDecoder[T],
    *,
    max_records: int = DEFAULT_MAX_LINES,
    max_record_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> list[Parsed[T]]:
    """Every item of a JSON array body, in order. Raises :class:`NotAJsonArray` or
    :class:`~clearway.intake.ndjson.TooManyLines` before decoding any item."""
    if _more_items_than(data, max_records):
        raise TooManyLines(max_records)
    items = _split(data)
    if len(items) > max_records:
        raise TooManyLines(max_records)
    parsed: list[Parsed[T]] = []
    for index, raw in enumerate(items):
        text = bytes(raw)
        if len(text) > max_record_bytes:
            detail = f"record is {len(text):,} bytes long, more than the limit of {max_record_bytes:,} bytes"
            parsed.append(Parsed(index + 1, None, [FieldError(f"/{index}", detail)]))
            continue
        try:
            record, errors = decoder.decode(text)
        except UnicodeDecodeError as exc:  # msgspec found invalid UTF-8 inside a string
            errors = [FieldError("", f"text is not valid UTF-8 (byte offset {exc.start} of the record)")]
            record = None
        except RecursionError:
            record, errors = None, [FieldError("", "malformed JSON: nested too deeply")]
        parsed.append(Parsed(index + 1, record, at_item(index, errors)))
    return parsed
