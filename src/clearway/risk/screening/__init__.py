"""Screening of a batch's parties, addresses, phones, e-mails and transport documents against lists.

Watchlists and sanctions lists are read from files (lists.py), names are normalised and transliterated
(normalise.py), and matched fuzzily with blocking so that a whole batch is screened in seconds
(matcher.py). The package is domain core: no database, web or HTTP code.
"""

from clearway.risk.screening.lists import (
    KINDS,
    Kind,
    ListFormatError,
    WatchEntry,
    read_ofac_sdn_csv,
    read_un_consolidated_xml,
    read_watchlist_csv,
)
from clearway.risk.screening.matcher import DEFAULT_THRESHOLD, FIELDS, Match, ScreeningIndex, screen_frame, screen_row
from clearway.risk.screening.normalise import (
    name_tokens,
    normalise_address,
    normalise_document,
    normalise_email,
    normalise_name,
    normalise_phone,
)
from clearway.risk.screening.scoring import score, score_address

__all__ = [
    "DEFAULT_THRESHOLD",
    "FIELDS",
    "KINDS",
    "Kind",
    "ListFormatError",
    "Match",
    "ScreeningIndex",
    "WatchEntry",
    "name_tokens",
    "normalise_address",
    "normalise_document",
    "normalise_email",
    "normalise_name",
    "normalise_phone",
    "read_ofac_sdn_csv",
    "read_un_consolidated_xml",
    "read_watchlist_csv",
    "score",
    "score_address",
    "screen_frame",
    "screen_row",
]
