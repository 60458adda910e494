"""ToneSpec.from_config: the default configuration plays the presets; a configured tone plays as written."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from okc import config
from okc.config.telephony import Tone
from okc.rtp.tones import (
    BUSY,
    CONGESTION,
    DIAL,
    FRAME_SAMPLES,
    RINGBACK,
    SAMPLE_RATE,
    ToneGenerator,
    ToneSpec,
    dbm0_to_peak,
)

_WINDOW = 40  # 5 ms of samples


def _play(spec: ToneSpec, samples: int) -> npt.NDArray[np.int16]:
    generator = ToneGenerator(spec)
    frames = -(-samples // FRAME_SAMPLES)
    return np.concatenate([generator.next_frame() for _ in range(frames)])[:samples]


def _envelope(signal: npt.NDArray[np.int16]) -> list[tuple[bool, int]]:
    """The signal as runs of (sounding, milliseconds), from the energy in 5 ms windows."""
    usable = signal[: signal.size // _WINDOW * _WINDOW].astype(np.float64)
    energy = np.square(usable).reshape(-1, _WINDOW).sum(axis=1)
    loud = energy > 0
    runs: list[tuple[bool, int]] = []
    for on in loud:
        if runs and runs[-1][0] == on:
            runs[-1] = (on, runs[-1][1] + _WINDOW * 1000 // SAMPLE_RATE)
        else:
            runs.append((bool(on), _WINDOW * 1000 // SAMPLE_RATE))
    return runs


def _peaks(signal: npt.NDArray[np.int16], count: int) -> list[float]:
    """The `count` strongest frequencies (Hz) of the signal's spectrum, lowest first."""
    spectrum = np.abs(np.fft.rfft(signal.astype(np.float64) * np.hanning(signal.size)))
    bins = np.fft.rfftfreq(signal.size, 1 / SAMPLE_RATE)
    strongest: list[float] = []
    for index in np.argsort(spectrum)[::-1]:
        if all(abs(bins[index] - f) > 20 for f in strongest):
            strongest.append(float(bins[index]))
        if len(strongest) == count:
            break
    return sorted(strongest)


def test_default_configuration_gives_exactly_the_presets() -> None:
    tones = config.loads("", "okc.yaml").telephony.tones
    assert ToneSpec.from_config(tones.dial) == DIAL
    assert ToneSpec.from_config(tones.ringback) == RINGBACK
    assert ToneSpec.from_config(tones.busy) == BUSY
    assert ToneSpec.from_config(tones.congestion) == CONGESTION


def test_configured_dual_tone_with_two_step_cadence_plays_as_written() -> None:
    text = (
        "telephony:\n  tones:\n"
        "    ringback: {frequencies: [440, 480], level_dbm0: -16, cadence: [[400, 200], [400, 2000]]}\n"
    )
    tone = config.loads(text, "okc.yaml").telephony.tones.ringback
    spec = ToneSpec.from_config(tone)
    assert spec == ToneSpec((440.0, 480.0), (0.4, 0.2, 0.4, 2.0), -16.0)
    signal = _play(spec, 2 * 3 * SAMPLE_RATE)  # two periods of 3 s
    assert _envelope(signal) == [(True, 400), (False, 200), (True, 400), (False, 2000)] * 2
    first_burst = signal[: 400 * SAMPLE_RATE // 1000]
    peaks = _peaks(first_burst, 2)
    assert abs(peaks[0] - 440) <= 2.5
    assert abs(peaks[1] - 480) <= 2.5
    # Two equal sines at half the peak each never exceed the level's peak, and together they reach it.
    assert np.abs(signal).max() <= dbm0_to_peak(-16) + 1
    assert np.abs(signal).max() >= 0.99 * dbm0_to_peak(-16)


def test_configured_continuous_tone_never_pauses() -> None:
    tone = Tone(frequencies=(350.0,), level_dbm0=-20.0)
    signal = _play(ToneSpec.from_config(tone), SAMPLE_RATE)
    assert _envelope(signal) == [(True, 1000)]
    assert _peaks(signal, 1) == [350.0]


@settings(max_examples=40, deadline=None)
@given(
    frequency=st.integers(min_value=100, max_value=3500),
    steps=st.lists(
        st.tuples(st.integers(min_value=2, max_value=60), st.integers(min_value=2, max_value=60)),
        min_size=1,
        max_size=3,
    ),
)
def test_any_configured_cadence_and_frequency_is_what_plays(
    frequency: int, steps: list[tuple[int, int]]
) -> None:
    """Steps are whole multiples of 5 ms here so the 5 ms energy windows see every edge exactly."""
    cadence = tuple((on * 5, off * 5) for on, off in steps)
    spec = ToneSpec.from_config(Tone(frequencies=(float(frequency),), cadence=cadence))
    period_ms = sum(on + off for on, off in cadence)
    signal = _play(spec, period_ms * SAMPLE_RATE // 1000)
    expected = [run for on, off in cadence for run in ((True, on), (False, off))]
    assert _envelope(signal) == expected
    burst = signal[: cadence[0][0] * SAMPLE_RATE // 1000]
    resolution = SAMPLE_RATE / burst.size
    assert abs(_peaks(burst, 1)[0] - frequency) <= resolution
