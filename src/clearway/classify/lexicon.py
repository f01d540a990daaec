"""Words of marketplace titles that say nothing about what the goods are, and the English stop words.

A title such as "2024 NEW Hot Sale Women's Floral Summer Dress Plus Size XL Red Free Shipping" names
one thing (a woman's dress) among selling words, a colour and a size. The classifier drops these
words before it builds its features, so that they neither match nor dilute the words that decide
the code. Gender, age, material and use words are kept: they decide codes ("women's or girls'",
"of cotton", "for babies", "knitted").

The lists are written for this purpose and kept short on purpose: a word on them is never seen by
the model. The noisy evaluation (``evaluate.py``) uses other brands and other selling phrases than
these (see ``NOISE_*`` there), so that it measures generalisation rather than this list.
"""

from __future__ import annotations

import re
from typing import Final

STOP_WORDS: Final = frozenset(
    """a an the and or of for with in on to by from at as is are be it its this that these those
    other others than not no nor n e c nec item items no. per into without within which whether
    such including incl excl etc all any each both whose their they them new used""".split()  # noqa: SIM905 - a word list reads best as words
)

MARKETING_WORDS: Final = frozenset(
    """hot sale sales deal deals offer offers discount discounted cheap cheapest best bestseller
    bestselling seller top quality premium luxury luxurious deluxe genuine original authentic
    official brand branded free shipping delivery fast shipping dropshipping wholesale retail
    popular trendy trending fashion fashionable stylish style styles classic vintage modern
    latest newest upgrade upgraded update updated edition version hot-selling amazing awesome
    beautiful cute lovely nice perfect great super ultra pro plus max mini lite elegant gorgeous
    unique special limited exclusive clearance promo promotion bargain value savings sale!
    gift gifts present presents idea ideas birthday valentine valentines
    mothers fathers day holiday holidays anniversary
    high quality 100 100% pcs pc piece pieces set sets pack packs lot lots bundle pair pairs
    count ct assorted random mixed multi multicolor multicolour multicoloured colorful colourful
    size sizes plus-size oversize oversized fit fits fitting slim regular large small medium
    xs s m l xl xxl xxxl 2xl 3xl 4xl 5xl 6xl one-size onesize us uk eu cn
    compatible suitable universal portable durable waterproof soft comfortable comfy breathable
    lightweight heavy duty heavy-duty easy use home outdoor indoor daily everyday casual
    2019 2020 2021 2022 2023 2024 2025 2026 2027 season spring summer autumn fall winter
    shop store stock instock in-stock ready ship ships usa china""".split()  # noqa: SIM905 - a word list reads best as words
)

COLOURS: Final = frozenset(
    """black white red blue green yellow orange purple pink brown grey gray beige ivory cream
    navy khaki teal turquoise cyan magenta violet lilac lavender maroon burgundy wine coral
    mint olive tan camel apricot champagne nude rose fuchsia aqua indigo charcoal
    multicolored transparent clear matte glossy dark bright pastel neon rainbow
    leopard floral printed print striped stripe plaid check checked solid""".split()  # noqa: SIM905 - a word list reads best as words
)

# Units of size and quantity: "250ml", "2x", "10pcs", "15.6inch", "3-pack", "xl", "eu42".
UNITS: Final = (
    r"(?:ml|l|cl|dl|ltr|litre|liter|litres|liters|oz|fl|floz|lb|lbs|g|gr|gram|grams|kg|mg|mcg|"
    r"mm|cm|m|km|in|inch|inches|ft|feet|w|kw|v|mah|ah|hz|ghz|mhz|gb|tb|mb|p|k|x|pcs|pc|pk|pack|"
    r"packs|count|ct|s|st|nd|rd|th|yrs|yr|years|year|months|month|m|y|cal|mp)"
)
MEASURE: Final = re.compile(rf"^(?:\d+(?:[.,]\d+)?{UNITS}?|{UNITS}\d+|\d+x\d+(?:x\d+)?|[a-z]{{0,2}}\d+[a-z]{{0,2}})$")

DROPPED: Final = STOP_WORDS | MARKETING_WORDS | COLOURS


def is_noise(word: str) -> bool:
    """A word that says nothing about the kind of goods (selling words, colours, sizes, numbers)."""
    return word in DROPPED or MEASURE.fullmatch(word) is not None
