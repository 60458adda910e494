"""Sequence-number and timestamp wrap-around through every consumer of a received stream.

One call's stream crosses 65535 → 0 in its sequence numbers and 2³² → 0 in its timestamps within a few
seconds, with reordering. It is fed through the receiving session (source tracking, RFC 3550 statistics)
and from there to each consumer okc has: the jitter buffer, the recorder's timeline, the relay's rewriter
and the RFC 4733 receiver. Each must behave as on a stream far from the wrap: nothing lost, reordered,
re-anchored or reset.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import numpy.typing as npt

from okc.rtp.dtmf import DigitSource, DtmfReceiver, DtmfSender
from okc.rtp.endpoint import RtpReceived, RtpSession
from okc.rtp.g711 import alaw_decode, alaw_encode
from okc.rtp.jitter import FrameKind, JitterBuffer
from okc.rtp.packet import PCMA, RtpPacket, SequenceEvent
from okc.rtp.recorder import CallTimeline, Direction
from okc.rtp.relay import RewriteMode, StreamRewriter

PEER = ("192.0.2.20", 40000)
SSRC = 0x5EED
COUNT = 400  # 8 s of 20 ms packets
SEQ0 = 65_536 - 150  # the sequence number wraps at packet 150 ...
TS0 = 2**32 - 160 * 90  # ... the timestamp at packet 90


def _voice(count: int) -> bytes:
    """Loud noise as A-law codes: no frame is quiet (the buffer may not shed it) and none repeats."""
    rng = np.random.default_rng(11)
    pcm = np.clip(rng.normal(0, 4000, 160 * count), -32768, 32767).astype("<i2")
    return alaw_encode(pcm.tobytes())


CODES = _voice(COUNT)


def _datagram(index: int) -> bytes:
    payload = CODES[160 * index : 160 * (index + 1)]
    return bytes(RtpPacket(PCMA, (SEQ0 + index) & 0xFFFF, (TS0 + 160 * index) & 0xFFFF_FFFF, SSRC, payload))


def _arrivals() -> list[tuple[float, int]]:
    """(arrival time, packet index): 20 ms spacing, up to 30 ms of jitter, so packets overtake each other."""
    rng = random.Random(3)
    arrivals = [(0.02 * n + rng.uniform(0.0, 0.03), n) for n in range(COUNT)]
    return sorted(arrivals)


def _received() -> tuple[RtpSession, list[RtpReceived]]:
    session = RtpSession(PEER)
    out: list[RtpReceived] = []
    for arrival, index in _arrivals():
        out.extend(session.receive_rtp(_datagram(index), PEER, arrival))
    return session, out


def _expected_pcm() -> npt.NDArray[np.int16]:
    return np.frombuffer(alaw_decode(CODES), dtype="<i2").astype(np.int16)


def test_the_session_counts_across_both_wraps() -> None:
    session, received = _received()
    assert len(received) == COUNT
    assert sorted(r.extended for r in received) == list(range(SEQ0, SEQ0 + COUNT))
    assert [r.event for r in received].count(SequenceEvent.NEW_SOURCE) == 1
    assert session.counters.jumps == 0
    assert session.counters.source_changes == 1
    stats = session.streams[SSRC]
    assert stats.extended_max == SEQ0 + COUNT - 1
    assert stats.expected == COUNT - 1  # RFC 3550 A.1 counts from the packet that ended probation
    assert stats.cumulative_lost == 0
    # The A.8 jitter sees 0-30 ms of uniform jitter, not a 2^32-unit timestamp jump.
    assert 1.0 < stats.jitter_ms < 30.0


def test_the_jitter_buffer_plays_every_frame_in_order_across_the_wraps() -> None:
    _, received = _received()
    buffer = JitterBuffer()
    frames = []
    position = 0
    for tick in range(COUNT + 20):
        now = 0.02 * tick
        while position < len(received) and received[position].arrival <= now:
            buffer.push(received[position].packet, received[position].arrival)
            position += 1
        frames.append(buffer.pop(now))
    audio = [frame for frame in frames if frame.kind is FrameKind.AUDIO]
    assert [frame.timestamp for frame in audio] == [(TS0 + 160 * n) & 0xFFFF_FFFF for n in range(COUNT)]
    played = np.frombuffer(b"".join(frame.pcm for frame in audio), dtype="<i2")
    assert np.array_equal(played, _expected_pcm())
    kinds = [frame.kind for frame in frames]
    first = kinds.index(FrameKind.AUDIO)
    assert kinds[first : first + COUNT] == [FrameKind.AUDIO] * COUNT  # no gap, wait or fill in between
    stats = buffer.statistics
    assert (stats.played, stats.late, stats.discarded, stats.resets) == (COUNT, 0, 0, 0)


def test_the_recorder_timeline_keeps_one_anchor_across_the_wraps() -> None:
    _, received = _received()
    timeline = CallTimeline(0.0, latency=0.2)
    blocks = []
    for item in received:
        pcm = np.frombuffer(alaw_decode(item.payload), dtype="<i2").astype(np.int16)
        timeline.push(Direction.CUSTOMER, item.ssrc, item.timestamp, pcm, item.arrival)
        blocks.append(timeline.take(item.arrival))  # the recorder's owner takes what is final as it goes
    blocks.append(timeline.take_all())
    block = np.concatenate(blocks, axis=1)
    assert timeline.reanchors == 0
    assert timeline.dropped_samples == 0
    row = block[0]
    first = int(np.flatnonzero(row)[0])
    expected = _expected_pcm()
    assert np.array_equal(row[first : first + expected.size], expected)
    assert not row[first + expected.size :].any()


def test_the_relay_forwards_untouched_then_continues_both_counters_after_a_new_source() -> None:
    _, received = _received()
    rewriter = StreamRewriter(RewriteMode.AUTO)
    forwarded = [rewriter.forward(item) for item in received]
    assert forwarded == [item.data for item in received]  # transparent across both wraps
    # The far end is replaced mid-call by a source whose counters are about to wrap too.
    session = RtpSession(PEER)
    newcomer: list[RtpReceived] = []
    for n in range(6):
        data = bytes(
            RtpPacket(PCMA, (65_534 + n) & 0xFFFF, (2**32 - 320 + 160 * n) % 2**32, 0xBEEF, CODES[:160])
        )
        newcomer.extend(session.receive_rtp(data, PEER, 8.5 + 0.02 * n))
    assert newcomer[0].event is SequenceEvent.NEW_SOURCE
    out = [RtpPacket.parse(rewriter.forward(item)) for item in newcomer]
    last = RtpPacket.parse(forwarded[int(np.argmax([r.extended for r in received]))])
    assert rewriter.source_changes == 1
    assert {packet.ssrc for packet in out} == {SSRC}  # the receiver keeps seeing the SSRC it knows
    assert [p.sequence for p in out] == [(last.sequence + 1 + n) & 0xFFFF for n in range(6)]
    steps = [(b.timestamp - a.timestamp) % 2**32 for a, b in itertools.pairwise(out)]
    assert steps == [160] * 5
    assert out[0].marker
    assert not any(p.marker for p in out[1:])


def test_rfc4733_digits_either_side_of_the_timestamp_wrap_are_each_heard_once() -> None:
    sender = DtmfSender(101)
    stamp = 2**32 - 800  # the first digit starts 100 ms before the wrap and ends after it
    sender.send("4", 0.2, now=0.0, timestamp=stamp)
    sender.send("2", 0.2, now=0.0, timestamp=stamp)
    receiver = DtmfReceiver(101)
    digits = []
    sequence = 65_530
    now = 0.0
    while (timer := sender.get_timer()) is not None:
        now = timer
        for event in sender.handle_timer(now):
            packet = RtpPacket.parse(bytes(event.packet(sequence, SSRC)))
            sequence = (sequence + 1) & 0xFFFF
            digits.extend(receiver.receive(packet, now))
            digits.extend(receiver.receive(packet, now))  # every packet duplicated on the way
    digits.extend(receiver.handle_timer(now + 1.0))
    assert [d.digit for d in digits] == ["4", "2"]
    assert [d.duration for d in digits] == [0.2, 0.2]
    assert {d.source for d in digits} == {DigitSource.RFC4733}
    assert sequence < 65_530  # the sequence numbers wrapped during the digits
