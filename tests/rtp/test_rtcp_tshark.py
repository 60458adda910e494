"""Wireshark (tshark, which nobody here wrote) reads okc's RTP and RTCP and checks okc's statistics.

Our compound packets are written into a capture file and dissected field by field; the round trip okc's
session works out from LSR/DLSR equals the one Wireshark computes from the capture's own clock; and the
interarrival jitter (RFC 3550 A.8) and loss okc counts equal Wireshark's RTP stream analysis on SIPp's
shipped G.711 capture and on a synthetic stream with jitter, loss and wrapping counters.
"""

from __future__ import annotations

import random
import re
import struct
import subprocess
from pathlib import Path

import pytest

from okc.rtp.endpoint import RtpSession
from okc.rtp.packet import PCMA, HeaderExtension, RtpPacket, SequenceEvent, SequenceUpdate, seq_distance
from okc.rtp.pcap import read_pcap
from okc.rtp.rtcp import (
    App,
    Bye,
    CompoundPacket,
    ReportBlock,
    SdesChunk,
    SdesItem,
    SdesType,
    SenderInfo,
    SenderReport,
    SourceDescription,
)
from okc.rtp.stats import NtpClock, StreamStatistics
from tests.conftest import require_program

pytestmark = pytest.mark.interop

G711A_PCAP = Path("/usr/share/sip-tester/g711a.pcap")
A = ("127.0.0.1", 40000)
B = ("127.0.0.2", 50000)
EPOCH = 1_795_000_000.0  # capture times are Unix times in late 2026


def _ip_udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> bytes:
    """An IPv4 + UDP datagram (UDP checksum 0: none, as IPv4 allows)."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(udp),
        0,
        0,
        64,
        17,
        0,
        bytes(map(int, src[0].split("."))),
        bytes(map(int, dst[0].split("."))),
    )
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return header[:10] + struct.pack("!H", ~total & 0xFFFF) + header[12:] + udp


def _pcap(path: Path, frames: list[tuple[float, tuple[str, int], tuple[str, int], bytes]]) -> Path:
    """A classic pcap of raw IPv4 frames (link type 101) at the given Unix times."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    for time, src, dst, payload in frames:
        data = _ip_udp(src, dst, payload)
        seconds = int(time)
        out.append(struct.pack("<IIII", seconds, round((time - seconds) * 1e6), len(data), len(data)) + data)
    path.write_bytes(b"".join(out))
    return path


def _tshark(*args: str) -> str:
    result = subprocess.run(
        [require_program("tshark"), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def _fields(capture: Path, port: int, *fields: str) -> list[list[str]]:
    """One row per frame, one cell per field (repeated occurrences joined by commas)."""
    options = ["-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=/t"]
    args = ["-r", str(capture), "-d", f"udp.port=={port},rtcp", "-T", "fields", *options]
    for field in fields:
        args += ["-e", field]
    return [line.split("\t") for line in _tshark(*args).splitlines()]


def test_tshark_dissects_our_compound_packet_field_by_field(tmp_path: Path) -> None:
    compound = CompoundPacket(
        (
            SenderReport(
                0x11223344,
                SenderInfo(0xB44DB705_20000000, 1000, 100, 16000),
                (
                    ReportBlock(0x0A0B0C0D, 64, -3, 0x0001_0005, 37, 0xB705_2000, 0x0005_4000),
                    ReportBlock(0x11111111, 0, 1000, 70000, 12),
                ),
            ),
            SourceDescription(
                (
                    SdesChunk(
                        0x11223344, (SdesItem(SdesType.CNAME, b"agent@okc"), SdesItem(SdesType.TOOL, b"okc"))
                    ),
                )
            ),
            App(3, 0x11223344, b"OKC1", b"data"),
            Bye((0x11223344,), b"call ended"),
        ),
        padding=8,
    )
    capture = _pcap(tmp_path / "rtcp.pcap", [(EPOCH, A, B, bytes(compound))])
    fields = (
        "rtcp.pt",
        "rtcp.senderssrc",
        "rtcp.timestamp.ntp.msw",
        "rtcp.timestamp.ntp.lsw",
        "rtcp.timestamp.rtp",
        "rtcp.sender.packetcount",
        "rtcp.sender.octetcount",
        "rtcp.ssrc.identifier",
        "rtcp.ssrc.fraction",
        "rtcp.ssrc.cum_nr",
        "rtcp.ssrc.ext_high",
        "rtcp.ssrc.jitter",
        "rtcp.ssrc.lsr",
        "rtcp.ssrc.dlsr",
        "rtcp.sdes.text",
        "rtcp.app.subtype",
        "rtcp.app.name",
        "rtcp.padding.count",
        "rtcp.length_check",
        "_ws.malformed",
        "_ws.expert",
    )
    (row,) = _fields(capture, B[1], *fields)
    got = dict(zip(fields, row, strict=True))
    assert got["rtcp.pt"] == "200,202,204,203"
    assert int(got["rtcp.senderssrc"], 0) == 0x11223344
    assert (int(got["rtcp.timestamp.ntp.msw"]), int(got["rtcp.timestamp.ntp.lsw"])) == (
        0xB44DB705,
        0x20000000,
    )
    assert (got["rtcp.timestamp.rtp"], got["rtcp.sender.packetcount"], got["rtcp.sender.octetcount"]) == (
        "1000",
        "100",
        "16000",
    )
    # The report blocks' SSRCs, then the SDES chunk's, APP's and BYE's (the same field in Wireshark).
    identifiers = [int(value, 0) for value in got["rtcp.ssrc.identifier"].split(",")]
    assert identifiers == [0x0A0B0C0D, 0x11111111] + [0x11223344] * 3
    assert got["rtcp.ssrc.fraction"] == "64,0"
    assert got["rtcp.ssrc.cum_nr"] == "-3,1000"
    assert got["rtcp.ssrc.ext_high"] == "65541,70000"
    assert got["rtcp.ssrc.jitter"] == "37,12"
    assert got["rtcp.ssrc.lsr"] == f"{0xB7052000},0"
    assert got["rtcp.ssrc.dlsr"] == f"{0x54000},0"
    assert got["rtcp.sdes.text"] == "agent@okc,okc,call ended"  # CNAME, TOOL, and the BYE reason
    assert (got["rtcp.app.subtype"], got["rtcp.app.name"]) == ("3", "OKC1")
    assert got["rtcp.padding.count"] == "8"
    assert got["rtcp.length_check"] in ("1", "True")
    assert got["_ws.malformed"] == ""
    assert got["_ws.expert"] == ""


def test_our_round_trip_equals_the_one_tshark_computes_from_the_capture(tmp_path: Path) -> None:
    """Our session sends media and an SR; the peer (another okc session, its clock 3 s off ours) holds it
    0.5 s and answers with an RR; the capture is taken at our side, 40 ms from the peer each way."""
    ours = RtpSession(B, ssrc=0xAAAA, cname="okc-a", ntp=NtpClock(EPOCH))
    theirs = RtpSession(A, ssrc=0xBBBB, cname="okc-b", ntp=NtpClock(EPOCH + 3.0))
    frames = []
    for n in range(3):
        data = bytes(RtpPacket(PCMA, n, 160 * n, 0xAAAA, b"\xd5" * 160))
        ours.on_sent(data, 0.02 * n)
        theirs.receive_rtp(data, A, 0.02 * n + 0.04)
        frames.append((EPOCH + 0.02 * n, A, B, data))
    sr = bytes(ours.rtcp_report(0.1))
    frames.append((EPOCH + 0.1, (A[0], A[1] + 1), (B[0], B[1] + 1), sr))
    theirs.receive_rtcp(sr, (A[0], A[1] + 1), 0.14)
    rr = bytes(theirs.rtcp_report(0.64))
    assert ours.receive_rtcp(rr, (B[0], B[1] + 1), 0.68) is not None
    frames.append((EPOCH + 0.68, (B[0], B[1] + 1), (A[0], A[1] + 1), rr))
    capture = _pcap(tmp_path / "rtt.pcap", frames)
    args = [
        "-r",
        str(capture),
        "-d",
        f"udp.port=={B[1] + 1},rtcp",
        "-o",
        "rtcp.show_roundtrip_calculation:TRUE",
    ]
    delays = _tshark(*args, "-T", "fields", "-e", "rtcp.roundtrip-delay").split()
    assert ours.round_trip is not None
    assert ours.round_trip == pytest.approx(0.08, abs=1e-4)
    assert delays == [str(round(ours.round_trip * 1000))]  # tshark: whole milliseconds


def _wireshark_stream(capture: Path, port: int) -> tuple[int, int, float, float, float]:
    """Packets, lost, min, mean and max jitter (ms) from tshark's RTP stream analysis."""
    report = _tshark("-r", str(capture), "-d", f"udp.port=={port},rtp", "-q", "-z", "rtp,streams")
    pattern = r"0x[0-9A-F]+\s+\S+\s+(\d+)\s+(-?\d+) \([^)]*\)" + r"\s+([\d.]+)" * 6
    match = re.search(pattern, report)
    assert match is not None, report
    packets, lost = int(match[1]), int(match[2])
    return packets, lost, float(match[6]), float(match[7]), float(match[8])


def _our_stream(datagrams: list[tuple[float, bytes]]) -> tuple[int, int, float, float, float]:
    """The same figures from StreamStatistics, counting from the first packet as Wireshark does (okc's
    session would start at the second, after A.1's probation)."""
    stats = StreamStatistics(0, 8000)
    jitters = []
    extended, last = 0, 0
    for index, (arrival, data) in enumerate(datagrams):
        packet = RtpPacket.parse(data)
        event = SequenceEvent.NEW_SOURCE if index == 0 else SequenceEvent.ACCEPTED
        extended = packet.sequence if index == 0 else extended + seq_distance(last, packet.sequence)
        last = packet.sequence
        stats.on_packet(SequenceUpdate(event, packet.ssrc, extended), packet.timestamp, arrival, 0)
        jitters.append(stats.jitter_ms)
    later = jitters[1:]  # Wireshark's min and mean leave out the first packet, which has no jitter yet
    return stats.packets_received, stats.cumulative_lost, min(later), sum(later) / len(later), max(later)


def test_jitter_and_loss_equal_wiresharks_on_sipps_g711_capture() -> None:
    if not G711A_PCAP.exists():
        pytest.skip(f"{G711A_PCAP} is missing")
    datagrams = [(datagram.time, datagram.payload) for datagram in read_pcap(G711A_PCAP)]
    port = next(iter(read_pcap(G711A_PCAP))).dst[1]
    ours = _our_stream(datagrams)
    theirs = _wireshark_stream(G711A_PCAP, port)
    assert ours[:2] == theirs[:2]
    assert ours[2:] == pytest.approx(theirs[2:], abs=0.0011)  # tshark prints 3 decimals


def test_jitter_and_loss_equal_wiresharks_on_a_lossy_jittery_wrapping_stream(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    datagrams = []
    for n in range(600):
        if 0 < n < 599 and rng.random() < 0.03:
            continue  # lost
        sequence, timestamp = (65200 + n) & 0xFFFF, (2**32 - 48_000 + 160 * n) & 0xFFFF_FFFF
        arrival = EPOCH + 0.02 * n + rng.uniform(0.0, 0.015)  # in order: the jitter is under 20 ms
        datagrams.append((arrival, bytes(RtpPacket(PCMA, sequence, timestamp, 0xFACE, b"\xd5" * 160))))
    capture = _pcap(tmp_path / "stream.pcap", [(time, A, B, data) for time, data in datagrams])
    ours = _our_stream(datagrams)
    theirs = _wireshark_stream(capture, B[1])
    assert ours[1] > 0
    assert ours[:2] == theirs[:2]
    assert ours[2:] == pytest.approx(theirs[2:], abs=0.0011)


def test_tshark_dissects_our_rtp_packets_field_by_field(tmp_path: Path) -> None:
    packets = [
        RtpPacket(PCMA, 65535, 2**32 - 1, 0xDEADBEEF, b"\xd5" * 160, marker=True),
        RtpPacket(
            101,
            0,
            159,
            0xDEADBEEF,
            bytes.fromhex("05 0a 00a0"),
            csrcs=(1, 0xFFFF_FFFF),
            extension=HeaderExtension(0x1234, bytes(8)),
            padding=3,
        ),
    ]
    capture = _pcap(
        tmp_path / "rtp.pcap", [(EPOCH + 0.02 * n, A, B, bytes(p)) for n, p in enumerate(packets)]
    )
    fields = ("rtp.version", "rtp.marker", "rtp.p_type", "rtp.seq", "rtp.timestamp", "rtp.ssrc", "rtp.cc",
              "rtp.csrc.item", "rtp.ext.profile", "rtp.ext.len", "rtp.padding.count", "rtp.payload",
              "_ws.malformed")  # fmt: skip
    args = ["-r", str(capture), "-d", f"udp.port=={B[1]},rtp", "-T", "fields", "-E", "occurrence=a"]
    rows = [line.split("\t") for line in _tshark(*args, *(f"-e{field}" for field in fields)).splitlines()]
    for packet, row in zip(packets, rows, strict=True):
        got = dict(zip(fields, row, strict=True))
        assert got["rtp.version"] == "2"
        assert got["rtp.marker"] in (("1", "True") if packet.marker else ("0", "False"))
        assert int(got["rtp.p_type"]) == packet.payload_type
        assert (int(got["rtp.seq"]), int(got["rtp.timestamp"])) == (packet.sequence, packet.timestamp)
        assert int(got["rtp.ssrc"], 0) == packet.ssrc
        assert int(got["rtp.cc"]) == len(packet.csrcs)
        assert [int(item, 0) for item in got["rtp.csrc.item"].split(",") if item] == list(packet.csrcs)
        if packet.extension is not None:
            assert int(got["rtp.ext.profile"], 0) == packet.extension.profile
            assert int(got["rtp.ext.len"]) == len(packet.extension.data) // 4
        assert int(got["rtp.padding.count"] or 0) == packet.padding
        assert bytes.fromhex(got["rtp.payload"].replace(":", "")) == packet.payload
        assert got["_ws.malformed"] == ""
