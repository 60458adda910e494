"""Fixtures for okc.config tests: real WAV files of every kind and the full center on disk."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

DATA = Path(__file__).resolve().parent / "data"


def tone(rate: int = 8000, seconds: float = 0.1, channels: int = 1) -> np.ndarray:
    """A short 440 Hz tone as float samples (frames x channels)."""
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 440 * t)
    return np.repeat(mono[:, None], channels, axis=1)


def write_pcm(path: Path, *, rate: int = 8000, width: int = 2, channels: int = 1) -> Path:
    """A PCM WAV written with the standard library's wave module."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = tone(rate, channels=channels)
    scale = {1: 127, 2: 32767, 4: 2**31 - 1}[width]
    ints = (samples * scale).astype({1: np.int8, 2: np.int16, 4: np.int32}[width])
    data = (ints.astype(np.int16) + 128).astype(np.uint8).tobytes() if width == 1 else ints.tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(data)
    return path


def write_sf(path: Path, subtype: str, *, rate: int = 8000, channels: int = 1) -> Path:
    """A WAV in another encoding (ALAW, ULAW, GSM610, FLOAT, …) written with libsndfile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), tone(rate, channels=channels), rate, subtype=subtype, format="WAV")
    return path


def make_center(directory: Path) -> Path:
    """Copy the full fixture into directory with every file it names; returns full.yaml's path."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("full.yaml", "people.yaml"):
        shutil.copy(DATA / name, directory / name)
    write_pcm(directory / "sounds" / "pcm.wav")
    write_sf(directory / "sounds" / "alaw.wav", "ALAW")
    write_sf(directory / "sounds" / "ulaw.wav", "ULAW")
    for relative in ("tls/cert.pem", "tls/key.pem", "secrets/trunk.txt", "lists/dnc.csv"):
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text("x\n", encoding="utf-8")
    (directory / "lists" / "clients.csv").write_text("phone;fio\n79990000000;Иванов\n", encoding="utf-8")
    return directory / "full.yaml"


@pytest.fixture
def full_center(tmp_path: Path) -> Path:
    """The full fixture on disk, with its sounds and files."""
    return make_center(tmp_path / "center")
