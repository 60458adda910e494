"""Talk-off: the in-band detector must raise no digit on noise, music-like chords or synthesized speech."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from okc.rtp.goertzel import SAMPLE_RATE, ToneDetector
from tests.conftest import require_program

ENGLISH = (
    "Thank you for calling the contact center. All of our agents are busy with other customers right now. "
    "Please stay on the line and your call will be answered in the order it was received. "
    "To check the balance of your account, press one. To report a lost or stolen card, press two. "
    "For questions about a recent payment or a delivery, press three, or stay on the line for an operator. "
    "Your estimated waiting time is four minutes. We are sorry to keep you waiting; music will play now. "
    "Did you know that you can also manage your account on our web site, twenty four hours a day, "
    "seven days a week, including weekends and public holidays? "
)
RUSSIAN = (
    "Здравствуйте! Вы позвонили в контактный центр. Все операторы сейчас заняты, пожалуйста, оставайтесь "
    "на линии. Ваш звонок очень важен для нас и будет принят в порядке очереди. Чтобы узнать баланс "
    "счёта, нажмите один. Чтобы заблокировать карту, нажмите два. По вопросам доставки и оплаты нажмите "
    "три или дождитесь ответа специалиста. Примерное время ожидания составляет четыре минуты. "
    "Напоминаем, что разговор может быть записан для улучшения качества обслуживания. Спасибо за ожидание, "
    "ваш вызов будет обязательно обработан в ближайшее время. "
)
# Voice, pitch (0–99) and speed (words per minute): low and high voices, slow and quick speakers.
VOICES = [
    ("en-us", 35, 160),
    ("en-gb", 80, 190),
    ("en", 99, 150),
    ("ru", 20, 150),
    ("ru", 70, 185),
    ("ru", 99, 140),
]


def count_digits(signal: npt.NDArray[np.int16]) -> list[str]:
    detector = ToneDetector()
    found = []
    for start in range(0, len(signal), 160):
        found += detector.feed(signal[start : start + 160])
    return [f"{e.digit}@{e.start_time:.2f}" for e in found + detector.flush()]


def speech(tmp_path: Path) -> npt.NDArray[np.int16]:
    espeak = require_program("espeak-ng")
    sox = require_program("sox")
    parts = []
    for index, (voice, pitch, speed) in enumerate(VOICES):
        text = ENGLISH if voice.startswith("en") else RUSSIAN
        raw, resampled = tmp_path / f"{index}.wav", tmp_path / f"{index}-8k.wav"
        subprocess.run(
            [espeak, "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(raw), text], check=True
        )
        subprocess.run([sox, str(raw), "-r", "8000", "-b", "16", str(resampled)], check=True)
        data, rate = soundfile.read(resampled, dtype="int16")
        assert rate == SAMPLE_RATE
        parts.append(np.asarray(data, dtype=np.int16))
    return np.concatenate(parts)


@pytest.mark.interop
def test_speech_in_english_and_russian_raises_no_digit(tmp_path: Path) -> None:
    audio = speech(tmp_path)
    assert len(audio) >= 60 * SAMPLE_RATE  # at least a minute of speech in all
    assert count_digits(audio) == []
    # Louder (peaks near full scale) and quieter versions of the same speech.
    peak = np.max(np.abs(audio.astype(np.int32)))
    for gain in (30000 / peak, 0.25):
        assert count_digits(np.clip(audio * gain, -32768, 32767).astype(np.int16)) == []


@pytest.mark.parametrize("level", [1000.0, 4000.0, 12000.0])
def test_white_noise_raises_no_digit(level: float) -> None:
    rng = np.random.default_rng(int(level))
    noise = np.clip(rng.normal(0, level, 30 * SAMPLE_RATE), -32768, 32767).astype(np.int16)
    assert count_digits(noise) == []


def chord_music(seed: int, seconds: float) -> npt.NDArray[np.int16]:
    """Tempered-scale chords of three or four notes with overtones, changing every 150–600 ms."""
    rng = np.random.default_rng(seed)
    parts = []
    total = 0
    while total < seconds * SAMPLE_RATE:
        length = int(rng.integers(1200, 4800))
        t = np.arange(length) / SAMPLE_RATE
        root = int(rng.integers(-12, 24))
        shape = [(0, 4, 7), (0, 3, 7), (0, 4, 7, 10), (0, 5, 9), (0, 4, 7, 12)][int(rng.integers(5))]
        note = np.zeros(length)
        for step in shape:
            freq = 440.0 * 2 ** ((root + step) / 12)
            for harmonic, weight in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15)):
                if freq * harmonic < 3800:
                    note += weight * np.sin(2 * np.pi * freq * harmonic * t + rng.uniform(0, 2 * np.pi))
        envelope = np.minimum(1.0, np.arange(length) / 200) * np.exp(-t * rng.uniform(0.2, 3))
        parts.append(note * envelope * rng.uniform(2000, 6000))
        total += length
    music: npt.NDArray[np.int16] = np.clip(np.concatenate(parts), -32768, 32767).astype(np.int16)
    return music


def test_music_like_chords_raise_no_digit() -> None:
    assert count_digits(chord_music(1, 60)) == []


def test_pure_intervals_near_dtmf_pairs_raise_no_digit() -> None:
    # Two-note chords of sine sums with a third voice: the nearest musical notes to DTMF pairs.
    t = np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE
    chords = [(659.3, 1174.7, 880.0), (783.99, 1318.5, 523.3), (830.6, 1244.5, 415.3), (932.3, 1661.2, 466.2)]
    for low, high, third in chords:
        signal = 6000 * (np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t))
        signal += 6000 * np.sin(2 * np.pi * third * t)
        assert count_digits(signal.astype(np.int16)) == []
