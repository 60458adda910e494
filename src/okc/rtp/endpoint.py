"""RTP/RTCP endpoint: a port-pair allocator, a sans-I/O session, and a thin asyncio adapter.

`RtpSession` is fed datagrams with their source address and arrival time and returns what to play, never
raising on garbage: malformed packets are counted (with the parser's reason) and dropped. It follows the
peer's source the RFC 3550 A.1 way (`SourceTracker`): a source is believed after two packets in sequence,
so one stray packet is neither played nor latched. It does symmetric RTP (RFC 4961 style latching): until
the peer's source is believed the session sends to the address from SDP; from then on it sends to where
that source's packets come from, and ignores (counts) packets from any other address until told to
expect the peer to move (`relatch`, e.g. after a re-INVITE). RTCP latches the same way. Per-SSRC
statistics and our SR/RR come from `okc.rtp.stats`.

`RtpEndpoint` binds an even RTP port and RTP+1 for RTCP from a `PortAllocator`'s range on an asyncio
loop, feeds the session, hands each packet to a callback and, if asked, sends the session's reports on
its timer; nothing else lives there.
"""

from __future__ import annotations

import asyncio
import errno
import random
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final, Protocol

from okc.errors import OkcError
from okc.rtp.packet import RtpError, RtpPacket, SequenceEvent, SequenceUpdate, SourceTracker
from okc.rtp.rtcp import CompoundPacket, ReceiverReport, SenderReport
from okc.rtp.stats import NtpClock, SenderStatistics, StreamStatistics, build_report

__all__ = [
    "RTCP_INTERVAL",
    "Address",
    "EndpointError",
    "PortAllocator",
    "PortPair",
    "PortRange",
    "RtcpReceived",
    "RtpEndpoint",
    "RtpReceived",
    "RtpSession",
    "SessionCounters",
]

Address = tuple[str, int]
RTCP_INTERVAL: Final = 5.0
"""RFC 3550 6.2's recommended minimum interval between our RTCP reports, in seconds."""
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


class PortRange(Protocol):
    """A configured port range, such as okc.config's RtpPorts (kept structural: no import of the config)."""

    @property
    def start(self) -> int:
        """The first port."""
        ...

    @property
    def end(self) -> int:
        """The last port (inclusive)."""
        ...


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

    @classmethod
    def from_config(cls, ports: PortRange) -> PortAllocator:
        """The allocator for the configured `telephony.rtp_ports` (okc.config RtpPorts; end inclusive)."""
        return cls(ports.start, ports.end)

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
    """A valid RTP packet of the believed source: the packet, what the source tracker made of it, the
    whole datagram, where it came from and when it arrived.

    `event` is NEW_SOURCE on the first packet of a source (the first SSRC, a new one, or a restart after
    a jump) — where a jitter buffer or relay starts over — LATE on a reordered one, else ACCEPTED;
    `extended` is its sequence number extended across wraps (RFC 3550 A.1).
    """

    packet: RtpPacket
    event: SequenceEvent
    extended: int
    data: bytes
    source: Address
    arrival: float

    @property
    def payload_type(self) -> int:
        """The RTP payload type."""
        return self.packet.payload_type

    @property
    def marker(self) -> bool:
        """The marker bit (start of a talkspurt for audio)."""
        return self.packet.marker

    @property
    def sequence(self) -> int:
        """The 16-bit sequence number."""
        return self.packet.sequence

    @property
    def timestamp(self) -> int:
        """The 32-bit RTP timestamp."""
        return self.packet.timestamp

    @property
    def ssrc(self) -> int:
        """The sender's SSRC."""
        return self.packet.ssrc

    @property
    def payload(self) -> bytes:
        """The payload without padding."""
        return self.packet.payload


@dataclass(frozen=True, slots=True)
class RtcpReceived:
    """A valid compound RTCP packet from the peer, parsed, with the datagram, source and arrival."""

    compound: CompoundPacket
    data: bytes
    source: Address
    arrival: float


@dataclass(slots=True)
class SessionCounters:
    """What the session saw: packets accepted, malformed, from a stranger, on probation, duplicated; bytes."""

    rtp_packets: int = 0
    rtp_bytes: int = 0
    rtcp_packets: int = 0
    malformed: int = 0
    foreign: int = 0
    latches: int = 0
    sent: int = 0
    probation: int = 0
    duplicates: int = 0
    jumps: int = 0
    late: int = 0
    source_changes: int = 0
    rtcp_sent: int = 0


_SENT_HEADER: Final = struct.Struct("!BxxxII")


class RtpSession:
    """One side of a media stream, sans-I/O: what arrived, where to send, reports and statistics.

    Every datagram is parsed (`RtpPacket.parse`, `CompoundPacket.parse`); malformed ones are counted,
    never raised. A `SourceTracker` (RFC 3550 A.1) decides which source is believed: a new SSRC — or the
    first one — must send MIN_SEQUENTIAL packets in sequence before it is played or latched, so a single
    stray packet can neither take the media over nor redirect where we send. The packet held during
    probation is handed out with the one that confirms the source, so no audio is lost to it.
    `StreamStatistics` are kept per received SSRC and `SenderStatistics` for what we send, so
    `rtcp_report(now)` builds our SR/RR + SDES; received SRs and report blocks feed LSR/DLSR and the RTT.
    `get_timer()`/`handle_timer(now)` pace our reports at the RFC 3550 6.2 minimum interval, randomised
    by 0.5 … 1.5 (6.3.1) with the injected random source.
    """

    def __init__(
        self,
        remote_rtp: Address | None = None,
        *,
        symmetric: bool = True,
        ssrc: int = 0,
        cname: str = "okc",
        clock_rate: int = 8000,
        ntp: NtpClock | None = None,
        rtcp_interval: float = RTCP_INTERVAL,
        rng: random.Random | None = None,
    ) -> None:
        if rtcp_interval <= 0:
            raise EndpointError(f"the RTCP interval is positive, not {rtcp_interval}")
        self._remote_rtp = remote_rtp
        self._remote_rtcp: Address | None = (
            (remote_rtp[0], remote_rtp[1] + 1) if remote_rtp is not None else None
        )
        self._symmetric = symmetric
        self._latched_rtp = False
        self._latched_rtcp = False
        self.counters = SessionCounters()
        self.cname = cname
        self.clock_rate = clock_rate
        self._tracker = SourceTracker()
        self._held: dict[int, RtpReceived] = {}  # per SSRC: the packet a new source would start with
        self._streams: dict[int, StreamStatistics] = {}
        self.sender = SenderStatistics(ssrc, clock_rate, ntp)
        self._interval = rtcp_interval
        self._rng = rng
        self._next_report: float | None = None
        self.last_error = ""
        """Why the last malformed datagram was refused."""

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

    @property
    def ssrc(self) -> int:
        """Our SSRC in reports: the configured one, or that of the RTP we last sent."""
        return self.sender.ssrc

    @property
    def source(self) -> int | None:
        """The believed source's SSRC, once one has passed probation."""
        return self._tracker.ssrc

    @property
    def streams(self) -> Mapping[int, StreamStatistics]:
        """Reception statistics per SSRC received (a read-only view)."""
        return MappingProxyType(self._streams)

    @property
    def round_trip(self) -> float | None:
        """The latest round-trip time in seconds from the peer's reports, if any."""
        return self.sender.round_trip

    def set_remote(self, remote_rtp: Address, remote_rtcp: Address | None = None) -> None:
        """The peer's address from (new) SDP; latching starts over."""
        self._remote_rtp = remote_rtp
        self._remote_rtcp = remote_rtcp or (remote_rtp[0], remote_rtp[1] + 1)
        self.relatch()

    def relatch(self) -> None:
        """Expect the peer's media from a new address: the next believed packet's source is latched."""
        self._latched_rtp = self._latched_rtcp = False

    def receive_rtp(self, data: bytes, source: Address, now: float) -> tuple[RtpReceived, ...]:
        """A datagram on the RTP port: the packets to play (none, one, or the held one and this one)."""
        counters = self.counters
        try:
            packet = RtpPacket.parse(data)
        except RtpError as error:
            counters.malformed += 1
            self.last_error = str(error)
            return ()
        if self._symmetric and self._latched_rtp and source != self._remote_rtp:
            counters.foreign += 1
            return ()
        update = self._tracker.update(packet.ssrc, packet.sequence)
        event = update.event
        if update.extended is None:  # on probation, or a jump the next packet has to confirm
            if event is SequenceEvent.PROBATION:
                counters.probation += 1
            else:
                counters.jumps += 1
            held = self._held
            if packet.ssrc not in held and len(held) >= SourceTracker.MAX_CANDIDATES:
                del held[next(iter(held))]
            held[packet.ssrc] = RtpReceived(packet, event, packet.sequence, data, source, now)
            return ()
        stats = self._streams.get(packet.ssrc)
        if stats is None:
            stats = self._streams[packet.ssrc] = StreamStatistics(packet.ssrc, self.clock_rate)
        received = RtpReceived(packet, event, update.extended, data, source, now)
        if event is SequenceEvent.NEW_SOURCE:
            return self._new_source(received, stats)
        stats.on_packet(update, packet.timestamp, now, len(packet.payload))
        if event is SequenceEvent.DUPLICATE:
            counters.duplicates += 1
            return ()
        if event is SequenceEvent.LATE:
            counters.late += 1
        self._latch(source)  # after relatch(), the believed source's next packet says where it is now
        counters.rtp_packets += 1
        counters.rtp_bytes += len(data)
        return (received,)

    def _new_source(self, received: RtpReceived, stats: StreamStatistics) -> tuple[RtpReceived, ...]:
        """A source passed probation (or restarted): latch it, count from here, hand out what was held."""
        counters = self.counters
        counters.source_changes += 1
        self._latch(received.source)
        packet = received.packet
        stats.on_packet(
            SequenceUpdate(SequenceEvent.NEW_SOURCE, packet.ssrc, received.extended),
            packet.timestamp,
            received.arrival,
            len(packet.payload),
        )
        held = self._held.pop(packet.ssrc, None)
        self._held.clear()
        out: tuple[RtpReceived, ...] = (received,)
        if (
            held is not None
            and held.source == received.source
            and held.sequence == (packet.sequence - 1) & 0xFFFF
        ):
            # The packet that began the new source precedes its base: A.1 leaves it out of the counts.
            first = replace(held, event=SequenceEvent.NEW_SOURCE, extended=received.extended - 1)
            out = (first, replace(received, event=SequenceEvent.ACCEPTED))
        counters.rtp_packets += len(out)
        counters.rtp_bytes += sum(len(item.data) for item in out)
        return out

    def _latch(self, source: Address) -> None:
        if self._symmetric and not self._latched_rtp:
            self._latched_rtp = True
            self.counters.latches += 1
            self._remote_rtp = source

    def receive_rtcp(self, data: bytes, source: Address, now: float) -> RtcpReceived | None:
        """A datagram on the RTCP port: the compound packet if it is valid RTCP from the peer.

        SRs set LSR/DLSR for our reports on that source; report blocks about us update the RTT.
        """
        try:
            compound = CompoundPacket.parse(data)
        except RtpError as error:
            self.counters.malformed += 1
            self.last_error = str(error)
            return None
        if self._symmetric:
            if not self._latched_rtcp:
                self._latched_rtcp = True
                self._remote_rtcp = source
            elif source != self._remote_rtcp:
                self.counters.foreign += 1
                return None
        self.counters.rtcp_packets += 1
        for packet in compound.packets:
            if isinstance(packet, SenderReport):
                stats = self._streams.get(packet.ssrc)
                if stats is not None:
                    stats.on_sender_report(packet, now)
            if isinstance(packet, SenderReport | ReceiverReport):
                for block in packet.reports:
                    self.sender.on_report_block(block, now)
        return RtcpReceived(compound, data, source, now)

    def on_sent(self, data: bytes, now: float) -> None:
        """Account for an RTP datagram we sent (for our SR): its SSRC, timestamp and payload size."""
        self.counters.sent += 1
        if len(data) < 12:
            return
        first, timestamp, ssrc = _SENT_HEADER.unpack_from(data)
        header = 12 + 4 * (first & 0x0F)
        if first & 0x10 and len(data) >= header + 4:
            header += 4 + 4 * int.from_bytes(data[header + 2 : header + 4], "big")
        padding = data[-1] if first & 0x20 else 0
        self.sender.ssrc = ssrc
        self.sender.on_sent(timestamp, max(0, len(data) - header - padding), now)

    def rtcp_report(self, now: float) -> CompoundPacket:
        """Our compound report now: SR if we sent since the last one, else RR; blocks per source; CNAME."""
        return build_report(now, self.sender.ssrc, self.cname, self._streams.values(), self.sender)

    def get_timer(self) -> float | None:
        """When the next report is due (None until the first handle_timer or data starts the schedule)."""
        return self._next_report

    def start_reports(self, now: float) -> None:
        """Start sending reports: the first goes out after half an interval (RFC 3550 6.2 initial)."""
        self._next_report = now + self._jittered() / 2

    def handle_timer(self, now: float) -> bytes | None:
        """The compound RTCP to send if a report is due, and schedule the next one."""
        if self._next_report is None or now < self._next_report:
            return None
        self._next_report = now + self._jittered()
        self.counters.rtcp_sent += 1
        return bytes(self.rtcp_report(now))

    def _jittered(self) -> float:
        factor = 0.5 + self._rng.random() if self._rng is not None else 1.0
        return self._interval * factor


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
        self._report_timer: asyncio.TimerHandle | None = None

    @classmethod
    async def open(
        cls,
        allocator: PortAllocator,
        host: str = "127.0.0.1",
        remote_rtp: Address | None = None,
        *,
        symmetric: bool = True,
        reports: bool = False,
        cname: str = "okc",
        ssrc: int | None = None,
        rtcp_interval: float = RTCP_INTERVAL,
    ) -> RtpEndpoint:
        """Bind the next free pair of the range (skipping ports another program holds).

        With `reports`, the endpoint sends our SR/RR + SDES every RTCP interval (leave it off on relay
        legs, which forward the far end's own reports). The SSRC is random unless given.
        """
        loop = asyncio.get_running_loop()
        session = RtpSession(
            remote_rtp,
            symmetric=symmetric,
            ssrc=secrets.randbits(32) if ssrc is None else ssrc,
            cname=cname,
            ntp=NtpClock(time.time() - loop.time()),
            rtcp_interval=rtcp_interval,
            rng=random.Random(secrets.randbits(64)),
        )
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
                if reports:
                    session.start_reports(loop.time())
                    endpoint._arm_reports()
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
        for packet in self.session.receive_rtp(data, source, self._clock()):
            if self.on_rtp is not None:
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
        self.session.on_sent(data, self._clock())
        return True

    def send_rtcp(self, data: bytes) -> bool:
        """Send an RTCP compound packet to the peer; False when no peer address is known yet."""
        remote = self.session.remote_rtcp
        if remote is None or self._closed:
            return False
        self._rtcp.sendto(data, remote)
        return True

    def _arm_reports(self) -> None:
        timer = self.session.get_timer()
        if timer is not None and not self._closed:
            self._report_timer = asyncio.get_running_loop().call_at(timer, self._on_report_timer)

    def _on_report_timer(self) -> None:
        report = self.session.handle_timer(self._clock())
        if report is not None:
            self.send_rtcp(report)
        self._arm_reports()

    def close(self) -> None:
        """Close both sockets and give the port pair back."""
        if self._closed:
            return
        self._closed = True
        if self._report_timer is not None:
            self._report_timer.cancel()
        self._rtp.close()
        self._rtcp.close()
        self._allocator.release(self.pair)
