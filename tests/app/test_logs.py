"""Log lines for a collector: one JSON object a line, naming the request or batch, whatever the input."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from clearway.app.logs import BATCH_ID, REQUEST_ID, batch, logging_config, sane_request_id


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The clearway logger writing JSON lines into a buffer, as CLEARWAY_LOG_FORMAT=json sets it up."""
    config = logging_config("json")
    out = io.StringIO()
    config["handlers"]["main"] = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["context"],
        "stream": out,
    }
    logger = logging.getLogger("clearway")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logging.config.dictConfig(config)
    yield out
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_line_is_one_object_with_the_fields_given(json_lines: io.StringIO) -> None:
    token = REQUEST_ID.set("req-1")
    try:
        logging.getLogger("clearway.test").info("held %d", 3, extra={"operator": "op-1", "count": 3})
    finally:
        REQUEST_ID.reset(token)
    [line] = lines(json_lines)
    assert line["message"] == "held 3" and line["level"] == "INFO" and line["logger"] == "clearway.test"
    assert line["request_id"] == "req-1" and "batch_id" not in line
    assert (line["operator"], line["count"]) == ("op-1", 3)
    assert str(line["time"]).endswith("+00:00")


def test_a_batch_names_its_lines_and_ends_with_its_block(json_lines: io.StringIO) -> None:
    log = logging.getLogger("clearway.test")
    with batch() as batch_id:
        log.warning("inside")
    log.warning("after")
    inside, after = lines(json_lines)
    assert inside["batch_id"] == batch_id and len(batch_id) == 32
    assert "batch_id" not in after and BATCH_ID.get() is None


def test_hostile_text_cannot_break_the_line(json_lines: io.StringIO) -> None:
    log = logging.getLogger("clearway.test")
    log.error('forged\n{"level": "INFO"}\r\x00 \u2028\x85', extra={"path": "/a\nb"})
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        log.exception("failed")
    raw = json_lines.getvalue().splitlines()
    assert len(raw) == 2  # two records, two lines: no newline of theirs survives unescaped
    first, second = (json.loads(line) for line in raw)
    assert first["message"].startswith("forged\n") and first["message"].endswith("\u2028\x85")
    assert first["path"] == "/a\nb"
    assert "ValueError: boom" in str(second["exc"])


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2a9c1e-0d4b-4e8f-9a8b-1c2d3e4f5a6b", True),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", True),
        (b"req.1:a_b", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("x" * 10_000, False),
        ("abc\ndef", False),
        ("abc\r\nX-Injected: 1", False),
        ('a"b', False),
        ("", False),
        ("caf\u00e9", False),
        (b"\xff\xfe", False),
        (None, False),
    ],
)
def test_a_request_id_is_the_callers_only_when_sane(given: str | bytes | None, kept: bool) -> None:
    found = sane_request_id(given)
    expected = given.decode("latin-1") if isinstance(given, bytes) else given
    assert (found == expected) is kept
    assert 1 <= len(found) <= 128 and found.isascii() and "\n" not in found


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="CLEARWAY_LOG_FORMAT"):
        logging_config("xml")


def test_text_lines_name_the_request() -> None:
    config = logging_config("text")
    out = io.StringIO()
    config["handlers"]["main"]["stream"] = out
    logger = logging.getLogger("clearway")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    try:
        logging.config.dictConfig(config)
        token = REQUEST_ID.set("abc")
        logging.getLogger("clearway.test").info("hello")
        REQUEST_ID.reset(token)
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
    assert out.getvalue().rstrip().endswith("INFO clearway.test [request_id=abc] hello")
