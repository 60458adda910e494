"""The single-pass auth-param scanner accepts exactly the RFC 3261 §25 auth-param lists.

The oracle below is the grammar written out plainly: the whole list must match, then every pair is read.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.sip.auth import AuthError, DigestCredentials, parse_auth_params
from okc.sip.headers import unquote

_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_QUOTED = r'"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"'
_PAIR = rf"({_TOKEN})[ \t]*=[ \t]*({_QUOTED}|{_TOKEN})"
_PLAIN_PAIR = rf"{_TOKEN}[ \t]*=[ \t]*(?:{_QUOTED}|{_TOKEN})"
_LIST = re.compile(rf"[ \t]*(?:{_PLAIN_PAIR}(?:[ \t]*,[ \t]*{_PLAIN_PAIR})*)?[ \t]*")


def _oracle(text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    scheme, _, rest = text.strip(" \t").partition(" ")
    if not re.fullmatch(_TOKEN, scheme) or _LIST.fullmatch(rest) is None:
        return None
    pairs = re.findall(_PAIR, rest)
    return scheme, tuple((n.lower(), unquote(v) if v.startswith('"') else v) for n, v in pairs)


def _ours(text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    try:
        return parse_auth_params(text)
    except AuthError:
        return None


_PIECES = [
    "Digest", " ", "\t", ",", "=", '"', "\\", "a", "realm", "nonce", "x y", '"q"', '"a,b"', '"\\""', "MD5",
    "\r", "\n", ";", "é", "", "  ,", ", ",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_scanner_matches_grammar(text: str) -> None:
    assert _ours(text) == _oracle(text)


@given(st.text(max_size=40))
def test_scanner_matches_grammar_on_any_text(rest: str) -> None:
    assert _ours("Digest " + rest) == _oracle("Digest " + rest)


def test_duplicate_and_escaped_values() -> None:
    header = 'Digest username="a\\"b", realm="r", nonce="n", uri="sip:x", response="AB", nc=0000000a'
    creds = DigestCredentials.parse(header + ', qop=auth, cnonce="c"')
    assert (creds.username, creds.response, creds.nc) == ('a"b', "ab", 10)
    for bad in (header + ", Realm=x", header + ", nc=1", header + ",", header.replace("Digest", "Basic")):
        with pytest.raises(AuthError):
            DigestCredentials.parse(bad)
