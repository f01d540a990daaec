"""Which new passwords are refused (NIST SP 800-63B: length, no common ones, not the username)."""

from __future__ import annotations

import pytest

from clearway.access.passwords import common_passwords, hash_password, password_matches, weak_password


def test_passwords_use_argon2id() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert password_matches("correct horse battery staple", stored)
    assert not password_matches("correct horse battery stapl", stored)
    assert not password_matches("anything", "not a hash")


def test_the_shipped_list_holds_ten_thousand_common_passwords() -> None:
    listed = common_passwords()
    assert len(listed) == 10_000
    assert {"password", "123456", "qwerty", "iloveyou", "qwerty123456"} <= listed
    assert not any(line.startswith("#") for line in listed)


@pytest.mark.parametrize(
    ("password", "username", "refused"),
    [
        ("short", None, "at least 12 characters"),
        ("aaaaaaaaaaaaaaaa", None, "distinct characters"),
        ("a long enough phrase", None, None),
        ("clearway-demo-2026", "officer", None),
        # On the list as it is...
        ("qwerty123456", None, "most common passwords"),
        ("1qaz2wsx3edc", None, "most common passwords"),
        ("PASSWORD1234", None, "most common passwords"),
        # ...or a common word padded with digits and symbols, or said again.
        ("Summer2024!!!", None, "most common passwords"),
        ("2024sunshine!", None, "most common passwords"),
        ("monkeymonkey", None, "most common passwords"),
        ("Dragon-1234567", None, "most common passwords"),
        # The username anywhere in it, whatever the case.
        ("olga-is-the-best-officer", "olga", "contain the username"),
        ("my OLGA passphrase", "olga", "contain the username"),
        # Too short a username to refuse every password holding its two letters.
        ("a long enough phrase", "al", None),
        ("a long enough phrase", "ana", None),
    ],
)
def test_weak_passwords(password: str, username: str | None, refused: str | None) -> None:
    reason = weak_password(password, username)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason
