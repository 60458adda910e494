"""The starter center's audio, synthesized as tones and chords: 8 kHz, mono, 16-bit PCM WAV.

Speech synthesis is not a runtime dependency of okc, so the starter prompts are short musical cues an
administrator replaces with recorded speech: a rising chime for the greeting, a menu cue of two short
tones per choice, a gentle queue message, a voicemail greeting ending in the customary beep, and music on
hold (a slow chord progression). Everything is computed deterministically with numpy.
"""

from __future__ import annotations

import enum
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from okc.errors import OkcError

__all__ = ["SAMPLE_RATE", "Note", "StarterSound", "render", "write_wav"]

SAMPLE_RATE = 8000
_FADE_SECONDS = 0.01  # a 10 ms ramp at both ends of each note avoids clicks
_PEAK = 0.5 * 32767  # headroom below full scale


class AudioError(OkcError):
    """A note that cannot be rendered or a WAV that cannot be written."""


@dataclass(frozen=True, slots=True)
class Note:
    """Frequencies sounded together for a duration (no frequencies = silence), at a relative gain."""

    frequencies: tuple[float, ...]
    seconds: float
    gain: float = 1.0

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise AudioError(f"note duration must be positive, not {self.seconds}")
        if not 0 <= self.gain <= 1:
            raise AudioError(f"note gain must be 0..1, not {self.gain}")
        if any(not 20 <= f < SAMPLE_RATE / 2 for f in self.frequencies):
            raise AudioError(f"frequencies must be 20 Hz .. {SAMPLE_RATE // 2} Hz: {self.frequencies}")


def _pitch(semitones_from_a4: int) -> float:
    return 440.0 * 2 ** (semitones_from_a4 / 12)


# Equal-tempered pitches by name (A4 = 440 Hz); only those the cues use.
C4, D4, E4, F4, G4, A4, B4 = (_pitch(n) for n in (-9, -7, -5, -4, -2, 0, 2))
C5, E5, G5 = (_pitch(n) for n in (3, 7, 10))
A3, F3, G3, B3 = (_pitch(n) for n in (-12, -16, -14, -10))


def render(notes: Sequence[Note]) -> npt.NDArray[np.int16]:
    """Samples of notes played one after another."""
    parts: list[npt.NDArray[np.float64]] = []
    for note in notes:
        count = round(note.seconds * SAMPLE_RATE)
        t = np.arange(count) / SAMPLE_RATE
        signal = np.zeros(count)
        for frequency in note.frequencies:
            signal += np.sin(2 * np.pi * frequency * t)
        if note.frequencies:
            signal *= note.gain / len(note.frequencies)
        fade = min(round(_FADE_SECONDS * SAMPLE_RATE), count // 2)
        if fade:
            ramp = np.linspace(0.0, 1.0, fade)
            signal[:fade] *= ramp
            signal[-fade:] *= ramp[::-1]
        parts.append(signal)
    if not parts:
        raise AudioError("nothing to render")
    return np.round(np.concatenate(parts) * _PEAK).astype(np.int16)


def write_wav(path: Path, samples: npt.NDArray[np.int16]) -> None:
    """Write samples as an 8 kHz mono 16-bit PCM WAV file."""
    try:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(samples.astype("<i2").tobytes())
    except OSError as exc:
        raise AudioError(f"cannot write {path}: {exc}") from exc


def _rest(seconds: float) -> Note:
    return Note((), seconds)


def _music_on_hold() -> tuple[Note, ...]:
    # I–vi–IV–V in C, each chord held for two seconds with a melody note on top, played twice (16 s).
    progression = [(C4, E4, G4, E5), (A3, C4, E4, C5), (F3, A3, C4, A4), (G3, B3, D4, G4)]
    bar = tuple(Note(chord, 2.0, 0.6) for chord in progression)
    return bar + bar


class StarterSound(enum.Enum):
    """The audio files the starter scenario plays, by file name."""

    GREETING = "greeting.wav"
    MENU = "menu.wav"
    QUEUE = "queue.wav"
    VOICEMAIL = "voicemail.wav"
    MUSIC_ON_HOLD = "music-on-hold.wav"

    @property
    def notes(self) -> tuple[Note, ...]:
        """The cue this sound plays."""
        if self is StarterSound.GREETING:
            return (
                Note((C5,), 0.25),
                Note((E5,), 0.25),
                Note((G5,), 0.25),
                Note((C5, E5, G5), 0.8),
                _rest(0.3),
            )
        if self is StarterSound.MENU:
            # one short high tone for "press 1", two for "press 2", then a pause for the caller's choice
            return (Note((A4,), 0.2), _rest(0.4), Note((A4,), 0.2), _rest(0.1), Note((A4,), 0.2), _rest(1.0))
        if self is StarterSound.QUEUE:
            return (Note((E4, G4), 0.4, 0.7), Note((D4, F4), 0.4, 0.7), Note((C4, E4), 0.8, 0.7), _rest(0.5))
        if self is StarterSound.VOICEMAIL:
            return (Note((G4,), 0.3), Note((E4,), 0.3), Note((C4,), 0.5), _rest(0.5), Note((1000.0,), 0.4))
        return _music_on_hold()

    def write(self, directory: Path) -> Path:
        """Render this sound into directory and return the file's path."""
        path = directory / self.value
        write_wav(path, render(self.notes))
        return path
