"""Writes classic pcap files of IPv4/UDP datagrams, so Wireshark (tshark) can dissect what okc sends."""

from __future__ import annotations

import struct
from pathlib import Path

Address = tuple[str, int]


def _ip_udp(src: Address, dst: Address, payload: bytes) -> bytes:
    """Raw IPv4 + UDP (UDP checksum 0: none, as IPv4 allows), with a correct IPv4 header checksum."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    addresses = bytes(map(int, src[0].split("."))) + bytes(map(int, dst[0].split(".")))
    header = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0) + addresses
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return header[:10] + struct.pack("!H", ~total & 0xFFFF) + header[12:] + udp


def write_capture(path: Path, datagrams: list[tuple[float, Address, Address, bytes]]) -> Path:
    """A classic pcap (microseconds, link type 101: raw IP) of (Unix time, source, destination, payload)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    for time, src, dst, payload in datagrams:
        data = _ip_udp(src, dst, payload)
        seconds = int(time)
        out.append(struct.pack("<IIII", seconds, round((time - seconds) * 1e6), len(data), len(data)) + data)
    path.write_bytes(b"".join(out))
    return path
