"""The starter audio: valid 8 kHz mono 16-bit PCM WAV files with real content."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from okc.errors import OkcError
from okc.starter.audio import SAMPLE_RATE, Note, StarterSound, render


@pytest.mark.parametrize("sound", list(StarterSound))
def test_each_sound_is_8khz_mono_pcm16(sound: StarterSound, tmp_path: Path) -> None:
    path = sound.write(tmp_path)
    info = soundfile.info(str(path))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", 8000, 1)
    assert info.duration >= 1.0
    with wave.open(str(path), "rb") as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.abs(samples).max() > 8000  # audible, not silence
    assert np.abs(samples).max() < 32767  # and not clipped


def test_a_note_has_its_pitch() -> None:
    samples = render([Note((1000.0,), 1.0)]).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(samples) == pytest.approx(1000.0, abs=1.0)


def test_voicemail_greeting_ends_with_the_beep() -> None:
    samples = render(StarterSound.VOICEMAIL.notes)
    tail = samples[-int(0.3 * SAMPLE_RATE) :].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(tail))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(tail) == pytest.approx(1000.0, abs=5.0)


def test_notes_start_and_end_without_clicks() -> None:
    samples = render([Note((440.0,), 0.5)])
    assert abs(int(samples[0])) < 200
    assert abs(int(samples[-1])) < 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"seconds": 0}, "duration"), ({"gain": 2.0}, "gain"), ({"frequencies": (5000.0,)}, "frequencies")],
)
def test_bad_notes(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"frequencies": (440.0,), "seconds": 1.0, **kwargs}
    with pytest.raises(OkcError, match=message):
        Note(**fields)  # type: ignore[arg-type]


def test_render_nothing_is_an_error() -> None:
    with pytest.raises(OkcError):
        render([])
