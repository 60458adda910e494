"""Call recorder: both directions of a call, aligned by RTP timestamps, written to WAV as they arrive.

The alignment is a sans-I/O core, `CallTimeline`: each direction's decoded audio is placed on one
recording timeline (8 kHz samples since the recording started) by its RTP timestamp, anchored where its
first packet arrived; a new SSRC or a timestamp jump re-anchors it. A position is final once `latency`
has passed (audio arriving after that is counted and dropped); a direction with no audio there is silence.
Paused stretches (a card number being spoken) are left out of the file. A relay that records hands over
raw G.711 payloads with `push_g711`: they are only queued, and decoded (one table look-up) and written to
the ring (one scatter) in a single pass when audio is next taken, which takes the per-packet work off the
forwarding path.

`CallRecorder` writes the final audio through libsndfile (`soundfile`): GSM 06.10 in WAV (format 0x31,
65 bytes per 320 samples, 1,625 bytes a second; the default) or 16-bit PCM, mono (both directions
mixed) or two channels (customer left, agent right; PCM only, since libsndfile writes no stereo GSM).
It writes at least every `flush_interval` (≤ 1 s) of call time and libsndfile passes each block straight
to the operating system, so a crash loses at most about a second; the file is named `<name>.part` until it
is closed, and `okc.rtp.repair.recover` turns leftover `.part` files into valid recordings at start-up.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import soundfile

from okc.errors import OkcError
from okc.rtp.g711 import ALAW_DECODE, ULAW_DECODE
from okc.rtp.packet import PCMA, PCMU

__all__ = [
    "GSM_BLOCK_BYTES",
    "GSM_BLOCK_SAMPLES",
    "GSM_BYTES_PER_SECOND",
    "CallRecorder",
    "CallTimeline",
    "Direction",
    "Layout",
    "RecorderError",
    "RecordingFormat",
    "RecordingOptions",
    "RecordingSummary",
    "mix_down",
    "part_path",
]

SAMPLE_RATE: Final = 8000
GSM_BLOCK_SAMPLES: Final = 320  # libsndfile's WAV GSM 06.10 packs two 160-sample frames ...
GSM_BLOCK_BYTES: Final = 65  # ... into 65 bytes (the "WAV49" layout)
GSM_BYTES_PER_SECOND: Final = SAMPLE_RATE // GSM_BLOCK_SAMPLES * GSM_BLOCK_BYTES  # 1,625
_TIMESTAMP_MODULUS: Final = 1 << 32
_DECODE: Final = {PCMA: ALAW_DECODE, PCMU: ULAW_DECODE}


class RecorderError(OkcError):
    """Bad recording options or input, or a recording file that cannot be written."""


class Direction(enum.Enum):
    """Which side of the call a stream carries; in two-channel files the customer is left."""

    CUSTOMER = 0
    AGENT = 1


class RecordingFormat(enum.Enum):
    """How samples are stored: GSM 06.10 (WAV format 0x31) or 16-bit PCM."""

    GSM = "gsm"
    PCM = "pcm"


class Layout(enum.Enum):
    """Both directions mixed into one channel, or customer and agent on two channels."""

    MONO = 1
    STEREO = 2


@dataclass(frozen=True, slots=True)
class RecordingOptions:
    """What to write and how long to wait for late audio (seconds of call time)."""

    format: RecordingFormat = RecordingFormat.GSM
    layout: Layout = Layout.MONO
    latency: float = 0.2
    flush_interval: float = 0.5
    max_jump: float = 2.0

    def __post_init__(self) -> None:
        if self.format is RecordingFormat.GSM and self.layout is Layout.STEREO:
            raise RecorderError("GSM recordings are mono: libsndfile writes no two-channel GSM 06.10")
        if not 0 <= self.latency <= 1.0:
            raise RecorderError(f"latency must be 0 … 1 s, not {self.latency}")
        if not 0 < self.flush_interval <= 1.0:
            raise RecorderError(f"flush_interval must be above 0 and at most 1 s, not {self.flush_interval}")
        if self.latency + self.flush_interval > 1.0:
            raise RecorderError("latency + flush_interval above 1 s would lose more than a second in a crash")
        if not self.latency < self.max_jump <= 10.0:
            raise RecorderError(f"max_jump must exceed the latency and be at most 10 s, not {self.max_jump}")


@dataclass(slots=True)
class _Stream:
    """Where one direction's RTP timestamps land on the timeline."""

    ssrc: int
    last_timestamp: int  # raw 32-bit
    extended: int  # last_timestamp unwrapped
    offset: int  # timeline position = extended + offset


class CallTimeline:
    """Places both directions' audio on one timeline and hands out the final part (sans-I/O).

    Audio waits in a ring buffer of a few seconds until it is taken; `max_jump` is how far (seconds) a
    packet's timestamp may place it from its arrival before the direction is re-anchored by arrival.
    """

    def __init__(self, start: float, *, latency: float = 0.2, max_jump: float = 2.0) -> None:
        self._start = start
        self._latency = round(latency * SAMPLE_RATE)
        self._max_jump = round(max_jump * SAMPLE_RATE)
        self._streams: dict[Direction, _Stream] = {}
        # Room for the waiting time (≤ 1 s), a packet placed max_jump ahead, and a stalled owner.
        self._capacity = self._max_jump + 2 * SAMPLE_RATE
        self._ring = np.zeros((2, self._capacity), dtype=np.int16)
        self._written = 0  # timeline position of the first sample not yet taken
        self._end = 0  # one past the last position holding audio
        self._pauses: list[tuple[int, int | None]] = []
        self._dropped = 0
        self._reanchors = 0
        self._paused_samples = 0
        # Packets queued by push_g711, kept flat (no tuple per packet) so the garbage collector has nothing
        # new to track: payloads, and for each packet direction, SSRC, timestamp, payload type, arrival.
        self._queue: list[bytes] = []
        self._queued: list[float] = []

    @property
    def dropped_samples(self) -> int:
        """Samples dropped: they came after their place was written, or too far ahead to hold."""
        return self._dropped

    @property
    def reanchors(self) -> int:
        """Times a direction was re-placed by arrival time (new SSRC or timestamp jump)."""
        return self._reanchors

    @property
    def paused_samples(self) -> int:
        """Timeline samples left out of the recording while paused."""
        return self._paused_samples

    @property
    def paused(self) -> bool:
        """Whether recording is paused now."""
        return bool(self._pauses) and self._pauses[-1][1] is None

    def position(self, now: float) -> int:
        """The timeline position (samples since the start) of a clock reading."""
        return max(0, math.floor((now - self._start) * SAMPLE_RATE))

    def push(
        self, direction: Direction, ssrc: int, timestamp: int, samples: npt.NDArray[np.int16], now: float
    ) -> None:
        """Add one packet's decoded audio (8 kHz int16) from one direction, received at `now`."""
        if samples.dtype != np.int16 or samples.ndim != 1:
            raise RecorderError("the recorder takes one channel of 16-bit samples per packet")
        if not 0 <= timestamp < _TIMESTAMP_MODULUS or not 0 <= ssrc < _TIMESTAMP_MODULUS:
            raise RecorderError(f"RTP timestamp and SSRC are 32-bit: {timestamp}, {ssrc}")
        if self._queue:
            self._drain()
        self._place(direction, self._locate(direction, ssrc, timestamp, samples.size, now), samples)

    def push_g711(
        self,
        direction: Direction,
        ssrc: int,
        timestamp: int,
        payload: bytes,
        now: float,
        *,
        payload_type: int = PCMA,
    ) -> None:
        """Add one packet's G.711 payload (PCMA, the default, or PCMU) undecoded, received at `now`.

        The packet is only queued: decoding and placing happen for all queued packets at once when audio
        is next taken (or another packet is pushed decoded), which costs a fraction of doing it per packet.
        """
        if payload_type not in _DECODE:
            raise RecorderError(f"push_g711 takes PCMA (8) or PCMU (0) payloads, not type {payload_type}")
        if not 0 <= timestamp < _TIMESTAMP_MODULUS or not 0 <= ssrc < _TIMESTAMP_MODULUS:
            raise RecorderError(f"RTP timestamp and SSRC are 32-bit: {timestamp}, {ssrc}")
        self._queue.append(payload)
        self._queued += (direction.value, ssrc, timestamp, payload_type, now)

    def _drain(self) -> None:
        """Decode every queued payload in one table look-up and write the packets into the ring."""
        queue, meta = self._queue, self._queued
        self._queue, self._queued = [], []
        codes = np.frombuffer(b"".join(queue), dtype=np.uint8)
        kinds = set(meta[3::5])
        if len(kinds) == 1:
            samples = _DECODE[int(kinds.pop())].take(codes)
        else:
            alaw = np.repeat([kind == PCMA for kind in meta[3::5]], [len(payload) for payload in queue])
            samples = np.where(alaw, ALAW_DECODE.take(codes), ULAW_DECODE.take(codes)).astype(np.int16)
        # Packets that fit the ring without wrapping are written together; `starts` holds each one's flat
        # ring index minus its offset within the run, so one arange over the run completes the indices.
        starts: list[int] = []
        sizes: list[int] = []
        low, high, capacity = self._written, self._written + self._capacity, self._capacity
        directions = (Direction.CUSTOMER, Direction.AGENT)
        run = offset = 0
        for index, payload in enumerate(queue):
            row, ssrc, timestamp, _, now = meta[5 * index : 5 * index + 5]
            direction = directions[int(row)]
            ssrc, timestamp = int(ssrc), int(timestamp)
            size = len(payload)
            place = self._locate(direction, ssrc, timestamp, size, now)
            if low <= place and place + size <= high and place % capacity + size <= capacity:
                starts.append(direction.value * capacity + place % capacity - (offset - run))
                sizes.append(size)
                self._end = max(self._end, place + size)
            else:  # wrapping round the ring, or (partly) outside it: the per-packet way
                self._scatter(samples[run:offset], starts, sizes)
                starts, sizes = [], []
                self._place(direction, place, samples[offset : offset + size])
                run = offset + size
            offset += size
        self._scatter(samples[run:offset], starts, sizes)

    def _scatter(self, samples: npt.NDArray[np.int16], starts: list[int], sizes: list[int]) -> None:
        """Write a run of packets' samples to their ring places with one fancy-index assignment."""
        if samples.size:
            index = np.repeat(np.asarray(starts, dtype=np.int64), sizes) + np.arange(samples.size)
            self._ring.reshape(-1)[index] = samples

    def _locate(self, direction: Direction, ssrc: int, timestamp: int, size: int, now: float) -> int:
        """Where on the timeline a packet of `size` samples goes; tracks the direction's RTP stream."""
        arrival = math.floor((now - self._start) * SAMPLE_RATE)
        stream = self._streams.get(direction)
        if stream is not None and stream.ssrc == ssrc:
            delta = (timestamp - stream.last_timestamp) % _TIMESTAMP_MODULUS
            if delta >= _TIMESTAMP_MODULUS // 2:
                delta -= _TIMESTAMP_MODULUS
            extended = stream.extended + delta
            place = extended + stream.offset
            if abs(place + size - arrival) <= self._max_jump:
                if delta > 0:
                    stream.last_timestamp, stream.extended = timestamp, extended
                return place
        if stream is not None:
            self._reanchors += 1
        # A new source: its packet's audio ends about when it arrived.
        place = max(arrival - size, self._written, 0)
        self._streams[direction] = _Stream(ssrc, timestamp, timestamp, place - timestamp)
        return place

    def _place(self, direction: Direction, place: int, samples: npt.NDArray[np.int16]) -> None:
        size = samples.size
        row = self._ring[direction.value]
        begin = place % self._capacity
        if place >= self._written and place + size <= self._written + self._capacity:
            # The usual case, kept to one numpy assignment: the whole packet fits where it belongs.
            if begin + size <= self._capacity:
                row[begin : begin + size] = samples
            else:
                head = self._capacity - begin
                row[begin:] = samples[:head]
                row[: size - head] = samples[head:]
            self._end = max(self._end, place + size)
            return
        first = max(place, self._written)
        last = min(place + size, self._written + self._capacity)
        self._dropped += size - max(0, last - first)
        if last > first:
            self._place(direction, first, samples[first - place : last - place])

    def pause(self, now: float) -> None:
        """Stop recording from now on (audio placed after this moment is left out)."""
        if not self.paused:
            self._pauses.append((max(self.position(now), self._written), None))

    def resume(self, now: float) -> None:
        """Record again from now on."""
        if self.paused:
            begin = self._pauses[-1][0]
            self._pauses[-1] = (begin, max(begin, self.position(now)))

    def take(self, now: float) -> npt.NDArray[np.int16]:
        """The final audio up to now − latency, as (2, n) samples (customer, agent), pauses removed."""
        if self._queue:
            self._drain()
        return self._take(self.position(now) - self._latency)

    def take_all(self) -> npt.NDArray[np.int16]:
        """Everything not yet taken, up to the last audio received (at the end of the call)."""
        if self._queue:
            self._drain()
        return self._take(self._end)

    def _take(self, until: int) -> npt.NDArray[np.int16]:
        until = min(until, self._written + self._capacity)
        if until <= self._written:
            return np.zeros((2, 0), dtype=np.int16)
        count = until - self._written
        begin = self._written % self._capacity
        head = min(count, self._capacity - begin)
        block = np.concatenate((self._ring[:, begin : begin + head], self._ring[:, : count - head]), axis=1)
        self._ring[:, begin : begin + head] = 0
        self._ring[:, : count - head] = 0
        keep: npt.NDArray[np.bool_] | None = None
        for pause_begin, pause_end in self._pauses:
            stop = until if pause_end is None else min(pause_end, until)
            lo, hi = max(pause_begin, self._written) - self._written, stop - self._written
            if hi > lo:
                if keep is None:
                    keep = np.ones(count, dtype=np.bool_)
                keep[lo:hi] = False
        self._written = until
        self._end = max(self._end, until)
        self._pauses = [(b, e) for b, e in self._pauses if e is None or e > until]
        if keep is None:
            return block
        self._paused_samples += count - int(keep.sum())
        return block[:, keep]


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    """A closed recording: where it is, how long, how large, and what was lost."""

    path: Path
    seconds: float
    data_bytes: int
    dropped_samples: int
    paused_seconds: float


def part_path(path: Path) -> Path:
    """The name a recording has while it is being written."""
    return path.with_name(path.name + ".part")


def mix_down(block: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Both directions summed into one channel, saturating at the 16-bit limits."""
    total: npt.NDArray[np.int32] = block[0].astype(np.int32) + block[1].astype(np.int32)
    return np.clip(total, -32768, 32767).astype(np.int16)


class CallRecorder:
    """Records one call to a WAV file: feed it decoded packets, call handle_timer, close at hang-up."""

    def __init__(self, path: Path, start: float, options: RecordingOptions | None = None) -> None:
        self._options = options or RecordingOptions()
        self._path = path
        self._timeline = CallTimeline(start, latency=self._options.latency, max_jump=self._options.max_jump)
        self._start = start
        self._next_flush = start + self._options.flush_interval
        self._frames = 0
        subtype = "GSM610" if self._options.format is RecordingFormat.GSM else "PCM_16"
        try:
            self._file: soundfile.SoundFile | None = soundfile.SoundFile(
                part_path(path), "w", SAMPLE_RATE, self._options.layout.value, subtype, None, "WAV"
            )
        except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
            raise RecorderError(f"cannot create recording {path}: {error}") from error

    @property
    def timeline(self) -> CallTimeline:
        """The alignment core (for its counters)."""
        return self._timeline

    @property
    def frames_written(self) -> int:
        """Samples per channel handed to the file so far."""
        return self._frames

    def push(
        self, direction: Direction, ssrc: int, timestamp: int, samples: npt.NDArray[np.int16], now: float
    ) -> None:
        """One packet's decoded audio from one direction."""
        self._timeline.push(direction, ssrc, timestamp, samples, now)

    def push_g711(
        self,
        direction: Direction,
        ssrc: int,
        timestamp: int,
        payload: bytes,
        now: float,
        *,
        payload_type: int = PCMA,
    ) -> None:
        """One packet's G.711 payload (PCMA or PCMU), decoded later with the others: the cheap way."""
        self._timeline.push_g711(direction, ssrc, timestamp, payload, now, payload_type=payload_type)

    def pause(self, now: float) -> None:
        """Leave what follows out of the recording (e.g. while a card number is spoken)."""
        self._timeline.pause(now)

    def resume(self, now: float) -> None:
        """Record again."""
        self._timeline.resume(now)

    def get_timer(self) -> float | None:
        """When the next write is due, or None once closed."""
        return self._next_flush if self._file is not None else None

    def handle_timer(self, now: float) -> None:
        """Write the audio that is final by now."""
        if now >= self._next_flush:
            intervals = math.floor((now - self._start) / self._options.flush_interval) + 1
            self._next_flush = self._start + intervals * self._options.flush_interval
        self._write(self._timeline.take(now))

    def close(self) -> RecordingSummary:
        """Write the rest, finish the header and give the file its final name."""
        if self._file is None:
            raise RecorderError(f"recording {self._path} is already closed")
        self._write(self._timeline.take_all())
        self._file.close()
        self._file = None
        final = part_path(self._path).replace(self._path)
        return RecordingSummary(
            path=final,
            seconds=self._frames / SAMPLE_RATE,
            data_bytes=_data_bytes(self._options, self._frames),
            dropped_samples=self._timeline.dropped_samples,
            paused_seconds=self._timeline.paused_samples / SAMPLE_RATE,
        )

    def _write(self, block: npt.NDArray[np.int16]) -> None:
        if self._file is None:
            raise RecorderError(f"recording {self._path} is closed")
        if block.shape[1] == 0:
            return
        data = mix_down(block) if self._options.layout is Layout.MONO else np.ascontiguousarray(block.T)
        try:
            self._file.write(data)
        except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
            raise RecorderError(f"cannot write recording {self._path}: {error}") from error
        self._frames += block.shape[1]


def _data_bytes(options: RecordingOptions, frames: int) -> int:
    """Size of the data chunk libsndfile writes for `frames` samples per channel."""
    if options.format is RecordingFormat.GSM:
        return -(-frames // GSM_BLOCK_SAMPLES) * GSM_BLOCK_BYTES
    return frames * 2 * options.layout.value
