"""RTP packet and sequence-tracking properties: exact round trips, only RtpError on garbage, monotone seq."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from okc.rtp.packet import (
    HeaderExtension,
    RtpError,
    RtpPacket,
    SequenceEvent,
    SourceTracker,
    seq_distance,
    ts_distance,
)

u32 = st.integers(0, 0xFFFF_FFFF)
payload_types = st.integers(0, 127).filter(lambda pt: not 72 <= pt <= 76)
extensions = st.none() | st.builds(
    HeaderExtension,
    st.integers(0, 0xFFFF),
    st.integers(0, 8).flatmap(lambda words: st.binary(min_size=4 * words, max_size=4 * words)),
)
packets = st.builds(
    RtpPacket,
    payload_type=payload_types,
    sequence=st.integers(0, 0xFFFF),
    timestamp=u32,
    ssrc=u32,
    payload=st.binary(max_size=200),
    marker=st.booleans(),
    csrcs=st.lists(u32, max_size=15).map(tuple),
    extension=extensions,
    padding=st.integers(0, 255),
)


@given(packets)
def test_parse_of_serialized_packet_is_the_packet(packet: RtpPacket) -> None:
    data = bytes(packet)
    assert RtpPacket.parse(data) == packet
    assert bytes(RtpPacket.parse(data)) == data


@given(st.binary(max_size=80))
def test_arbitrary_bytes_parse_or_raise_rtp_error_only(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except RtpError:
        return
    assert bytes(packet)[:12] == data[:12]


@given(st.binary(min_size=12, max_size=80).map(lambda d: bytes([0x80 | (d[0] & 0x3F)]) + d[1:]))
def test_version_two_garbage_parses_or_raises_rtp_error_only(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except RtpError:
        return
    written = bytes(packet)
    assert len(written) == len(data)
    assert written[: len(data) - packet.padding] == data[: len(data) - packet.padding]


@given(st.integers(0, 0xFFFF), st.integers(-32768, 32767))
def test_seq_distance_inverts_modular_addition(start: int, step: int) -> None:
    assert seq_distance(start, (start + step) & 0xFFFF) == step


@given(u32, st.integers(-(2**31), 2**31 - 1))
def test_ts_distance_inverts_modular_addition(start: int, step: int) -> None:
    assert ts_distance(start, (start + step) & 0xFFFF_FFFF) == step


@given(
    st.integers(0, 0xFFFF),
    u32,
    st.lists(st.integers(1, 2999), min_size=1, max_size=200),
)
def test_extended_seq_is_monotone_across_wraps_for_in_order_streams(
    start: int, ssrc: int, steps: list[int]
) -> None:
    tracker = SourceTracker()
    assert tracker.update(ssrc, start).event is SequenceEvent.PROBATION
    seq = (start + 1) & 0xFFFF
    first = tracker.update(ssrc, seq)
    assert first.event is SequenceEvent.NEW_SOURCE
    assert first.extended == seq
    previous = seq
    unwrapped = seq
    for step in steps:
        seq = (seq + step) & 0xFFFF
        unwrapped += step
        update = tracker.update(ssrc, seq)
        assert update.event is SequenceEvent.ACCEPTED
        assert update.extended is not None
        assert update.extended > previous
        assert update.extended == unwrapped
        previous = update.extended
    assert tracker.expected == unwrapped - first.extended + 1
    assert tracker.received == len(steps) + 1


@st.composite
def reordered_streams(draw: st.DrawFn) -> tuple[int, list[int]]:
    """A stream's packet indices after two in-order packets: each displaced by under 40, and some repeated
    up to 40 places later, so no packet is MAX_MISORDER behind the highest yet."""
    count = draw(st.integers(3, 150))
    keys = [n + draw(st.integers(0, 39)) if n >= 2 else n - 100 for n in range(count)]
    order = [n for _, n in sorted(zip(keys, range(count), strict=True))]
    for _ in range(draw(st.integers(0, 5))):
        position = draw(st.integers(2, len(order) - 1))
        order.insert(min(len(order), position + draw(st.integers(1, 40))), order[position])
    return draw(st.integers(0, 0xFFFF)), order


@given(reordered_streams())
def test_reordered_and_duplicated_streams_yield_each_packet_once_with_its_extended_seq(
    case: tuple[int, list[int]],
) -> None:
    start, order = case
    tracker = SourceTracker()
    played: list[int] = []
    for n in order:
        update = tracker.update(7, (start + n) & 0xFFFF)
        if update.playable:
            assert update.extended == ((start + 1) & 0xFFFF) + n - 1  # cycles count from the base (packet 1)
            played.append(n)
        else:
            assert update.event in (SequenceEvent.PROBATION, SequenceEvent.DUPLICATE)
    assert sorted(played) == list(range(1, max(order) + 1))
    assert tracker.expected == max(order)
