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


def _credentials(text: str) -> DigestCredentials | None:
    try:
        return DigestCredentials.parse(text)
    except AuthError:
        return None


_VALUES = ['"alice"', '"a, b"', '"a\\"b"', '""', "MD5", "auth", "00000001", '"x', 'x"', "a b", "", '"\r"']


_GOOD = {
    "username": '"alice"', "realm": '"a, b"', "nonce": '"n"', "uri": "\"sip:x;a=b\"", "response": '"AB"',
    "nc": "0000000a", "cnonce": '""', "qop": "auth", "opaque": "\"op\"",
}  # fmt: skip


@given(
    st.permutations(sorted(_GOOD)),
    st.lists(st.tuples(st.integers(0, 8), st.sampled_from([*_VALUES, "Realm"])), max_size=2),
    st.sampled_from([", ", ",", " , ", ", , "]),
)
def test_usual_spelling_path_matches_general(
    names: list[str], edits: list[tuple[int, str]], sep: str
) -> None:
    # "DIGEST" is never taken by the usual-spelling path; the scheme is case-insensitive.
    pairs = [(name, _GOOD[name]) for name in names]
    for index, odd in edits:
        pairs[index] = ("Realm", '"r"') if odd == "Realm" else (pairs[index][0], odd)
    rest = sep.join(f"{name}={value}" for name, value in pairs)
    assert _credentials("Digest " + rest) == _credentials("DIGEST " + rest)
