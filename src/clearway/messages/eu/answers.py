"""What the EU families' answers (ICS2 notifications, H7 answers) are written with: the times as
their messages state them, child elements in no namespace, and Clearway's 18-character MRN."""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

_ALNUM = re.compile(r"[^A-Z0-9]")


def utc(at: dt.datetime) -> str:
    """A time as the answers state it: UTC, to the second, with a Z."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """A child element of ``parent``, with ``text`` when given."""
    child = etree.SubElement(parent, name)
    if text is not None:
        child.text = text
    return child


def mrn(number: str, country: str, at: dt.datetime) -> str:
    """Clearway's 18-character reference (not one a Member State issued): two digits of the year,
    the country, and 14 characters of ``number``, padded with zeros."""
    return f"{at:%y}{country.upper()[:2]:<2}{_ALNUM.sub('', number.upper())[:14]:0<14}"
