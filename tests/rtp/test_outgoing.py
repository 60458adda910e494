"""OutgoingStream: a prompt and RFC 4733 digits on one SSRC, one sequence space and one media clock, as a
receiving okc session, jitter buffer and DTMF receiver take them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from okc.errors import OkcError
from okc.rtp.dtmf import DtmfReceiver, DtmfSender
from okc.rtp.endpoint import RtpSession
from okc.rtp.g711 import alaw_decode, alaw_encode, ulaw_encode
from okc.rtp.jitter import FrameKind, JitterBuffer
from okc.rtp.outgoing import OutgoingError, OutgoingStream
from okc.rtp.packet import PCMA, PCMU, RtpPacket, SequenceEvent
from okc.rtp.player import Player, Prompt

START = 1000.0
FLOATS: Any = np.zeros(160)  # float samples, which the stream must refuse
PEER = ("192.0.2.30", 30000)


def _prompt(seconds: float) -> Prompt:
    rng = np.random.default_rng(8)
    return Prompt("p", np.clip(rng.normal(0, 3000, round(seconds * 8000)), -32768, 32767).astype(np.int16))


def test_prompt_and_digits_share_one_stream_that_a_receiver_takes_whole() -> None:
    prompt = _prompt(3.0)
    player = Player([prompt], START)
    stream = OutgoingStream(PCMA, START, ssrc=0x0CC, sequence=65_500, timestamp=2**32 - 160 * 40)
    sender = DtmfSender(101)
    sender.send("9", 0.1, now=START + 1.0, timestamp=stream.rtp_time(START + 1.0))
    sent: list[tuple[float, RtpPacket]] = []
    while True:
        timers = [t for t in (player.get_timer(), sender.get_timer()) if t is not None]
        if not timers:
            break
        now = min(timers)
        sent += [(now, stream.frame(frame)) for frame in player.handle_timer(now)]
        sent += [(now, stream.event(event)) for event in sender.handle_timer(now)]
    packets = [packet for _, packet in sent]
    audio = [packet for packet in packets if packet.payload_type == PCMA]
    events = [packet for packet in packets if packet.payload_type == 101]
    assert len(audio) == 150
    assert len(events) == stream.packets - 150 > 3
    # One SSRC; sequence numbers consecutive across audio and events and across the 16-bit wrap.
    assert {packet.ssrc for packet in packets} == {0x0CC}
    assert [packet.sequence for packet in packets] == [(65_500 + n) & 0xFFFF for n in range(len(packets))]
    # Audio timestamps from the frame index, across the 32-bit wrap; the marker on the first only.
    assert [p.timestamp for p in audio] == [(2**32 - 160 * 40 + 160 * n) & 0xFFFF_FFFF for n in range(150)]
    assert [p.marker for p in audio] == [True] + [False] * 149
    # The digit's timestamp is the audio clock's at the key press: frame 50's.
    assert {p.timestamp for p in events} == {audio[50].timestamp}
    assert events[0].marker

    session = RtpSession(PEER)
    buffer = JitterBuffer()
    receiver = DtmfReceiver(101)
    digits = []
    frames = []
    position = 0
    for tick in range(200):  # the far end's playout ticks, packets arriving 30 ms after they were sent
        now = START + 0.005 + 0.02 * tick
        while position < len(sent) and sent[position][0] + 0.03 <= now:
            arrival, data = sent[position][0] + 0.03, bytes(sent[position][1])
            position += 1
            for received in session.receive_rtp(data, PEER, arrival):
                assert received.event is not SequenceEvent.LATE
                if received.payload_type == 101:
                    digits += receiver.receive(received.packet, received.arrival)
                else:
                    buffer.push(received.packet, received.arrival)
        frames.append(buffer.pop(now))
    played = b"".join(frame.pcm for frame in frames if frame.kind is FrameKind.AUDIO)
    assert played == alaw_decode(alaw_encode(prompt.samples.astype("<i2").tobytes()))
    assert [d.digit for d in digits] == ["9"]
    assert session.counters.jumps == 0
    assert session.streams[0x0CC].cumulative_lost == 0


def test_a_stalled_player_resumes_with_a_marker_and_the_timestamp_of_its_slot() -> None:
    player = Player([_prompt(2.0)], START, max_late=0.1)
    stream = OutgoingStream(PCMU, START, ssrc=1, sequence=7, timestamp=0)
    first = [stream.frame(f) for f in player.handle_timer(START + 0.02)]
    resumed = player.handle_timer(START + 1.0)  # woke up a second late: overdue slots are skipped
    later = [stream.frame(f) for f in resumed]
    assert [p.sequence for p in first + later] == list(range(7, 7 + len(first) + len(later)))
    assert later[0].marker
    assert not any(p.marker for p in later[1:])
    assert later[0].timestamp == 160 * resumed[0].index == 160 * (player.frames_skipped + len(first))
    assert later[0].payload == ulaw_encode(resumed[0].samples.astype("<i2").tobytes())


def test_rtp_time_counts_from_the_start_without_drift() -> None:
    stream = OutgoingStream(PCMA, 123_456.789, ssrc=1, sequence=0, timestamp=4_000_000_000)
    assert stream.rtp_time(123_456.789) == 4_000_000_000
    hour = 123_456.789 + 3600.0
    assert stream.rtp_time(hour) == (4_000_000_000 + 3600 * 8000) & 0xFFFF_FFFF


@pytest.mark.parametrize(
    "make",
    [
        lambda: OutgoingStream(101, 0.0, ssrc=1, sequence=0, timestamp=0),
        lambda: OutgoingStream(PCMA, 0.0, ssrc=2**32, sequence=0, timestamp=0),
        lambda: OutgoingStream(PCMA, 0.0, ssrc=1, sequence=65_536, timestamp=0),
        lambda: OutgoingStream(PCMA, 0.0, ssrc=1, sequence=0, timestamp=-1),
        lambda: OutgoingStream(PCMA, 0.0, ssrc=1, sequence=0, timestamp=0, clock_rate=0),
        lambda: OutgoingStream(PCMA, 0.0, ssrc=1, sequence=0, timestamp=0).audio(np.zeros(0, np.int16), 0.0),
        lambda: OutgoingStream(PCMA, 0.0, ssrc=1, sequence=0, timestamp=0).audio(FLOATS, 0.0),
    ],
)
def test_bad_streams_and_audio_raise_outgoing_error(make: object) -> None:
    with pytest.raises(OutgoingError) as raised:
        make()  # type: ignore[operator]
    assert isinstance(raised.value, OkcError)
