"""Endpoint: port pairs, the sans-I/O session (latching, malformed counting), relay rewriting, sockets."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.errors import OkcError
from okc.rtp.endpoint import (
    EndpointError,
    PortAllocator,
    PortPair,
    RtpEndpoint,
    RtpReceived,
    RtpSession,
    peek_rtp,
)
from okc.rtp.relay import RelayError, RewriteMode, StreamRewriter, relay

PEER = ("192.0.2.10", 40000)
NAT = ("198.51.100.7", 51234)


def rtp(
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes = b"\xd5" * 160,
    *,
    pt: int = 8,
    marker: bool = False,
) -> bytes:
    """An RTP packet built by hand (version 2, no CSRC, no extension)."""
    return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), sequence, timestamp, ssrc) + payload


def rtcp_rr(ssrc: int) -> bytes:
    """An empty receiver report."""
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


# --- port pairs ------------------------------------------------------------------------------------


def test_allocator_hands_out_even_pairs_round_robin() -> None:
    allocator = PortAllocator(10001, 10008)
    pairs = [allocator.allocate() for _ in range(3)]
    assert [(p.rtp, p.rtcp) for p in pairs] == [(10002, 10003), (10004, 10005), (10006, 10007)]
    assert allocator.capacity == 3
    with pytest.raises(EndpointError):
        allocator.allocate()
    allocator.release(pairs[0])
    assert allocator.in_use == 2
    assert allocator.allocate() == pairs[0]


def test_released_pair_is_reused_last() -> None:
    allocator = PortAllocator(20000, 20009)
    first = allocator.allocate()
    allocator.release(first)
    assert [allocator.allocate().rtp for _ in range(5)] == [20002, 20004, 20006, 20008, 20000]


@pytest.mark.parametrize(
    "make",
    [
        lambda: PortAllocator(100, 200),
        lambda: PortAllocator(30000, 30000),
        lambda: PortPair(30001),
        lambda: PortAllocator(30000, 30001).release(PortPair(30002)),
    ],
)
def test_bad_ranges_raise_endpoint_error(make: object) -> None:
    with pytest.raises(EndpointError) as raised:
        make()  # type: ignore[operator]
    assert isinstance(raised.value, OkcError)


# --- the session, fed bytes ------------------------------------------------------------------------


def test_session_sends_to_sdp_address_until_the_peer_speaks_then_latches() -> None:
    session = RtpSession(PEER)
    assert session.remote_rtp == PEER
    assert session.remote_rtcp == (PEER[0], PEER[1] + 1)
    packet = session.receive_rtp(rtp(1, 160, 0xABC), NAT, 1.0)
    assert packet is not None
    assert session.latched
    assert session.remote_rtp == NAT
    assert session.receive_rtcp(rtcp_rr(0xABC), (NAT[0], 51235), 1.1) is not None
    assert session.remote_rtcp == (NAT[0], 51235)


def test_latched_session_ignores_strangers_until_told_to_relatch() -> None:
    session = RtpSession(PEER)
    session.receive_rtp(rtp(1, 0, 1), NAT, 0.0)
    assert session.receive_rtp(rtp(2, 160, 1), ("203.0.113.9", 9999), 0.02) is None
    assert session.counters.foreign == 1
    assert session.remote_rtp == NAT
    session.relatch()
    assert session.receive_rtp(rtp(3, 320, 1), ("203.0.113.9", 9999), 0.04) is not None
    assert session.remote_rtp == ("203.0.113.9", 9999)
    assert session.counters.latches == 2


def test_non_symmetric_session_keeps_the_sdp_address() -> None:
    session = RtpSession(PEER, symmetric=False)
    assert session.receive_rtp(rtp(1, 0, 1), NAT, 0.0) is not None
    assert session.remote_rtp == PEER


def test_header_fields_and_payload() -> None:
    csrc_ext_padded = (
        struct.pack("!BBHII", 0xB1, 0x80 | 0, 65535, 2**32 - 1, 7)
        + struct.pack("!I", 99)  # one CSRC
        + struct.pack("!HH", 0xBEDE, 1)
        + b"\x10\xff\x00\x00"  # a one-word extension
        + b"audio"
        + b"\x00\x00\x03"  # three bytes of padding
    )
    packet = peek_rtp(csrc_ext_padded, PEER, 5.0)
    assert packet is not None
    assert (packet.payload_type, packet.marker, packet.sequence, packet.timestamp, packet.ssrc) == (
        0,
        True,
        65535,
        2**32 - 1,
        7,
    )
    assert packet.payload == b"audio"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x08\x00",
        rtp(1, 0, 1)[:11],
        b"\x40" + rtp(1, 0, 1)[1:],  # version 1
        rtcp_rr(5) + bytes(8),  # RTCP on the RTP port
        b"\x8f\x08" + bytes(10) + bytes(20),  # 15 CSRCs announced, 5 present
        b"\x90\x08" + bytes(10) + b"\xbe\xde\x00\x09",  # extension longer than the packet
        b"\xa0\x08" + bytes(10) + b"ab\x00",  # padding count 0
        b"\xa0\x08" + bytes(10) + b"ab\x09",  # padding longer than the payload
    ],
)
def test_malformed_packets_are_counted_not_raised(data: bytes) -> None:
    session = RtpSession(PEER)
    assert session.receive_rtp(data, NAT, 0.0) is None
    assert session.counters.malformed == 1
    assert not session.latched


@given(st.binary(max_size=80))
def test_any_datagram_is_accepted_or_counted_never_raises(data: bytes) -> None:
    session = RtpSession(PEER)
    result = session.receive_rtp(data, NAT, 0.0)
    rtcp = session.receive_rtcp(data, NAT, 0.0)
    accepted = (result is not None) + (rtcp is not None)
    assert session.counters.malformed + accepted == 2
    if result is not None:
        assert len(result.payload) <= len(data) - 12


# --- the relay's rewriting, sans-I/O ---------------------------------------------------------------


def _received(data: bytes, arrival: float) -> RtpReceived:
    packet = peek_rtp(data, NAT, arrival)
    assert packet is not None
    return packet


def _fields(data: bytes) -> tuple[bool, int, int, int]:
    second, sequence, timestamp, ssrc = struct.unpack_from("!xBHII", data)
    return bool(second & 0x80), sequence, timestamp, ssrc


def test_relay_is_transparent_until_the_source_changes() -> None:
    rewriter = StreamRewriter()
    for n in range(3):
        data = rtp(65534 + n & 0xFFFF, 2**32 - 160 + 160 * n & 0xFFFFFFFF, 0x1111)
        assert rewriter.forward(_received(data, 0.02 * n)) is data
    # Transferred: a new source with its own numbering arrives 100 ms after the last packet.
    out = rewriter.forward(_received(rtp(500, 90_000, 0x2222), 0.14))
    assert _fields(out) == (True, 1, (2**32 - 160 + 320 + 800) & 0xFFFFFFFF, 0x1111)
    out = rewriter.forward(_received(rtp(501, 90_160, 0x2222), 0.16))
    assert _fields(out) == (False, 2, (2**32 - 160 + 320 + 960) & 0xFFFFFFFF, 0x1111)
    assert out[12:] == b"\xd5" * 160
    assert rewriter.source_changes == 1


def test_relay_always_mode_uses_its_own_ssrc_and_never_mode_touches_nothing() -> None:
    always = StreamRewriter(RewriteMode.ALWAYS, ssrc=0xCAFE)
    assert _fields(always.forward(_received(rtp(7, 700, 0x1), 0.0))) == (False, 7, 700, 0xCAFE)
    never = StreamRewriter(RewriteMode.NEVER)
    first, second = rtp(7, 700, 0x1), rtp(1, 5, 0x2)
    assert never.forward(_received(first, 0.0)) is first
    assert never.forward(_received(second, 0.02)) is second
    with pytest.raises(RelayError):
        StreamRewriter(RewriteMode.AUTO, ssrc=5)
    with pytest.raises(RelayError):
        StreamRewriter(RewriteMode.ALWAYS)


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1)),
        min_size=1,
        max_size=30,
    )
)
def test_rewritten_stream_keeps_one_ssrc_and_consecutive_sequence_numbers_across_sources(
    sources: list[tuple[bool, int, int]],
) -> None:
    """Whatever sources follow each other (each sending 3 in-order packets), the output is one stream."""
    rewriter = StreamRewriter()
    out_ssrc: int | None = None
    last: int | None = None
    now = 0.0
    last_in = 0
    for index, (restart, drawn_seq, first_ts) in enumerate(sources):
        # A new SSRC, or the same SSRC restarting its numbering more than 3000 away from where it was.
        ssrc = index if restart else 0
        first_seq = drawn_seq if restart or not index else (last_in + 3001 + drawn_seq % 60000) & 0xFFFF
        last_in = (first_seq + 2) & 0xFFFF
        for n in range(3):
            now += 0.02
            data = rtp((first_seq + n) & 0xFFFF, (first_ts + 160 * n) & 0xFFFFFFFF, 100 + ssrc)
            _, sequence, _, ssrc_out = _fields(rewriter.forward(_received(data, now)))
            out_ssrc = ssrc_out if out_ssrc is None else out_ssrc
            assert ssrc_out == out_ssrc
            if last is not None:
                assert sequence == (last + 1) & 0xFFFF
            last = sequence


# --- real sockets on 127.0.0.1 ---------------------------------------------------------------------


def _range() -> PortAllocator:
    """A small port range somewhere high; pairs other programs hold are skipped by the endpoint."""
    low = random.Random().randrange(40000, 60000, 2)
    return PortAllocator(low, low + 40)


@contextmanager
def _peer() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        yield sock
    finally:
        sock.close()


async def _until(condition: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.005)


def test_endpoint_binds_a_pair_latches_and_answers_to_the_source() -> None:
    async def scenario() -> None:
        allocator = _range()
        endpoint = await RtpEndpoint.open(allocator, remote_rtp=("127.0.0.1", 9))
        received: list[RtpReceived] = []
        endpoint.on_rtp = received.append
        try:
            host, port = endpoint.local_rtp
            assert port % 2 == 0
            assert port == endpoint.pair.rtp
            assert allocator.in_use == 1
            with _peer() as peer:
                peer.sendto(b"garbage", (host, port))
                peer.sendto(rtp(1, 0, 42, b"hello"), (host, port))
                await _until(lambda: received)
                assert received[0].payload == b"hello"
                assert endpoint.session.counters.malformed == 1
                assert endpoint.session.remote_rtp == peer.getsockname()
                assert endpoint.send_rtp(rtp(9, 0, 77, b"back"))
                data, _ = await asyncio.get_running_loop().run_in_executor(None, peer.recvfrom, 2048)
                assert data.endswith(b"back")
        finally:
            endpoint.close()
        assert allocator.in_use == 0

    asyncio.run(scenario())


def test_endpoint_skips_pairs_another_program_holds() -> None:
    async def scenario() -> None:
        allocator = _range()
        probe = allocator.allocate()
        allocator.release(probe)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
            try:
                squatter.bind(("127.0.0.1", probe.rtcp))  # the first pair's RTCP port is taken
            except OSError:
                pytest.skip("the probe port is in use already")
            # Round-robin: cycle the allocator back to the probe pair.
            for _ in range(allocator.capacity - 1):
                allocator.release(allocator.allocate())
            endpoint = await RtpEndpoint.open(allocator)
            try:
                assert endpoint.pair != probe
                assert allocator.in_use == 1
            finally:
                endpoint.close()

    asyncio.run(scenario())


def test_relay_forwards_both_ways_between_two_legs_and_taps() -> None:
    async def scenario() -> None:
        allocator = _range()
        loop = asyncio.get_running_loop()
        with _peer() as customer, _peer() as agent:
            leg_a = await RtpEndpoint.open(allocator, remote_rtp=customer.getsockname())
            leg_b = await RtpEndpoint.open(allocator, remote_rtp=agent.getsockname())
            tapped: list[int] = []
            link = relay(leg_a, leg_b, tap=lambda _leg, packet: tapped.append(packet.sequence))
            try:
                sent = rtp(10, 1600, 0xC0FFEE, b"customer says")
                customer.sendto(sent, leg_a.local_rtp)
                data, source = await loop.run_in_executor(None, agent.recvfrom, 2048)
                assert data == sent  # untouched
                assert source == leg_b.local_rtp
                reply = rtp(3, 48000, 0xBEEF, b"agent says")
                agent.sendto(reply, leg_b.local_rtp)
                data, _ = await loop.run_in_executor(None, customer.recvfrom, 2048)
                assert data == reply
                customer.sendto(rtcp_rr(0xC0FFEE), (leg_a.local_rtp[0], leg_a.pair.rtcp))
                agent.settimeout(5)
                await _until(lambda: leg_a.session.counters.rtcp_packets == 1)
                assert link.forwarded == 2
                assert tapped == [10, 3]
            finally:
                link.stop()
                leg_a.close()
                leg_b.close()

    asyncio.run(scenario())


def test_binding_an_address_not_on_this_host_raises_endpoint_error() -> None:
    async def scenario() -> None:
        allocator = _range()
        with pytest.raises(EndpointError, match="cannot bind"):
            await RtpEndpoint.open(allocator, host="192.0.2.1")  # TEST-NET-1: never a local address
        assert allocator.in_use == 0

    asyncio.run(scenario())
