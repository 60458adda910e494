"""RTCP properties: compound packets round-trip exactly; arbitrary bytes raise only RtpError."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from okc.rtp.packet import RtpError
from okc.rtp.rtcp import (
    App,
    Bye,
    CompoundPacket,
    RawRtcp,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    SdesChunk,
    SdesItem,
    SenderInfo,
    SenderReport,
    SourceDescription,
)

u32 = st.integers(0, 0xFFFF_FFFF)
words = st.integers(0, 4).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))
blocks = st.builds(
    ReportBlock, u32, st.integers(0, 255), st.integers(-0x80_0000, 0x7F_FFFF), u32, u32, u32, u32
)
block_lists = st.lists(blocks, max_size=4).map(tuple)
sender_reports = st.builds(
    SenderReport, u32, st.builds(SenderInfo, st.integers(0, 2**64 - 1), u32, u32, u32), block_lists, words
)
receiver_reports = st.builds(ReceiverReport, u32, block_lists, words)
items = st.builds(SdesItem, st.integers(1, 255), st.binary(max_size=40))
sdes = st.builds(
    SourceDescription,
    st.lists(st.builds(SdesChunk, u32, st.lists(items, max_size=3).map(tuple)), max_size=3).map(tuple),
)
byes = st.builds(Bye, st.lists(u32, max_size=4).map(tuple), st.binary(max_size=30))
apps = st.builds(App, st.integers(0, 31), u32, st.binary(min_size=4, max_size=4), words)
raws = st.builds(RawRtcp, st.sampled_from([205, 206, 207, 195]), st.integers(0, 31), words)
others = st.one_of(sender_reports, receiver_reports, sdes, byes, apps, raws)


@st.composite
def compounds(draw: st.DrawFn) -> CompoundPacket:
    first: RtcpPacket = draw(st.one_of(sender_reports, receiver_reports))
    rest = draw(st.lists(others, max_size=4))
    return CompoundPacket((first, *rest), draw(st.sampled_from([0, 4, 8, 252])))


@given(compounds())
def test_parse_of_serialized_compound_is_the_compound(compound: CompoundPacket) -> None:
    data = bytes(compound)
    assert len(data) % 4 == 0
    assert CompoundPacket.parse(data) == compound


@given(st.binary(max_size=120))
def test_arbitrary_bytes_raise_only_rtp_error_and_what_parses_round_trips(data: bytes) -> None:
    try:
        compound = CompoundPacket.parse(data)
    except RtpError:
        return
    assert CompoundPacket.parse(bytes(compound)) == compound


@given(compounds(), st.data())
def test_corrupted_compounds_raise_only_rtp_error_and_what_parses_round_trips(
    compound: CompoundPacket, data: st.DataObject
) -> None:
    wire = bytearray(bytes(compound))
    index = data.draw(st.integers(0, len(wire) - 1))
    wire[index] = data.draw(st.integers(0, 255))
    try:
        parsed = CompoundPacket.parse(bytes(wire))
    except RtpError:
        return
    assert CompoundPacket.parse(bytes(parsed)) == parsed
