"""RTP relay between two call legs without decoding, rewriting headers only when it has to.

When nobody needs the audio, okc forwards each leg's packets to the other leg untouched. A relay stays
transparent until the incoming source changes (a new SSRC, or a jump in sequence numbers: the far end
was transferred, re-INVITEd to another media server, restarted its stream) — as the receiving session's
RFC 3550 A.1 source tracker judges it, so a new source is one that has passed probation. From then on
the outgoing stream keeps the SSRC the other side already knows, its sequence numbers continue by one,
and its timestamps advance with the time that passed, so the receiver's jitter buffer sees one
continuous stream (the first rewritten packet carries the marker bit, as a new talkspurt).
`RewriteMode.ALWAYS` rewrites every packet to an SSRC of the relay's own (topology hiding);
`RewriteMode.NEVER` never touches a byte.
RTCP is forwarded as it came (reports keep the sender's own SSRCs). `StreamRewriter` is sans-I/O;
`relay()` wires two endpoints together.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from okc.errors import OkcError
from okc.rtp.endpoint import RtcpReceived, RtpEndpoint, RtpReceived
from okc.rtp.packet import SequenceEvent

__all__ = ["Relay", "RelayError", "RewriteMode", "StreamRewriter", "relay"]

_CLOCK_RATE: Final = 8000  # G.711 and telephone-event, the payloads okc negotiates
_SEQ_TS_SSRC: Final = struct.Struct("!HII")


class RelayError(OkcError):
    """A relay configured inconsistently (an own SSRC without ALWAYS, or the reverse)."""


class RewriteMode(enum.Enum):
    """When the relay rewrites SSRC, sequence number and timestamp."""

    NEVER = "never"  # never: packets leave exactly as they came
    AUTO = "auto"  # only after the incoming source changes, to keep the outgoing stream continuous
    ALWAYS = "always"  # every packet, to the relay's own SSRC


@dataclass(slots=True)
class _Offsets:
    sequence: int = 0
    timestamp: int = 0


class StreamRewriter:
    """Turns one leg's incoming packets into the other leg's outgoing stream (sans-I/O)."""

    def __init__(self, mode: RewriteMode = RewriteMode.AUTO, ssrc: int | None = None) -> None:
        if (mode is RewriteMode.ALWAYS) != (ssrc is not None):
            raise RelayError("an own SSRC goes with RewriteMode.ALWAYS, and ALWAYS needs one")
        if ssrc is not None and not 0 <= ssrc < 1 << 32:
            raise RelayError(f"an SSRC is 32-bit, not {ssrc}")
        self._mode = mode
        self._out_ssrc = ssrc
        self._in_ssrc: int | None = None
        self._offsets = _Offsets()
        self._rewriting = mode is RewriteMode.ALWAYS
        self._last_sequence = 0  # last sequence number sent
        self._last_timestamp = 0
        self._last_arrival = 0.0
        self._mark = False
        self.source_changes = 0

    def forward(self, packet: RtpReceived) -> bytes:
        """The datagram to send on the other leg for this packet."""
        if self._mode is RewriteMode.NEVER:
            return packet.data
        if packet.event is SequenceEvent.NEW_SOURCE or self._in_ssrc is None:
            self._new_source(packet)
        sequence = (packet.sequence + self._offsets.sequence) & 0xFFFF
        timestamp = (packet.timestamp + self._offsets.timestamp) & 0xFFFFFFFF
        if (sequence - self._last_sequence) & 0xFFFF < 0x8000:  # not older than the last one sent
            self._last_sequence, self._last_timestamp = sequence, timestamp
            self._last_arrival = packet.arrival
        if not self._rewriting:
            return packet.data
        data = bytearray(packet.data)
        ssrc = self._out_ssrc if self._out_ssrc is not None else packet.ssrc
        _SEQ_TS_SSRC.pack_into(data, 2, sequence, timestamp, ssrc)
        if self._mark:
            data[1] |= 0x80
            self._mark = False
        return bytes(data)

    def _new_source(self, packet: RtpReceived) -> None:
        first = self._in_ssrc is None
        self._in_ssrc = packet.ssrc
        if first:
            if self._out_ssrc is None:
                self._out_ssrc = packet.ssrc
            self._last_sequence = (packet.sequence - 1) & 0xFFFF
            self._last_timestamp = packet.timestamp
            self._last_arrival = packet.arrival
            if self._mode is RewriteMode.AUTO:
                return
        else:
            self.source_changes += 1
            self._rewriting = True
            self._mark = True
        elapsed = max(1, round((packet.arrival - self._last_arrival) * _CLOCK_RATE))
        target_sequence = (self._last_sequence + 1) & 0xFFFF
        target_timestamp = (self._last_timestamp + (0 if first else elapsed)) & 0xFFFFFFFF
        self._offsets = _Offsets(
            (target_sequence - packet.sequence) & 0xFFFF, (target_timestamp - packet.timestamp) & 0xFFFFFFFF
        )


@dataclass(slots=True)
class Relay:
    """Two endpoints forwarding to each other; `tap` sees every forwarded packet (e.g. to record it)."""

    a: RtpEndpoint
    b: RtpEndpoint
    a_to_b: StreamRewriter
    b_to_a: StreamRewriter
    tap: Callable[[RtpEndpoint, RtpReceived], None] | None = None
    forwarded: int = 0
    unroutable: int = 0

    def stop(self) -> None:
        """Stop forwarding (the endpoints stay open)."""
        self.a.on_rtp = self.b.on_rtp = None
        self.a.on_rtcp = self.b.on_rtcp = None


def relay(
    a: RtpEndpoint,
    b: RtpEndpoint,
    mode: RewriteMode = RewriteMode.AUTO,
    *,
    ssrcs: tuple[int, int] | None = None,
    tap: Callable[[RtpEndpoint, RtpReceived], None] | None = None,
) -> Relay:
    """Forward RTP and RTCP between two endpoints; with ALWAYS, `ssrcs` are the SSRCs sent to b and to a."""
    to_b, to_a = ssrcs if ssrcs is not None else (None, None)
    link = Relay(a, b, StreamRewriter(mode, to_b), StreamRewriter(mode, to_a), tap)

    def make_rtp(
        source: RtpEndpoint, target: RtpEndpoint, rewriter: StreamRewriter
    ) -> Callable[[RtpReceived], None]:
        def on_rtp(packet: RtpReceived) -> None:
            if target.send_rtp(rewriter.forward(packet)):
                link.forwarded += 1
            else:
                link.unroutable += 1
            if link.tap is not None:
                link.tap(source, packet)

        return on_rtp

    def make_rtcp(target: RtpEndpoint) -> Callable[[RtcpReceived], None]:
        def on_rtcp(report: RtcpReceived) -> None:
            target.send_rtcp(report.data)

        return on_rtcp

    a.on_rtp = make_rtp(a, b, link.a_to_b)
    b.on_rtp = make_rtp(b, a, link.b_to_a)
    a.on_rtcp = make_rtcp(b)
    b.on_rtcp = make_rtcp(a)
    return link
