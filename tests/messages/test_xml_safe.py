"""Hostile XML changes nothing and reads nothing: entities, external DTDs, depth, size, encodings."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lxml import etree

from clearway.messages import xml_safe
from clearway.messages.xml_safe import XmlRefused


def _refused(data: bytes, **limits: int) -> XmlRefused:
    with pytest.raises(XmlRefused) as caught:
        xml_safe.parse(data, **limits)
    return caught.value


def test_a_document_type_declaration_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY x "SECRET">')
    for data in (
        f'<!DOCTYPE a SYSTEM "{secret}"><a>&x;</a>'.encode(),
        f'<!doctype a SYSTEM "{secret}"><a/>'.encode(),
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a SYSTEM "{secret}"><a/>'.encode("utf-16"),
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
        # Padded past any fixed window by a comment, and in UTF-32.
        b"<!--" + b"x" * 10_000 + b'-->\n<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        f'<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE a SYSTEM "{secret}"><a/>'.encode("utf-32"),
    ):
        assert _refused(data).where == "DOCTYPE"
    # The parser itself never opens it either, should a DOCTYPE get past the first look.
    with pytest.raises(XmlRefused, match="external resource"):
        etree.fromstring(f'<!DOCTYPE a SYSTEM "{secret}"><a>&x;</a>'.encode(), xml_safe._parser())


def test_malformed_xml_is_named_by_line_and_column() -> None:
    refused = _refused(b"<a>\n  <b></a>")
    assert refused.where == "line 2, column 10" and "not well-formed" in refused.detail


def test_size_and_depth_are_bounded() -> None:
    assert "more than the 100 accepted" in _refused(b"<a>" + b"x" * 200 + b"</a>", max_bytes=100).detail
    deep = b"<a>" * 60 + b"</a>" * 60
    assert "nest more than 48" in _refused(deep).detail
    assert _refused(b"   ").detail == "the message is empty"


@pytest.mark.parametrize("encoding", ["GB2312", "GB18030", "UTF-16", "UTF-8"])
def test_the_encoding_the_prolog_declares_is_honoured(encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding}"?><order><buyer>张三</buyer></order>'
    assert xml_safe.parse(text.encode(encoding.lower()))[0].text == "张三"


def test_an_unknown_encoding_is_named() -> None:
    refused = _refused(b'<?xml version="1.0" encoding="KLINGON-8"?><a/>')
    assert "KLINGON-8" in refused.detail


def test_a_path_names_the_element_with_the_documents_prefixes() -> None:
    root = xml_safe.parse(b'<c:m xmlns:c="urn:x"><c:o/><c:o><c:v>1</c:v></c:o></c:m>')
    assert xml_safe.path_of(root[1][0]) == "/c:m/c:o[2]/c:v"


def test_the_parser_kept_for_each_thread_carries_nothing_from_one_message_to_the_next(tmp_path: Path) -> None:
    """The hardened parser is made once per thread and reused: a message it refused (malformed, an
    external resource asked for, an unknown encoding) leaves it reading the next one as a new parser
    would, with the same refusals, and another thread gets a parser of its own."""
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY x "SECRET">')
    for _ in range(2):
        assert _refused(b"<a>\n  <b></a>").where == "line 2, column 10"
        assert "KLINGON-8" in _refused(b'<?xml version="1.0" encoding="KLINGON-8"?><a/>').detail
        with pytest.raises(XmlRefused, match="external resource"):
            etree.fromstring(f'<!DOCTYPE a SYSTEM "{secret}"><a>&x;</a>'.encode(), xml_safe._PARSERS.parser)
        text = '<?xml version="1.0" encoding="GB18030"?><order><buyer>张三</buyer></order>'
        assert xml_safe.parse(text.encode("gb18030"))[0].text == "张三"
        assert xml_safe.parse(b"<a><b>1</b></a>")[0].text == "1"

    parsers: list[object] = []
    worker = threading.Thread(target=lambda: parsers.append(xml_safe._PARSERS.parser))
    worker.start()
    worker.join()
    assert parsers and parsers[0] is not xml_safe._PARSERS.parser
