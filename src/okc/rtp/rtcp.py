"""RTCP packets (RFC 3550 section 6): SR, RR, SDES, BYE, APP, and compound packets, as frozen values.

`CompoundPacket.parse(data)` checks a datagram the way RFC 3550 A.2 does (version 2, padding only on the
last packet, lengths that add up to the datagram, each packet well formed) and raises `RtpError` with a
reason otherwise; `bytes(compound)` writes it back. A.2 also wants an SR or RR first, but real peers send
less (libre/baresip sends a lone BYE at hangup; RFC 5506 allows reduced-size RTCP), so that is reported
by `starts_with_report` rather than refused. Packet types okc does not interpret (feedback, XR) come
through as `RawRtcp`, so one unknown packet does not cost the report around it. Texts (SDES items, the BYE
reason) stay bytes as on the wire — RFC 3550 says UTF-8, but a peer's stray Latin-1 must not cost a report.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Final, TypeVar

from okc.rtp.packet import RtpError

__all__ = [
    "App",
    "Bye",
    "CompoundPacket",
    "RawRtcp",
    "ReceiverReport",
    "ReportBlock",
    "RtcpPacket",
    "RtcpType",
    "SdesChunk",
    "SdesItem",
    "SdesType",
    "SenderInfo",
    "SenderReport",
    "SourceDescription",
    "ntp_middle",
    "ntp_to_seconds",
    "seconds_to_ntp",
]

_HEADER: Final = struct.Struct("!BBH")
_BLOCK: Final = struct.Struct("!IBBHIIII")
_SENDER: Final = struct.Struct("!IQIII")
_U32: Final = 0xFFFF_FFFF
_MAX_COUNT: Final = 31
_NTP_UNIX_OFFSET: Final = 2_208_988_800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01


class RtcpType(enum.IntEnum):
    """RTCP packet types of RFC 3550 section 12.1."""

    SR = 200
    RR = 201
    SDES = 202
    BYE = 203
    APP = 204


class SdesType(enum.IntEnum):
    """SDES item types of RFC 3550 section 12.2 (0 ends a chunk's item list)."""

    CNAME = 1
    NAME = 2
    EMAIL = 3
    PHONE = 4
    LOC = 5
    TOOL = 6
    NOTE = 7
    PRIV = 8


def seconds_to_ntp(unix_seconds: float) -> int:
    """The 64-bit NTP timestamp (32.32 fixed point since 1900) of a Unix time."""
    return round((unix_seconds + _NTP_UNIX_OFFSET) * (1 << 32)) & 0xFFFF_FFFF_FFFF_FFFF


def ntp_to_seconds(ntp: int) -> float:
    """The Unix time of a 64-bit NTP timestamp (era 0)."""
    return ntp / (1 << 32) - _NTP_UNIX_OFFSET


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of a 64-bit NTP timestamp (16.16 seconds), as LSR carries it (RFC 3550 6.4.1)."""
    return (ntp >> 16) & _U32


def _u32(name: str, value: int) -> None:
    if not 0 <= value <= _U32:
        raise RtpError(f"{name} is 32 bits, not {value}")


def _pad4(size: int) -> int:
    return -size % 4


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """Reception of one source (RFC 3550 6.4.1): loss, extended highest sequence, jitter, LSR and DLSR."""

    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    highest_seq: int
    jitter: int
    lsr: int = 0
    dlsr: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.fraction_lost <= 255:
            raise RtpError(f"fraction lost is 8 bits, not {self.fraction_lost}")
        if not -0x80_0000 <= self.cumulative_lost <= 0x7F_FFFF:
            raise RtpError(f"cumulative lost is a signed 24-bit number, not {self.cumulative_lost}")
        for name in ("ssrc", "highest_seq", "jitter", "lsr", "dlsr"):
            _u32(name, getattr(self, name))

    @classmethod
    def parse(cls, data: bytes, offset: int) -> ReportBlock:
        """The 24-byte block at offset."""
        ssrc, fraction, lost_high, lost_low, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset)
        lost = (lost_high << 16) | lost_low
        if lost & 0x80_0000:
            lost -= 0x100_0000
        return cls(ssrc, fraction, lost, highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        lost = self.cumulative_lost & 0xFF_FFFF
        return _BLOCK.pack(
            self.ssrc,
            self.fraction_lost,
            lost >> 16,
            lost & 0xFFFF,
            self.highest_seq,
            self.jitter,
            self.lsr,
            self.dlsr,
        )


@dataclass(frozen=True, slots=True)
class SenderInfo:
    """What a sender says of itself (RFC 3550 6.4.1): wall clock, the RTP time of that instant, counts."""

    ntp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int

    def __post_init__(self) -> None:
        if not 0 <= self.ntp <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RtpError(f"an NTP timestamp is 64 bits, not {self.ntp}")
        for name in ("rtp_timestamp", "packet_count", "octet_count"):
            _u32(name, getattr(self, name))


def _check_blocks(reports: tuple[ReportBlock, ...], extension: bytes) -> None:
    if len(reports) > _MAX_COUNT:
        raise RtpError(f"an RTCP report carries at most 31 report blocks, not {len(reports)}")
    if len(extension) % 4:
        raise RtpError(f"a profile-specific extension is whole 32-bit words, not {len(extension)} bytes")


@dataclass(frozen=True, slots=True)
class SenderReport:
    """SR: the sender's own info and its reception report blocks (RFC 3550 6.4.1)."""

    ssrc: int
    sender: SenderInfo
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    def __post_init__(self) -> None:
        _u32("ssrc", self.ssrc)
        _check_blocks(self.reports, self.extension)

    def body(self) -> tuple[int, bytes]:
        """The count field and the bytes after the common header."""
        info = self.sender
        head = _SENDER.pack(self.ssrc, info.ntp, info.rtp_timestamp, info.packet_count, info.octet_count)
        return len(self.reports), head + b"".join(map(bytes, self.reports)) + self.extension


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RR: reception report blocks from a participant that sent no RTP lately (RFC 3550 6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    def __post_init__(self) -> None:
        _u32("ssrc", self.ssrc)
        _check_blocks(self.reports, self.extension)

    def body(self) -> tuple[int, bytes]:
        """The count field and the bytes after the common header."""
        return len(self.reports), struct.pack("!I", self.ssrc) + b"".join(map(bytes, self.reports)) + (
            self.extension
        )


@dataclass(frozen=True, slots=True)
class SdesItem:
    """One SDES item: its type (SdesType, or another 1 … 255) and up to 255 octets of text."""

    kind: int
    value: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.kind <= 255:
            raise RtpError(f"an SDES item type is 1 … 255, not {self.kind}")
        if len(self.value) > 255:
            raise RtpError(f"an SDES item holds at most 255 octets, not {len(self.value)}")


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """The SDES items of one source (RFC 3550 6.5)."""

    ssrc: int
    items: tuple[SdesItem, ...] = ()

    def __post_init__(self) -> None:
        _u32("ssrc", self.ssrc)

    def __bytes__(self) -> bytes:
        parts = [struct.pack("!I", self.ssrc)]
        for item in self.items:
            parts.append(bytes((item.kind, len(item.value))) + item.value)
        size = sum(map(len, parts))
        parts.append(bytes(4 - size % 4))  # the null item ending the list, then up to a 32-bit boundary
        return b"".join(parts)


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """SDES: chunks of source descriptions, CNAME foremost (RFC 3550 6.5)."""

    chunks: tuple[SdesChunk, ...] = ()

    def __post_init__(self) -> None:
        if len(self.chunks) > _MAX_COUNT:
            raise RtpError(f"an SDES packet carries at most 31 chunks, not {len(self.chunks)}")

    @classmethod
    def cname(cls, ssrc: int, cname: str) -> SourceDescription:
        """An SDES packet with one source's CNAME."""
        return cls((SdesChunk(ssrc, (SdesItem(SdesType.CNAME, cname.encode()),)),))

    def cname_of(self, ssrc: int) -> bytes | None:
        """The CNAME this packet gives a source, if any."""
        for chunk in self.chunks:
            if chunk.ssrc == ssrc:
                for item in chunk.items:
                    if item.kind == SdesType.CNAME:
                        return item.value
        return None

    def body(self) -> tuple[int, bytes]:
        """The count field and the bytes after the common header."""
        return len(self.chunks), b"".join(map(bytes, self.chunks))


@dataclass(frozen=True, slots=True)
class Bye:
    """BYE: the sources leave, with an optional reason (RFC 3550 6.6)."""

    ssrcs: tuple[int, ...]
    reason: bytes = b""

    def __post_init__(self) -> None:
        if len(self.ssrcs) > _MAX_COUNT:
            raise RtpError(f"a BYE names at most 31 sources, not {len(self.ssrcs)}")
        for ssrc in self.ssrcs:
            _u32("ssrc", ssrc)
        if len(self.reason) > 255:
            raise RtpError(f"a BYE reason is at most 255 octets, not {len(self.reason)}")

    def body(self) -> tuple[int, bytes]:
        """The count field and the bytes after the common header."""
        body = struct.pack(f"!{len(self.ssrcs)}I", *self.ssrcs)
        if self.reason:
            reason = bytes((len(self.reason),)) + self.reason
            body += reason + bytes(_pad4(len(reason)))
        return len(self.ssrcs), body


@dataclass(frozen=True, slots=True)
class App:
    """APP: application-defined data, passed through untouched (RFC 3550 6.7)."""

    subtype: int
    ssrc: int
    name: bytes
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.subtype <= _MAX_COUNT:
            raise RtpError(f"an APP subtype is 5 bits, not {self.subtype}")
        _u32("ssrc", self.ssrc)
        if len(self.name) != 4:
            raise RtpError(f"an APP name is 4 octets, not {len(self.name)}")
        if len(self.data) % 4:
            raise RtpError(f"APP data is whole 32-bit words, not {len(self.data)} bytes")

    def body(self) -> tuple[int, bytes]:
        """The count (subtype) field and the bytes after the common header."""
        return self.subtype, struct.pack("!I", self.ssrc) + self.name + self.data


_KNOWN: Final = frozenset(int(kind) for kind in RtcpType)
_RTCP_TYPES: Final = range(192, 224)  # RFC 5761 section 4: where RTCP packet types live, clear of RTP's


@dataclass(frozen=True, slots=True)
class RawRtcp:
    """An RTCP packet of a type okc does not interpret (e.g. RFC 4585 feedback, RFC 3611 XR), kept as is."""

    packet_type: int
    count: int
    payload: bytes

    def __post_init__(self) -> None:
        if self.packet_type not in _RTCP_TYPES or self.packet_type in _KNOWN:
            raise RtpError(f"packet type {self.packet_type} is not an uninterpreted RTCP type (192 … 223)")
        if not 0 <= self.count <= _MAX_COUNT:
            raise RtpError(f"an RTCP count is 5 bits, not {self.count}")
        if len(self.payload) % 4:
            raise RtpError(f"an RTCP packet is whole 32-bit words, not {len(self.payload)} bytes")

    def body(self) -> tuple[int, bytes]:
        """The count field and the bytes after the common header."""
        return self.count, self.payload


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | App | RawRtcp

_P = TypeVar("_P", SenderReport, ReceiverReport, SourceDescription, Bye, App, RawRtcp)
_TYPES: Final[dict[type[RtcpPacket], int]] = {
    SenderReport: RtcpType.SR,
    ReceiverReport: RtcpType.RR,
    SourceDescription: RtcpType.SDES,
    Bye: RtcpType.BYE,
    App: RtcpType.APP,
}


def _write(packet: RtcpPacket, padding: int = 0) -> bytes:
    count, body = packet.body()
    packet_type = packet.packet_type if isinstance(packet, RawRtcp) else _TYPES[type(packet)]
    size = 4 + len(body) + padding
    if size > 4 * 0x1_0000:
        raise RtpError(f"an RTCP packet of {size} bytes overflows the 16-bit length")
    first = 0x80 | (0x20 if padding else 0) | count
    tail = bytes(padding - 1) + bytes((padding,)) if padding else b""
    return _HEADER.pack(first, packet_type, size // 4 - 1) + body + tail


def _report_blocks(body: bytes, offset: int, count: int, what: str) -> tuple[tuple[ReportBlock, ...], bytes]:
    end = offset + 24 * count
    if end > len(body):
        raise RtpError(f"{what} with {count} report blocks is cut short ({len(body)} bytes)")
    blocks = tuple(ReportBlock.parse(body, offset + 24 * n) for n in range(count))
    return blocks, body[end:]


def _sdes(body: bytes, count: int) -> SourceDescription:
    chunks = []
    offset = 0
    for _ in range(count):
        if offset + 4 > len(body):
            raise RtpError("an SDES chunk is cut short")
        (ssrc,) = struct.unpack_from("!I", body, offset)
        offset += 4
        items = []
        while True:
            if offset >= len(body):
                raise RtpError("an SDES chunk's item list has no terminating null item")
            kind = body[offset]
            if kind == 0:
                offset += 1
                offset += _pad4(offset)
                break
            if offset + 2 > len(body) or offset + 2 + body[offset + 1] > len(body):
                raise RtpError("an SDES item runs past the packet's end")
            size = body[offset + 1]
            items.append(SdesItem(kind, body[offset + 2 : offset + 2 + size]))
            offset += 2 + size
        chunks.append(SdesChunk(ssrc, tuple(items)))
    if offset > len(body):
        raise RtpError("an SDES chunk's padding runs past the packet's end")
    if any(body[offset:]):
        raise RtpError(f"SDES carries {len(body) - offset} octets after its {count} chunks")
    return SourceDescription(tuple(chunks))


def _bye(body: bytes, count: int) -> Bye:
    end = 4 * count
    if end > len(body):
        raise RtpError(f"a BYE of {count} sources is cut short")
    ssrcs = struct.unpack_from(f"!{count}I", body)
    reason = b""
    if end < len(body):
        size = body[end]
        if end + 1 + size > len(body):
            raise RtpError("a BYE reason runs past the packet's end")
        reason = body[end + 1 : end + 1 + size]
    return Bye(ssrcs, reason)


def _read(packet_type: int, count: int, body: bytes) -> RtcpPacket:
    if packet_type == RtcpType.SR:
        if len(body) < _SENDER.size:
            raise RtpError(f"an SR is at least 28 bytes, not {len(body) + 4}")
        ssrc, ntp, rtp_timestamp, packets, octets = _SENDER.unpack_from(body)
        blocks, extension = _report_blocks(body, _SENDER.size, count, "an SR")
        return SenderReport(ssrc, SenderInfo(ntp, rtp_timestamp, packets, octets), blocks, extension)
    if packet_type == RtcpType.RR:
        if len(body) < 4:
            raise RtpError("an RR without its SSRC")
        (ssrc,) = struct.unpack_from("!I", body)
        blocks, extension = _report_blocks(body, 4, count, "an RR")
        return ReceiverReport(ssrc, blocks, extension)
    if packet_type == RtcpType.SDES:
        return _sdes(body, count)
    if packet_type == RtcpType.BYE:
        return _bye(body, count)
    if packet_type == RtcpType.APP:
        if len(body) < 8:
            raise RtpError("an APP packet without its SSRC and name")
        (ssrc,) = struct.unpack_from("!I", body)
        return App(count, ssrc, body[4:8], body[8:])
    return RawRtcp(packet_type, count, body)


@dataclass(frozen=True, slots=True)
class CompoundPacket:
    """The RTCP packets of one datagram; `padding` octets (0: none) go on the last one (RFC 3550 6.4)."""

    packets: tuple[RtcpPacket, ...]
    padding: int = 0

    def __post_init__(self) -> None:
        if not self.packets:
            raise RtpError("a compound RTCP packet holds at least one packet")
        if not 0 <= self.padding <= 255 or self.padding % 4:
            raise RtpError(f"RTCP padding is a multiple of 4 up to 252 octets, not {self.padding}")

    @classmethod
    def parse(cls, data: bytes) -> CompoundPacket:
        """Read and validate a compound packet (RFC 3550 A.2); RtpError says what is wrong."""
        packets: list[RtcpPacket] = []
        offset = 0
        padding = 0
        size = len(data)
        if size < 4 or size % 4:
            raise RtpError(f"a compound RTCP packet is whole 32-bit words, at least one; got {size} bytes")
        while offset < size:
            if offset + 4 > size:
                raise RtpError("an RTCP header is cut short")
            first, packet_type, words = _HEADER.unpack_from(data, offset)
            if first >> 6 != 2:
                raise RtpError(f"RTCP version {first >> 6}, not 2")
            if packet_type not in _RTCP_TYPES:
                raise RtpError(f"packet type {packet_type} is not RTCP (192 … 223): RTP on the RTCP port?")
            end = offset + 4 * (words + 1)
            if end > size:
                raise RtpError(f"an RTCP packet of {words + 1} words runs past the datagram's end")
            body_end = end
            if first & 0x20:
                if end != size:
                    raise RtpError("only the last packet of a compound RTCP packet may be padded")
                padding = data[end - 1]
                if padding == 0 or padding % 4 or padding > end - offset - 4:
                    raise RtpError(f"bad RTCP padding count {padding}")
                body_end -= padding
            packets.append(_read(packet_type, first & 0x1F, bytes(data[offset + 4 : body_end])))
            offset = end
        return cls(tuple(packets), padding)

    @property
    def starts_with_report(self) -> bool:
        """Whether the first packet is an SR or RR, as RFC 3550 6.1 wants of a compound packet."""
        return isinstance(self.packets[0], SenderReport | ReceiverReport)

    def __bytes__(self) -> bytes:
        last = len(self.packets) - 1
        return b"".join(
            _write(packet, self.padding if n == last else 0) for n, packet in enumerate(self.packets)
        )

    def first(self, kind: type[_P]) -> _P | None:
        """The first packet of a kind (e.g. SenderReport), if any."""
        for packet in self.packets:
            if isinstance(packet, kind):
                return packet
        return None
