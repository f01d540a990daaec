"""The matcher's quality on the labelled pairs of data/screening (published aliases of listed parties,
hard negatives), the loose form's folds, and look-alike text that must not let a listed name slip."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearway.risk.screening import DEFAULT_THRESHOLD, ScreeningIndex, WatchEntry, score
from clearway.risk.screening.evaluate import LabelledPair, Quality, best_threshold, quality, read_pairs
from clearway.risk.screening.normalise import name_token_forms
from clearway.risk.screening.scoring import BLOCKING_FLOOR, phonetic

PAIRS = Path(__file__).resolve().parents[3] / "data" / "screening" / "name_pairs.csv"
# The goal is 0.85; the matcher before its loose form (scoring.py) reached 0.871 here, this one 0.937:
# the bar sits between, so that losing the loose form fails the test.
HELD_OUT_F1 = 0.90


@pytest.fixture(scope="module")
def pairs() -> list[LabelledPair]:
    return read_pairs(PAIRS.read_text(encoding="utf-8"))


def test_the_set_is_balanced_and_split_by_party(pairs: list[LabelledPair]) -> None:
    assert len(pairs) >= 600
    assert 0.35 <= sum(p.match for p in pairs) / len(pairs) <= 0.45
    text = PAIRS.read_text(encoding="utf-8").splitlines()[1:]
    parts: dict[str, set[str]] = {}
    for line in text:
        *_, party_a, party_b, part = line.rsplit(",", 3)
        for party in (party_a, party_b):
            if party:
                parts.setdefault(party.partition("~")[0], set()).add(part)
    assert all(len(p) == 1 for p in parts.values())  # no party is seen in both parts


def test_held_out_f1_at_the_default_threshold(pairs: list[LabelledPair]) -> None:
    held_out = quality([p for p in pairs if p.part == "held-out"], DEFAULT_THRESHOLD)
    assert held_out.f1 >= HELD_OUT_F1, held_out
    assert held_out.precision >= 0.9, held_out  # recall is not bought with false hits


def test_the_default_threshold_is_the_calibration_parts_choice(pairs: list[LabelledPair]) -> None:
    # Among thresholds where blocking is complete, the calibration part's best F1 is at the default.
    candidates = [round(BLOCKING_FLOOR + 0.005 * i, 3) for i in range(15)]
    chosen, _ = best_threshold([p for p in pairs if p.part == "calibration"], candidates)
    assert chosen == DEFAULT_THRESHOLD


def test_quality_measures() -> None:
    q = Quality(true_positives=8, false_positives=2, false_negatives=8, true_negatives=5)
    assert (q.precision, q.recall) == (0.8, 0.5)
    assert q.f1 == pytest.approx(2 * 0.8 * 0.5 / 1.3)
    assert Quality(0, 0, 3, 1).f1 == 0.0


def test_read_pairs_refuses_a_bad_file() -> None:
    with pytest.raises(ValueError, match="header"):
        read_pairs("a,b\nx,y\n")
    with pytest.raises(ValueError, match="line 2"):
        read_pairs("name_a,name_b,match,kind,party_a,party_b,part\nA,B,yes,k,p,p,calibration\n")


# --- the loose form --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Usama bin Ladin", "Osama bin Laden"),  # vowels
        ("Qasem Soleimani", "Qasem Salimani"),
        ("Muammar Qadhafi", "Muammar Qaddafi"),  # the h after a stop
        ("Abdul Rahman Khalil", "Abd al-Rahman Khalil"),  # Abdul / Abd al-
        ("Hamza ibn Usama", "Hamza bin Usama"),  # ibn / bin
        ("Ayman al-Zawahiri", "Ayman Zawahiri"),  # the article
        ("Mohammed Masood Azhar", "Muhammad Masood Azhar"),
        ("Abu Mus'ab al-Zarqawi", "Abu Musab al-Zarqawi"),  # an apostrophe inside a word
        ("VEKSELBERG, Viktor Feliksovich", "Виктор Феликсович Вексельберг"),  # the soft sign
        ("Gazprombank JSC", "AO Gazprombank"),  # Russian legal forms
        ("Vnesheconombank", "State Corporation Vnesheconombank"),  # a long single word contained
        ("Sberbank", "ПАО Сбербанк России"),  # ... beside the legal form and the country
        ("Syriatel", "Syriatel Mobile Telecom SA"),  # ... beside what the body does
        ("Mullah Mohammed Omar", "Mohammed Omar"),  # a religious title
    ],
)
def test_transliteration_variants_match(a: str, b: str) -> None:
    assert score(a, b) >= DEFAULT_THRESHOLD
    assert score(a, b) == score(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lei Yang", "杨丽"),  # pinyin vowels are the identity in short words
        ("Bank Melli Iran", "Bank Mellat"),
        ("Vnesheconombank", "Vneshtorgbank"),
        ("Sovcombank", "Sovcomflot"),
        ("Shahid Hemmat Industrial Group", "Shahid Bakeri Industrial Group"),
        ("Boris Romanovich Rotenberg", "Arkady Romanovich Rotenberg"),
        ("Ali", "Ali Hassan"),  # a short single word proves nothing
        ("Alexander", "Alexander Petrov"),  # a long given name alone is not the person
        ("Hezbollah", "Kata'ib Hezbollah"),  # a name that is part of another's is not that party
    ],
)
def test_different_parties_stay_apart(a: str, b: str) -> None:
    assert score(a, b) < DEFAULT_THRESHOLD


def test_loose_words() -> None:
    # Strictly, "Mus'ab" is two words and "ab" (a Swedish legal form) goes; loosely it is one word.
    strict, loose = name_token_forms("Abd al-Rahman ibn Mus'ab")
    assert (strict, loose) == (["abd", "al", "rahman", "ibn", "mus"], ["abd", "rahman", "bin", "musab"])
    assert phonetic("soleimani") == phonetic("salimani") and phonetic("lei") != phonetic("li")


# --- look-alike text (abuse) --------------------------------------------------------------------------

LISTED = [
    WatchEntry(list_name="UN", entry_id="QDi.421", kind="party", value="Abu Mohammed al-Julani"),
    WatchEntry(list_name="SDN", entry_id="9640", kind="party", value="SOVCOMFLOT PAO"),
]


@pytest.mark.parametrize(
    ("declared", "entry_id"),
    [
        ("Аbu Моhаmmеd аl-Јulаni", "QDi.421"),  # Cyrillic А, М, о, а, е, Ј in a Latin name
        ("Abu Mo\u200bhammed al-Ju\u200dlani", "QDi.421"),  # zero-width space and joiner
        ("Abu Mohammed al\u00ad-Julani", "QDi.421"),  # soft hyphen
        ("Ａｂｕ Ｍｏｈａｍｍｅｄ ａｌ-Ｊｕｌａｎｉ", "QDi.421"),  # fullwidth letters
        ("Abu Muhammad al-Jawlani", "QDi.421"),  # another transliteration
        ("S\u043eVC\u041eMFL\u041eT\u2060 PJSC", "9640"),  # Cyrillic О, a word joiner, another legal form
    ],
)
def test_look_alike_text_does_not_slip_past(declared: str, entry_id: str) -> None:
    hits = ScreeningIndex.build(LISTED).match_name(declared)
    assert [m.entry.entry_id for m in hits] == [entry_id]
