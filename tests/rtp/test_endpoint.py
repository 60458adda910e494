"""Endpoint: port pairs, the sans-I/O session (probation, latching, malformed counting, statistics and
reports), relay rewriting, sockets."""

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
)
from okc.rtp.packet import SequenceEvent
from okc.rtp.relay import RelayError, RewriteMode, StreamRewriter, relay
from okc.rtp.rtcp import (
    CompoundPacket,
    ReceiverReport,
    ReportBlock,
    SenderInfo,
    SenderReport,
    SourceDescription,
)
from okc.rtp.stats import NtpClock

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
    assert session.receive_rtp(rtp(1, 160, 0xABC), NAT, 1.0) == ()  # on probation (RFC 3550 A.1)
    assert session.counters.latches == 0
    assert session.remote_rtp == PEER
    first, second = session.receive_rtp(rtp(2, 320, 0xABC), NAT, 1.02)  # the held packet comes too
    assert (first.sequence, first.arrival, first.event) == (1, 1.0, SequenceEvent.NEW_SOURCE)
    assert (second.sequence, second.event) == (2, SequenceEvent.ACCEPTED)
    assert session.latched
    assert session.remote_rtp == NAT
    assert session.source == 0xABC
    assert session.receive_rtcp(rtcp_rr(0xABC), (NAT[0], 51235), 1.1) is not None
    assert session.remote_rtcp == (NAT[0], 51235)


def test_latched_session_ignores_strangers_until_told_to_relatch() -> None:
    session = RtpSession(PEER)
    session.receive_rtp(rtp(1, 0, 1), NAT, 0.0)
    session.receive_rtp(rtp(2, 160, 1), NAT, 0.02)
    assert session.receive_rtp(rtp(3, 320, 1), ("203.0.113.9", 9999), 0.04) == ()
    assert session.counters.foreign == 1
    assert session.remote_rtp == NAT
    session.relatch()
    # The peer moved and restarted its stream with a new SSRC: latched once it passes probation.
    assert session.receive_rtp(rtp(900, 0, 2), ("203.0.113.9", 9999), 0.06) == ()
    assert len(session.receive_rtp(rtp(901, 160, 2), ("203.0.113.9", 9999), 0.08)) == 2
    assert session.remote_rtp == ("203.0.113.9", 9999)
    assert session.counters.latches == 2


def test_after_relatch_the_same_stream_from_a_new_address_is_latched_at_once() -> None:
    session = RtpSession(PEER)
    for n in range(3):
        session.receive_rtp(rtp(n, 160 * n, 1), NAT, 0.02 * n)
    session.relatch()  # e.g. a re-INVITE: the phone moved to another network, its stream goes on
    moved = ("203.0.113.9", 7000)
    (packet,) = session.receive_rtp(rtp(3, 480, 1), moved, 0.06)
    assert packet.event is SequenceEvent.ACCEPTED
    assert session.remote_rtp == moved
    assert session.receive_rtp(rtp(4, 640, 1), NAT, 0.08) == ()  # the old address is a stranger now
    assert session.counters.latches == 2


def test_a_single_stray_packet_neither_latches_nor_plays() -> None:
    session = RtpSession(PEER)
    stranger = ("203.0.113.66", 4444)
    assert session.receive_rtp(rtp(7777, 0, 0xBAD), stranger, 0.0) == ()
    played = [
        p.sequence for n in range(3) for p in session.receive_rtp(rtp(10 + n, 160 * n, 1), NAT, 0.02 * n)
    ]
    assert played == [10, 11, 12]
    assert session.remote_rtp == NAT
    assert session.source == 1


def test_a_stray_ssrc_from_the_peers_address_does_not_interrupt_the_stream() -> None:
    session = RtpSession(PEER)
    for n in range(3):
        session.receive_rtp(rtp(100 + n, 160 * n, 1), NAT, 0.02 * n)
    assert session.receive_rtp(rtp(5, 0, 0xBAD), NAT, 0.05) == ()
    (packet,) = session.receive_rtp(rtp(103, 480, 1), NAT, 0.06)
    assert (packet.ssrc, packet.event) == (1, SequenceEvent.ACCEPTED)
    assert session.counters.probation == 2  # the first packet of each source
    assert session.source == 1


def test_duplicates_are_dropped_and_late_packets_played() -> None:
    session = RtpSession(PEER)
    for seq in (1, 2, 4):
        session.receive_rtp(rtp(seq, 160 * seq, 1), NAT, 0.02 * seq)
    assert [p.event for p in session.receive_rtp(rtp(3, 480, 1), NAT, 0.1)] == [SequenceEvent.LATE]
    assert session.receive_rtp(rtp(3, 480, 1), NAT, 0.11) == ()
    assert (session.counters.late, session.counters.duplicates) == (1, 1)
    stats = session.streams[1]
    assert (stats.expected, stats.packets_received, stats.duplicates) == (3, 4, 1)


def test_non_symmetric_session_keeps_the_sdp_address() -> None:
    session = RtpSession(PEER, symmetric=False)
    session.receive_rtp(rtp(1, 0, 1), NAT, 0.0)
    assert len(session.receive_rtp(rtp(2, 160, 1), NAT, 0.02)) == 2
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
    session = RtpSession(PEER)
    session.receive_rtp(rtp(65534, 2**32 - 161, 7), NAT, 4.98)
    *_, packet = session.receive_rtp(csrc_ext_padded, NAT, 5.0)
    assert (packet.payload_type, packet.marker, packet.sequence, packet.timestamp, packet.ssrc) == (
        0,
        True,
        65535,
        2**32 - 1,
        7,
    )
    assert packet.payload == b"audio"
    assert packet.packet.csrcs == (99,)
    assert packet.data == csrc_ext_padded


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
    assert session.receive_rtp(data, NAT, 0.0) == ()
    assert session.counters.malformed == 1
    assert session.last_error
    assert not session.latched


@given(st.lists(st.binary(max_size=80), max_size=4))
def test_any_datagrams_are_played_held_or_counted_never_raise(datagrams: list[bytes]) -> None:
    session = RtpSession(PEER)
    for data in datagrams:
        played = session.receive_rtp(data, NAT, 0.0)
        rtcp = session.receive_rtcp(data, NAT, 0.0)
        assert all(len(packet.payload) <= len(packet.data) - 12 for packet in played)
        assert rtcp is None or bytes(rtcp.compound)
    counters = session.counters
    handled = counters.malformed + counters.probation + counters.jumps + counters.duplicates
    assert handled + counters.rtp_packets + counters.rtcp_packets >= 2 * len(datagrams)


# --- statistics and reports, sans-I/O ----------------------------------------------------------------


def test_session_keeps_statistics_and_reports_loss_per_source() -> None:
    session = RtpSession(PEER, ssrc=0x0C0C, cname="agent-7@okc")
    for seq in (1, 2, 3, 5, 6):  # 4 is lost; 1 was on probation (A.1's base is 2)
        session.receive_rtp(rtp(seq, 160 * seq, 0x5EED), NAT, 0.02 * seq)
    stats = session.streams[0x5EED]
    assert (stats.expected, stats.packets_received, stats.cumulative_lost) == (5, 4, 1)
    compound = CompoundPacket.parse(bytes(session.rtcp_report(1.0)))
    rr = compound.first(ReceiverReport)
    assert rr is not None
    assert rr.ssrc == 0x0C0C
    (block,) = rr.reports
    assert (block.ssrc, block.fraction_lost, block.cumulative_lost, block.highest_seq) == (0x5EED, 51, 1, 6)
    sdes = compound.first(SourceDescription)
    assert sdes is not None
    assert sdes.cname_of(0x0C0C) == b"agent-7@okc"


def test_session_sends_an_sr_after_sending_and_learns_the_rtt_from_the_peers_rr() -> None:
    # Our monotonic 0.0 is NTP 0xB44DB700.00000000.
    session = RtpSession(PEER, ssrc=0x0C0C, ntp=NtpClock(0xB44D_B700 - 2_208_988_800))
    session.on_sent(rtp(1, 8000, 0x0C0C), 1.0)
    compound = session.rtcp_report(1.0)
    sr = compound.first(SenderReport)
    assert sr is not None
    assert (sr.sender.packet_count, sr.sender.octet_count, sr.sender.rtp_timestamp) == (1, 160, 8000)
    lsr = (sr.sender.ntp >> 16) & 0xFFFF_FFFF  # 0xB701_0000: 1 s after our NTP origin
    # The peer holds our SR for 0.5 s and its RR reaches us at 1.75 s: the round trip is 0.25 s.
    report = ReceiverReport(0x5EED, (ReportBlock(0x0C0C, 0, 0, 0, 0, lsr, 0x8000),))
    assert session.receive_rtcp(bytes(CompoundPacket((report,))), NAT, 1.75) is not None
    assert session.round_trip == 0.25


def test_an_sr_from_the_peer_sets_lsr_and_dlsr_in_our_next_report() -> None:
    session = RtpSession(PEER, ssrc=1)
    for seq in (1, 2):
        session.receive_rtp(rtp(seq, 160 * seq, 0x5EED), NAT, 0.02 * seq)
    peer_sr = bytes(CompoundPacket((SenderReport(0x5EED, SenderInfo(0x1234_5678_0000, 0, 0, 0)),)))
    assert session.receive_rtcp(peer_sr, NAT, 2.0) is not None
    rr = session.rtcp_report(3.5).first(ReceiverReport)
    assert rr is not None
    assert (rr.reports[0].lsr, rr.reports[0].dlsr) == (0x1234_5678, 0x0001_8000)


def test_reports_are_paced_by_a_randomised_interval() -> None:
    session = RtpSession(PEER, rng=random.Random(5))
    assert session.get_timer() is None
    assert session.handle_timer(100.0) is None
    session.start_reports(0.0)
    first = session.get_timer()
    assert first is not None
    assert 1.25 <= first <= 3.75  # half of 5 s × 0.5 … 1.5
    assert session.handle_timer(first - 0.001) is None
    report = session.handle_timer(first)
    assert report is not None
    assert CompoundPacket.parse(report).first(ReceiverReport) is not None
    gap = (session.get_timer() or 0.0) - first
    assert 2.5 <= gap <= 7.5
    assert session.counters.rtcp_sent == 1
    with pytest.raises(EndpointError):
        RtpSession(PEER, rtcp_interval=0)


# --- the relay's rewriting, sans-I/O ---------------------------------------------------------------


class _Leg:
    """A receiving session piped into a rewriter, as relay() wires them: datagrams in, datagrams out."""

    def __init__(self, rewriter: StreamRewriter) -> None:
        self.session = RtpSession(PEER)
        self.rewriter = rewriter

    def __call__(self, data: bytes, arrival: float) -> list[bytes]:
        return [self.rewriter.forward(packet) for packet in self.session.receive_rtp(data, NAT, arrival)]


def _fields(data: bytes) -> tuple[bool, int, int, int]:
    second, sequence, timestamp, ssrc = struct.unpack_from("!xBHII", data)
    return bool(second & 0x80), sequence, timestamp, ssrc


def test_relay_is_transparent_until_the_source_changes() -> None:
    rewriter = StreamRewriter()
    leg = _Leg(rewriter)
    sent = [rtp(65534 + n & 0xFFFF, 2**32 - 160 + 160 * n & 0xFFFFFFFF, 0x1111) for n in range(3)]
    out = [data for n, datagram in enumerate(sent) for data in leg(datagram, 0.02 * n)]
    assert out == sent
    assert all(a is b for a, b in zip(out, sent, strict=True))  # forwarded without a copy
    # Transferred: a new source with its own numbering arrives 100 ms after the last packet; its first
    # packet is held until the second confirms the source, then both go out, renumbered.
    assert leg(rtp(500, 90_000, 0x2222), 0.14) == []
    first, second = leg(rtp(501, 90_160, 0x2222), 0.16)
    assert _fields(first) == (True, 1, (2**32 - 160 + 320 + 800) & 0xFFFFFFFF, 0x1111)
    assert _fields(second) == (False, 2, (2**32 - 160 + 320 + 960) & 0xFFFFFFFF, 0x1111)
    assert second[12:] == b"\xd5" * 160
    assert rewriter.source_changes == 1


def test_relay_always_mode_uses_its_own_ssrc_and_never_mode_touches_nothing() -> None:
    always = _Leg(StreamRewriter(RewriteMode.ALWAYS, ssrc=0xCAFE))
    always(rtp(6, 540, 0x1), 0.0)
    assert [_fields(data) for data in always(rtp(7, 700, 0x1), 0.02)] == [
        (False, 6, 540, 0xCAFE),
        (False, 7, 700, 0xCAFE),
    ]
    never = _Leg(StreamRewriter(RewriteMode.NEVER))
    sent = [rtp(7, 700, 0x1), rtp(8, 860, 0x1), rtp(1, 5, 0x2), rtp(2, 165, 0x2)]
    out = [data for n, datagram in enumerate(sent) for data in never(datagram, 0.02 * n)]
    assert all(a is b for a, b in zip(out, sent, strict=True))
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
    leg = _Leg(StreamRewriter())
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
            for out in leg(data, now):
                _, sequence, _, ssrc_out = _fields(out)
                out_ssrc = ssrc_out if out_ssrc is None else out_ssrc
                assert ssrc_out == out_ssrc
                if last is not None:
                    assert sequence == (last + 1) & 0xFFFF
                last = sequence
        assert leg.session.counters.rtp_packets == 3 * (index + 1)  # nothing of any source was lost


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
                peer.sendto(rtp(2, 160, 42, b"again"), (host, port))
                await _until(lambda: len(received) == 2)
                assert [packet.payload for packet in received] == [b"hello", b"again"]
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
                sent = [rtp(10 + n, 1600 + 160 * n, 0xC0FFEE, b"customer says") for n in range(2)]
                for datagram in sent:
                    customer.sendto(datagram, leg_a.local_rtp)
                for datagram in sent:
                    data, source = await loop.run_in_executor(None, agent.recvfrom, 2048)
                    assert data == datagram  # untouched
                    assert source == leg_b.local_rtp
                replies = [rtp(3 + n, 48000 + 160 * n, 0xBEEF, b"agent says") for n in range(2)]
                for datagram in replies:
                    agent.sendto(datagram, leg_b.local_rtp)
                for datagram in replies:
                    data, _ = await loop.run_in_executor(None, customer.recvfrom, 2048)
                    assert data == datagram
                customer.sendto(rtcp_rr(0xC0FFEE), (leg_a.local_rtp[0], leg_a.pair.rtcp))
                await _until(lambda: leg_a.session.counters.rtcp_packets == 1)
                assert link.forwarded == 4
                assert tapped == [10, 11, 3, 4]
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


def test_endpoint_with_reports_sends_an_sr_after_sending_media() -> None:
    async def scenario() -> None:
        allocator = _range()
        loop = asyncio.get_running_loop()
        with _peer() as peer_rtp, _peer() as peer_rtcp:
            endpoint = await RtpEndpoint.open(
                allocator, remote_rtp=peer_rtp.getsockname(), reports=True, ssrc=0x0C0C, rtcp_interval=0.05
            )
            endpoint.session.set_remote(peer_rtp.getsockname(), peer_rtcp.getsockname())
            try:
                assert endpoint.send_rtp(rtp(1, 160, 0x0C0C, b"x" * 160))
                deadline = loop.time() + 5
                while True:
                    data, _ = await loop.run_in_executor(None, peer_rtcp.recvfrom, 2048)
                    sr = CompoundPacket.parse(data).first(SenderReport)
                    if sr is not None or loop.time() > deadline:
                        break
                assert sr is not None
                assert (sr.ssrc, sr.sender.packet_count, sr.sender.octet_count) == (0x0C0C, 1, 160)
                assert endpoint.session.counters.rtcp_sent >= 1
            finally:
                endpoint.close()

    asyncio.run(scenario())


@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 2**32 - 1),
    st.integers(2, 20),
    st.lists(st.tuples(st.integers(0, 19), st.integers(0, 0xFFFF)), max_size=5),
)
def test_an_in_order_stream_is_played_whole_and_once_whatever_strays_arrive(
    first_seq: int, first_ts: int, count: int, strays: list[tuple[int, int]]
) -> None:
    """Every packet of the stream, the held first one included, comes out once and in order; single
    stray packets (another SSRC, from the peer's address or another) are never played or latched."""
    session = RtpSession(PEER)
    stray_at = dict(strays)
    played: list[int] = []
    for n in range(count):
        if n in stray_at:
            stranger = NAT if n % 2 else ("203.0.113.66", 4444)
            assert session.receive_rtp(rtp(stray_at[n], 0, 0xBAD), stranger, 0.02 * n) == ()
        data = rtp((first_seq + n) & 0xFFFF, (first_ts + 160 * n) & 0xFFFFFFFF, 0x600D)
        played.extend(packet.sequence for packet in session.receive_rtp(data, NAT, 0.02 * n + 0.001))
    assert played == [(first_seq + n) & 0xFFFF for n in range(count)]
    assert session.remote_rtp == NAT
    assert session.source == 0x600D
    stats = session.streams[0x600D]
    assert (stats.expected, stats.cumulative_lost) == (count - 1, 0)  # A.1's base is the second packet
