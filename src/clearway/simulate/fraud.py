"""Hidden non-compliance that only an inspection reveals: who cheats, on what, when and how.

The injected PROBLEMS (model.py) are visible to a check of the documents. The findings here are
not: every document of the sale tells the same story, so only an inspection (which reads the truth)
finds them, and a risk model can only learn them from who sells what, where, through whom and when.

Each eligible sale (one parcel, no injected problem) is non-compliant with probability
``sigmoid(logit)``, where the logit adds up, all seeded so that the same seed is the same world:

- ``base_logit``;
- the seller's latent effect: a mixture drawn from a hash of (seed, salt, seller): most sellers are
  honest, some risky, a few fraudsters; the largest sellers of each origin are rarely risky and never
  fraudsters. After the drift day a share of the honest sellers turns risky;
- the order operator's offset (platform or web shop), and the origin's (the seller's country);
- the susceptibility of the HS chapter of the sale's main product (its most valuable line);
- a season: a sinusoid over the day of year of the order, so that long histories show seasons;
- after the drift day, ``drift_shift`` for everyone (a global trend change);
- ``noise``: a per-sale normal term nothing observable explains (0 in the first two presets).

Two more ways the world can hide the signal (off unless a preset sets them; the "hard" preset does):
a share of the fraudsters re-register under a new seller name and id every few weeks from
``rename_day`` on, so that their past findings stay with a name they no longer use; and an
inspection misses a share of the hidden findings (``missed_share``): the truth still says what was
there, ``Finding.missed`` (``TruthRecord.missed``) says the inspection recorded the sale as compliant.

The kind of finding is then drawn (``kind_weights``): "undervalued" (every document at a fraction of
the price really paid), "misclassified" (one item declared under another product type's HS code, in
another chapter) or "counterfeit" (a branded replica sold as genuine, at a fraction of the usual
price in every document; only branded chapters). Decisions come from their own generator and hashes
and every eligible sale takes the same number of draws, so the run's main draws are untouched: with
fraud on, every sale without a finding is exactly as it is with fraud off.

The tax tables below are simulation approximations, not the revenue engine's rates (that computes
real assessments from the jurisdictions' parameters): they only give ``recoverable_eur`` a realistic
size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist
from typing import NamedTuple

import msgspec

from clearway.dataset.identifiers import currency_quantum
from clearway.simulate.catalogue import Catalogue, ProductType
from clearway.simulate.money import to_eur
from clearway.simulate.names import FIRM_SUFFIX, FIRM_TRADES, FIRM_WORDS
from clearway.simulate.population import Product, Seller, _hash

KINDS: tuple[str, ...] = ("undervalued", "misclassified", "counterfeit")

Line = tuple[Product, Decimal, Decimal]  # product, quantity, unit price (as in documents.Line)


@dataclass(frozen=True, slots=True)
class FraudConfig:
    """How much hidden non-compliance there is and what explains it; see the module docstring."""

    # Salt of every latent draw: two presets with different salts are different worlds (sellers,
    # platforms and chapters change roles) over the very same traffic.
    salt: str = "clearway-fraud-1"
    # Log-odds of a finding for a neutral honest seller; sets the overall rate.
    base_logit: float = -4.65
    # Seller mixture: shares of risky sellers and of fraudsters (the rest is honest), and their
    # logit effects; a heavy tail of sellers is what makes seller history the strongest signal.
    risky_share: float = 0.12
    fraudster_share: float = 0.03
    risky_effect: float = 2.6
    fraudster_effect: float = 4.6
    # Spread (standard deviation, logit) of each seller's effect within its class: sellers of a class
    # are alike, not identical, so a model has to learn each one from its own history.
    seller_spread: float = 0.5
    # The largest sellers of each origin (below this index) are established firms: risky at a fifth
    # of risky_share, never fraudsters; cheating concentrates in the long tail of small shops.
    established_rank: int = 10
    # Spread of the per-operator offset: marketplaces differ in how well they vet their sellers.
    platform_spread: float = 0.35
    # Spread of the seeded per-chapter susceptibility, plus explicit biases ((chapter, logit) pairs)
    # for the chapters the preset's story is about; the preset's "what is risky".
    chapter_spread: float = 0.5
    chapter_bias: tuple[tuple[str, float], ...] = ()
    # Logit offset by the seller's country ((country, logit) pairs; others 0).
    origin_offsets: tuple[tuple[str, float], ...] = ()
    # Relative weights of undervalued, misclassified, counterfeit (counterfeit only in branded
    # chapters; elsewhere the other two share its weight).
    kind_weights: tuple[float, float, float] = (0.55, 0.25, 0.20)
    # Undervalued sales show this fraction of the real price; each chapter gets its own window of
    # half this range (cheap gadgets can be cut deeper than branded clothes before it shows).
    undervalue_range: tuple[float, float] = (0.25, 0.65)
    # A replica's price as a fraction of the genuine product's usual price.
    counterfeit_range: tuple[float, float] = (0.3, 0.5)
    # Share of misclassifying products that move to a lower-duty chapter (the point of it); the rest
    # are errors or other motives and may recover nothing.
    lower_duty_share: float = 0.8
    # Season: logit amplitude of a cosine over the day of year, highest on season_peak_day.
    season_amplitude: float = 0.5
    season_peak_day: int = 335
    # Drift: drift_day days after the start, drift_share of the honest sellers adopt drift_effect
    # (a learnt model goes stale on them) and everyone's logit moves by drift_shift.
    drift_day: float = 42.0
    drift_share: float = 0.10
    drift_effect: float = 2.6
    drift_shift: float = 0.15
    # Standard deviation (logit) of a per-sale term that nothing observable explains.
    noise: float = 0.0
    # Share of the fraudsters that re-register under a new name and seller id: first at a seeded day
    # in [rename_day, rename_day + rename_every_days), then every rename_every_days.
    rename_share: float = 0.0
    rename_day: float = 28.0
    rename_every_days: float = 28.0
    # Share of the hidden findings an inspection misses (recorded as compliant).
    missed_share: float = 0.0

    def __post_init__(self) -> None:
        shares = {
            "risky_share": self.risky_share,
            "fraudster_share": self.fraudster_share,
            "lower_duty_share": self.lower_duty_share,
            "drift_share": self.drift_share,
            "rename_share": self.rename_share,
            "missed_share": self.missed_share,
        }
        for name, share in shares.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {share}")
        if self.risky_share + self.fraudster_share > 1.0:
            raise ValueError("risky_share + fraudster_share must not exceed 1")
        for name, (low, high) in (
            ("undervalue_range", self.undervalue_range),
            ("counterfeit_range", self.counterfeit_range),
        ):
            if not 0.0 < low <= high < 1.0:
                raise ValueError(f"{name} must satisfy 0 < low <= high < 1, got {(low, high)}")
        if min(self.kind_weights) < 0 or sum(self.kind_weights[:2]) <= 0:
            raise ValueError("kind_weights must be non-negative, undervalued + misclassified above 0")
        if min(self.seller_spread, self.platform_spread, self.chapter_spread, self.season_amplitude, self.noise) < 0:
            raise ValueError("spreads, noise and season_amplitude must not be negative")
        if self.rename_day < 0 or self.rename_every_days <= 0:
            raise ValueError("rename_day must be 0 or more and rename_every_days above 0")
        if not 1 <= self.season_peak_day <= 366 or self.drift_day < 0 or self.established_rank < 0:
            raise ValueError("season_peak_day must be 1-366, drift_day and established_rank 0 or more")


FRAUD_PRESETS: dict[str, FraudConfig] = {
    # Cheating in the long tail of shops, on gadgets and cosmetics, from China and Hong Kong; peaks
    # with the Black Friday to Christmas rush (volume hides it); after six weeks a tenth of the
    # honest shops start cutting prices and everyone drifts up a little.
    "default": FraudConfig(
        chapter_bias=(("85", 0.7), ("33", 0.4), ("71", 0.3), ("62", -0.3)),
        origin_offsets=(("CN", 0.3), ("HK", 0.6), ("TR", 0.2), ("US", -0.6), ("GB", -0.6), ("JP", -0.8), ("KR", -0.4)),
    ),
    # Another world: many mildly risky sellers and a few extreme ones (a flatter, wider spread),
    # marketplaces that differ more; clothing and shoes rather than electronics; Turkey, India and
    # Vietnam rather than China; mostly misclassification; a summer peak, stronger; and an earlier,
    # larger drift with a global upward step.
    "alternate": FraudConfig(
        salt="clearway-fraud-2",
        base_logit=-3.9,
        risky_share=0.25,
        fraudster_share=0.01,
        risky_effect=1.8,
        fraudster_effect=5.0,
        seller_spread=0.8,
        platform_spread=0.6,
        chapter_spread=0.8,
        chapter_bias=(("61", 0.8), ("62", 0.8), ("64", 0.6), ("85", -0.9), ("33", -0.5)),
        origin_offsets=(("TR", 0.7), ("IN", 0.6), ("VN", 0.5), ("CN", -0.2), ("US", -0.3), ("JP", -0.5)),
        kind_weights=(0.30, 0.50, 0.20),
        undervalue_range=(0.35, 0.75),
        lower_duty_share=0.6,
        season_amplitude=0.8,
        season_peak_day=190,
        drift_day=21.0,
        drift_share=0.25,
        drift_effect=2.0,
        drift_shift=0.3,
    ),
    # A harder world, for checking that the model does not only work where signals are loud: the
    # seller classes are closer together and spread wider, operators, chapters, origins and season
    # say little, a sale carries its own unexplained noise, undervaluation cuts the price less deep
    # (less of it shows against typical prices); from the fourth week most fraudsters re-register
    # under new names every four weeks (their history starts again), and inspections miss a quarter
    # of the hidden findings (recorded compliant: the labels themselves are noisy).
    "hard": FraudConfig(
        salt="clearway-fraud-3",
        base_logit=-4.1,
        risky_share=0.15,
        fraudster_share=0.03,
        risky_effect=1.5,
        fraudster_effect=3.2,
        seller_spread=0.9,
        platform_spread=0.2,
        chapter_spread=0.3,
        chapter_bias=(("95", 0.3), ("42", 0.3), ("85", 0.2)),
        origin_offsets=(("CN", 0.15), ("HK", 0.2), ("TR", 0.1), ("US", -0.2)),
        kind_weights=(0.50, 0.30, 0.20),
        undervalue_range=(0.5, 0.85),
        counterfeit_range=(0.45, 0.7),
        season_amplitude=0.3,
        season_peak_day=20,
        drift_day=35.0,
        drift_share=0.15,
        drift_effect=2.0,
        drift_shift=0.1,
        noise=1.0,
        rename_share=0.8,
        rename_day=21.0,
        rename_every_days=28.0,
        missed_share=0.25,
    ),
}

# Chapters where replicas of brands are sold: perfume and cosmetics, bags, clothing, footwear,
# headgear, jewellery, electronics, sunglasses, watches and toys.
BRANDED_CHAPTERS = frozenset({"33", "42", "61", "62", "64", "65", "71", "85", "90", "91", "95"})

# Standard VAT (GST) rates by destination: EU member states' standard rates as of 2026 (as in
# jurisdictions/eu/params.yaml), GB 20%, CH 8.1%, NO 25%, AU 10% GST, CA 5% federal GST (no HST),
# US 0 (no federal sales tax on imports). A simulation approximation: no reduced rates.
VAT_RATES: dict[str, Decimal] = {
    country: Decimal(rate)
    for country, rate in (
        ("AT", "0.20"), ("BE", "0.21"), ("BG", "0.20"), ("CY", "0.19"), ("CZ", "0.21"), ("DE", "0.19"),
        ("DK", "0.25"), ("EE", "0.24"), ("ES", "0.21"), ("FI", "0.255"), ("FR", "0.20"), ("GR", "0.24"),
        ("HR", "0.25"), ("HU", "0.27"), ("IE", "0.23"), ("IT", "0.22"), ("LT", "0.21"), ("LU", "0.17"),
        ("LV", "0.21"), ("MT", "0.18"), ("NL", "0.21"), ("PL", "0.23"), ("PT", "0.23"), ("RO", "0.21"),
        ("SE", "0.25"), ("SI", "0.22"), ("SK", "0.23"),
        ("GB", "0.20"), ("US", "0"), ("CA", "0.05"), ("AU", "0.10"), ("CH", "0.081"), ("NO", "0.25"),
    )
}  # fmt: skip

_UNIT = 2**32
_DAY = 86400
_CENT = Decimal("0.01")
_inv_normal = NormalDist().inv_cdf


def duty_rate(seed: int, chapter: str) -> Decimal:
    """A seeded duty rate of 0-12% (in steps of 0.1%) for an HS chapter.

    A simulation approximation standing in for a tariff: it depends on the seed only, not on the
    fraud preset, since the tariff is the same whoever cheats.
    """
    return Decimal(_hash(f"{seed}:duty:{chapter}") % 121) / 1000


class Finding(NamedTuple):
    """What an inspection of a sale would find; ``lines`` are the lines as every document shows them."""

    kind: str
    lines: list[Line]
    true_value: Decimal  # what was really paid for the goods, in the sale's currency
    recoverable_eur: Decimal
    true_hs_code: str | None  # the right code of the misclassified item, else None
    missed: bool = False  # an inspection would not see it (recorded as compliant)


def _normal(draw: int) -> float:
    return _inv_normal((draw + 0.5) / _UNIT)


class FraudModel:
    """Decides, sale by sale, whether it hides a finding; everything latent is seeded and cached."""

    def __init__(self, seed: int, config: FraudConfig, catalogue: Catalogue, start: int) -> None:
        self.seed = seed
        self.config = config
        self.salt = f"{seed}:{config.salt}"
        self.rng = random.Random(f"{self.salt}:sales")
        # Noise and misses draw from their own generators, only when the preset asks for them, so
        # that presets without them see exactly the draws they always saw.
        self.noise_rng = random.Random(f"{self.salt}:noise")
        self.miss_rng = random.Random(f"{self.salt}:missed")
        self.start = start
        self.aliases: dict[tuple[str, int], Seller] = {}
        self.drift_at = start + int(config.drift_day * _DAY)
        self.base, self.shift = config.base_logit, config.drift_shift
        self.bias = dict(config.chapter_bias)
        self.origins = dict(config.origin_offsets)
        weights = config.kind_weights
        self.kind_totals = (weights[0] + weights[1], sum(weights))  # without and with counterfeit
        self.sellers: dict[str, tuple[float, float]] = {}  # effect before and after the drift day
        self.fraudsters: set[str] = set()
        self.operators: dict[str, float] = {}
        self.chapters: dict[str, float] = {}
        self.seasons: dict[int, float] = {}
        self.duties: dict[str, Decimal] = {}
        self.windows: dict[str, tuple[float, float]] = {}
        self.disguises: dict[str, Product] = {}
        self.quanta: dict[str, Decimal] = {}
        by_chapter: dict[str, list[ProductType]] = {}
        for kind in catalogue.types:
            by_chapter.setdefault(kind.hs_code[:2], []).append(kind)
        self.by_chapter = {chapter: tuple(types) for chapter, types in sorted(by_chapter.items())}

    def decide(
        self, seller: Seller, operator_id: str, destination: str, currency: str, lines: list[Line], ordered: int
    ) -> Finding | None:
        """The finding this sale hides, or None; ``ordered`` is the order time (epoch seconds)."""
        rng = self.rng
        # Three draws for every sale, used or not, so that a change of one decision never shifts the
        # draws of later sales (a preset variant differs only where it decides differently).
        u_decide, u_kind, u_factor = rng.random(), rng.random(), rng.random()
        main = 0
        if len(lines) > 1:
            best = lines[0][1] * lines[0][2]
            for index in range(1, len(lines)):
                value = lines[index][1] * lines[index][2]
                if value > best:
                    main, best = index, value
        chapter = lines[main][0].hs_code[:2]
        before, after = self.sellers.get(seller.key) or self._seller(seller)
        operator = self.operators.get(operator_id)
        susceptibility = self.chapters.get(chapter)
        season = self.seasons.get(ordered // _DAY)
        logit = (
            self.base
            + (after + self.shift if ordered >= self.drift_at else before)
            + (self._operator(operator_id) if operator is None else operator)
            + (self._chapter(chapter) if susceptibility is None else susceptibility)
            + self.origins.get(seller.country, 0.0)
            + (self._season(ordered // _DAY) if season is None else season)
        )
        if self.config.noise:
            logit += self.config.noise * self.noise_rng.gauss(0.0, 1.0)
        if u_decide >= 1.0 / (1.0 + math.exp(-logit)):
            return None
        branded = chapter in BRANDED_CHAPTERS
        pick = u_kind * self.kind_totals[1 if branded else 0]
        weights = self.config.kind_weights
        if pick < weights[0]:
            finding = self._undervalued(destination, currency, lines, chapter, u_factor)
        elif pick < weights[0] + weights[1]:
            finding = self._misclassified(currency, lines, main)
        else:
            finding = self._counterfeit(currency, lines, main, u_factor)
        if self.config.missed_share and self.miss_rng.random() < self.config.missed_share:
            return finding._replace(missed=True)
        return finding

    def presented(self, seller: Seller, ordered: int) -> Seller:
        """The seller as its documents name it at ``ordered``: a re-registered fraudster under its
        current name and id (the latent effect stays with the real seller), anyone else as is."""
        c = self.config
        if not c.rename_share:
            return seller
        if seller.key not in self.sellers:
            self._seller(seller)
        h = _hash(f"{self.salt}:rename:{seller.key}")
        h, renames = divmod(h, _UNIT)
        h, phase = divmod(h, _UNIT)
        first = self.start + int((c.rename_day + phase / _UNIT * c.rename_every_days) * _DAY)
        if seller.key not in self.fraudsters or renames / _UNIT >= c.rename_share or ordered < first:
            return seller
        generation = 1 + int((ordered - first) // (c.rename_every_days * _DAY))
        alias = self.aliases.get((seller.key, generation))
        if alias is None:
            alias = self.aliases[(seller.key, generation)] = _renamed(seller, generation, self.salt)
        return alias

    # -- kinds -----------------------------------------------------------------------------------
    def _undervalued(self, destination: str, currency: str, lines: list[Line], chapter: str, u: float) -> Finding:
        low, high = self.windows.get(chapter) or self._window(chapter)
        factor = Decimal(str(round(low + u * (high - low), 2)))
        quantum = self._quantum(currency)
        shown = [(p, n, max((v * factor).quantize(quantum), quantum)) for p, n, v in lines]
        true_value = sum((n * v for _, n, v in lines), Decimal(0))
        declared = sum((n * v for _, n, v in shown), Decimal(0))
        # VAT on the missing value plus the main chapter's duty on it (VAT on the duty is ignored).
        gap = to_eur(true_value, currency) - to_eur(declared, currency)
        rate = VAT_RATES.get(destination, Decimal(0)) + self._duty(chapter)
        return Finding("undervalued", shown, true_value, (gap * rate).quantize(_CENT), None)

    def _misclassified(self, currency: str, lines: list[Line], main: int) -> Finding:
        product, quantity, price = lines[main]
        disguise = self.disguises.get(product.sku) or self._disguise(product)
        shown = list(lines)
        shown[main] = (disguise, quantity, price)
        true_value = sum((n * v for _, n, v in lines), Decimal(0))
        # The duty gap applies to the misclassified item's value only; VAT is the same either way.
        gap = max(Decimal(0), self._duty(product.hs_code[:2]) - self._duty(disguise.hs_code[:2]))
        recoverable = (to_eur(quantity * price, currency) * gap).quantize(_CENT)
        return Finding("misclassified", shown, true_value, recoverable, product.hs_code)

    def _counterfeit(self, currency: str, lines: list[Line], main: int, u: float) -> Finding:
        low, high = self.config.counterfeit_range
        factor = Decimal(str(round(low + u * (high - low), 2)))
        quantum = self._quantum(currency)
        product, quantity, price = lines[main]
        shown = list(lines)
        shown[main] = (product, quantity, max((price * factor).quantize(quantum), quantum))
        # The replica's low price is what was really paid; the goods are seized, nothing is recovered.
        true_value = sum((n * v for _, n, v in shown), Decimal(0))
        return Finding("counterfeit", shown, true_value, Decimal("0.00"), None)

    # -- seeded latent values --------------------------------------------------------------------
    def _seller(self, seller: Seller) -> tuple[float, float]:
        c = self.config
        h = _hash(f"{self.salt}:seller:{seller.key}")
        h, klass = divmod(h, _UNIT)
        h, jitter = divmod(h, _UNIT)
        h, turns = divmod(h, _UNIT)
        h, drift_jitter = divmod(h, _UNIT)
        established = int(seller.key.rsplit("-", 1)[1]) < c.established_rank
        fraudster = 0.0 if established else c.fraudster_share
        risky = c.risky_share / 5 if established else c.risky_share
        u = klass / _UNIT
        effect = c.fraudster_effect if u < fraudster else c.risky_effect if u < fraudster + risky else 0.0
        if u < fraudster:
            self.fraudsters.add(seller.key)
        before = effect + c.seller_spread * _normal(jitter)
        after = before
        if effect == 0.0 and turns / _UNIT < c.drift_share:
            after = c.drift_effect + c.seller_spread * _normal(drift_jitter)
        self.sellers[seller.key] = before, after
        return before, after

    def _operator(self, operator_id: str) -> float:
        h = _hash(f"{self.salt}:operator:{operator_id}")
        offset = self.operators[operator_id] = self.config.platform_spread * _normal(h % _UNIT)
        return offset

    def _chapter(self, chapter: str) -> float:
        h = _hash(f"{self.salt}:chapter:{chapter}")
        effect = self.config.chapter_spread * _normal(h % _UNIT) + self.bias.get(chapter, 0.0)
        self.chapters[chapter] = effect
        return effect

    def _season(self, day: int) -> float:
        yday = dt.datetime.fromtimestamp(day * _DAY, dt.UTC).timetuple().tm_yday
        angle = 2 * math.pi * (yday - self.config.season_peak_day) / 365.25
        term = self.seasons[day] = self.config.season_amplitude * math.cos(angle)
        return term

    def _window(self, chapter: str) -> tuple[float, float]:
        low, high = self.config.undervalue_range
        width = (high - low) / 2
        start = low + (_hash(f"{self.salt}:undervalue:{chapter}") % _UNIT) / _UNIT * width
        window = self.windows[chapter] = (start, start + width)
        return window

    def _duty(self, chapter: str) -> Decimal:
        rate = self.duties.get(chapter)
        if rate is None:
            rate = self.duties[chapter] = duty_rate(self.seed, chapter)
        return rate

    def _disguise(self, product: Product) -> Product:
        """The product as it is declared: another product type's code, from another chapter.

        Seeded per product, so a seller always misdeclares a product the same way.
        """
        h = _hash(f"{self.salt}:disguise:{product.sku}")
        h, lower = divmod(h, 1000)
        h, pick_chapter = divmod(h, _UNIT)
        true_duty = self._duty(product.hs_code[:2])
        others = [c for c in self.by_chapter if c != product.hs_code[:2]]
        cheaper = [c for c in others if self._duty(c) < true_duty]
        pool = cheaper if cheaper and lower < self.config.lower_duty_share * 1000 else others
        types = self.by_chapter[pool[pick_chapter % len(pool)]]
        kind = types[h % len(types)]
        disguise = Product(
            product.sku, product.name, kind.hs_code, product.price_eur, product.net_weight_kg, product.origin
        )
        self.disguises[product.sku] = disguise
        return disguise

    def _quantum(self, currency: str) -> Decimal:
        quantum = self.quanta.get(currency)
        if quantum is None:
            quantum = self.quanta[currency] = currency_quantum(currency)
        return quantum


def _renamed(seller: Seller, generation: int, salt: str) -> Seller:
    """The same shop under a new firm name and seller id, without the EORI of the old one."""
    h = _hash(f"{salt}:alias:{seller.key}:{generation}")
    h, word = divmod(h, len(FIRM_WORDS))
    h, other = divmod(h, len(FIRM_WORDS))
    h, trade = divmod(h, len(FIRM_TRADES))
    suffix = FIRM_SUFFIX.get(seller.country, "Ltd")
    name = f"{FIRM_WORDS[word]} {FIRM_WORDS[other]} {FIRM_TRADES[trade]} {suffix}"
    party = msgspec.structs.replace(seller.party, name=name, eori=None)
    return dataclasses.replace(seller, key=f"{seller.key}-r{generation}", party=party)
