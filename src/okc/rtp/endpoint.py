"""RTP/RTCP endpoint: a port-pair allocator, a sans-I/O session, and a thin asyncio adapter.

`RtpSession` is fed datagrams with their source address and arrival time and returns what arrived, never
raising on garbage: malformed packets are counted and dropped. It does symmetric RTP (RFC 4961 style
latching): until the peer's first valid packet the session sends to the address from SDP; from then on it
sends to where the peer's packets come from, and ignores (counts) packets from any other address until
told to expect the peer to move (`relatch`, e.g. after a re-INVITE). RTCP latches the same way.

`RtpEndpoint` binds an even RTP port and RTP+1 for RTCP from a `PortAllocator`'s range on an asyncio
loop, feeds the session and hands each packet to a callback; nothing else lives there.
"""

from __future__ import annotations

import asyncio
import errno
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from okc.errors import OkcError

__all__ = [
    "Address",
    "EndpointError",
    "PortAllocator",
    "PortPair",
    "RtcpReceived",
    "RtpEndpoint",
    "RtpReceived",
    "RtpSession",
    "SessionCounters",
]

Address = tuple[str, int]
_HEADER: Final = struct.Struct("!BBHII")
_MAX_DATAGRAM: Final = 2048


class EndpointError(OkcError):
    """A bad port range, an exhausted range, or a socket that could not be bound."""


@dataclass(frozen=True, slots=True)
class PortPair:
    """An even RTP port and the RTCP port above it."""

    rtp: int

    def __post_init__(self) -> None:
        if self.rtp % 2 or not 1024 <= self.rtp <= 65534:
            raise EndpointError(f"an RTP port is even and 1024 … 65534, not {self.rtp}")

    @property
    def rtcp(self) -> int:
        """RTCP's port: RTP + 1 (RFC 3550 section 11)."""
        return self.rtp + 1


class PortAllocator:
    """Hands out RTP/RTCP port pairs from a configured range and takes them back.

    Pairs are handed out round-robin, so a port just released is the last to be reused and late packets
    of an ended call do not reach the next one.
    """

    def __init__(self, low: int, high: int) -> None:
        first = low + (low % 2)
        if not 1024 <= low <= high <= 65535 or first + 1 > high:
            raise EndpointError(f"the RTP port range {low}-{high} holds no even/odd pair above 1023")
        self._pairs = [PortPair(port) for port in range(first, high, 2)]
        self._free = deque(self._pairs)
        self._used: set[PortPair] = set()

    @property
    def capacity(self) -> int:
        """How many pairs the range holds."""
        return len(self._pairs)

    @property
    def in_use(self) -> int:
        """How many pairs are handed out."""
        return len(self._used)

    def allocate(self) -> PortPair:
        """The least recently used free pair."""
        if not self._free:
            raise EndpointError(f"all {len(self._pairs)} RTP port pairs are in use")
        pair = self._free.popleft()
        self._used.add(pair)
        return pair

    def release(self, pair: PortPair) -> None:
        """Give a pair back."""
        if pair not in self._used:
            raise EndpointError(f"RTP port {pair.rtp} was not handed out")
        self._used.remove(pair)
        self._free.append(pair)


@dataclass(frozen=True, slots=True)
class RtpReceived:
    """A valid RTP packet from the peer: header fields, payload, the whole datagram, source and arrival."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    data: bytes
    source: Address
    arrival: float


@dataclass(frozen=True, slots=True)
class RtcpReceived:
    """A compound RTCP packet from the peer (parse it with okc.rtp's RTCP reader)."""

    data: bytes
    source: Address
    arrival: float


@dataclass(slots=True)
class SessionCounters:
    """What the session saw: packets accepted, malformed, from a stranger; bytes; latching."""

    rtp_packets: int = 0
    rtp_bytes: int = 0
    rtcp_packets: int = 0
    malformed: int = 0
    foreign: int = 0
    latches: int = 0
    sent: int = 0


def peek_rtp(data: bytes, source: Address, arrival: float) -> RtpReceived | None:
    """The packet's header and payload, or None when it is not a well-formed RTP version 2 packet."""
    size = len(data)
    if size < 12:
        return None
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        return None
    payload_type = second & 0x7F
    if 72 <= payload_type <= 76:  # RTCP SR/RR/SDES/BYE/APP on the RTP port (RFC 5761 section 4)
        return None
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:
        if size < offset + 4:
            return None
        offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
    end = size
    if first & 0x20:
        padding = data[-1]
        if padding == 0:
            return None
        end -= padding
    if offset > end:
        return None
    return RtpReceived(
        payload_type, bool(second & 0x80), sequence, timestamp, ssrc, data[offset:end], data, source, arrival
    )


def _is_rtcp(data: bytes) -> bool:
    """A compound RTCP packet starts with a version-2 SR, RR (or, leniently, any RTCP type)."""
    return len(data) >= 8 and data[0] >> 6 == 2 and 200 <= data[1] <= 207 and len(data) % 4 == 0


class RtpSession:
    """One side of a media stream, sans-I/O: what arrived, where to send, with symmetric-RTP latching."""

    def __init__(self, remote_rtp: Address | None = None, *, symmetric: bool = True) -> None:
        self._remote_rtp = remote_rtp
        self._remote_rtcp: Address | None = (
            (remote_rtp[0], remote_rtp[1] + 1) if remote_rtp is not None else None
        )
        self._symmetric = symmetric
        self._latched_rtp = False
        self._latched_rtcp = False
        self.counters = SessionCounters()

    @property
    def remote_rtp(self) -> Address | None:
        """Where RTP goes: the latched source once the peer has sent, else the address from SDP."""
        return self._remote_rtp

    @property
    def remote_rtcp(self) -> Address | None:
        """Where RTCP goes."""
        return self._remote_rtcp

    @property
    def latched(self) -> bool:
        """Whether the RTP destination comes from the peer's own packets."""
        return self._latched_rtp

    def set_remote(self, remote_rtp: Address, remote_rtcp: Address | None = None) -> None:
        """The peer's address from (new) SDP; latching starts over."""
        self._remote_rtp = remote_rtp
        self._remote_rtcp = remote_rtcp or (remote_rtp[0], remote_rtp[1] + 1)
        self.relatch()

    def relatch(self) -> None:
        """Expect the peer's media from a new address: the next valid packet's source is latched."""
        self._latched_rtp = self._latched_rtcp = False

    def receive_rtp(self, data: bytes, source: Address, now: float) -> RtpReceived | None:
        """A datagram on the RTP port: the packet if it is valid RTP from the peer, else None (counted)."""
        packet = peek_rtp(data, source, now)
        if packet is None:
            self.counters.malformed += 1
            return None
        if self._symmetric:
            if not self._latched_rtp:
                self._latched_rtp = True
                self.counters.latches += 1
                self._remote_rtp = source
            elif source != self._remote_rtp:
                self.counters.foreign += 1
                return None
        self.counters.rtp_packets += 1
        self.counters.rtp_bytes += len(data)
        return packet

    def receive_rtcp(self, data: bytes, source: Address, now: float) -> RtcpReceived | None:
        """A datagram on the RTCP port: the compound packet if it looks like RTCP from the peer."""
        if not _is_rtcp(data):
            self.counters.malformed += 1
            return None
        if self._symmetric:
            if not self._latched_rtcp:
                self._latched_rtcp = True
                self._remote_rtcp = source
            elif source != self._remote_rtcp:
                self.counters.foreign += 1
                return None
        self.counters.rtcp_packets += 1
        return RtcpReceived(data, source, now)


def _small_reads(transport: asyncio.BaseTransport) -> None:
    """Read datagrams into 2 KiB, not asyncio's 256 KiB: a fresh 256 KiB buffer per packet costs more than
    the rest of relaying it (page faults on every read). RTP over UDP never exceeds the path MTU."""
    if hasattr(transport, "max_size"):
        transport.max_size = _MAX_DATAGRAM  # the selector loop's transports read max_size bytes per datagram


def _drop(data: bytes, source: Address) -> None:
    """Where datagrams go before the endpoint is ready."""


class _Port(asyncio.DatagramProtocol):
    """Feeds one socket's datagrams to the endpoint."""

    def __init__(self) -> None:
        self.receive: Callable[[bytes, Address], None] = _drop
        self.errors = 0

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.receive(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the peer is not there (yet); the call goes on.
        self.errors += 1


class RtpEndpoint:
    """An RTP/RTCP socket pair on an asyncio loop around an RtpSession (a thin adapter)."""

    def __init__(
        self,
        allocator: PortAllocator,
        pair: PortPair,
        *,
        rtp: asyncio.DatagramTransport,
        rtcp: asyncio.DatagramTransport,
        session: RtpSession,
        clock: Callable[[], float],
    ) -> None:
        self._allocator = allocator
        self.pair = pair
        self._rtp = rtp
        self._rtcp = rtcp
        self.session = session
        self._clock = clock
        self.on_rtp: Callable[[RtpReceived], None] | None = None
        self.on_rtcp: Callable[[RtcpReceived], None] | None = None
        self._closed = False

    @classmethod
    async def open(
        cls,
        allocator: PortAllocator,
        host: str = "127.0.0.1",
        remote_rtp: Address | None = None,
        *,
        symmetric: bool = True,
    ) -> RtpEndpoint:
        """Bind the next free pair of the range (skipping ports another program holds)."""
        loop = asyncio.get_running_loop()
        session = RtpSession(remote_rtp, symmetric=symmetric)
        rtp_port, rtcp_port = _Port(), _Port()
        busy: list[PortPair] = []
        try:
            for _ in range(allocator.capacity):
                pair = allocator.allocate()
                try:
                    rtp, _ = await loop.create_datagram_endpoint(
                        lambda: rtp_port, local_addr=(host, pair.rtp)
                    )
                except OSError as error:
                    if error.errno != errno.EADDRINUSE:
                        allocator.release(pair)
                        raise EndpointError(f"cannot bind RTP to {host}:{pair.rtp}: {error}") from error
                    busy.append(pair)
                    continue
                try:
                    rtcp, _ = await loop.create_datagram_endpoint(
                        lambda: rtcp_port, local_addr=(host, pair.rtcp)
                    )
                except OSError as error:
                    rtp.close()
                    if error.errno != errno.EADDRINUSE:
                        allocator.release(pair)
                        raise EndpointError(f"cannot bind RTCP to {host}:{pair.rtcp}: {error}") from error
                    busy.append(pair)
                    continue
                for transport in (rtp, rtcp):
                    _small_reads(transport)
                endpoint = cls(allocator, pair, rtp=rtp, rtcp=rtcp, session=session, clock=loop.time)
                rtp_port.receive = endpoint._on_rtp
                rtcp_port.receive = endpoint._on_rtcp
                return endpoint
        finally:
            for pair in busy:
                allocator.release(pair)
        raise EndpointError("every free RTP port pair of the range is held by another program")

    @property
    def local_rtp(self) -> Address:
        """The bound RTP address (for SDP)."""
        host, port = self._rtp.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def _on_rtp(self, data: bytes, source: Address) -> None:
        packet = self.session.receive_rtp(data, source, self._clock())
        if packet is not None and self.on_rtp is not None:
            self.on_rtp(packet)

    def _on_rtcp(self, data: bytes, source: Address) -> None:
        report = self.session.receive_rtcp(data, source, self._clock())
        if report is not None and self.on_rtcp is not None:
            self.on_rtcp(report)

    def send_rtp(self, data: bytes) -> bool:
        """Send an RTP packet to the peer; False when no peer address is known yet."""
        remote = self.session.remote_rtp
        if remote is None or self._closed:
            return False
        self._rtp.sendto(data, remote)
        self.session.counters.sent += 1
        return True

    def send_rtcp(self, data: bytes) -> bool:
        """Send an RTCP compound packet to the peer; False when no peer address is known yet."""
        remote = self.session.remote_rtcp
        if remote is None or self._closed:
            return False
        self._rtcp.sendto(data, remote)
        return True

    def close(self) -> None:
        """Close both sockets and give the port pair back."""
        if self._closed:
            return
        self._closed = True
        self._rtp.close()
        self._rtcp.close()
        self._allocator.release(self.pair)
