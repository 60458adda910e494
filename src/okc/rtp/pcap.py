"""A small reader of classic libpcap captures: the UDP datagrams in them, with time and addresses.

Enough to replay RTP captures (SIPp's, tcpdump's) into okc's sans-I/O media pieces: classic pcap in either
byte order with microsecond or nanosecond timestamps; link types Ethernet (with 802.1Q tags), Linux
cooked capture (SLL and SLL2), BSD loopback and raw IPv4; IPv4 without fragments, UDP. Everything else is
skipped; a damaged file raises `PcapError`.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from okc.errors import OkcError

__all__ = ["PcapError", "UdpDatagram", "parse_pcap", "read_pcap"]

_MAGIC_US: Final = 0xA1B2C3D4
_MAGIC_NS: Final = 0xA1B23C4D
_LINK_NULL: Final = 0
_LINK_ETHERNET: Final = 1
_LINK_RAW: Final = frozenset({12, 14, 101, 228})  # DLT_RAW on various systems, LINKTYPE_RAW, LINKTYPE_IPV4
_LINK_SLL: Final = 113
_LINK_SLL2: Final = 276
_ETHERTYPE_IPV4: Final = 0x0800
_ETHERTYPE_VLAN: Final = frozenset({0x8100, 0x88A8, 0x9100})
_UDP: Final = 17


class PcapError(OkcError):
    """Not a classic pcap file, or one cut short inside a header or record."""


@dataclass(frozen=True, slots=True)
class UdpDatagram:
    """One captured UDP datagram: capture time (seconds since the epoch), source, destination, payload."""

    time: float
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes


def read_pcap(path: Path | str) -> Iterator[UdpDatagram]:
    """The UDP datagrams of a capture file, in file order."""
    return parse_pcap(Path(path).read_bytes())


def parse_pcap(data: bytes) -> Iterator[UdpDatagram]:
    """The UDP datagrams of a capture held in memory, in file order."""
    if len(data) < 24:
        raise PcapError(f"a pcap file starts with a 24-byte header; this one has {len(data)} bytes")
    for order in ("<", ">"):
        (magic,) = struct.unpack_from(order + "I", data)
        if magic in (_MAGIC_US, _MAGIC_NS):
            break
    else:
        raise PcapError(f"not a classic pcap file (magic {data[:4].hex()}; pcapng is not supported)")
    scale = 1e-6 if magic == _MAGIC_US else 1e-9
    link = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFF_FFFF  # the top bits carry FCS flags
    record = struct.Struct(order + "IIII")
    return _records(data, order, scale, link, record)


def _records(
    data: bytes, order: str, scale: float, link: int, record: struct.Struct
) -> Iterator[UdpDatagram]:
    offset = 24
    while offset < len(data):
        if offset + record.size > len(data):
            raise PcapError(f"a record header at byte {offset} is cut short")
        seconds, fraction, captured, _ = record.unpack_from(data, offset)
        start = offset + record.size
        offset = start + captured
        if offset > len(data):
            raise PcapError(f"the record at byte {start - record.size} runs past the end of the file")
        ip = _network_layer(data[start:offset], link, order)
        datagram = _udp(ip, seconds + fraction * scale) if ip is not None else None
        if datagram is not None:
            yield datagram


def _network_layer(frame: bytes, link: int, order: str) -> bytes | None:
    """The IPv4 packet inside a link-layer frame, or None for anything else."""
    if link == _LINK_ETHERNET:
        position = 12
        while len(frame) >= position + 2:
            (ethertype,) = struct.unpack_from("!H", frame, position)
            if ethertype not in _ETHERTYPE_VLAN:
                return frame[position + 2 :] if ethertype == _ETHERTYPE_IPV4 else None
            position += 4
        return None
    if link == _LINK_SLL:
        ok = len(frame) >= 16 and struct.unpack_from("!H", frame, 14)[0] == _ETHERTYPE_IPV4
        return frame[16:] if ok else None
    if link == _LINK_SLL2:
        ok = len(frame) >= 20 and struct.unpack_from("!H", frame, 0)[0] == _ETHERTYPE_IPV4
        return frame[20:] if ok else None
    if link == _LINK_NULL:
        # The address family is in the capturing host's byte order; AF_INET is 2 everywhere.
        ok = len(frame) >= 4 and struct.unpack_from(order + "I", frame)[0] == 2
        return frame[4:] if ok else None
    if link in _LINK_RAW:
        return frame if frame[:1] and frame[0] >> 4 == 4 else None
    return None


def _udp(ip: bytes, time: float) -> UdpDatagram | None:
    """The UDP datagram in an IPv4 packet, or None (not UDP, a fragment, or truncated by the snap length)."""
    if len(ip) < 20 or ip[0] >> 4 != 4:
        return None
    header = (ip[0] & 0x0F) * 4
    total, flags_fragment, protocol = struct.unpack_from("!H2xHxB", ip, 2)
    if protocol != _UDP or flags_fragment & 0x3FFF or header < 20:  # MF set or a non-zero offset
        return None
    end = min(total, len(ip)) if total else len(ip)
    if end < header + 8:
        return None
    src_port, dst_port, length = struct.unpack_from("!HHH", ip, header)
    if length < 8 or header + length > end:
        return None  # a datagram the snap length cut short
    src = str(ipaddress.IPv4Address(ip[12:16]))
    dst = str(ipaddress.IPv4Address(ip[16:20]))
    return UdpDatagram(time, (src, src_port), (dst, dst_port), bytes(ip[header + 8 : header + length]))
