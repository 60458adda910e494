"""Jitter buffer invariants under anything the network does: one frame per tick, in order, bounded."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from okc.rtp.g711 import alaw_decode, ulaw_decode
from okc.rtp.jitter import FrameKind, JitterBuffer, JitterConfig
from okc.rtp.packet import PCMA, PCMU, RtpPacket, ts_distance

TICK = 0.02
LOUD = bytes(range(96, 256)) * 2  # enough loud A-law codes for the largest packet
QUIET = b"\xd5" * 320

arrival_events = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=120),  # frame index within the stream
        st.floats(min_value=0, max_value=0.5),  # extra delay: reordering and late arrivals
        st.booleans(),  # quiet frame
        st.integers(min_value=1, max_value=2),  # copies (duplicates)
    ),
    max_size=150,
)


def build(
    events: list[tuple[int, float, bool, int]],
    seq0: int,
    ts0: int,
    *,
    ssrc: int = 1,
    pt: int = PCMA,
    size: int = 160,
) -> list[tuple[float, RtpPacket]]:
    out = []
    for index, delay, quiet, copies in events:
        payload = (QUIET if quiet else LOUD)[:size]
        packet = RtpPacket(pt, (seq0 + index) & 0xFFFF, (ts0 + size * index) & 0xFFFF_FFFF, ssrc, payload)
        out += [(index * size / 8000 + delay + 0.001 * copy, packet) for copy in range(copies)]
    return sorted(out, key=lambda a: a[0])


@given(
    events=arrival_events,
    seq0=st.integers(min_value=0, max_value=0xFFFF),
    ts0=st.integers(min_value=0, max_value=0xFFFF_FFFF),
    phase=st.floats(min_value=0, max_value=TICK),
    capacity=st.integers(min_value=4, max_value=60),
    pcmu=st.booleans(),
    size=st.sampled_from([80, 160, 240, 320]),
)
def test_one_frame_per_tick_in_order_never_over_capacity(  # noqa: PLR0917 (hypothesis passes keywords)
    events: list[tuple[int, float, bool, int]],
    seq0: int,
    ts0: int,
    phase: float,
    capacity: int,
    pcmu: bool,
    size: int,
) -> None:
    buffer = JitterBuffer(JitterConfig(max_frames=capacity))
    arrivals = build(events, seq0, ts0, pt=PCMU if pcmu else PCMA, size=size)
    position = 0
    played: list[int] = []
    ticks = int(3.5 / TICK)
    for tick in range(ticks):
        now = phase + tick * TICK
        while position < len(arrivals) and arrivals[position][0] <= now:
            buffer.push(arrivals[position][1], arrivals[position][0])
            position += 1
            assert buffer.held <= capacity
        frame = buffer.pop(now)
        assert len(frame.pcm) == 320
        assert (frame.timestamp is not None) == (frame.kind is FrameKind.AUDIO)
        if frame.timestamp is not None:
            played.append(frame.timestamp)
        assert buffer.held <= capacity
    assert all(ts_distance(a, b) > 0 for a, b in itertools.pairwise(played))
    stats = buffer.statistics
    assert stats.played == len(played) <= stats.received * (size // 160 + 1)  # a packet spans ≤ that many
    assert stats.played + stats.concealed + stats.silence == ticks


@given(
    first=arrival_events,
    second=arrival_events,
    switch=st.floats(min_value=0, max_value=2.0),
)
def test_a_new_source_midway_keeps_every_invariant(
    first: list[tuple[int, float, bool, int]], second: list[tuple[int, float, bool, int]], switch: float
) -> None:
    buffer = JitterBuffer()
    arrivals = build(first, 10, 1000, ssrc=1) + [(t + switch, p) for t, p in build(second, 60000, 7, ssrc=2)]
    arrivals.sort(key=lambda a: a[0])
    position = 0
    for tick in range(int(5 / TICK)):
        now = tick * TICK
        while position < len(arrivals) and arrivals[position][0] <= now:
            buffer.push(arrivals[position][1], arrivals[position][0])
            position += 1
        assert len(buffer.pop(now).pcm) == 320
        assert buffer.held <= 50


def _codes(pcmu: bool) -> bytes:
    """Random G.711 codes for a whole stream, none of which decodes to 0 (0 marks a sample never received)."""
    codes = np.random.default_rng(5).integers(0, 256, 130 * 320, dtype=np.uint8)
    if pcmu:
        codes[(codes == 0x7F) | (codes == 0xFF)] = 0x7E
    return codes.tobytes()


@given(
    events=arrival_events,
    seq0=st.integers(min_value=0, max_value=0xFFFF),
    ts0=st.integers(min_value=0, max_value=0xFFFF_FFFF),
    pcmu=st.booleans(),
    size=st.sampled_from([80, 160, 240, 320]),
)
def test_every_frame_played_carries_the_audio_of_its_timestamp(
    events: list[tuple[int, float, bool, int]], seq0: int, ts0: int, pcmu: bool, size: int
) -> None:
    codes = _codes(pcmu)
    stream = np.frombuffer((ulaw_decode if pcmu else alaw_decode)(codes), dtype="<i2")
    pt = PCMU if pcmu else PCMA
    arrivals = []
    for index, delay, _, copies in events:
        payload = codes[index * size : (index + 1) * size]
        packet = RtpPacket(pt, (seq0 + index) & 0xFFFF, (ts0 + size * index) & 0xFFFF_FFFF, 1, payload)
        arrivals += [(index * size / 8000 + delay + 0.001 * copy, packet) for copy in range(copies)]
    arrivals.sort(key=lambda a: a[0])
    buffer = JitterBuffer()
    position = 0
    for tick in range(int(3.5 / TICK)):
        now = tick * TICK
        while position < len(arrivals) and arrivals[position][0] <= now:
            buffer.push(arrivals[position][1], arrivals[position][0])
            position += 1
        frame = buffer.pop(now)
        if frame.kind is not FrameKind.AUDIO:
            continue
        assert frame.timestamp is not None
        # The frame grid starts at the first packet *received*; when an earlier packet arrives later, a
        # frame may begin before the stream's first sample: there is nothing (zeros) before it.
        offset = ts_distance(ts0, frame.timestamp)
        pcm = np.frombuffer(frame.pcm, dtype="<i2")
        padded = np.concatenate([np.zeros(160, dtype="<i2"), stream, np.zeros(160, dtype="<i2")])
        assert -160 < offset < len(stream)
        expected = padded[offset + 160 : offset + 320]
        if size % 160 == 0:  # each frame lies within one packet: all of it or nothing
            assert np.array_equal(pcm, expected)
        else:  # a frame spanning two packets may play with one of them lost: silence there, never other audio
            assert np.all((pcm == expected) | (pcm == 0))
