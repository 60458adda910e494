"""Property tests: digest challenge/credential headers round-trip for any printable values."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from okc.sip.auth import AuthError, DigestAlgorithm, DigestChallenge, DigestCredentials, parse_auth_params

text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\x7f"), max_size=30)
nonempty = text.filter(bool)
algorithms = st.sampled_from(list(DigestAlgorithm))


@given(text, nonempty, algorithms, st.booleans(), st.none() | text)
def test_challenge_round_trip(
    realm: str, nonce: str, alg: DigestAlgorithm, stale: bool, opaque: str | None
) -> None:
    challenge = DigestChallenge(realm, nonce, alg, ("auth",), opaque, stale)
    assert DigestChallenge.parse(str(challenge)) == challenge


@st.composite
def credentials(draw: st.DrawFn) -> DigestCredentials:
    """Any valid Authorization value with qop=auth."""
    return DigestCredentials(
        draw(text),
        draw(text),
        draw(nonempty),
        draw(text),
        "ab" * 16,
        draw(algorithms),
        "auth",
        draw(st.integers(1, 2**32 - 1)),
        draw(nonempty),
        draw(st.none() | text),
    )


@given(credentials())
def test_credentials_round_trip(creds: DigestCredentials) -> None:
    assert DigestCredentials.parse(str(creds)) == creds


@given(st.text(max_size=60))
def test_parser_never_raises_anything_but_auth_error(value: str) -> None:
    with contextlib.suppress(AuthError):
        parse_auth_params("Digest " + value)
