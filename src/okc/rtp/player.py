"""Prompt and music-on-hold player: 20 ms frames on a schedule computed from the start time (sans-I/O).

Frame n is due at start + n·20 ms, computed by multiplication rather than by adding 20 ms per frame, so the
schedule never drifts, however long the music plays. The player is driven by its owner:
`get_timer()` says when the next frame is due and `handle_timer(now)` returns every frame due by then.
A frame's index gives its RTP timestamp offset (index·160). When the owner falls far behind (a stalled
event loop), overdue frames are not sent in a burst: their slots are skipped (the RTP timestamp jumps as
after a loss) and the audio carries on where it was, so no part of a prompt is lost.

Prompts are WAV files in exactly the format okc.config accepts for system sounds: uncompressed PCM,
16-bit, 8000 Hz, mono.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import soundfile

from okc.errors import OkcError

__all__ = [
    "FRAME_SAMPLES",
    "FRAME_SECONDS",
    "DigitLike",
    "Player",
    "PlayerError",
    "PlayerFrame",
    "PlayerState",
    "Prompt",
    "load_prompt",
]

FRAME_SAMPLES = 160
FRAME_SECONDS = 0.02
SAMPLE_RATE = 8000


class PlayerError(OkcError):
    """A prompt that is not 8 kHz mono 16-bit PCM WAV, an empty playlist, or a bad schedule."""


class PlayerState(enum.Enum):
    """Where playback is: still sending, ran to its end, cut short by a digit, or stopped by its owner."""

    PLAYING = "playing"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"


class DigitLike(Protocol):
    """Anything that carries a DTMF digit, such as okc.rtp's DigitEvent (RFC 4733 or in-band)."""

    @property
    def digit(self) -> str:
        """The digit: 0-9, *, #, A-D."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class Prompt:
    """A named piece of audio: 8 kHz 16-bit samples."""

    name: str
    samples: npt.NDArray[np.int16] = field(repr=False)

    def __post_init__(self) -> None:
        if self.samples.dtype != np.int16 or self.samples.ndim != 1:
            raise PlayerError(f"prompt {self.name!r} must be one channel of 16-bit samples")
        if self.samples.size == 0:
            raise PlayerError(f"prompt {self.name!r} holds no audio")

    @property
    def seconds(self) -> float:
        """Length of the prompt."""
        return self.samples.size / SAMPLE_RATE


def load_prompt(path: Path) -> Prompt:
    """Read a prompt from a WAV file, which must be uncompressed PCM, 16-bit, 8000 Hz, mono.

    These are the rules okc.config checks system sounds against (WAVE_FORMAT_EXTENSIBLE with a PCM
    sub-format included), so a file that passed the configuration check always plays.
    """
    try:
        info = soundfile.info(str(path))
    except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
        raise PlayerError(f"{path}: not a readable WAV file ({error})") from error
    problems = []
    if info.format not in ("WAV", "WAVEX"):
        problems.append(f"a {info.format} file (WAV needed)")
    if info.subtype != "PCM_16":
        problems.append(f"{info.subtype_info} samples (16-bit PCM needed)")
    if info.samplerate != SAMPLE_RATE:
        problems.append(f"{info.samplerate} Hz (8000 Hz needed)")
    if info.channels != 1:
        problems.append(f"{info.channels} channels (mono needed)")
    if problems:
        raise PlayerError(f"{path}: " + ", ".join(problems))
    try:
        samples, _ = soundfile.read(str(path), dtype="int16", always_2d=False)
    except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
        raise PlayerError(f"{path}: cannot read the audio ({error})") from error
    return Prompt(path.stem, np.ascontiguousarray(samples, dtype=np.int16))


@dataclass(frozen=True, slots=True, eq=False)
class PlayerFrame:
    """One 20 ms frame to send: its index from the start (RTP timestamp offset index·160) and due time."""

    index: int
    due: float
    samples: npt.NDArray[np.int16] = field(repr=False)


class Player:
    """Plays a playlist once or in a loop, in 20 ms frames due at start + n·20 ms."""

    def __init__(
        self,
        playlist: Sequence[Prompt],
        start: float,
        *,
        loop: bool = False,
        interruptible: bool = True,
        max_late: float = 0.1,
    ) -> None:
        if not playlist:
            raise PlayerError("a player needs at least one prompt")
        if max_late < 0:
            raise PlayerError(f"max_late must not be negative, not {max_late}")
        self._playlist = tuple(playlist)
        self._start = start
        self._loop = loop
        self._interruptible = interruptible
        self._max_late = max_late
        self._next = 0  # index of the next frame slot
        self._item = 0  # playlist position
        self._offset = 0  # samples of the current item already sent
        self._state = PlayerState.PLAYING
        self._digit: str | None = None
        self._sent = 0
        self._skipped = 0

    @property
    def state(self) -> PlayerState:
        """Playing, finished, interrupted by a digit, or stopped."""
        return self._state

    @property
    def digit(self) -> str | None:
        """The digit that interrupted playback (barge-in), if one did."""
        return self._digit

    @property
    def frames_sent(self) -> int:
        """Frames returned so far."""
        return self._sent

    @property
    def frames_skipped(self) -> int:
        """Frame slots skipped because the owner called too late to send them in time."""
        return self._skipped

    def due(self, index: int) -> float:
        """When frame `index` is due: start + index·20 ms."""
        return self._start + index * FRAME_SECONDS

    def get_timer(self) -> float | None:
        """When the next frame is due, or None once playback has ended."""
        return self.due(self._next) if self._state is PlayerState.PLAYING else None

    def handle_timer(self, now: float) -> list[PlayerFrame]:
        """Every frame due by `now`; slots more than max_late overdue are skipped, not sent in a burst."""
        frames: list[PlayerFrame] = []
        while self._state is PlayerState.PLAYING and self.due(self._next) <= now:
            if now - self.due(self._next) > self._max_late:
                # Jump straight to the first slot still within max_late of now.
                limit = now - self._max_late
                first = max(self._next + 1, int((limit - self._start) / FRAME_SECONDS))
                while self.due(first) < limit:
                    first += 1
                while first - 1 > self._next and self.due(first - 1) >= limit:
                    first -= 1
                self._skipped += first - self._next
                self._next = first
                continue
            frames.append(PlayerFrame(self._next, self.due(self._next), self._fill()))
            self._next += 1
            self._sent += 1
        return frames

    def handle_digit(self, event: DigitLike) -> bool:
        """Barge-in: a digit stops an interruptible playback; returns whether it did."""
        if self._state is not PlayerState.PLAYING or not self._interruptible:
            return False
        self._digit = event.digit
        self._state = PlayerState.INTERRUPTED
        return True

    def stop(self) -> None:
        """Stop playback now (the call moved on)."""
        if self._state is PlayerState.PLAYING:
            self._state = PlayerState.STOPPED

    def _fill(self) -> npt.NDArray[np.int16]:
        """The next 160 samples, running across prompt boundaries; silence pads the very end."""
        frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        filled = 0
        while filled < FRAME_SAMPLES:
            samples = self._playlist[self._item].samples
            take = min(FRAME_SAMPLES - filled, samples.size - self._offset)
            frame[filled : filled + take] = samples[self._offset : self._offset + take]
            filled += take
            self._offset += take
            if self._offset == samples.size:
                self._offset = 0
                self._item += 1
                if self._item == len(self._playlist):
                    if not self._loop:
                        self._state = PlayerState.FINISHED
                        break
                    self._item = 0
        return frame
