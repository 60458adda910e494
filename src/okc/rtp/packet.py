"""RTP data packets (RFC 3550 section 5.1), serial-number arithmetic, and the A.1 source validator.

`RtpPacket` is a frozen value: `RtpPacket.parse(data)` reads a datagram (raising `RtpError` with a reason on
anything malformed) and `bytes(packet)` writes it back. `SourceTracker` follows one stream's sequence
numbers the way RFC 3550 appendix A.1 does — probation before a source is believed, the extended highest
sequence number across wraps, re-sync after two packets that agree on a large jump — and says per packet
what happened, so statistics, the jitter buffer and symmetric-RTP latching agree on one view.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Final, NoReturn

from okc.errors import OkcError

__all__ = [
    "MAX_DROPOUT",
    "MAX_MISORDER",
    "MIN_SEQUENTIAL",
    "PCMA",
    "PCMU",
    "RTCP_PAYLOAD_TYPES",
    "HeaderExtension",
    "RtpError",
    "RtpPacket",
    "SequenceEvent",
    "SequenceUpdate",
    "SourceTracker",
    "seq_distance",
    "seq_newer",
    "ts_distance",
    "ts_newer",
]

PCMU: Final = 0
"""Static payload type of G.711 mu-law, 8 kHz (RFC 3551 table 4)."""
PCMA: Final = 8
"""Static payload type of G.711 A-law, 8 kHz (RFC 3551 table 4)."""
RTCP_PAYLOAD_TYPES: Final = range(72, 77)
"""RTP payload types that collide with RTCP SR, RR, SDES, BYE and APP on a shared port (RFC 5761 §4)."""

MIN_SEQUENTIAL: Final = 2
"""In-sequence packets a new source must send before it is believed (RFC 3550 A.1)."""
MAX_DROPOUT: Final = 3000
"""The largest forward jump in sequence numbers taken as loss rather than a restart (RFC 3550 A.1)."""
MAX_MISORDER: Final = 100
"""How far behind the highest sequence number a packet may be and still count as late (RFC 3550 A.1)."""

_HEADER: Final = struct.Struct("!BBHII")
_SEQ_MOD: Final = 1 << 16
_TS_MOD: Final = 1 << 32
_MAX_CSRCS: Final = 15
_WINDOW: Final = (1 << 128) - 1  # sequence numbers remembered behind the highest, for duplicates


class RtpError(OkcError):
    """A datagram that is not a well-formed RTP or RTCP packet, or a field out of range."""


def seq_distance(older: int, newer: int) -> int:
    """How far `newer` is ahead of `older` in 16-bit serial arithmetic, in -32768 … 32767."""
    return ((newer - older + 0x8000) & 0xFFFF) - 0x8000


def seq_newer(a: int, b: int) -> bool:
    """Whether sequence number `a` comes after `b` (modulo 2^16, the nearer way round)."""
    return seq_distance(b, a) > 0


def ts_distance(older: int, newer: int) -> int:
    """How far timestamp `newer` is ahead of `older` in 32-bit serial arithmetic (signed)."""
    return ((newer - older + 0x8000_0000) & 0xFFFF_FFFF) - 0x8000_0000


def ts_newer(a: int, b: int) -> bool:
    """Whether RTP timestamp `a` is later than `b` (modulo 2^32, the nearer way round)."""
    return ts_distance(b, a) > 0


@dataclass(frozen=True, slots=True)
class HeaderExtension:
    """The RTP header extension: a 16-bit profile-defined value and 32-bit-aligned data (RFC 3550 5.3.1)."""

    profile: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.profile <= 0xFFFF:
            raise RtpError(f"a header extension profile is 16 bits, not {self.profile}")
        if len(self.data) % 4 or len(self.data) > 4 * 0xFFFF:
            raise RtpError(f"header extension data is whole 32-bit words, not {len(self.data)} bytes")


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet; `padding` counts the padding octets on the wire (0: none) for exact round trips."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: HeaderExtension | None = None
    padding: int = 0

    def __post_init__(self) -> None:
        # One combined test on the hot path (every received packet); the reason is found only on failure.
        payload_type = self.payload_type
        if not (
            (0 <= payload_type < 72 or 76 < payload_type <= 127)
            and 0 <= self.sequence <= 0xFFFF
            and 0 <= self.timestamp <= 0xFFFF_FFFF
            and 0 <= self.ssrc <= 0xFFFF_FFFF
            and 0 <= self.padding <= 255
            and (not self.csrcs or self._csrcs_valid())
        ):
            self._refuse()

    def _csrcs_valid(self) -> bool:
        return len(self.csrcs) <= _MAX_CSRCS and all(0 <= csrc <= 0xFFFF_FFFF for csrc in self.csrcs)

    def _refuse(self) -> NoReturn:
        """Raise RtpError naming the first field out of range."""
        if not 0 <= self.payload_type <= 127:
            raise RtpError(f"an RTP payload type is 0 … 127, not {self.payload_type}")
        if self.payload_type in RTCP_PAYLOAD_TYPES:
            raise RtpError(f"payload type {self.payload_type} is taken by RTCP (72 … 76, RFC 5761)")
        if not 0 <= self.sequence <= 0xFFFF:
            raise RtpError(f"an RTP sequence number is 16 bits, not {self.sequence}")
        if not 0 <= self.timestamp <= 0xFFFF_FFFF:
            raise RtpError(f"an RTP timestamp is 32 bits, not {self.timestamp}")
        if not 0 <= self.ssrc <= 0xFFFF_FFFF:
            raise RtpError(f"an SSRC is 32 bits, not {self.ssrc}")
        if len(self.csrcs) > _MAX_CSRCS:
            raise RtpError(f"an RTP packet carries at most 15 CSRCs, not {len(self.csrcs)}")
        if not 0 <= self.padding <= 255:
            raise RtpError(f"RTP padding is 0 … 255 octets, not {self.padding}")
        raise RtpError(f"a CSRC is 32 bits: {self.csrcs}")

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Read one RTP packet; raise RtpError saying what is wrong with a malformed one."""
        size = len(data)
        if size < 12:
            raise RtpError(f"an RTP packet is at least 12 bytes, not {size}")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first == 0x80 and not 72 <= second & 0x7F <= 76:  # the common case: a bare header
            return cls(second & 0x7F, sequence, timestamp, ssrc, bytes(data[12:]), second > 0x7F)
        if first >> 6 != 2:
            raise RtpError(f"RTP version {first >> 6}, not 2")
        payload_type = second & 0x7F
        if payload_type in RTCP_PAYLOAD_TYPES:
            raise RtpError(f"payload type {payload_type} is RTCP (packet type {second}), not RTP")
        count = first & 0x0F
        offset = 12 + 4 * count
        if size < offset:
            raise RtpError(f"{count} CSRCs need {offset} bytes; the packet has {size}")
        csrcs = struct.unpack_from(f"!{count}I", data, 12) if count else ()
        extension = None
        if first & 0x10:
            if size < offset + 4:
                raise RtpError("the header extension's own header is cut short")
            profile, words = struct.unpack_from("!HH", data, offset)
            start = offset + 4
            offset = start + 4 * words
            if offset > size:
                raise RtpError(f"the header extension of {words} words runs past the packet's end")
            extension = HeaderExtension(profile, bytes(data[start:offset]))
        end = size
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0:
                raise RtpError("the padding bit is set but the padding count is 0")
            end -= padding
            if end < offset:
                raise RtpError(f"{padding} padding octets overrun the {size - offset} after the header")
        return cls(
            payload_type,
            sequence,
            timestamp,
            ssrc,
            bytes(data[offset:end]),
            bool(second & 0x80),
            csrcs,
            extension,
            padding,
        )

    def serialize(self) -> bytes:
        """The packet on the wire; padding is zero octets ending in the count."""
        first = 0x80 | len(self.csrcs)
        if self.padding:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        parts = [
            _HEADER.pack(
                first,
                (0x80 if self.marker else 0) | self.payload_type,
                self.sequence,
                self.timestamp,
                self.ssrc,
            )
        ]
        if self.csrcs:
            parts.append(struct.pack(f"!{len(self.csrcs)}I", *self.csrcs))
        if self.extension is not None:
            parts.append(struct.pack("!HH", self.extension.profile, len(self.extension.data) // 4))
            parts.append(self.extension.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes((self.padding,)))
        return b"".join(parts)

    def __bytes__(self) -> bytes:
        return self.serialize()


class SequenceEvent(enum.Enum):
    """What one packet meant to its source's sequence (RFC 3550 A.1)."""

    ACCEPTED = "accepted"
    """In order (or after a gap below MAX_DROPOUT): play it."""
    LATE = "late"
    """Behind the highest sequence number by at most MAX_MISORDER, not seen before: reordered."""
    DUPLICATE = "duplicate"
    """A sequence number already received within the misorder window."""
    PROBATION = "probation"
    """From a source not yet believed (fewer than MIN_SEQUENTIAL in-sequence packets): not played."""
    NEW_SOURCE = "new_source"
    """The first believed packet of a new source (new SSRC, or a restart after a large jump): reset."""
    JUMP = "jump"
    """A large jump from the believed source; dropped unless the next packet continues from it."""


_PLAYABLE: Final = frozenset({SequenceEvent.ACCEPTED, SequenceEvent.LATE, SequenceEvent.NEW_SOURCE})


@dataclass(frozen=True, slots=True)
class SequenceUpdate:
    """The event for one packet and, when it belongs to the believed source, its extended sequence."""

    event: SequenceEvent
    ssrc: int
    extended: int | None = None

    @property
    def playable(self) -> bool:
        """Whether the packet is media of the believed source to decode (accepted, late or new source)."""
        return self.event in _PLAYABLE


class _Sequence:
    """RFC 3550 A.1's per-source state, with a bitmap of the last 128 sequence numbers for duplicates."""

    __slots__ = ("bad_seq", "base_seq", "cycles", "max_seq", "probation", "received", "seen")

    def __init__(self, seq: int) -> None:
        self.init(seq)
        self.max_seq = (seq - 1) & 0xFFFF
        self.probation = MIN_SEQUENTIAL

    def init(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = _SEQ_MOD + 1  # no sequence number equals it
        self.cycles = 0
        self.received = 0
        self.probation = 0
        self.seen = 0b11  # this packet and the one before it, which proved the sequence (probation/re-sync)

    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq


class SourceTracker:
    """Validates one received stream per RFC 3550 A.1 and latches a new SSRC only after probation.

    The believed source keeps playing while other SSRCs are on probation, so one stray packet (or a
    few out-of-sequence ones) cannot take the stream over; each SSRC is on probation on its own (the
    MAX_CANDIDATES most recent), so strays interleaved with a starting stream do not delay it either.
    `received` counts as A.1 does — late and duplicate packets included — so cumulative loss may go
    negative, as RFC 3550 6.4.1 allows.
    """

    __slots__ = ("_candidates", "_current", "_ssrc")

    MAX_CANDIDATES: Final = 8

    def __init__(self) -> None:
        self._ssrc: int | None = None
        self._current: _Sequence | None = None
        self._candidates: dict[int, _Sequence] = {}

    @property
    def ssrc(self) -> int | None:
        """The believed source's SSRC, None before any source passed probation."""
        return self._ssrc

    @property
    def base_seq(self) -> int:
        """The believed source's first sequence number (A.1 base_seq); 0 before there is one."""
        return 0 if self._current is None else self._current.base_seq

    @property
    def extended_max(self) -> int:
        """The believed source's extended highest sequence number (cycles + max_seq)."""
        return 0 if self._current is None else self._current.extended_max

    @property
    def received(self) -> int:
        """Packets received from the believed source since it was (re)initialised."""
        return 0 if self._current is None else self._current.received

    @property
    def expected(self) -> int:
        """Packets expected from the believed source: extended max − base + 1 (A.3)."""
        if self._current is None:
            return 0
        return self._current.extended_max - self._current.base_seq + 1

    def update(self, ssrc: int, seq: int) -> SequenceUpdate:
        """Account for one packet's SSRC and sequence number and say what it means."""
        current = self._current
        if current is not None and ssrc == self._ssrc:
            return self._update_current(current, ssrc, seq)
        candidates = self._candidates
        candidate = candidates.get(ssrc)
        if candidate is None:
            if len(candidates) >= self.MAX_CANDIDATES:
                del candidates[next(iter(candidates))]  # forget the longest-waiting stranger
            candidate = candidates[ssrc] = _Sequence(seq)
        if seq == (candidate.max_seq + 1) & 0xFFFF:
            candidate.probation -= 1
            candidate.max_seq = seq
            if candidate.probation == 0:
                candidate.init(seq)
                candidate.received = 1
                self._ssrc, self._current = ssrc, candidate
                candidates.clear()  # the others start over, as strangers to the new source
                return SequenceUpdate(SequenceEvent.NEW_SOURCE, ssrc, candidate.extended_max)
        else:
            candidate.probation = MIN_SEQUENTIAL - 1
            candidate.max_seq = seq
        return SequenceUpdate(SequenceEvent.PROBATION, ssrc)

    def _update_current(self, state: _Sequence, ssrc: int, seq: int) -> SequenceUpdate:
        udelta = (seq - state.max_seq) & 0xFFFF
        if udelta == 0:
            state.received += 1
            return SequenceUpdate(SequenceEvent.DUPLICATE, ssrc, state.extended_max)
        if udelta < MAX_DROPOUT:
            if seq < state.max_seq:
                state.cycles += _SEQ_MOD
            state.max_seq = seq
            state.seen = ((state.seen << udelta) | 1) & _WINDOW
            state.received += 1
            return SequenceUpdate(SequenceEvent.ACCEPTED, ssrc, state.cycles + seq)
        if udelta <= _SEQ_MOD - MAX_MISORDER:
            if seq == state.bad_seq:
                # Two sequential packets after a jump: the sender restarted without telling us (A.1).
                state.init(seq)
                state.received = 1
                return SequenceUpdate(SequenceEvent.NEW_SOURCE, ssrc, state.extended_max)
            state.bad_seq = (seq + 1) & 0xFFFF
            return SequenceUpdate(SequenceEvent.JUMP, ssrc)
        behind = _SEQ_MOD - udelta  # 1 … MAX_MISORDER - 1
        extended = state.extended_max - behind  # negative for a packet from before the first wrap
        state.received += 1
        bit = 1 << behind
        if state.seen & bit:
            return SequenceUpdate(SequenceEvent.DUPLICATE, ssrc, extended)
        state.seen |= bit
        return SequenceUpdate(SequenceEvent.LATE, ssrc, extended)
