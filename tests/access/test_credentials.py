from __future__ import annotations

import datetime as dt

import pytest

from clearway.access import credentials, tokens

KEY = b"k" * 32
T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


def test_api_keys_are_random_and_stored_as_hashes() -> None:
    a, b = credentials.new_key(), credentials.new_key()
    assert a.plaintext != b.plaintext and a.key_id != b.key_id
    key_id, secret = credentials.parse_key(a.plaintext) or ("", "")
    assert key_id == a.key_id and secret not in a.secret_hash
    assert credentials.secret_matches(secret, a.secret_hash)
    assert not credentials.secret_matches(secret + "x", a.secret_hash)


@pytest.mark.parametrize(
    "presented", ["", "cw_", "cw_zz0000000000_" + "a" * 43, "xx_000000000000_" + "a" * 43, "cw_0" * 20]
)
def test_malformed_keys_do_not_parse(presented: str) -> None:
    assert credentials.parse_key(presented) is None


def test_tokens_expire_and_are_bound_to_the_signing_key() -> None:
    token = tokens.issue_token(
        operator_id="op-a", key_id="abc", signing_key=KEY, now=T0, lifetime=dt.timedelta(minutes=15)
    )
    assert tokens.read_token(token, signing_key=KEY, now=T0 + dt.timedelta(minutes=14)) == ("op-a", "abc")
    assert tokens.read_token(token, signing_key=KEY, now=T0 + dt.timedelta(minutes=15)) is None
    assert tokens.read_token(token, signing_key=b"other" * 8, now=T0) is None
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert tokens.read_token(tampered, signing_key=KEY, now=T0) is None
