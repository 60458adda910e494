"""RTCP packets on the wire: SR, RR, SDES, BYE, APP, compound packets and padding (RFC 3550 section 6)."""

from __future__ import annotations

import pytest

from okc.rtp.packet import RtpError
from okc.rtp.rtcp import (
    App,
    Bye,
    CompoundPacket,
    RawRtcp,
    ReceiverReport,
    ReportBlock,
    SdesChunk,
    SdesItem,
    SdesType,
    SenderInfo,
    SenderReport,
    SourceDescription,
    ntp_middle,
    ntp_to_seconds,
    seconds_to_ntp,
)

BLOCK = ReportBlock(
    ssrc=0x0A0B0C0D,
    fraction_lost=64,
    cumulative_lost=-3,
    highest_seq=0x0001_0005,
    jitter=37,
    lsr=0xB705_2000,
    dlsr=0x0005_4000,
)
BLOCK_WIRE = bytes.fromhex("0a0b0c0d 40 fffffd 00010005 00000025 b7052000 00054000")

# SR (RC=1, length 12 words) + SDES CNAME "a@b" (length 3 words), as a peer would send them.
SR_SDES_WIRE = (
    bytes.fromhex("81c8000c 11223344 b44db705 20000000 000003e8 00000064 00003e80")
    + BLOCK_WIRE
    + bytes.fromhex("81ca0003 11223344 0103 614062 00 0000")
)


def test_report_block_round_trips_with_signed_cumulative_loss() -> None:
    assert bytes(BLOCK) == BLOCK_WIRE
    assert ReportBlock.parse(BLOCK_WIRE, 0) == BLOCK


def test_sr_and_sdes_compound_parses_field_by_field() -> None:
    compound = CompoundPacket.parse(SR_SDES_WIRE)
    sr = compound.first(SenderReport)
    assert sr == SenderReport(
        0x11223344,
        SenderInfo(ntp=0xB44DB705_20000000, rtp_timestamp=1000, packet_count=100, octet_count=16000),
        (BLOCK,),
    )
    sdes = compound.first(SourceDescription)
    assert sdes is not None
    assert sdes.cname_of(0x11223344) == b"a@b"
    assert sdes.cname_of(1) is None
    assert bytes(compound) == SR_SDES_WIRE


def test_rr_bye_with_reason_app_and_unknown_types_round_trip() -> None:
    compound = CompoundPacket(
        (
            ReceiverReport(7, (BLOCK,), extension=b"\x00\x01\x02\x03"),
            SourceDescription(
                (
                    SdesChunk(7, (SdesItem(SdesType.CNAME, b"okc@host"), SdesItem(SdesType.TOOL, b"okc"))),
                    SdesChunk(8, ()),
                )
            ),
            RawRtcp(205, 1, b"\x00" * 8),
            App(3, 7, b"OKC1", b"data"),
            Bye((7, 8), b"call ended"),
        )
    )
    data = bytes(compound)
    assert len(data) % 4 == 0
    assert CompoundPacket.parse(data) == compound
    # BYE: V=2 SC=2 PT=203, length 5 words: two SSRCs, then 1 + 10 octets of reason padded to 12.
    assert data[-24:] == bytes.fromhex("82cb0005 00000007 00000008") + b"\x0acall ended\x00"


def test_a_lone_bye_parses_but_is_no_full_compound_packet() -> None:
    # What libre (baresip) sends at hangup: a BYE with no report before it (cf. RFC 5506 reduced size).
    compound = CompoundPacket.parse(bytes.fromhex("81cb0001 00000001"))
    assert compound.packets == (Bye((1,)),)
    assert not compound.starts_with_report
    assert CompoundPacket((ReceiverReport(1), Bye((1,)))).starts_with_report


def test_padding_goes_on_the_last_packet_and_is_stripped() -> None:
    compound = CompoundPacket((ReceiverReport(1), Bye((1,))), padding=8)
    data = bytes(compound)
    assert data[8] & 0x20  # the BYE carries the P bit
    assert not data[0] & 0x20
    assert data[-1] == 8
    assert CompoundPacket.parse(data) == compound


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x81\xc9\x00", "whole 32-bit words"),
        (bytes.fromhex("41c90001 00000001"), "version 1"),
        (bytes.fromhex("80080001 00000001"), "not RTCP"),  # RTP (PT 8, seq 1) on the RTCP port
        (bytes.fromhex("81c90002 00000001"), "runs past"),
        (bytes.fromhex("81c90001 00000001"), "report blocks is cut short"),
        (bytes.fromhex("80c80001 00000001"), "at least 28 bytes"),
        (bytes.fromhex("a0c90001 00000001 81cb0001 00000001"), "only the last packet"),
        (bytes.fromhex("80c90001 00000009 a0cb0001 00000000"), "bad RTCP padding count 0"),
        (bytes.fromhex("80c90001 00000009 a0cb0001 00000003"), "bad RTCP padding count 3"),
        (bytes.fromhex("80c90001 00000009 81ca0002 00000001 01056162"), "runs past"),
        (bytes.fromhex("80c90001 00000009 81ca0002 00000001 01026162"), "no terminating null item"),
        (bytes.fromhex("80c90001 00000009 82cb0001 00000001"), "BYE of 2 sources is cut short"),
        (bytes.fromhex("80c90001 00000009 81cb0002 00000001 09616263"), "reason runs past"),
        (bytes.fromhex("80c90001 00000009 80cc0001 00000001"), "without its SSRC and name"),
        (bytes.fromhex("80c90001 00000009 80c80000"), "at least 28 bytes"),
    ],
)
def test_malformed_compound_packets_raise_rtp_error(data: bytes, reason: str) -> None:
    with pytest.raises(RtpError, match=reason):
        CompoundPacket.parse(data)


def test_values_are_validated_on_construction() -> None:
    with pytest.raises(RtpError, match="signed 24-bit"):
        ReportBlock(1, 0, 0x80_0000, 0, 0)
    with pytest.raises(RtpError, match="at most 31"):
        ReceiverReport(1, (BLOCK,) * 32)
    with pytest.raises(RtpError, match="4 octets"):
        App(0, 1, b"OK")
    with pytest.raises(RtpError, match="255 octets"):
        SdesItem(SdesType.NOTE, b"x" * 256)
    with pytest.raises(RtpError, match="uninterpreted"):
        RawRtcp(200, 0, b"")
    with pytest.raises(RtpError, match="uninterpreted"):
        RawRtcp(8, 0, b"")
    with pytest.raises(RtpError, match="at least one"):
        CompoundPacket(())


def test_ntp_timestamps() -> None:
    # 1 January 1970 is 2,208,988,800 s into NTP era 0.
    assert seconds_to_ntp(0.0) == 2_208_988_800 << 32
    assert seconds_to_ntp(1.5) == (2_208_988_801 << 32) | 0x8000_0000
    assert ntp_to_seconds(seconds_to_ntp(1_700_000_000.25)) == 1_700_000_000.25
    assert ntp_middle(0xB44DB705_20000000) == 0xB705_2000
