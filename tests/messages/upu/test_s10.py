"""The S10 check digit as ITMATT sees it: every well-formed id is taken, a changed digit is refused
unless the change leaves the check digit as it was (S10's one blind spot, below)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from clearway.messages.upu.itmatt import ItmattAdapter
from tests.messages.upu.conftest import fixture

ADAPTER = ItmattAdapter()
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)  # UPU S10, written out here rather than taken from the code under test
LETTERS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
SERIALS = st.text(alphabet="0123456789", min_size=8, max_size=8)
COUNTRIES = st.sampled_from(["FR", "DE", "CN", "US", "TW", "GB", "BR", "ZA"])


def check_digit(serial: str) -> int:
    check = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def _item(item_id: str) -> bytes:
    """The first fixture item alone, with this S10 id."""
    text = fixture("itmatt-2-items.xml").decode()
    second = text.index("  <CDSView>", text.index("</CDSView>"))
    text = text[:second] + "</ITMATT>\n"
    return text.replace("RR473124829FR", item_id).encode()


def _id_error(item_id: str) -> str | None:
    (mapped,) = ADAPTER.parse(_item(item_id))
    wrong = [e for e in mapped.errors if e.pointer == "/logistics/transport_document"]
    assert len(wrong) == len(mapped.errors)  # nothing else about the item changed
    return wrong[0].detail if wrong else None


@settings(max_examples=150, deadline=None)
@given(service=LETTERS, serial=SERIALS, country=COUNTRIES)
def test_a_well_formed_id_is_accepted(service: str, serial: str, country: str) -> None:
    assert _id_error(f"{service}{serial}{check_digit(serial)}{country}") is None


@settings(max_examples=150, deadline=None)
@given(serial=SERIALS, position=st.integers(0, 8), shift=st.integers(1, 9))
def test_one_changed_digit_is_refused_unless_the_check_digit_cannot_tell(
    serial: str, position: int, shift: int
) -> None:
    digits = list(f"{serial}{check_digit(serial)}")
    digits[position] = str((int(digits[position]) + shift) % 10)
    changed = "".join(digits)
    error = _id_error(f"RR{changed}FR")
    if position == 8 or check_digit(changed[:8]) != check_digit(serial):
        assert error is not None and "wrong S10 check digit" in error
    else:
        # Remainders 0 and 6 both give check digit 5 (11 - 0 = 11 -> 5, 11 - 6 = 5): such a change
        # goes unseen by S10 itself, and is the only kind that does.
        assert error is None
        assert check_digit(serial) == 5
