"""Digest verification speed: okc.sip.auth against sippy's SipAuthorization on the same header.

sippy splits the header on every comma and strips quotes (a comma inside a quoted value breaks it, quoted
pairs stay escaped); okc checks the RFC 3261 §25 grammar, so its figure includes that validation.
"""

from __future__ import annotations

import random

from rich.console import Console

from benchmarks.report import Measurement, best_rates, rate, show
from okc.sip import parse_message
from okc.sip.auth import (
    AuthAccepted,
    DigestAlgorithm,
    DigestClient,
    DigestCredentials,
    DigestServer,
    digest_response,
)
from okc.sip.message import Request

_REALM = "okc.test"
_REGISTER = (
    b"REGISTER sip:okc.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:alice@okc.test>;tag=a\r\nTo: <sip:alice@okc.test>\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\n"
    b"Contact: <sip:alice@127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n"
)


def main() -> None:
    """Parse-and-verify rate for one MD5 Authorization header, then okc's whole authenticate() path."""
    from sippy.SipAuthorization import DigestCalcResponse, SipAuthorization

    console = Console()
    ha1 = DigestAlgorithm.MD5.hexdigest(f"alice:{_REALM}:secret")
    ha1_bytes = ha1.encode()
    server = DigestServer(
        _REALM,
        b"benchmark-secret-32-bytes-long..",
        lambda u, a: ha1,
        random.Random(1),
        algorithms=(DigestAlgorithm.MD5,),
    )
    request = parse_message(_REGISTER)
    assert isinstance(request, Request)
    challenged = server.authenticate(request, 0.0)
    client = DigestClient("alice", "secret", random.Random(2))
    signed = client.retry(request, challenged.response)  # type: ignore[union-attr]
    header = signed.headers.get_all("Authorization")[0]
    assert isinstance(server.authenticate(signed, 1.0), AuthAccepted)

    def ours() -> bool:
        c = DigestCredentials.parse(header)
        got = digest_response(
            c.algorithm, ha1, method="REGISTER", uri=c.uri, nonce=c.nonce, qop=c.qop, nc=c.nc, cnonce=c.cnonce
        )
        return got == c.response

    def theirs() -> bool:
        a = SipAuthorization(body=header)
        a.parse()
        got = DigestCalcResponse(
            a.algorithm, ha1_bytes, a.nonce, a.nc, a.cnonce, a.qop, "REGISTER", a.uri, None
        )
        return bool(got == a.response)

    assert ours()
    assert theirs()
    best = best_rates({"okc.sip.auth": ours, "sippy SipAuthorization": theirs}, rounds=8)
    show(
        "Digest Authorization parse + MD5 verify from HA1 (best of interleaved rounds)",
        Measurement("okc.sip.auth", best["okc.sip.auth"], "headers/s"),
        [Measurement("sippy SipAuthorization", best["sippy SipAuthorization"], "headers/s")],
        console,
    )
    now = [2.0]

    def full() -> object:
        now[0] += 0.001
        fresh = client.retry(signed, challenged.response)  # type: ignore[union-attr]
        return server.authenticate(fresh, now[0])

    console.print(
        f"okc client retry + server authenticate (HMAC nonce, nc check): {rate(full, min_seconds=0.5):,.0f}/s"
    )
