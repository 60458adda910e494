"""Tones: Russian cadences, levels, exact phase across frames, comfort noise at its RFC 3389 level."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from okc.errors import OkcError
from okc.rtp.tones import (
    BUSY,
    CONGESTION,
    FRAME_SAMPLES,
    RINGBACK,
    SAMPLE_RATE,
    ComfortNoise,
    ToneError,
    ToneGenerator,
    ToneSpec,
    dbm0_to_peak,
    noise_level_dbov,
    silence,
)


def _play(spec: ToneSpec, seconds: float) -> np.ndarray:
    generator = ToneGenerator(spec)
    frames = round(seconds * SAMPLE_RATE / FRAME_SAMPLES)
    return np.concatenate([next(generator) for _ in range(frames)])


def _on_runs(signal: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each stretch where the tone sounds, found by 5 ms windows of energy."""
    window = 40
    loud = np.abs(signal[: signal.size // window * window].reshape(-1, window)).max(axis=1) > 0
    runs: list[tuple[int, int]] = []
    start = None
    for index, on in enumerate(loud):
        if on and start is None:
            start = index
        elif not on and start is not None:
            runs.append((start * window, (index - start) * window))
            start = None
    return runs


@pytest.mark.parametrize(
    ("spec", "on", "off"),
    [(RINGBACK, 1.0, 4.0), (BUSY, 0.4, 0.4), (CONGESTION, 0.2, 0.2)],
)
def test_russian_cadences(spec: ToneSpec, on: float, off: float) -> None:
    signal = _play(spec, 3 * (on + off))
    runs = _on_runs(signal)
    assert len(runs) == 3
    assert [length for _, length in runs] == [round(on * SAMPLE_RATE)] * 3
    assert [b[0] - a[0] for a, b in itertools.pairwise(runs)] == [round((on + off) * SAMPLE_RATE)] * 2
    assert spec.frequencies == (425.0,)


def test_tone_is_425_hz_at_its_level() -> None:
    signal = _play(RINGBACK, 1.0).astype(np.float64)  # the first second is all tone
    spectrum = np.abs(np.fft.rfft(signal))
    assert np.argmax(spectrum) * SAMPLE_RATE / signal.size == pytest.approx(425.0)
    peak = dbm0_to_peak(-10.0)
    assert np.max(np.abs(signal)) == pytest.approx(peak, abs=1.0)
    rms_dbm0 = 20 * math.log10(math.sqrt(np.mean(signal**2)) * math.sqrt(2) / dbm0_to_peak(0.0))
    assert rms_dbm0 == pytest.approx(-10.0, abs=0.05)


def test_phase_is_continuous_across_frames_and_exact_after_an_hour() -> None:
    generator = ToneGenerator(ToneSpec((425.0, 1000.0 / 3), level_dbm0=-6.0))
    first = generator.next_frame(FRAME_SAMPLES * 50)
    # Frames produced one at a time are the same samples as one long block.
    again = ToneGenerator(generator.spec)
    assert np.array_equal(np.concatenate([next(again) for _ in range(50)]), first)
    # One hour later the signal equals the ideal sine computed directly at that sample index.
    hour = 3600 * SAMPLE_RATE
    while generator.position < hour:
        generator.next_frame(min(SAMPLE_RATE, hour - generator.position))
    frame = generator.next_frame().astype(np.float64)
    n = np.arange(hour, hour + FRAME_SAMPLES, dtype=np.float64)
    amplitude = dbm0_to_peak(-6.0) / 2
    ideal = amplitude * (
        np.sin(2 * np.pi * 425 * n / SAMPLE_RATE) + np.sin(2 * np.pi * (1000 / 3) * n / 8000)
    )
    assert np.max(np.abs(frame - ideal)) <= 1.0


def test_level_and_cadence_are_configurable() -> None:
    spec = ToneSpec((400.0, 450.0), (0.1, 0.1, 0.3, 0.5), level_dbm0=-20.0)
    runs = _on_runs(_play(spec, 2.0))
    assert [length for _, length in runs[:2]] == [800, 2400]
    assert RINGBACK.with_level(-15.0).level_dbm0 == -15.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: ToneSpec(()),
        lambda: ToneSpec((4000.0,)),
        lambda: ToneSpec((425.0,), (1.0,)),
        lambda: ToneSpec((425.0,), (1.0, 0.0)),
        lambda: ToneSpec((425.0,), level_dbm0=5.0),
        lambda: ComfortNoise(128, random.Random(1)),
        lambda: ComfortNoise.from_payload(b"", random.Random(1)),
    ],
)
def test_bad_tones_raise_tone_error(make: object) -> None:
    with pytest.raises(ToneError) as raised:
        make()  # type: ignore[operator]
    assert isinstance(raised.value, OkcError)


@pytest.mark.parametrize("level", [30, 50, 70])
def test_comfort_noise_has_its_rfc3389_level(level: int) -> None:
    noise = ComfortNoise(level, random.Random(7))
    samples = np.concatenate([next(noise) for _ in range(50)])
    assert noise_level_dbov(samples) == level
    assert ComfortNoise.from_payload(noise.payload(), random.Random(7)).level == level


def test_comfort_noise_is_reproducible_from_the_injected_random_source() -> None:
    first = ComfortNoise(40, random.Random(3)).next_frame()
    assert np.array_equal(first, ComfortNoise(40, random.Random(3)).next_frame())
    assert not np.array_equal(first, ComfortNoise(40, random.Random(4)).next_frame())


def test_silence_is_zero_and_reads_as_the_lowest_level() -> None:
    frame = silence()
    assert frame.shape == (FRAME_SAMPLES,)
    assert not frame.any()
    assert noise_level_dbov(frame) == 127
