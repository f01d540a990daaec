"""Log lines for people or for a collector, each naming the request or batch it belongs to.

A request id (HTTP) or a batch id (``clearway ingest``, a sweep, a group commit) is kept in a context
variable, so that every line logged while handling it names it without being passed around:
asyncio tasks and Starlette's thread pool copy the context. ``CLEARWAY_LOG_FORMAT=json`` writes one
JSON object a line (``time``, ``level``, ``logger``, ``message``, ``request_id`` or ``batch_id``,
the fields a call gave in ``extra=``, and ``exc`` for a traceback); ``text`` writes them for people.

A request id comes from the caller's ``X-Request-ID`` only when it is sane (``sane_request_id``):
a header is the caller's text, and an id with a newline, a quote or 10,000 characters in it would
otherwise be written into every line of that request and echoed in its answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec

__all__ = [
    "BATCH_ID",
    "REQUEST_ID",
    "ContextFilter",
    "JsonFormatter",
    "batch",
    "configure",
    "logging_config",
    "new_id",
    "sane_request_id",
]

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("clearway_request_id", default=None)
BATCH_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("clearway_batch_id", default=None)

# Ids proxies and tracers send (UUIDs, W3C trace ids, "req-123.a:b") fit; anything else is replaced.
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
FORMATS = ("text", "json")


def new_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(raw: str | bytes | None) -> str:
    """The caller's request id when it is 1-128 safe characters, else a new one."""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if raw is not None and _SANE.fullmatch(raw):
        return raw
    return new_id()


@contextlib.contextmanager
def batch(batch_id: str | None = None) -> Iterator[str]:
    """Name the lines logged inside with a batch id (a new one unless given)."""
    chosen = batch_id or new_id()
    token = BATCH_ID.set(chosen)
    try:
        yield chosen
    finally:
        BATCH_ID.reset(token)


# Attributes every LogRecord has: anything else on a record came from ``extra=`` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "batch_id",
    "color_message",  # uvicorn's coloured copy of its message
    "taskName",
}


class ContextFilter(logging.Filter):
    """Put the current request and batch ids on each record (a handler's filter: always passes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if getattr(record, "batch_id", None) is None:
            record.batch_id = BATCH_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """``2026-12-07 06:00:00,123 INFO clearway.access [request_id=ab12] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{name}={value}" for name in ("request_id", "batch_id") if (value := getattr(record, name, None))]
        record.context = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


_ENCODER = msgspec.json.Encoder()


def _plain(value: Any) -> Any:
    # Whatever a caller put in extra= becomes JSON: msgspec's own types as they are, the rest as text.
    return value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object a line; JSON escapes control characters, so no field can break the line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "batch_id"):
            value = getattr(record, name, None)
            if value:
                line[name] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line and not key.startswith("_") and key != "context":
                line[key] = _plain(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        try:
            encoded = _ENCODER.encode(line).decode()
        except (TypeError, msgspec.EncodeError):  # a nested value msgspec cannot encode
            encoded = _ENCODER.encode({k: _plain(v) if k != "message" else v for k, v in line.items()}).decode()
        # JSON leaves these unescaped, and some readers end a line at them (Python's splitlines, JavaScript).
        return encoded.translate(_LINE_BREAKS)


_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _formatter(log_format: str) -> dict[str, Any]:
    if log_format not in FORMATS:
        raise ValueError(f"CLEARWAY_LOG_FORMAT must be one of {', '.join(FORMATS)}, got {log_format!r}")
    return {"()": JsonFormatter if log_format == "json" else TextFormatter}


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the process: clearway's and uvicorn's loggers on standard
    error, in the chosen format, each record with its request or batch id."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["context"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"main": _formatter(log_format)},
        "handlers": {"main": handler},
        "loggers": {
            "clearway": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["main"], "level": level, "propagate": False},
        },
    }


def configure(log_format: str, level: str = "INFO") -> None:
    """Set up the process's logging (commands that run without uvicorn: ingest, sweep)."""
    logging.config.dictConfig(logging_config(log_format, level))
