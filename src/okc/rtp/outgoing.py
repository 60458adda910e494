"""The stream an endpoint sends: one SSRC, one sequence-number space, one media clock (sans-I/O).

Everything okc sends to a phone — prompts and music from the player, tones, RFC 4733 digits — must share
the SSRC, sequence numbers that go up by one per packet whatever the payload, and RTP timestamps from one
8 kHz clock, or the far end's jitter buffer sees a broken stream. `OutgoingStream` numbers the packets: the
RTP timestamp of a moment is `timestamp + (now − start)·8000` (computed from the start, so it never
drifts), audio is encoded to the negotiated G.711 law, and the marker bit is set on the first audio packet
and on the first after a gap (RFC 3551 4.1), e.g. after the player skipped slots. Starting values are the
caller's (random per RFC 3550 5.1, from its injected random source).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from okc.errors import OkcError
from okc.rtp.dtmf import OutgoingEvent
from okc.rtp.g711 import alaw_encode_array, ulaw_encode_array
from okc.rtp.packet import PCMA, PCMU, RtpPacket
from okc.rtp.player import PlayerFrame

__all__ = ["OutgoingError", "OutgoingStream"]

_SEQ_MASK: Final = 0xFFFF
_TS_MASK: Final = 0xFFFF_FFFF


class OutgoingError(OkcError):
    """An outgoing stream set up with values RTP cannot carry, or fed audio it cannot encode."""


class OutgoingStream:
    """Turns 16-bit audio frames and RFC 4733 events into the RTP packets of one outgoing stream."""

    def __init__(
        self,
        payload_type: int,
        start: float,
        *,
        ssrc: int,
        sequence: int,
        timestamp: int,
        clock_rate: int = 8000,
    ) -> None:
        if payload_type not in (PCMU, PCMA):
            raise OutgoingError(f"okc sends G.711 audio: payload type 0 or 8, not {payload_type}")
        if not (0 <= ssrc <= _TS_MASK and 0 <= sequence <= _SEQ_MASK and 0 <= timestamp <= _TS_MASK):
            raise OutgoingError(
                f"SSRC and timestamp are 32-bit, the sequence 16-bit: {ssrc}, {timestamp}, {sequence}"
            )
        if clock_rate <= 0:
            raise OutgoingError(f"an RTP clock rate is positive, not {clock_rate}")
        self.payload_type = payload_type
        self.ssrc = ssrc
        self._start = start
        self._base = timestamp
        self._rate = clock_rate
        self._sequence = sequence
        self._encode = alaw_encode_array if payload_type == PCMA else ulaw_encode_array
        self._audio_end: int | None = None  # media-clock position (samples) just after the last audio sent
        self.packets = 0
        """Packets numbered so far."""

    def rtp_time(self, now: float) -> int:
        """The RTP timestamp of the moment `now` on the stream's media clock."""
        return (self._base + round((now - self._start) * self._rate)) & _TS_MASK

    def audio(self, samples: npt.NDArray[np.int16], now: float) -> RtpPacket:
        """One packet of audio whose first sample is due at `now` (marked if it follows a gap)."""
        if samples.dtype != np.int16 or samples.ndim != 1 or samples.size == 0:
            raise OutgoingError("audio to send is one non-empty channel of 16-bit samples")
        position = round((now - self._start) * self._rate)
        marker = self._audio_end is None or position != self._audio_end
        self._audio_end = position + samples.size
        payload = self._encode(samples).tobytes()
        return self._packet(self.payload_type, (self._base + position) & _TS_MASK, payload, marker)

    def frame(self, frame: PlayerFrame) -> RtpPacket:
        """The packet for a player frame (timestamp from its due time: start + index·20 ms)."""
        return self.audio(frame.samples, frame.due)

    def event(self, event: OutgoingEvent) -> RtpPacket:
        """The packet for an RFC 4733 event from `DtmfSender` (its timestamp taken from `rtp_time`)."""
        return self._packet(event.payload_type, event.timestamp, bytes(event.event), event.marker)

    def _packet(self, payload_type: int, timestamp: int, payload: bytes, marker: bool) -> RtpPacket:
        packet = RtpPacket(payload_type, self._sequence, timestamp, self.ssrc, payload, marker)
        self._sequence = (self._sequence + 1) & _SEQ_MASK
        self.packets += 1
        return packet
