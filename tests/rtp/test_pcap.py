"""pcap reader: synthetic captures in every supported shape, and SIPp's shipped RTP captures."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from okc.rtp.dtmf import DigitEvent, DtmfReceiver
from okc.rtp.g711 import alaw_decode
from okc.rtp.jitter import FrameKind, JitterBuffer, JitterConfig
from okc.rtp.packet import PCMA, RtpPacket
from okc.rtp.pcap import PcapError, UdpDatagram, parse_pcap, read_pcap
from tests.conftest import REQUIRE_INTEROP

SIPP_PCAPS = Path("/usr/share/sip-tester")


@pytest.fixture
def sipp_pcaps() -> Path:
    """SIPp's shipped captures (Debian's sip-tester); skip locally, fail in CI when they are missing."""
    if not (SIPP_PCAPS / "g711a.pcap").is_file():
        if REQUIRE_INTEROP:
            pytest.fail(f"{SIPP_PCAPS} has no SIPp captures (OKC_REQUIRE_INTEROP is set)")
        pytest.skip("SIPp (sip-tester) captures are not installed")
    return SIPP_PCAPS


def ipv4_udp(
    payload: bytes,
    *,
    src: str = "10.0.0.1",
    sport: int = 4000,
    dport: int = 5000,
    protocol: int = 17,
    fragment: int = 0,
) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    addresses = bytes(int(x) for x in src.split(".")) + bytes([10, 0, 0, 2])
    header = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(udp), 1, fragment, 64, protocol, 0) + addresses
    return header + udp


def capture(frames: list[bytes], *, link: int, order: str = "<", nanos: bool = False) -> bytes:
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, link)]
    for index, frame in enumerate(frames):
        fraction = 250_000_000 if nanos else 250_000
        out.append(struct.pack(order + "IIII", 1000 + index, fraction, len(frame), len(frame)) + frame)
    return b"".join(out)


ETHERNET = bytes(12)


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nanos", [False, True])
def test_byte_orders_and_timestamp_resolutions(order: str, nanos: bool) -> None:
    data = capture([ETHERNET + b"\x08\x00" + ipv4_udp(b"hello")], link=1, order=order, nanos=nanos)
    assert list(parse_pcap(data)) == [UdpDatagram(1000.25, ("10.0.0.1", 4000), ("10.0.0.2", 5000), b"hello")]


@pytest.mark.parametrize(
    ("link", "frame"),
    [
        (1, ETHERNET + b"\x81\x00\x00\x05\x08\x00" + ipv4_udp(b"x")),  # 802.1Q tagged
        (113, bytes(14) + b"\x08\x00" + ipv4_udp(b"x")),  # Linux cooked (SLL)
        (276, b"\x08\x00" + bytes(18) + ipv4_udp(b"x")),  # Linux cooked v2 (SLL2)
        (101, ipv4_udp(b"x")),  # raw IP
        (228, ipv4_udp(b"x")),  # raw IPv4
        (0, struct.pack("<I", 2) + ipv4_udp(b"x")),  # BSD loopback
    ],
)
def test_link_types(link: int, frame: bytes) -> None:
    assert [d.payload for d in parse_pcap(capture([frame], link=link))] == [b"x"]


def test_everything_else_is_skipped() -> None:
    frames = [
        ETHERNET + b"\x86\xdd" + bytes(40),  # IPv6
        ETHERNET + b"\x08\x06" + bytes(28),  # ARP
        ETHERNET + b"\x08\x00" + ipv4_udp(b"tcp", protocol=6),
        ETHERNET + b"\x08\x00" + ipv4_udp(b"frag", fragment=0x2000),  # more fragments
        ETHERNET + b"\x08\x00" + ipv4_udp(b"snapped")[:30],  # cut by the snap length
        ETHERNET + b"\x08\x00" + ipv4_udp(b"kept"),
    ]
    assert [d.payload for d in parse_pcap(capture(frames, link=1))] == [b"kept"]
    assert list(parse_pcap(capture([b"\x00" * 20], link=105))) == []  # 802.11: not read


def test_damaged_files_raise() -> None:
    with pytest.raises(PcapError):
        parse_pcap(b"\x0a\x0d\x0d\x0a" + bytes(40))  # pcapng
    with pytest.raises(PcapError):
        parse_pcap(b"\xd4\xc3")
    whole = capture([ETHERNET + b"\x08\x00" + ipv4_udp(b"x")], link=1)
    with pytest.raises(PcapError):
        list(parse_pcap(whole[:-3]))
    with pytest.raises(PcapError):
        list(parse_pcap(whole[:30]))


def digits_of(path: Path) -> list[DigitEvent]:
    receiver = DtmfReceiver(payload_type=101)
    heard: list[DigitEvent] = []
    last = 0.0
    for datagram in read_pcap(path):
        packet = RtpPacket.parse(datagram.payload)
        if packet.payload_type == 101:
            heard += receiver.receive(packet, datagram.time)
            last = datagram.time
    return heard + receiver.handle_timer(last + 10)


@pytest.mark.interop
@pytest.mark.parametrize("name", [*"0123456789", "star", "pound"])
def test_sipp_rfc4733_captures_are_the_right_digit(sipp_pcaps: Path, name: str) -> None:
    expected = {"star": "*", "pound": "#"}.get(name, name)
    heard = digits_of(sipp_pcaps / f"dtmf_2833_{name}.pcap")
    assert [e.digit for e in heard] == [expected]
    assert heard[0].duration == pytest.approx(0.28)


@pytest.mark.interop
def test_sipp_g711a_capture_is_a_contiguous_pcma_stream(sipp_pcaps: Path) -> None:
    packets = [RtpPacket.parse(d.payload) for d in read_pcap(sipp_pcaps / "g711a.pcap")]
    assert len(packets) > 100
    assert {p.payload_type for p in packets} == {PCMA}
    assert len({p.ssrc for p in packets}) == 1
    for before, after in itertools.pairwise(packets):
        assert after.sequence == (before.sequence + 1) & 0xFFFF
        assert after.timestamp == (before.timestamp + len(before.payload)) & 0xFFFF_FFFF
    assert {len(p.payload) for p in packets} == {240}  # 30 ms frames
    pcm = alaw_decode(b"".join(p.payload for p in packets))
    assert len(pcm) == 2 * 240 * len(packets)


@pytest.mark.interop
def test_sipp_g711a_capture_through_the_jitter_buffer_plays_every_sample(sipp_pcaps: Path) -> None:
    datagrams = list(read_pcap(sipp_pcaps / "g711a.pcap"))
    packets = [RtpPacket.parse(d.payload) for d in datagrams]
    buffer = JitterBuffer(JitterConfig(quiet_rms=0.0))  # no delay steering in pauses: every sample plays
    start = datagrams[0].time
    played, position, tick = [], 0, 0
    while position < len(datagrams) or buffer.held:
        now = start + tick * 0.02
        while position < len(datagrams) and datagrams[position].time <= now:
            buffer.push(packets[position], datagrams[position].time)
            position += 1
        frame = buffer.pop(now)
        if frame.kind is FrameKind.AUDIO:
            played.append(frame.pcm)
        tick += 1
    assert b"".join(played) == alaw_decode(b"".join(p.payload for p in packets))
    assert buffer.statistics.late == 0
