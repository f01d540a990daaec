"""Expressions kept per the identity of what they were built from (clearway.risk.compiled)."""

from __future__ import annotations

from clearway.risk.compiled import ByIdentity


class Source:
    """An object compared by identity only, as the references and rules are."""


def test_the_same_objects_give_the_kept_value_without_building_it_again() -> None:
    cache: ByIdentity[list[int]] = ByIdentity()
    a, b = Source(), Source()
    built: list[str] = []
    first = cache.get((a, b), lambda: built.append("x") or [1])
    again = cache.get((a, b), lambda: built.append("y") or [2])
    assert again is first
    assert built == ["x"]


def test_other_objects_even_equal_ones_build_their_own_value() -> None:
    cache: ByIdentity[str] = ByIdentity()
    rules_before, rules_after = ["rule", 1], ["rule", 1]  # equal, not the same: a reloaded pack
    assert rules_before is not rules_after
    assert cache.get((rules_before,), lambda: "old") == "old"
    assert cache.get((rules_after,), lambda: "new") == "new"
    assert cache.get((rules_after, rules_before), lambda: "pair") == "pair"  # order matters


def test_the_oldest_entry_goes_once_the_cache_is_full_and_sources_are_held() -> None:
    cache: ByIdentity[int] = ByIdentity(size=2)
    first, second, third = Source(), Source(), Source()
    cache.get((first,), lambda: 1)
    cache.get((second,), lambda: 2)
    cache.get((first,), lambda: 10)  # used again: now the newest
    cache.get((third,), lambda: 3)
    assert len(cache) == 2
    assert cache.get((first,), lambda: 100) == 1  # kept
    assert cache.get((second,), lambda: 20) == 20  # the oldest went and is built again
    # An entry holds its sources: an object dropped by the caller cannot hand its id to another.
    held = Source()
    key_id = id(held)
    cache.get((held,), lambda: 7)
    del held
    assert any(key_id in key for key in cache._entries)
