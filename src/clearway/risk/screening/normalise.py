"""Normalisation of the values screened: names, addresses, phones, e-mails, transport documents.

A declared name and a listed name rarely look alike character for character: the list may hold the
name in Cyrillic, Chinese or Arabic script while the declaration carries a Latin transliteration, the
legal form is written one way or another ("Co., Ltd" / "Company Limited"), honorifics come and go.
Matching compares normalised forms, so everything that is not evidence of identity is removed here:

- invisible characters (soft hyphen, zero-width space...) are removed and compatibility forms made
  plain (NFKC); a word that mixes alphabets, as "Jоhn" with a Cyrillic о, is read letter by letter
  as the Latin it imitates (clearway.dataset.text), since transliterating the look-alikes would turn
  a Cyrillic Р into R;
- every script is transliterated to ASCII with anyascii. Chinese and Korean characters are written
  as syllables with no separator by anyascii ("WangXiaoMing"); a run of them is read as a personal
  name in pinyin convention, the surname syllable then the given name joined ("wang xiaoming"), which
  is how such names appear in Latin on declarations;
- case is folded and every character that is neither letter nor digit becomes a space;
- legal forms, honorifics and the connectives "and" and "the" are dropped, unless nothing else is
  left (a company called "SA").

Phones keep their last nine digits, because the same number is written with a country code
(+33 6 12 34 56 78) or with a national trunk zero (06 12 34 56 78): only the subscriber digits are
common to both. E-mails are compared in their matching form (case, look-alike letters); transport
documents keep letters and digits, look-alikes read as what they imitate, upper-cased.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from clearway.dataset.text import normalise_for_matching, unmask

LEGAL_FORMS = frozenset(
    {
        "ab", "ag", "bhd", "bv", "cjsc", "co", "company", "corp", "corporation", "gmbh", "inc",
        "incorporated", "jsc", "kft", "kg", "limited", "llc", "llp", "lp", "ltd", "nv", "oao", "ojsc",
        "ooo", "oy", "pao", "plc", "pte", "pty", "pvt", "sa", "sarl", "sas", "sdn", "sl", "spa", "sro",
        "srl", "zao",
        # Russian joint-stock forms (AO, PJSC, AK: aktsionernaya kompaniya), Latin American and Gulf forms
        "ak", "ao", "pjsc", "ca", "ltda", "bsc", "fze", "fzco", "fzc", "sae",
    }
)  # fmt: skip
# Religious and scholarly titles come and go in the published spellings of one person ("Mullah
# Mohammed Omar" / "Mohammed Omar", "Maulana Masood Azhar" / "Masood Azhar").
HONORIFICS = frozenset(
    {"dr", "miss", "mr", "mrs", "ms", "prof", "mullah", "maulana", "mawlana", "sheikh", "shaykh", "shaikh", "imam"}
)
# "Import and Export" and "Import & Export" are the same name ("&" is punctuation, so it goes anyway).
CONNECTIVES = frozenset({"and", "the"})
_DROPPED = LEGAL_FORMS | HONORIFICS | CONNECTIVES
# Words that describe a business rather than name it. They stay in the name, but matching does not let
# them make a match on their own: "Horizon Electronics" is not "Roujon Electronics" (matcher.py).
GENERIC_WORDS = frozenset(
    {
        "agro", "apparel", "business", "cargo", "chain", "chemical", "chemicals", "commerce", "commercial",
        "consulting", "craft", "crafts", "development", "digital", "ecommerce", "electric", "electronic",
        "electronics", "energy", "engineering", "enterprise", "enterprises", "equipment", "export", "exports",
        "express", "fashion", "food", "foods", "freight", "garment", "garments", "global", "group",
        "holding", "holdings", "import", "imports", "industrial", "industries", "industry", "international",
        "intl", "investment", "investments", "logistic", "logistics", "machinery", "management",
        "manufacturer", "manufacturing", "marine", "materials", "media", "medical", "network", "overseas",
        "partners", "pharmaceutical", "product", "products", "retail", "service", "services", "shipping",
        "shop", "solutions", "sourcing", "store", "supplies", "supply", "systems", "tech", "technologies",
        "technology", "textile", "textiles", "trade", "traders", "trading", "transport", "ventures",
        "wholesale", "worldwide",
    }
)  # fmt: skip

# Address words that are written in full or abbreviated at will; both sides take the short form.
ADDRESS_ABBREVIATIONS = {
    "avenue": "ave",
    "boulevard": "blvd",
    "building": "bldg",
    "district": "dist",
    "floor": "fl",
    "road": "rd",
    "room": "rm",
    "street": "st",
    "strasse": "str",
    "suite": "ste",
}

# Chinese (CJK unified ideographs and their extensions A and compatibility block) and Hangul syllables.
_HAN_OR_HANGUL = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
# Arabic script (Arabic, Arabic Supplement, Extended-A, presentation forms): written without short vowels.
ABJAD = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Ta marbuta is said "a" at the end of a name (Osama, Fatima); anyascii writes it "h".
_ARABIC_BEFORE = str.maketrans({"\u0629": "a"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_DIGIT = re.compile(r"[^0-9]+")
PHONE_DIGITS = 9
MIN_PHONE_DIGITS = 7


def _han_run(match: re.Match[str]) -> str:
    syllables = [anyascii(ch) for ch in match.group()]
    return f" {syllables[0]} {''.join(syllables[1:])} "


def _ascii_text(text: str) -> str:
    """Any text transliterated to ASCII and case-folded."""
    if not text.isascii():
        text = anyascii(_HAN_OR_HANGUL.sub(_han_run, unmask(text)).translate(_ARABIC_BEFORE))
    return text.casefold()


def _ascii_words(text: str) -> list[str]:
    """Transliterated, case-folded words of any text, punctuation dropped."""
    return _NOT_ALNUM.sub(" ", _ascii_text(text)).split()


# The loose form (scoring.py) also drops the Arabic article and the connectives of South Asian names
# ("al-Zawahiri" / "Zawahiri", "Jamaat-ud-Dawa" / "Jama'at al-Dawa") and writes one spelling for the
# words transliterated many ways ("ibn" / "ben" / "bin", "Abdul" / "Abdel" / "Abd").
ARTICLES = frozenset({"al", "el", "ul", "ud", "ad", "as", "ash", "ar", "at", "az", "ed", "es"})
LOOSE_WORDS = {"ibn": "bin", "ben": "bin", "bn": "bin", "abdul": "abd", "abdel": "abd", "abdal": "abd", "abdoul": "abd",
               "abou": "abu", "muhammad": "mohammed"}  # fmt: skip
# Apostrophes, soft signs as anyascii writes them, and hamza and ayn marks in Latin transliterations
# are inside a word: "Mus'ab" is "Musab", "Veksel'berg" (Вексельберг) is one word.
_INSIDE_WORD = re.compile(r"['’ʼʹʻʾʿ`]")


def name_token_forms(text: str) -> tuple[list[str], list[str]]:
    """A name's words (``name_tokens``) and its loose words: apostrophes kept inside words, articles
    dropped, spellings unified; transliterated once for both."""
    ascii_text = _ascii_text(text)
    words = _NOT_ALNUM.sub(" ", ascii_text).split()
    kept = [w for w in words if w not in _DROPPED]
    joined = _NOT_ALNUM.sub(" ", _INSIDE_WORD.sub("", ascii_text)).split()
    loose = [LOOSE_WORDS.get(w, w) for w in joined if w not in _DROPPED and w not in ARTICLES]
    return kept or words, loose or joined


def name_tokens(text: str) -> list[str]:
    """The words of a name that identify it: transliterated, case-folded, legal forms and titles dropped."""
    return name_token_forms(text)[0]


def normalise_name(text: str) -> str:
    """A person's or a company's name as compared: ``"Müller GmbH"`` -> ``"muller"``."""
    return " ".join(name_tokens(text))


def normalise_address(text: str) -> str:
    """An address as compared: transliterated, case-folded, common street words abbreviated."""
    return " ".join(ADDRESS_ABBREVIATIONS.get(w, w) for w in _ascii_words(text))


def normalise_phone(text: str) -> str:
    """The subscriber digits of a phone number (its last nine), or "" when too short to identify anyone."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", text))
    return digits[-PHONE_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else ""


def normalise_email(text: str) -> str:
    """An e-mail address as compared: in its matching form (providers treat addresses case-blind)."""
    return normalise_for_matching(text)


def normalise_document(text: str) -> str:
    """A transport document number as compared: letters and digits only, upper-cased."""
    return _NOT_ALNUM.sub("", normalise_for_matching(text)).upper()


def is_abjad(text: str) -> bool:
    """Whether the text holds Arabic script, whose transliteration lacks the short vowels."""
    return ABJAD.search(text) is not None
