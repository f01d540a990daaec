"""Normalisation: transliteration, case, punctuation, legal forms and titles; phones, e-mails, documents."""

from __future__ import annotations

import pytest

from clearway.risk.screening.normalise import (
    is_abjad,
    name_tokens,
    normalise_address,
    normalise_document,
    normalise_email,
    normalise_name,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Müller GmbH", "muller"),
        ("Shenzhen Zenith Import & Export Co., Ltd", "shenzhen zenith import export"),
        ("Shenzhen Zenith Import and Export Company Limited", "shenzhen zenith import export"),
        ("Mr. John O'Brien", "john o brien"),
        ("Dr  Anna-Maria   Rossi", "anna maria rossi"),
        ("ACME LLC", "acme"),
        ("SA", "sa"),  # a name made only of a legal form keeps it
        ("Иванов Пётр Сергеевич", "ivanov petr sergeevich"),
        ("王小明", "wang xiaoming"),  # surname syllable, then the given name joined (pinyin convention)
        ("王 小明 Ltd", "wang xiao ming"),
        ("Ελένη Παπαδοπούλου", "eleni papadopoyloy"),
        ("ＡＢＣ\u3000Trading", "abc trading"),
        ("Łódź Ørsted Straße", "lodz orsted strasse"),
        ("أسامة بن لادن", "sma bn ldn"),  # no short vowels; ta marbuta read "a", the hamza is punctuation
        ("", ""),
        ("  --  ", ""),
        # look-alikes in a Latin word are read as the Latin they imitate, not transliterated (Р is not R)
        ("Ivan \u0420\u0435trov", "ivan petrov"),
        ("J\u043ehn Sm\u00adi\u200bth", "john smith"),
        ("ＪＯＨＮ 𝐒𝐌𝐈𝐓𝐇", "john smith"),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_name_tokens_are_the_words_of_the_normalised_name() -> None:
    assert name_tokens("Mrs. Jane DOE-Smith, Inc.") == ["jane", "doe", "smith"]


def test_normalise_address_abbreviates_street_words() -> None:
    assert normalise_address("80 High Street, Flat 2") == normalise_address("80 high st flat 2") == "80 high st flat 2"
    assert normalise_address("Bahnhofstraße 92, 1016 Lausanne") == "bahnhofstrasse 92 1016 lausanne"
    assert normalise_address("12 Avenue des Champs-Élysées") == "12 ave des champs elysees"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+33 6 12 34 56 78", "612345678"),
        ("06 12 34 56 78", "612345678"),  # the trunk zero and the country code both fall away
        ("(232) 918-6791", "329186791"),
        ("+1 2329186791", "329186791"),
        ("123-45", ""),  # too short to identify anyone
        ("", ""),
    ],
)
def test_normalise_phone(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_normalise_email_and_document() -> None:
    assert normalise_email("  John.Doe@Example.COM ") == "john.doe@example.com"
    assert normalise_document("ua 511-640-215 cn") == "UA511640215CN"


def test_look_alikes_in_exact_kinds() -> None:
    assert normalise_email("J\u043ehn.D\u043ee@\u0435xample.com\u200b") == "john.doe@example.com"
    assert normalise_document("\u0420\u0420123456785\u0421N") == "PP123456785CN"  # Cyrillic Р and С
    assert normalise_phone("＋３３ ６ １２ ３４ ５６ ７８") == "612345678"  # fullwidth digits


def test_is_abjad() -> None:
    assert is_abjad("محمد") and not is_abjad("Mohammed") and not is_abjad("王小明")
