"""Signatures as the Standard Webhooks specification defines them: the reference library verifies
ours, and so does the raw algorithm docs/webhooks.md gives (run from the page itself)."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

from clearway.app.webhooks import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
KEY = bytes(range(32))


def test_our_signature_is_the_reference_librarys() -> None:
    secret = signing.secret_of(KEY, "ab" * 32)
    shown = signing.shown(secret)
    assert shown.startswith("whsec_") and Webhook(shown)._whsecret == secret
    body = b'{"type":"consignment.released","timestamp":"2026-12-07T09:00:00Z","data":{}}'
    stamp = int(time.time())
    ours = signing.signature(secret, "msg_1", stamp, body)
    assert ours == Webhook(shown).sign("msg_1", dt.datetime.fromtimestamp(stamp, dt.UTC), body)


def test_another_salt_or_key_is_another_secret() -> None:
    one = signing.secret_of(KEY, "ab" * 32)
    assert signing.secret_of(KEY, "cd" * 32) != one and signing.secret_of(bytes(32), "ab" * 32) != one
    assert len(signing.new_salt()) == 64 and signing.new_salt() != signing.new_salt()


def _documented_verifier() -> Any:
    """The ``verified`` function of docs/webhooks.md, as an engineer would copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    [source] = [b for b in blocks if "def verified" in b]
    scope: dict[str, Any] = {}
    exec(source, scope)
    return scope["verified"]


def test_the_raw_algorithm_in_the_docs_verifies_both_signatures_of_a_rotation() -> None:
    verified = _documented_verifier()
    old, new = signing.secret_of(KEY, "01" * 32), signing.secret_of(KEY, "02" * 32)
    body = b'{"type":"consignment.held"}'
    stamp = int(time.time())
    headers = {
        "webhook-id": "msg_abc",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signing.signature_header([new, old], "msg_abc", stamp, body),
    }
    assert verified(signing.shown(new), headers, body) and verified(signing.shown(old), headers, body)
    assert not verified(signing.shown(signing.secret_of(KEY, "03" * 32)), headers, body)
    assert not verified(signing.shown(new), headers, body + b" ")
    stale = headers | {"webhook-timestamp": str(stamp - 600)}
    stale["webhook-signature"] = signing.signature_header([new], "msg_abc", stamp - 600, body)
    assert not verified(signing.shown(new), stale, body)
    assert Webhook(signing.shown(old)).verify(body, headers) == {"type": "consignment.held"}
