"""DTMF digits as RFC 4733 telephone events: the payload, a sending schedule and a receiving state machine.

Both the RFC 4733 receiver here and the in-band detector (`okc.rtp.goertzel`) report the one `DigitEvent`
type, so what a call does with a digit does not depend on how the far end sent it. Sender and receiver are
sans-I/O: the sender says which payloads to send when (`get_timer`/`handle_timer`), the receiver is fed
packets with their arrival time and ends an event whose end packets were all lost on a timer.
"""

from __future__ import annotations

import enum
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from okc.errors import OkcError
from okc.rtp.packet import RtpPacket, ts_distance, ts_newer

__all__ = [
    "DIGITS",
    "DigitEvent",
    "DigitSource",
    "DtmfError",
    "DtmfReceiver",
    "DtmfSender",
    "OutgoingEvent",
    "TelephoneEvent",
    "digit_code",
]

DIGITS: Final = "0123456789*#ABCD"
"""The DTMF digit of each RFC 4733 event code 0 … 15 (section 3.2)."""
MAX_DURATION: Final = 0xFFFF
"""The largest duration one packet can carry; longer events are sent in segments (RFC 4733 2.5.1.3)."""
_PAYLOAD: Final = struct.Struct("!BBH")


class DtmfError(OkcError):
    """A malformed telephone-event payload, an unknown digit or an invalid DTMF setting."""


class DigitSource(enum.Enum):
    """How a digit reached us."""

    INBAND = "inband"
    """Heard as tones in the audio (Goertzel detector)."""
    RFC4733 = "rfc4733"
    """Received as RTP telephone events."""


@dataclass(frozen=True, slots=True)
class DigitEvent:
    """One digit a caller pressed: which, when it started (seconds on the feeder's clock) and for how long."""

    digit: str
    start_time: float
    duration: float
    source: DigitSource

    def __post_init__(self) -> None:
        if len(self.digit) != 1 or self.digit not in DIGITS:
            raise DtmfError(f"{self.digit!r} is not a DTMF digit (0-9, *, #, A-D)")
        if self.duration < 0:
            raise DtmfError(f"a digit lasts a non-negative time, not {self.duration}")


def digit_code(digit: str) -> int:
    """The RFC 4733 event code of a DTMF digit (case-insensitive for A–D)."""
    code = DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if code < 0:
        raise DtmfError(f"{digit!r} is not a DTMF digit (0-9, *, #, A-D)")
    return code


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """The 4-octet RFC 4733 payload: event code, end bit, volume (−dBm0, 0 … 63) and duration in RTP units."""

    event: int
    end: bool = False
    volume: int = 10
    duration: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.event <= 255:
            raise DtmfError(f"an event code is 0 … 255, not {self.event}")
        if not 0 <= self.volume <= 63:
            raise DtmfError(f"a telephone-event volume is 0 … 63 (−dBm0), not {self.volume}")
        if not 0 <= self.duration <= MAX_DURATION:
            raise DtmfError(f"a telephone-event duration is 0 … 65535 units, not {self.duration}")

    @classmethod
    def parse(cls, data: bytes) -> TelephoneEvent:
        """Read the payload; the R bit is ignored on receipt as section 2.3 requires."""
        if len(data) < 4:
            raise DtmfError(f"a telephone-event payload is 4 octets, not {len(data)}")
        event, flags, duration = _PAYLOAD.unpack_from(data)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def __bytes__(self) -> bytes:
        return _PAYLOAD.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)

    @property
    def digit(self) -> str | None:
        """The DTMF digit this event is, or None for other events (flash, tones)."""
        return DIGITS[self.event] if self.event < len(DIGITS) else None


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """One telephone-event packet due now: the endpoint adds its sequence number and SSRC."""

    payload_type: int
    timestamp: int
    marker: bool
    event: TelephoneEvent

    def packet(self, sequence: int, ssrc: int) -> RtpPacket:
        """The RTP packet to send."""
        return RtpPacket(self.payload_type, sequence, self.timestamp, ssrc, bytes(self.event), self.marker)


@dataclass(frozen=True, slots=True)
class _Queued:
    code: int
    start: float  # seconds on the caller's clock
    timestamp: int
    units: int  # total duration in RTP timestamp units


class DtmfSender:
    """Schedules RFC 4733 packets for digits: a marked start, updates every interval, three end packets.

    Every packet of an event carries the event's start timestamp and the duration so far. Events longer
    than 65535 units are split into segments whose timestamps advance by 65535 (RFC 4733 2.5.1.3); only the
    first packet of the first segment is marked. Digits queued while one is playing follow it after `gap`.
    """

    def __init__(
        self,
        payload_type: int = 101,
        *,
        clock_rate: int = 8000,
        interval: float = 0.05,
        volume: int = 10,
        end_repeats: int = 3,
        gap: float = 0.1,
    ) -> None:
        if not 96 <= payload_type <= 127:
            raise DtmfError(f"telephone-event takes a dynamic payload type 96 … 127, not {payload_type}")
        if clock_rate <= 0 or interval <= 0 or gap < 0 or end_repeats < 1:
            raise DtmfError("clock rate and interval must be positive, gap non-negative, end repeats ≥ 1")
        if not 0 <= volume <= 63:
            raise DtmfError(f"a telephone-event volume is 0 … 63, not {volume}")
        self._pt = payload_type
        self._rate = clock_rate
        self._interval = interval
        self._volume = volume
        self._repeats = end_repeats
        self._gap = gap
        self._queue: deque[_Queued] = deque()
        self._sent = 0  # packets of the current event already produced (0: not started)
        self._segment = 0  # segments of the current event already closed
        self._next: float | None = None

    @property
    def busy(self) -> bool:
        """Whether an event is being sent or waiting to be."""
        return bool(self._queue)

    def send(self, digit: str, duration: float, now: float, timestamp: int) -> None:
        """Queue a digit lasting `duration` seconds; `timestamp` is the media clock's RTP time at `now`."""
        if duration <= 0:
            raise DtmfError(f"a digit lasts a positive time, not {duration}")
        if not 0 <= timestamp <= 0xFFFF_FFFF:
            raise DtmfError(f"an RTP timestamp is 32 bits, not {timestamp}")
        code = digit_code(digit)
        start = now
        if self._queue:
            last = self._queue[-1]
            start = max(
                now, last.start + last.units / self._rate + self._repeats * self._interval + self._gap
            )
        stamp = (timestamp + round((start - now) * self._rate)) & 0xFFFF_FFFF
        self._queue.append(_Queued(code, start, stamp, max(1, round(duration * self._rate))))
        if self._next is None:
            self._next = start

    def get_timer(self) -> float | None:
        """When handle_timer next has a packet to give, or None when idle."""
        return self._next

    def handle_timer(self, now: float) -> list[OutgoingEvent]:
        """Every packet due by `now` (several if the caller was late), in sending order."""
        out: list[OutgoingEvent] = []
        while self._next is not None and self._next <= now:
            out.extend(self._emit())
        return out

    def _emit(self) -> list[OutgoingEvent]:
        current = self._queue[0]
        step = round(self._interval * self._rate)
        elapsed = min(self._sent * step, current.units)
        out: list[OutgoingEvent] = []
        # Close every segment the event has run past with a packet at the full 65535 units.
        while elapsed > (self._segment + 1) * MAX_DURATION:
            out.append(self._packet(current, self._segment, MAX_DURATION, end=False))
            self._segment += 1
        ending = elapsed >= current.units
        duration = elapsed - self._segment * MAX_DURATION
        out.append(self._packet(current, self._segment, duration, end=ending))
        self._sent += 1
        if not ending:
            self._next = current.start + self._sent * self._interval
            return out
        repeats_done = self._sent - (-(-current.units // step)) - 1  # end packets beyond the first
        if repeats_done + 1 < self._repeats:
            self._next = current.start + self._sent * self._interval
            return out
        self._queue.popleft()
        self._sent = self._segment = 0
        self._next = self._queue[0].start if self._queue else None
        return out

    def _packet(self, current: _Queued, segment: int, duration: int, *, end: bool) -> OutgoingEvent:
        stamp = (current.timestamp + segment * MAX_DURATION) & 0xFFFF_FFFF
        marker = self._sent == 0 and segment == 0
        event = TelephoneEvent(current.code, end, self._volume, duration)
        return OutgoingEvent(self._pt, stamp, marker, event)


@dataclass(slots=True)
class _Heard:
    """The event being received: its source, its first segment's timestamp, the current one's, and what we
    know."""

    ssrc: int | None
    code: int
    first_stamp: int
    stamp: int
    base: int  # units in closed segments
    duration: int  # units in the current segment, the largest seen
    first_seen: float
    last_seen: float


@dataclass(slots=True)
class _History:
    """What one source has sent: the last-segment timestamps of its recent ended events, its newest event."""

    finished: deque[int] = field(default_factory=lambda: deque(maxlen=32))
    newest: int | None = None


_MAX_SOURCES: Final = 8
"""Sources whose history is kept (the current one, ones it replaced, strays)."""


class DtmfReceiver:
    """Turns received telephone-event packets into one `DigitEvent` per digit, emitted when it ends.

    An event is identified by its RTP timestamp: a packet with a new, later timestamp starts a new event
    (ending the previous one if its end packets were lost), so a lost start packet does not lose the digit.
    End redundancy and late packets of finished events are recognised by timestamp and ignored. An event
    that stops receiving packets ends after `timeout` seconds (`get_timer`/`handle_timer`).

    Timestamps only compare within one source, so the history is kept per SSRC: after the far end is
    replaced (a transfer, media moved to another gateway) the new source's digits count whatever its
    timestamps, and a late packet of the old source neither repeats its digit nor cuts the new one short.
    `reset()` forgets everything, for a source restarted under the same SSRC (a sequence jump).
    """

    def __init__(self, payload_type: int = 101, *, clock_rate: int = 8000, timeout: float = 0.25) -> None:
        if clock_rate <= 0 or timeout <= 0:
            raise DtmfError("clock rate and timeout must be positive")
        self._pt = payload_type
        self._rate = clock_rate
        self._timeout = timeout
        self._current: _Heard | None = None
        self._histories: dict[int | None, _History] = {}
        self._last_ssrc: int | None = None
        self.ignored = 0
        """Packets that changed nothing: redundant ends, duplicates, late packets of ended events."""

    def receive(self, packet: RtpPacket, now: float) -> list[DigitEvent]:
        """Feed one RTP packet of the telephone-event payload type; return digits that ended."""
        if packet.payload_type != self._pt:
            raise DtmfError(f"payload type {packet.payload_type} is not telephone-event ({self._pt})")
        return self.receive_event(
            TelephoneEvent.parse(packet.payload), packet.timestamp, now, ssrc=packet.ssrc
        )

    def receive_event(
        self, event: TelephoneEvent, timestamp: int, now: float, *, ssrc: int | None = None
    ) -> list[DigitEvent]:
        """Feed one parsed payload with its packet's RTP timestamp and SSRC (None: the last one seen)."""
        out: list[DigitEvent] = []
        if ssrc is None:
            ssrc = self._last_ssrc
        self._last_ssrc = ssrc
        history = self._history(ssrc)
        current = self._current
        if current is not None and current.ssrc != ssrc:
            if self._is_old(history, timestamp) or event.digit is None:
                self.ignored += 1  # a late packet of another source
                return out
            out.extend(self._end())  # another source has started an event: the open one is over
            current = None
        if current is not None and timestamp != current.stamp:
            continues = (
                event.event == current.code
                and ts_distance(current.stamp, timestamp) == MAX_DURATION
                and ts_newer(timestamp, current.stamp)
            )
            if continues:  # the next segment of a long event
                current.base += MAX_DURATION
                current.stamp = timestamp
                current.duration = 0
                history.newest = timestamp
            elif ts_newer(timestamp, current.stamp) and not self._is_segment_of(current, timestamp):
                out.extend(self._end())
                current = None
            else:  # an older packet (a late one of this event's earlier segment, or of an older event)
                self.ignored += 1
                return out
        if current is None:
            if self._is_old(history, timestamp) or event.digit is None:
                self.ignored += 1
                return out
            start = now - event.duration / self._rate
            current = _Heard(ssrc, event.event, timestamp, timestamp, 0, 0, start, now)
            self._current = current
            history.newest = timestamp
        current.duration = max(current.duration, event.duration)
        current.last_seen = now
        if event.end:
            out.extend(self._end())
        return out

    def _history(self, ssrc: int | None) -> _History:
        history = self._histories.get(ssrc)
        if history is None:
            if len(self._histories) >= _MAX_SOURCES:  # forget the source heard of longest ago
                del self._histories[next(iter(self._histories))]
            history = self._histories[ssrc] = _History()
        return history

    def _is_segment_of(self, current: _Heard, timestamp: int) -> bool:
        """Whether timestamp is an earlier segment's start of the current event (a late packet)."""
        back = ts_distance(current.first_stamp, timestamp)
        return 0 <= back < ts_distance(current.first_stamp, current.stamp) and back % MAX_DURATION == 0

    @staticmethod
    def _is_old(history: _History, timestamp: int) -> bool:
        if timestamp in history.finished:
            return True
        return history.newest is not None and not ts_newer(timestamp, history.newest)

    def reset(self) -> list[DigitEvent]:
        """Start over (a source restarted under the same SSRC): end the open event, which is returned, and
        forget every source's timestamps."""
        out = self._end()
        self._histories.clear()
        return out

    def get_timer(self) -> float | None:
        """When an event still open without packets will be ended, or None."""
        return None if self._current is None else self._current.last_seen + self._timeout

    def handle_timer(self, now: float) -> list[DigitEvent]:
        """End the open event if no packet came for `timeout` seconds."""
        current = self._current
        if current is not None and now >= current.last_seen + self._timeout:
            return self._end()
        return []

    def _end(self) -> list[DigitEvent]:
        current = self._current
        if current is None:
            return []
        self._current = None
        self._history(current.ssrc).finished.append(current.stamp)
        units = current.base + current.duration
        return [DigitEvent(DIGITS[current.code], current.first_seen, units / self._rate, DigitSource.RFC4733)]
