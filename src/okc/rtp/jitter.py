"""An adaptive jitter buffer for 20 ms G.711 frames on an injected clock.

`push(packet, arrival)` files a packet; `pop(now)`, called once per 20 ms tick, always returns exactly one
frame of PCM: audio, a concealed frame or silence. The playout delay adapts the way WebRTC's NetEQ does it:
each packet's delay relative to the fastest packet of the last two seconds goes into a histogram that
forgets old packets exponentially (about 4 s), and the target delay is its 99th percentile (the 95th
let late loss pass 1 % on benchmarks/bench_jitter.py's heavier traces). The buffer steers toward
the target only where no one hears it — it drops low-energy frames when it holds too much and inserts
silence in pauses when it holds too little, shortens silent gaps (DTX) when it holds too much — and
otherwise by waiting on an underrun. Loss is concealed by
repeating the last frame with a fade to silence over three frames. Packets late for their slot and
duplicates are dropped and counted; a new SSRC or a large sequence jump starts over.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from okc.errors import OkcError
from okc.rtp.g711 import alaw_decode, ulaw_decode
from okc.rtp.packet import PCMA, PCMU, RtpPacket, seq_distance, ts_distance

__all__ = ["Frame", "FrameKind", "JitterBuffer", "JitterConfig", "JitterError", "JitterStatistics"]

_TRANSIT_WINDOW: Final = 2.0  # seconds of packets the fastest transit is taken over
_BUCKET: Final = 0.005  # seconds per delay-histogram bucket
_DELAY_BUCKET: Final = 0.001  # seconds per added-delay statistics bucket


class JitterError(OkcError):
    """A packet the buffer cannot play (not PCMU/PCMA, or not whole frames) or an invalid setting."""


class FrameKind(enum.Enum):
    """What a popped frame holds."""

    AUDIO = "audio"
    """A received frame, decoded."""
    CONCEALED = "concealed"
    """The last frame repeated with a fade, in place of a missing one."""
    SILENCE = "silence"
    """Nothing to play: before the first packet, while filling, after a fade, or inserted to add delay."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One 20 ms tick of output: kind, 16-bit little-endian PCM, and the RTP timestamp of audio played."""

    kind: FrameKind
    pcm: bytes
    timestamp: int | None = None


@dataclass(frozen=True, slots=True)
class JitterConfig:
    """Tuning of the buffer; the defaults suit 20 ms G.711 over the public Internet."""

    frame_samples: int = 160
    sample_rate: int = 8000
    max_frames: int = 50
    """Capacity: at most this many frames (1 s) are held."""
    min_delay: float = 0.0
    """Lowest target delay, in seconds of relative delay."""
    initial_delay: float = 0.04
    """Target before the histogram has seen packets."""
    percentile: float = 0.99
    forget: float = 0.995
    """Per-packet forgetting factor of the delay histogram (200 packets, about 4 s of memory)."""
    conceal_frames: int = 3
    """Frames over which a repeated frame fades to silence."""
    quiet_rms: float = 250.0
    """Frames below this RMS (about −36 dBm0) may be dropped or padded to steer the delay."""
    reset_jump: int = 100
    """A sequence jump beyond this many packets is a restarted source."""

    def __post_init__(self) -> None:
        if self.frame_samples <= 0 or self.sample_rate <= 0 or self.max_frames < 4:
            raise JitterError("frame size and rate must be positive and the capacity at least 4 frames")
        if not 0 < self.percentile < 1 or not 0 < self.forget < 1:
            raise JitterError("the percentile and forgetting factor are within (0, 1)")
        if min(self.min_delay, self.initial_delay, self.quiet_rms) < 0:
            raise JitterError("delays and the quiet level are non-negative")
        if self.conceal_frames < 1 or self.reset_jump < 1:
            raise JitterError("conceal frames and the reset jump are at least 1")

    @property
    def frame_time(self) -> float:
        """Seconds per frame."""
        return self.frame_samples / self.sample_rate


@dataclass(frozen=True, slots=True)
class JitterStatistics:
    """What the buffer did: frames by outcome and the delay it added to the audio it played."""

    received: int
    played: int
    concealed: int
    silence: int
    late: int
    duplicates: int
    discarded: int
    resets: int
    delay_mean: float
    delay_p95: float
    target: float

    @property
    def late_loss(self) -> float:
        """Share of received frames that came after their slot had passed."""
        return self.late / self.received if self.received else 0.0


class _State(enum.Enum):
    IDLE = "idle"  # no source yet
    FILLING = "filling"  # a source, waiting for the target delay before the first frame
    PLAYING = "playing"


@dataclass(slots=True)
class _Stored:
    """One frame being assembled: its samples, how many have arrived, and when the last of them came."""

    pcm: npt.NDArray[np.int16]
    timestamp: int
    arrival: float
    filled: int = 0


class JitterBuffer:
    """Reorders, delays and conceals one incoming G.711 stream for playout at a steady 20 ms tick."""

    def __init__(self, config: JitterConfig | None = None) -> None:
        self._config = cfg = config or JitterConfig()
        self._frame = cfg.frame_time
        self._silence = bytes(2 * cfg.frame_samples)
        buckets = math.ceil(cfg.max_frames * self._frame / _BUCKET) + 1
        self._histogram = np.zeros(buckets)
        self._histogram[min(buckets - 1, round(cfg.initial_delay / _BUCKET))] = 1.0
        self._delays = np.zeros(math.ceil(cfg.max_frames * self._frame / _DELAY_BUCKET) + 2, dtype=np.int64)
        self._delay_sum = 0.0
        self._observed = 0
        self._counts = dict.fromkeys(
            ("received", "played", "concealed", "silence", "late", "duplicates", "discarded", "resets"), 0
        )
        self._start_source(None)

    def _start_source(self, ssrc: int | None) -> None:
        self._state = _State.IDLE if ssrc is None else _State.FILLING
        self._ssrc = ssrc
        self._frames: dict[int, _Stored] = {}
        self._seen: set[int] = set()  # sample offsets of packets received lately, to spot duplicates
        self._seen_order: deque[int] = deque()
        self._next: int | None = None  # frame index to play next
        self._base_ts = 0
        self._last_ts = 0
        self._last_ext = 0
        self._last_seq = 0
        self._bad_seq = -1  # the sequence number that would confirm a jump
        self._transits: deque[tuple[float, float]] = deque()  # (arrival, transit), increasing transit
        self._last_pcm: npt.NDArray[np.int16] | None = None
        self._missing = 0  # consecutive ticks without audio while playing
        self._owed = 0  # ticks concealed while waiting for the frame due, not yet set against skipped ones

    # ---- input ----------------------------------------------------------------------------------

    def push(self, packet: RtpPacket, arrival: float) -> None:
        """File one received PCMU or PCMA packet (any whole number of samples) that arrived at `arrival`."""
        cfg = self._config
        if packet.payload_type not in (PCMU, PCMA):
            raise JitterError(f"the jitter buffer plays PCMU/PCMA, not payload type {packet.payload_type}")
        if not packet.payload or len(packet.payload) > cfg.max_frames * cfg.frame_samples:
            raise JitterError(f"a {len(packet.payload)}-byte G.711 payload is empty or beyond the capacity")
        if self._ssrc is None or packet.ssrc != self._ssrc:
            self._reset(packet)
        elif abs(seq_distance(self._last_seq, packet.sequence)) > cfg.reset_jump:
            # A restarted sender, once the next packet follows on (RFC 3550 A.1); a lone stray is dropped.
            if packet.sequence != self._bad_seq:
                self._bad_seq = (packet.sequence + 1) & 0xFFFF
                self._counts["discarded"] += 1
                return
            self._reset(packet)
        ext = self._last_ext + ts_distance(self._last_ts, packet.timestamp)
        if ext > self._last_ext:
            self._last_ext, self._last_ts, self._last_seq = ext, packet.timestamp, packet.sequence
        decode = alaw_decode if packet.payload_type == PCMA else ulaw_decode
        pcm = np.frombuffer(decode(packet.payload), dtype="<i2").astype(np.int16)
        self._file(ext, pcm, arrival)  # ext counts samples from the first packet of the source

    def _reset(self, packet: RtpPacket) -> None:
        if self._ssrc is not None:
            self._counts["resets"] += 1
        self._start_source(packet.ssrc)
        self._base_ts = self._last_ts = packet.timestamp
        self._last_ext = 0
        self._last_seq = packet.sequence

    def _file(self, offset: int, pcm: npt.NDArray[np.int16], arrival: float) -> None:
        """Write a packet's samples, starting `offset` samples into the source, into the frames they cover."""
        size = self._config.frame_samples
        if offset in self._seen:
            self._counts["duplicates"] += 1
            return
        self._seen.add(offset)
        self._seen_order.append(offset)
        if len(self._seen_order) > 4 * self._config.max_frames:
            self._seen.discard(self._seen_order.popleft())
        self._counts["received"] += 1
        self._observe(offset, arrival)
        first, last = offset // size, (offset + len(pcm) - 1) // size
        if self._next is not None and last < self._next:
            self._counts["late"] += 1
            return
        if self._next is not None and last >= self._next + self._config.max_frames:
            # Far ahead of playout (a long gap in the sequence): drop what is held and go on from here.
            self._counts["discarded"] += len(self._frames)
            self._frames.clear()
            self._next = first
        for index in range(first if self._next is None else max(first, self._next), last + 1):
            stored = self._frames.get(index)
            if stored is None:
                stamp = (self._base_ts + index * size) & 0xFFFF_FFFF
                stored = self._frames[index] = _Stored(np.zeros(size, dtype=np.int16), stamp, arrival)
            low, high = max(index * size, offset), min((index + 1) * size, offset + len(pcm))
            stored.pcm[low - index * size : high - index * size] = pcm[low - offset : high - offset]
            stored.filled = min(size, stored.filled + high - low)
            stored.arrival = max(stored.arrival, arrival)
        while len(self._frames) > self._config.max_frames:  # reordered arrivals beyond capacity
            oldest = min(self._frames)
            del self._frames[oldest]
            self._counts["discarded"] += 1
            self._next = oldest + 1 if self._next is not None else None

    def _observe(self, offset: int, arrival: float) -> None:
        """Delay manager: relative delay against the fastest packet of the window, into the histogram."""
        transit = arrival - offset / self._config.sample_rate
        while self._transits and self._transits[-1][1] >= transit:
            self._transits.pop()
        self._transits.append((arrival, transit))
        while self._transits[0][0] < arrival - _TRANSIT_WINDOW:
            self._transits.popleft()
        relative = transit - self._transits[0][1]
        # Equal weights while the histogram is young (the initial target counts as one packet), then
        # exponential forgetting, as NetEQ's delay manager ramps its forget factor up.
        self._observed += 1
        forget = min(self._config.forget, 1 - 1 / (self._observed + 1))
        self._histogram *= forget
        bucket = min(len(self._histogram) - 1, math.floor(relative / _BUCKET))
        self._histogram[bucket] += 1 - forget

    # ---- playout --------------------------------------------------------------------------------

    @property
    def target(self) -> float:
        """Target delay in seconds: the configured percentile of the recent relative delays."""
        cumulative = np.cumsum(self._histogram)
        bucket = int(np.searchsorted(cumulative, self._config.percentile * cumulative[-1]))
        return max(self._config.min_delay, (bucket + 1) * _BUCKET)

    @property
    def held(self) -> int:
        """Frames held now (never more than the configured capacity)."""
        return len(self._frames)

    def _slack(self, index: int, now: float) -> float:
        """How long ago frame `index` would have arrived over the fastest path of the window."""
        if not self._transits:
            return 0.0
        return now - (index * self._frame + self._transits[0][1])

    def pop(self, now: float) -> Frame:
        """The frame to play for the tick at `now`; call exactly once per frame time."""
        if self._state is _State.IDLE:
            return self._emit_silence()
        if self._state is _State.FILLING:
            if not self._frames:
                return self._emit_silence()
            first = min(self._frames)
            if self._slack(first, now) + 1e-9 < self.target:
                return self._emit_silence()
            self._state = _State.PLAYING
            self._next = first
        assert self._next is not None
        index = self._next
        slack = self._slack(index, now)
        target = self.target
        stored = self._frames.get(index)
        if stored is not None and stored.filled < self._config.frame_samples:
            later = [key for key in self._frames if key > index]
            if not later or slack < target:
                self._owed += 1  # the rest of a frame that spans packets is still to come: wait
                return self._conceal()
        elif stored is None:
            later = [key for key in self._frames if key > index]
            if not later or slack < target:
                # An underrun, or a frame that may still come within the target delay: wait for it.
                self._owed += 1
                return self._conceal()
            # Lost (or later than the target allows). Ticks already concealed while waiting stood in for
            # the missing frames: once they cover the gap, play the next frame now, keeping the delay.
            nearest = min(later)
            excess = self._slack(nearest, now) - target
            if self._missing > self._config.conceal_frames and excess >= self._frame:
                # Already silent (a DTX pause, or a loss faded out) and holding more delay than the target:
                # shorten the silence by the excess, the one place where catching up cannot be heard.
                self._owed = max(self._owed, min(nearest - index, self._owed + int(excess / self._frame)))
            if self._owed < nearest - index:
                self._next = index + 1
                return self._conceal()
            index = self._next = nearest
            stored = self._frames[index]
            slack = self._slack(index, now)
        quiet = self._quiet(stored.pcm)
        if quiet and slack < target - self._frame and self._missing == 0:
            self._counts["silence"] += 1  # too little delay: lengthen a pause by one frame
            return Frame(FrameKind.SILENCE, self._silence)
        following = self._frames.get(index + 1)
        if quiet and slack > target + self._frame and following and following.filled == len(following.pcm):
            del self._frames[index]  # too much delay: shorten a pause by one frame
            self._counts["discarded"] += 1
            index += 1
            stored = self._frames[index]
        del self._frames[index]
        self._next = index + 1
        return self._play(stored, now)

    def _quiet(self, pcm: npt.NDArray[np.int16]) -> bool:
        samples = pcm.astype(np.float64)
        return float(np.sqrt(np.mean(samples * samples))) < self._config.quiet_rms

    def _play(self, stored: _Stored, now: float) -> Frame:
        self._counts["played"] += 1
        self._missing = self._owed = 0
        self._last_pcm = stored.pcm
        delay = max(0.0, now - stored.arrival)
        self._delay_sum += delay
        self._delays[min(len(self._delays) - 1, math.floor(delay / _DELAY_BUCKET))] += 1
        return Frame(FrameKind.AUDIO, stored.pcm.astype("<i2").tobytes(), stored.timestamp)

    def _conceal(self) -> Frame:
        self._counts["concealed"] += 1
        self._missing += 1
        fade = self._config.conceal_frames
        if self._last_pcm is None or self._missing > fade:
            return Frame(FrameKind.SILENCE, self._silence)
        n = self._config.frame_samples
        gain = 1 - (self._missing - 1 + np.arange(1, n + 1) / n) / fade  # linear fade across the frames
        faded = np.round(self._last_pcm * gain).astype("<i2")
        return Frame(FrameKind.CONCEALED, faded.tobytes())

    def _emit_silence(self) -> Frame:
        self._counts["silence"] += 1
        return Frame(FrameKind.SILENCE, self._silence)

    @property
    def statistics(self) -> JitterStatistics:
        """Counters so far and the added delay (arrival to playout) of the frames played."""
        played = self._counts["played"]
        p95 = 0.0
        if played:
            rank = int(np.searchsorted(np.cumsum(self._delays), 0.95 * played))
            p95 = (rank + 1) * _DELAY_BUCKET
        mean = self._delay_sum / played if played else 0.0
        return JitterStatistics(**self._counts, delay_mean=mean, delay_p95=p95, target=self.target)
