"""Password hashing, SIP digest HA1 and generated passwords."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.credentials import (
    CredentialError,
    HA1Algorithm,
    PasswordHash,
    digest_ha1,
    generate_password,
    hash_password,
    make_credentials,
    verify_password,
)
from okc.errors import OkcError
from okc.sip import parse_message
from okc.sip.auth import AuthAccepted, AuthChallenged, DigestAlgorithm, DigestClient, DigestServer
from okc.sip.message import Request

# Cheap scrypt cost for property tests; the default cost is exercised by the plain tests.
_FAST_N = 16

# RFC 7616 section 3.9.1: the same request answered with MD5 and SHA-256.
_RFC7616 = {
    "username": "Mufasa",
    "realm": "http-auth@example.org",
    "password": "Circle of Life",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    "nc": "00000001",
    "qop": "auth",
    "a2": "GET:/dir/index.html",
}


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        (HA1Algorithm.MD5, "8ca523f5e9506fed4657c9700eebdbec"),
        (HA1Algorithm.SHA_256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_ha1_gives_rfc7616_responses(algorithm: HA1Algorithm, response: str) -> None:
    v = _RFC7616
    ha1 = digest_ha1(v["username"], v["realm"], v["password"], algorithm)
    ha2 = algorithm.hexdigest(v["a2"])
    assert algorithm.hexdigest(f"{ha1}:{v['nonce']}:{v['nc']}:{v['cnonce']}:{v['qop']}:{ha2}") == response


def test_ha1_rfc2617_vector() -> None:
    # RFC 2617 section 3.5 example; the HA1 is the widely published intermediate value.
    ha1 = digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life")
    assert ha1 == "939e7578ed9e3c518a452acee763bce9"


def test_sha256_ha1_is_64_hex_digits() -> None:
    ha1 = digest_ha1("agent1", "okc", "pw", HA1Algorithm.SHA_256)
    assert len(ha1) == 64
    assert int(ha1, 16) >= 0


def test_algorithm_parse() -> None:
    assert HA1Algorithm.parse("md5") is HA1Algorithm.MD5
    assert HA1Algorithm.parse(" SHA-256 ") is HA1Algorithm.SHA_256
    with pytest.raises(CredentialError, match="unsupported digest algorithm"):
        HA1Algorithm.parse("SHA-512-256-sess")


def test_hash_format_and_verify() -> None:
    stored = hash_password("Secret 1")
    parts = stored.split("$")
    assert parts[:4] == ["scrypt", "16384", "8", "1"]
    assert verify_password("Secret 1", stored)
    assert not verify_password("Secret 2", stored)


def test_same_password_gets_different_salts() -> None:
    assert hash_password("same", n=_FAST_N) != hash_password("same", n=_FAST_N)


def test_known_salt_is_reproducible() -> None:
    salt = bytes(range(16))
    assert hash_password("pw", salt=salt, n=_FAST_N) == hash_password("pw", salt=salt, n=_FAST_N)


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ("bcrypt$x", "must look like"),
        ("scrypt$a$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "integers"),
        ("scrypt$1000$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "power of two"),
        ("scrypt$16$0$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "r and p"),
        ("scrypt$16$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "salt"),
        ("scrypt$16$8$1$AAAAAAAAAAA$AAAA", "at least 16 bytes"),
        ("scrypt$16$8$1$!!!!$AAAAAAAAAAAAAAAAAAAAAA", "base64"),
        ("scrypt$1073741824$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "memory"),
    ],
)
def test_malformed_hashes_are_errors(stored: str, message: str) -> None:
    with pytest.raises(CredentialError, match=message) as info:
        verify_password("pw", stored)
    assert isinstance(info.value, OkcError)


def test_empty_password_is_refused() -> None:
    with pytest.raises(CredentialError, match="empty"):
        hash_password("")


@given(st.text(min_size=1, max_size=40), st.binary(min_size=8, max_size=32))
def test_hash_round_trips_and_verifies(password: str, salt: bytes) -> None:
    stored = hash_password(password, salt=salt, n=_FAST_N)
    assert str(PasswordHash.parse(stored)) == stored
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)


def test_generated_passwords() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for pw in passwords:
        assert len(pw) == 16
        assert pw.isalnum()
        assert any(c.isdigit() for c in pw)
        assert any(c.isupper() for c in pw)
        assert not set(pw) & set("0O1lI")
    assert len(generate_password(24)) == 24
    with pytest.raises(CredentialError):
        generate_password(4)


def test_make_credentials() -> None:
    creds = make_credentials("agent1", "okc.local", "pw", n=_FAST_N)
    assert verify_password("pw", creds.password_hash)
    assert creds.ha1_md5 == digest_ha1("agent1", "okc.local", "pw", HA1Algorithm.MD5)
    assert creds.ha1_sha256 == digest_ha1("agent1", "okc.local", "pw", HA1Algorithm.SHA_256)
    assert "pw" not in (creds.password_hash, creds.ha1_md5, creds.ha1_sha256)


@pytest.mark.parametrize("wire", [DigestAlgorithm.SHA_256, DigestAlgorithm.MD5])
def test_stored_credentials_answer_a_sip_digest_exchange(wire: DigestAlgorithm) -> None:
    """What the configuration stores is enough for okc.sip.auth to check a phone's password."""
    realm = "okc.local"
    stored = {"agent1": make_credentials("agent1", realm, "s3cret-Pw", n=_FAST_N)}

    def lookup(user: str, algorithm: DigestAlgorithm) -> str | None:
        creds = stored.get(user)
        return None if creds is None else creds.ha1(HA1Algorithm(algorithm.base.value))

    server = DigestServer(realm, b"0123456789abcdef", lookup, random.Random(1), algorithms=(wire,))
    request = parse_message(
        b"REGISTER sip:okc.local SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:agent1@okc.local>;tag=a\r\n"
        b"To: <sip:agent1@okc.local>\r\n"
        b"Call-ID: reg-1\r\n"
        b"CSeq: 1 REGISTER\r\n"
        b"Contact: <sip:agent1@127.0.0.1:5070>\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    assert isinstance(request, Request)
    challenged = server.authenticate(request, 0.0)
    assert isinstance(challenged, AuthChallenged)
    for password, accepted in (("wrong", False), ("s3cret-Pw", True)):
        client = DigestClient("agent1", password, random.Random(2))
        retried = client.retry(request, challenged.response)
        outcome = server.authenticate(retried, 1.0)
        assert (outcome == AuthAccepted("agent1")) is accepted


def test_credentials_pick_the_ha1_by_algorithm() -> None:
    creds = make_credentials("agent1", "okc.local", "pw", n=_FAST_N)
    assert creds.ha1(HA1Algorithm.MD5) == creds.ha1_md5
    assert creds.ha1(HA1Algorithm.SHA_256) == creds.ha1_sha256
