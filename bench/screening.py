"""Screening throughput and recall: a batch of simulated consignments against a synthetic list.

    .venv/bin/python bench/screening.py [--count 100000] [--entries 20000] [--planted 1000] [--seed 7]
                                        [--threshold 0.88]

The list is made up, never a real one: names built from syllables in four scripts (Latin persons and
companies, Cyrillic, Chinese, Arabic), plus some addresses, phones and e-mails. The consignments come
from the simulator (not timed); into ``--planted`` of them a list entry is planted as the buyer (a
person) or the seller (a company) under a variant a screener must still catch: transliterated to
Latin from its script, reordered ("LAST, First"), with one typo, or with another legal form. Prints
the list and batch sizes, the time to build the index and to screen the frame, values per second,
the recall on the planted variants at the threshold (by variant) and the hits on other consignments.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

import polars as pl
from anyascii import anyascii

from clearway.revenue.rates import EcbRates
from clearway.risk.frame import EuroRates, RiskInput, build_frame
from clearway.risk.screening import FIELDS, ScreeningIndex, WatchEntry, screen_frame
from clearway.simulate import generate

ONSETS = ["b", "br", "d", "f", "g", "gr", "k", "l", "m", "n", "p", "r", "s", "st", "t", "tr", "v", "z", "h", "j"]
VOWELS = ["a", "e", "i", "o", "u", "ia", "ei", "ou"]
CODAS = ["", "", "", "n", "r", "l", "s", "m", "x", "nd", "rt"]
INDUSTRIES = ["Trading", "Logistics", "Electronics", "Industrial", "Shipping", "Holdings", "Supply", "Textiles"]
LEGAL = [("Co., Ltd", "Company Limited"), ("LLC", "L.L.C."), ("GmbH", ""), ("Ltd", "Limited"), ("Inc.", "Corp.")]
CYR_C = "бвгдзклмнпрстфхчшж"
CYR_V = "аеиоуя"
CYR_SURNAME_END = ["ов", "ев", "ин", "ский", "енко"]
HAN_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
HAN_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏宇浩凯晨辰轩然博文斌建国志红梅春雪晓云"
AR_CONSONANTS = [
    ("ب", "b"), ("ت", "t"), ("ج", "j"), ("د", "d"), ("ر", "r"), ("ز", "z"), ("س", "s"), ("ش", "sh"),
    ("ف", "f"), ("ق", "q"), ("ك", "k"), ("ل", "l"), ("م", "m"), ("ن", "n"), ("ح", "h"), ("خ", "kh"),
]  # fmt: skip
# (Arabic spelling, Latin spelling) of word patterns over three root consonants C1 C2 C3.
AR_PATTERNS = [("123", "{1}a{2}i{3}"), ("1ا23", "{1}a{2}i{3}"), ("12ي3", "{1}a{2}ee{3}"), ("م12و3", "ma{1}{2}oo{3}")]


class Names:
    """Seeded makers of names in each script, with the Latin variant a declaration would carry."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _latin_word(self, syllables: int) -> str:
        r = self.rng
        return "".join(r.choice(ONSETS) + r.choice(VOWELS) + r.choice(CODAS) for _ in range(syllables)).capitalize()

    def latin_person(self) -> tuple[str, str]:
        first, last = self._latin_word(2), self._latin_word(self.rng.choice([2, 3]))
        return f"{first} {last}", f"{last.upper()}, {first}"

    def company(self) -> tuple[str, str]:
        r = self.rng
        short, full = r.choice(LEGAL)
        base = f"{self._latin_word(r.choice([2, 3]))} {r.choice(INDUSTRIES)}"
        return f"{base} {short}", f"{base} {full}".strip()

    def cyrillic(self) -> tuple[str, str]:
        r = self.rng

        def word(n: int) -> str:
            return "".join(r.choice(CYR_C) + r.choice(CYR_V) for _ in range(n))

        surname = (word(2) + r.choice(CYR_SURNAME_END)).capitalize()
        given, father = word(2).capitalize(), word(2).capitalize()
        listed = f"{surname} {given} {father}ович"
        latin = anyascii(f"{given} {surname}")  # declared as "Given Surname" in another scheme
        for old, new in r.sample([("kh", "h"), ("v", "w"), ("ya", "ia"), ("sk", "sc"), ("ch", "tch"), ("zh", "j")], 2):
            latin = latin.replace(old, new)
        return listed, latin

    def chinese(self) -> tuple[str, str]:
        r = self.rng
        surname = r.choice(HAN_SURNAMES)
        given = "".join(r.choice(HAN_GIVEN) for _ in range(r.choice([1, 2])))
        pinyin_surname = anyascii(surname)
        pinyin_given = anyascii(given).capitalize()
        latin = r.choice([f"{pinyin_surname} {pinyin_given}", f"{pinyin_given} {pinyin_surname.upper()}"])
        return surname + given, latin

    def arabic(self) -> tuple[str, str]:
        r = self.rng

        def word() -> tuple[str, str]:
            root = r.sample(AR_CONSONANTS, 3)
            arabic, latin = r.choice(AR_PATTERNS)
            for i, (a, lat) in enumerate(root, start=1):
                arabic = arabic.replace(str(i), a)
                latin = latin.replace(f"{{{i}}}", lat)
            return arabic, latin.capitalize()

        (a1, l1), (a2, l2), (a3, l3) = word(), word(), word()
        return f"{a1} بن {a2} ال{a3}", f"{l1} bin {l2} Al-{l3}"


def typo(rng: random.Random, name: str) -> str:
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    p = rng.randrange(1, len(w))
    edit = rng.choice(["swap", "drop", "double", "replace"])
    if edit == "swap" and p < len(w) - 1:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2 :]
    elif edit == "drop":
        w = w[:p] + w[p + 1 :]
    elif edit == "double":
        w = w[:p] + w[p] + w[p:]
    else:
        w = w[:p] + rng.choice("aeioulnrst") + w[p + 1 :]
    words[i] = w
    return " ".join(words)


def make_list(rng: random.Random, size: int) -> tuple[list[WatchEntry], list[tuple[str, str, str, str]]]:
    """The entries, and for each party entry a (entry_id, field, variant kind, declared variant)."""
    names = Names(rng)
    makers = [("latin", names.latin_person, 0.40), ("company", names.company, 0.15), ("cyrillic", names.cyrillic, 0.15),
              ("chinese", names.chinese, 0.15), ("arabic", names.arabic, 0.15)]  # fmt: skip
    entries: list[WatchEntry] = []
    variants: list[tuple[str, str, str, str]] = []
    parties, addresses, contacts = int(size * 0.925), int(size * 0.05), size - int(size * 0.925) - int(size * 0.05)
    for n in range(parties):
        script, make, _ = rng.choices(makers, weights=[w for *_, w in makers])[0]
        listed, other = make()
        entry_id = f"W{n:06d}"
        entries.append(WatchEntry(list_name="BENCH", entry_id=entry_id, kind="party", value=listed))
        field = "seller_name" if script == "company" else "buyer_name"
        if script in ("latin", "company"):
            kind = rng.choice(["typo", "reorder" if script == "latin" else "legal form"])
            variants.append((entry_id, field, kind, typo(rng, listed) if kind == "typo" else other))
        else:
            variants.append((entry_id, field, f"transliterated {script}", other))
    for n in range(addresses):
        value = f"{rng.randrange(1, 300)} {names._latin_word(3)} Street {names._latin_word(2)}"
        entries.append(WatchEntry(list_name="BENCH", entry_id=f"A{n:06d}", kind="address", value=value))
    for n in range(contacts):
        if n % 2:
            value = f"+{rng.randrange(1, 99)} {rng.randrange(10**8, 10**9)}"
            entries.append(WatchEntry(list_name="BENCH", entry_id=f"P{n:06d}", kind="phone", value=value))
        else:
            value = f"{names._latin_word(2).lower()}{n}@mail.example"
            entries.append(WatchEntry(list_name="BENCH", entry_id=f"E{n:06d}", kind="email", value=value))
    return entries, variants


def make_frame(count: int, seed: int) -> pl.DataFrame:
    traffic = generate(count, seed)
    inputs = [RiskInput(s.record, s.operator_id, s.received_at) for s in traffic.consignments]
    return build_frame(inputs, EuroRates(EcbRates()))


def plant(
    rng: random.Random, frame: pl.DataFrame, variants: list[tuple[str, str, str, str]], planted: int
) -> tuple[pl.DataFrame, dict[int, tuple[str, str, str]]]:
    rows = rng.sample(range(frame.height), planted)
    chosen = rng.sample(variants, planted)
    truth = {row: (entry_id, field, kind) for row, (entry_id, field, kind, _) in zip(rows, chosen, strict=True)}
    columns = {f: frame.get_column(f).to_list() for f in ("buyer_name", "seller_name")}
    for row, (_, field, _, declared) in zip(rows, chosen, strict=True):
        columns[field][row] = declared
    return frame.with_columns(pl.Series(f, v, dtype=pl.Utf8) for f, v in columns.items()), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--planted", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.88)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    entries, variants = make_list(rng, args.entries)
    frame, truth = plant(rng, make_frame(args.count, args.seed), variants, args.planted)

    started = time.perf_counter()
    index = ScreeningIndex.build(entries)
    built = time.perf_counter() - started
    started = time.perf_counter()
    screened = screen_frame(frame, index, args.threshold)
    took = time.perf_counter() - started

    values = sum(frame.height - frame.get_column(f).null_count() for f in FIELDS)
    by_kind: dict[str, set[str]] = {}
    for f, kind in FIELDS.items():
        by_kind.setdefault(kind, set()).update(frame.get_column(f).drop_nulls().to_list())
    distinct = sum(len(v) for v in by_kind.values())
    hits = screened.get_column("screening_hits").to_list()
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row, (entry_id, field, variant) in truth.items():
        total[variant] += 1
        found[variant] += any(h.startswith(f"BENCH:{entry_id}:{field}:") for h in hits[row])
    other_rows = [h for row, h in enumerate(hits) if h and row not in truth]
    exact = sum(all(label.endswith(":1.0000") for label in h) for h in other_rows)

    print(f"list entries        {len(entries):>10,}  {dict(Counter(e.kind for e in entries))}")
    print(f"consignments        {frame.height:>10,}")
    print(f"values screened     {values:>10,}  ({len(FIELDS)} fields)")
    print(
        f"distinct values     {distinct:>10,}  (names {len(by_kind['party']):,}, addresses {len(by_kind['address']):,})"
    )
    print(f"index build         {built:>10.2f} s")
    print(f"screen_frame        {took:>10.2f} s  ({values / took:,.0f} values/s, {distinct / took:,.0f} distinct/s)")
    recall = sum(found.values())
    print(f"recall @ {args.threshold:<10} {recall / len(truth):>10.3f}  ({recall}/{len(truth)} planted)")
    for variant in sorted(total):
        print(f"  {variant:<24} {found[variant] / total[variant]:.3f}  ({found[variant]}/{total[variant]})")
    print(f"other rows with hits {len(other_rows):>9,}  ({exact:,} of them only on identical names)")


if __name__ == "__main__":
    main()
