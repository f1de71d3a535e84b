"""Derived one-time passwords: the same everywhere for one instance and generation, and
different for anything else. Pinned values: a change of derivation breaks every enrolled
host's retry, so it must be deliberate (a new context string)."""

import base64
import hashlib
import hmac
import re

import pytest

from novajoin.domain import otp

IID = "178b0921-8f85-4257-88b6-2e743b5a975c"


@pytest.mark.parametrize("secret,instance,generation,expected", [
    (b"secret", IID, 0, "i6ukwp6yfy64xtzusmo2ij23uv24ujny"),
    (b"secret", IID, 1_780_000_000, "tzd6dlvq46qo7b6mmwpvqrvzjv6abhov"),
])
def test_pinned_values(secret, instance, generation, expected):
    assert otp.derive(secret, instance, generation) == expected


def test_it_is_the_documented_hmac():
    msg = b"novajoin-otp-v1\0" + IID.encode() + b"\0" + b"7"
    digest = hmac.new(b"k", msg, hashlib.sha256).digest()[:20]
    assert otp.derive(b"k", IID, 7) == base64.b32encode(digest).decode().lower()


def test_shape_and_what_it_depends_on():
    base = otp.derive(b"secret", IID, 0)
    assert re.fullmatch(r"[a-z2-7]{32}", base)
    assert otp.derive(b"secret", IID, 0) == base
    others = {otp.derive(b"secret", IID, 1), otp.derive(b"other", IID, 0),
              otp.derive(b"secret", IID.replace("1", "2"), 0), otp.derive(b"secret", IID, 10)}
    assert base not in others and len(others) == 4
