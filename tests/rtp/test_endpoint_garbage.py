"""A live endpoint under garbage: malformed datagrams of every kind on both ports, strays from the peer's
address and from a stranger, mixed into a real stream. Each malformed one is counted with its reason,
none raises out of the socket callback, the stream plays whole and in order, and nobody redirects it."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple

from okc.rtp.endpoint import PortAllocator, RtpEndpoint, RtpReceived
from okc.rtp.packet import PCMA, RtpError, RtpPacket
from okc.rtp.rtcp import CompoundPacket, ReceiverReport

SSRC = 0xA11CE


def _header(first: int, second: int, seq: int = 1, ts: int = 0, ssrc: int = 0x5117) -> bytes:
    return struct.pack("!BBHII", first, second, seq, ts, ssrc)


# Each is refused by RtpPacket.parse for its own reason (checked below, so the list cannot go stale).
CRAFTED = [
    b"",
    b"\x80",
    _header(0x80, 8)[:11],
    _header(0x00, 8) + b"x" * 160,  # version 0
    _header(0x40, 8) + b"x" * 160,  # version 1
    _header(0xC0, 8) + b"x" * 160,  # version 3
    _header(0xA0, 8) + b"x" * 10 + b"\x00",  # padding count 0
    _header(0xA0, 8) + b"x" * 10 + b"\xff",  # padding longer than the packet
    _header(0x8F, 8) + b"\x00" * 20,  # 15 CSRCs announced, 5 present
    _header(0x90, 8) + struct.pack("!HH", 0xBEDE, 50) + b"\x00" * 8,  # extension overrun
    _header(0x80, 200) + b"\x00" * 20,  # an RTCP SR's packet type on the RTP port
    b"\x00" * 1400,
    bytes(range(256)) * 200,  # 51,200 bytes of nonsense
]


def _random_garbage(count: int) -> list[bytes]:
    rng = random.Random(13)
    out: list[bytes] = []
    while len(out) < count:
        data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
        if rng.random() < 0.5 and data:
            data = bytes([0x80 | (data[0] & 0x3F)]) + data[1:]  # version 2, so the deeper checks run
        out.append(data)
    return out


def _malformed(data: bytes) -> bool:
    try:
        RtpPacket.parse(data)
    except RtpError:  # an OkcError: nothing else may escape the parser
        return True
    return False


def _rtcp_malformed(data: bytes) -> bool:
    try:
        CompoundPacket.parse(data)
    except RtpError:
        return True
    return False


@contextmanager
def _socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        yield sock
    finally:
        sock.close()


async def _settle(endpoint: RtpEndpoint, before: tuple[int, ...]) -> None:
    """Wait until the datagram just sent has changed some counter (loopback UDP is not instant)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5.0
    while astuple(endpoint.session.counters) == before:
        assert loop.time() < deadline, "a datagram was never accounted for"
        await asyncio.sleep(0.0005)


def test_garbage_on_both_ports_is_counted_and_the_stream_plays_on() -> None:
    for data in CRAFTED:
        assert _malformed(data), data[:16]
    garbage = CRAFTED + _random_garbage(150)
    rtp_malformed = sum(_malformed(data) for data in garbage)
    assert rtp_malformed >= len(CRAFTED) + 50

    async def scenario() -> None:
        low = random.Random().randrange(40000, 60000, 2)
        endpoint = await RtpEndpoint.open(PortAllocator(low, low + 40))
        received: list[RtpReceived] = []
        endpoint.on_rtp = received.append
        host, port = endpoint.local_rtp
        rtcp_port = endpoint.pair.rtcp
        rng = random.Random(7)
        try:
            with _socket() as peer, _socket() as stranger:
                stream = [
                    bytes(RtpPacket(PCMA, (65_500 + n) & 0xFFFF, 160 * n, SSRC, bytes([n % 256]) * 160))
                    for n in range(80)
                ]
                queue = [(peer, data, port) for data in stream]
                # Garbage from the peer's own address and from a stranger, on both ports, in between.
                for data in garbage:
                    sender = peer if rng.random() < 0.5 else stranger
                    target = port if rng.random() < 0.7 else rtcp_port
                    queue.insert(rng.randrange(2, len(queue) + 1), (sender, data, target))
                for sender, data, target in queue:
                    before = astuple(endpoint.session.counters)
                    sender.sendto(data, (host, target))
                    await _settle(endpoint, before)
                counters = endpoint.session.counters
                on_rtp_port = [data for _, data, target in queue if target == port and data not in stream]
                on_rtcp_port = [data for _, data, target in queue if target == rtcp_port]
                assert counters.malformed == sum(map(_malformed, on_rtp_port)) + sum(
                    map(_rtcp_malformed, on_rtcp_port)
                )
                assert endpoint.session.last_error  # the reason of the last one is kept
                # The stream came through whole and in order, latched to the peer, never redirected.
                assert [packet.payload[0] for packet in received] == [n % 256 for n in range(80)]
                assert {packet.ssrc for packet in received} == {SSRC}
                assert endpoint.session.remote_rtp == peer.getsockname()
                assert endpoint.send_rtp(bytes(RtpPacket(PCMA, 1, 0, 0x0CC, b"\xd5" * 160)))
                data, _ = await asyncio.get_running_loop().run_in_executor(None, peer.recvfrom, 2048)
                assert RtpPacket.parse(data).ssrc == 0x0CC
                # Valid RTCP from the peer is still taken after all that.
                reports = counters.rtcp_packets
                peer.sendto(bytes(CompoundPacket((ReceiverReport(SSRC, ()),))), (host, rtcp_port))
                await _settle(endpoint, astuple(counters))
                assert counters.rtcp_packets == reports + 1
        finally:
            endpoint.close()

    asyncio.run(scenario())
