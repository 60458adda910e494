"""Audit of DigestServer's replay memory: nonces are forgotten oldest-first once expired, never earlier.

The replay check must hold for a nonce's whole lifetime, an expired nonce must come back only as stale
(never accepted again), and what the server remembers must stay bounded by the nonces used within one
lifetime however long it runs. The client's per-nonce counters are bounded too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from okc.sip import parse_message
from okc.sip.auth import (
    AuthAccepted,
    AuthChallenged,
    AuthFailed,
    AuthOutcome,
    DigestAlgorithm,
    DigestClient,
    DigestCredentials,
    DigestServer,
    digest_response,
)
from okc.sip.message import Request

REALM = "okc.test"
SECRET = b"0123456789abcdef0123456789abcdef"
URI = "sip:okc.test"
HA1 = DigestAlgorithm.MD5.hexdigest(f"alice:{REALM}:secret")
LIFETIME = 30.0

_REGISTER = (
    b"REGISTER sip:okc.test SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKaudit\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:alice@okc.test>;tag=a1\r\n"
    b"To: <sip:alice@okc.test>\r\n"
    b"Call-ID: audit-1\r\n"
    b"CSeq: 1 REGISTER\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _server(rng_seed: int = 1) -> DigestServer:
    def lookup(user: str, algorithm: DigestAlgorithm) -> str | None:
        return HA1 if user == "alice" and algorithm is DigestAlgorithm.MD5 else None

    return DigestServer(
        REALM,
        SECRET,
        lookup,
        random.Random(rng_seed),
        algorithms=(DigestAlgorithm.MD5,),
        nonce_lifetime=LIFETIME,
    )


def _request(nonce: str, nc: int) -> Request:
    """A REGISTER answering `nonce` with nonce-count `nc` (qop=auth, a correct response)."""
    cnonce = f"c{nc}"
    response = digest_response(
        DigestAlgorithm.MD5, HA1, method="REGISTER", uri=URI, nonce=nonce, qop="auth", nc=nc, cnonce=cnonce
    )
    creds = DigestCredentials(
        "alice", REALM, nonce, URI, response, DigestAlgorithm.MD5, "auth", nc, cnonce, None
    )
    request = parse_message(_REGISTER)
    assert isinstance(request, Request)
    return request.replace(headers=request.headers.with_added("Authorization", str(creds)))


def test_replay_is_refused_until_the_very_end_of_the_lifetime() -> None:
    server = _server()
    nonce = server.make_nonce(0.0)
    assert isinstance(server.authenticate(_request(nonce, 5), 1.0), AuthAccepted)
    # other nonces keep arriving; the expiry sweep must not drop the live one
    for t in range(2, 31):
        other = server.make_nonce(float(t) - 1.5)
        assert isinstance(server.authenticate(_request(other, 1), float(t)), AuthAccepted)
    for nc in (5, 4, 1):
        replay = server.authenticate(_request(nonce, nc), LIFETIME)
        assert isinstance(replay, AuthFailed), nc
        assert "replayed" in replay.reason
    assert isinstance(server.authenticate(_request(nonce, 6), LIFETIME), AuthAccepted)
    # one tick past the lifetime the nonce is stale, never accepted again, even with a fresh nc
    late = server.authenticate(_request(nonce, 7), LIFETIME + 0.001)
    assert isinstance(late, AuthChallenged)
    assert late.stale


def test_an_old_nonce_first_used_late_is_remembered_until_its_own_expiry() -> None:
    """Nonces enter the memory out of issue order; expiry follows issue time, not first use."""
    server = _server()
    old = server.make_nonce(0.0)
    young = server.make_nonce(20.0)
    assert isinstance(server.authenticate(_request(young, 1), 20.0), AuthAccepted)
    assert isinstance(server.authenticate(_request(old, 1), 25.0), AuthAccepted)
    assert server.remembered_nonces == 2
    # at 31 s `old` is gone (it can only come back stale) and `young` still refuses its replay
    assert isinstance(server.authenticate(_request(server.make_nonce(31.0), 1), 31.0), AuthAccepted)
    assert server.remembered_nonces == 2
    assert isinstance(server.authenticate(_request(young, 1), 31.0), AuthFailed)
    stale = server.authenticate(_request(old, 2), 31.0)
    assert isinstance(stale, AuthChallenged)
    assert stale.stale


def test_memory_is_bounded_over_a_long_virtual_run() -> None:
    """20 registrations/s for 10 lifetimes: at most one lifetime's worth of nonces is remembered."""
    server = _server()
    rate, seconds = 20, 10 * int(LIFETIME)
    peak = 0
    for step in range(rate * seconds):
        now = step / rate
        nonce = server.make_nonce(now)
        assert isinstance(server.authenticate(_request(nonce, 1), now), AuthAccepted)
        peak = max(peak, server.remembered_nonces)
    assert peak <= rate * LIFETIME + 1
    assert server.remembered_nonces <= rate * LIFETIME + 1


@dataclass
class _Used:
    issued: float
    last_nc: int


_ops = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=LIFETIME / 2, allow_nan=False),  # clock advance
        st.sampled_from(["fresh", "again", "replay"]),
        st.integers(min_value=0, max_value=50),  # which remembered nonce
        st.floats(min_value=0.0, max_value=LIFETIME * 1.5, allow_nan=False),  # how old a fresh nonce is
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(_ops)
def test_server_agrees_with_a_model_that_never_forgets(ops: list[tuple[float, str, int, float]]) -> None:
    """Against a reference that remembers every nonce forever, the server gives the same outcome each time,
    and what it remembers is exactly the used nonces not yet expired."""
    server = _server()
    model: dict[str, _Used] = {}
    now = 0.0
    for advance, kind, index, age in ops:
        now += advance
        if kind == "fresh" or not model:
            issued = max(0.0, now - age)
            nonce = server.make_nonce(issued)
            issued = server.nonce_issued(nonce) or 0.0  # ms resolution
            nc = 1
        else:
            nonce = list(model)[index % len(model)]
            issued, last = model[nonce].issued, model[nonce].last_nc
            nc = last + 1 + index % 3 if kind == "again" else max(1, last - index % 3)
        outcome: AuthOutcome = server.authenticate(_request(nonce, nc), now)
        used = model.get(nonce)
        if now - issued > LIFETIME:
            assert isinstance(outcome, AuthChallenged)
            assert outcome.stale
            continue
        if used is not None and nc <= used.last_nc:
            assert isinstance(outcome, AuthFailed)
            assert "replayed" in outcome.reason
        else:
            assert isinstance(outcome, AuthAccepted)
            model[nonce] = _Used(issued, nc)
        live = sum(1 for u in model.values() if now - u.issued <= LIFETIME)
        assert server.remembered_nonces == live


def test_client_keeps_a_bounded_number_of_nonce_counters() -> None:
    """A trunk re-registering for days gets a new nonce each time; the client must not keep them all."""
    server = _server()
    client = DigestClient("alice", "secret", random.Random(3))
    challenge = server.challenges(0.0)[0]
    for i in range(500):
        challenge = server.challenges(float(i))[0]
        assert client.credentials(challenge, "REGISTER", URI).nc == 1
    assert len(client._uses) <= 32  # the bound is the point of this test
    # the current nonce keeps counting up
    assert client.credentials(challenge, "REGISTER", URI).nc == 2
