"""Two okc UserAgents on loopback (UDP, TCP and TLS) calling each other: answer, DTMF, hold, transfer, BYE."""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from okc.sip.agent import AgentError, AgentSettings, UserAgent
from okc.sip.sdp import LocalMedia, answer, make_offer
from okc.sip.transport import TransportError, TransportOptions
from okc.sip.ua import CallState
from okc.sip.ua_events import (
    CallAnswered,
    CallEnded,
    CallEstablished,
    CallFailed,
    CallHeld,
    CallResumed,
    DtmfReceived,
    EndReason,
    IncomingCall,
    OptionsReceived,
    TransferRequested,
    TransferStatus,
)


async def _pair(options: TransportOptions | None = None) -> tuple[UserAgent, UserAgent]:
    alice = await UserAgent.start(options=options, settings=AgentSettings(user="alice"), rng=random.Random(1))
    bob = await UserAgent.start(options=options, settings=AgentSettings(user="bob"), rng=random.Random(2))
    return alice, bob


async def _whole_call(alice: UserAgent, bob: UserAgent) -> None:
    host, port = bob.local
    ref = await alice.call(f"sip:bob@{host}:{port}", sdp=make_offer(LocalMedia(host, 40000, 1)))
    incoming = await bob.next_event(IncomingCall)
    assert isinstance(incoming, IncomingCall)
    assert incoming.offer is not None
    bob.ring(incoming.call)
    bob.answer(incoming.call, answer(incoming.offer, LocalMedia(host, 41000, 2)))
    answered = await alice.next_event(CallAnswered, call=ref)
    assert isinstance(answered, CallAnswered)
    assert answered.sdp is not None
    await bob.next_event(CallEstablished, call=incoming.call)

    assert alice.send_dtmf(ref, "7") == "info"
    assert await bob.next_event(DtmfReceived) == DtmfReceived(incoming.call, "7", 160)
    handed: list[tuple[str, int]] = []
    alice.attach_dtmf(ref, lambda digit, ms: handed.append((digit, ms)))  # the answer lists telephone-event
    assert alice.send_dtmf(ref, "#", 200) == "rfc4733"
    assert handed == [("#", 200)]
    alice.hold(ref)
    assert await bob.next_event(CallHeld) == CallHeld(incoming.call, True)
    assert await alice.next_event(CallHeld) == CallHeld(ref, False)
    alice.unhold(ref)
    assert await bob.next_event(CallResumed) == CallResumed(incoming.call, True)

    bob.transfer(incoming.call, f"sip:carol@{host}:5999")
    requested = await alice.next_event(TransferRequested)
    assert isinstance(requested, TransferRequested)
    assert requested.refer_to.target.user == "carol"
    assert await bob.next_event(TransferStatus) == TransferStatus(incoming.call, 202, False)
    alice.notify_transfer(ref, 200)
    assert await bob.next_event(TransferStatus) == TransferStatus(incoming.call, 200, True)

    alice.hangup(ref)
    assert await bob.next_event(CallEnded) == CallEnded(incoming.call, EndReason.REMOTE_BYE)
    assert alice.core.call_state(ref) is CallState.ENDED


@pytest.mark.parametrize("kind", ["udp", "tcp"])
def test_two_agents_call_each_other(kind: str) -> None:
    async def main() -> None:
        alice, bob = await _pair(TransportOptions(kind=kind))
        try:
            await _whole_call(alice, bob)
            if kind == "tcp":
                assert alice.transport.connections == 1
                assert bob.transport.connections == 1
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(main())


def _tls_contexts(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_two_agents_call_each_other_over_tls(tmp_path: Path) -> None:
    server, client = _tls_contexts(tmp_path)

    async def main() -> None:
        alice, bob = await _pair(TransportOptions(kind="tls", server_ssl=server, client_ssl=client))
        try:
            assert alice.contact.endswith(";transport=tls")
            await _whole_call(alice, bob)
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(main())


def test_options_rejection_and_unreachable_peer() -> None:
    async def main() -> None:
        alice, bob = await _pair()
        try:
            host, port = bob.local
            result = await alice.options(f"sip:bob@{host}:{port}")
            assert result.status == 200
            assert result.response is not None
            assert result.rtt >= 0
            assert isinstance(await bob.next_event(OptionsReceived), OptionsReceived)
            ref = await alice.call(f"sip:bob@{host}:{port}")
            incoming = await bob.next_event(IncomingCall)
            bob.reject(incoming.call, 486)  # type: ignore[union-attr]
            assert await alice.next_event(CallFailed) == CallFailed(ref, 486, "Busy Here")
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(main())


def test_large_invite_goes_over_tcp() -> None:
    async def main() -> None:
        alice, bob = await _pair()
        try:
            host, port = bob.local
            padding = (("X-Padding", "p" * 1400),)
            await alice.call(f"sip:bob@{host}:{port}", extra=padding)
            incoming = await bob.next_event(IncomingCall)
            assert isinstance(incoming, IncomingCall)
            assert incoming.request.top_via.transport == "TCP"
            assert alice.transport.connections == 1
        finally:
            await alice.close()
            await bob.close()

    asyncio.run(main())


def test_bad_transport_options_and_waiting_in_vain_raise_okc_errors() -> None:
    with pytest.raises(TransportError):
        TransportOptions(kind="sctp")
    with pytest.raises(TransportError):
        TransportOptions(kind="tls")

    async def main() -> None:
        alice = await UserAgent.start()
        try:
            with pytest.raises(AgentError):
                await alice.next_event(IncomingCall, timeout=0.05)
        finally:
            await alice.close()

    asyncio.run(main())


def test_unreachable_tcp_peer_fails_the_call_at_once_with_503() -> None:
    async def main() -> None:
        alice = await UserAgent.start(options=TransportOptions(kind="tcp"))
        try:
            with socket.socket() as probe:  # a port nobody listens on
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            ref = await alice.call(f"sip:nobody@127.0.0.1:{port}")
            failed = await alice.next_event(CallFailed, timeout=5)
            assert failed == CallFailed(ref, 503, "Service Unavailable")
        finally:
            await alice.close()

    asyncio.run(main())
