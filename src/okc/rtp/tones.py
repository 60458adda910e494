"""Call-progress tones, silence and comfort noise as 20 ms frames of 8 kHz 16-bit PCM.

The defaults are the Russian national tones: 425 Hz at a level of −15 … −5 dBm0 (−10 dBm0 here) with the
cadences of the Ministry of Communications' switching-equipment rules (the same figures ITU-T E.180
Supplement 2 lists for the Russian Federation): ringback ("контроль посылки вызова") 1.0 s on / 4.0 s off,
busy ("занято") 0.3–0.4 s on / off (0.4 here), congestion ("занято при перегрузке") 0.15–0.2 s (0.2 here).

Generators keep one sample counter for the whole call, so the sine's phase and the cadence are exact at
every frame boundary and never drift, however long the tone plays.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np
import numpy.typing as npt

from okc.errors import OkcError

__all__ = [
    "BUSY",
    "CONGESTION",
    "DIAL",
    "FRAME_SAMPLES",
    "RINGBACK",
    "SAMPLE_RATE",
    "ComfortNoise",
    "ToneConfig",
    "ToneError",
    "ToneGenerator",
    "ToneSpec",
    "dbm0_to_peak",
    "dbov_to_rms",
    "noise_level_dbov",
    "silence",
]

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
# A sine at +3.14 dBm0 just reaches full scale in A-law (G.711 table 1a); 16-bit full scale is 32767.
_FULL_SCALE_SINE_DBM0 = 3.14
_FULL_SCALE = 32767.0


class ToneError(OkcError):
    """A tone, cadence or noise level outside what 8 kHz telephony can play."""


def dbm0_to_peak(level_dbm0: float) -> float:
    """Peak 16-bit amplitude of a sine at level_dbm0 (0 dBm0 ≈ 22,900, the digital milliwatt)."""
    return _FULL_SCALE * 10 ** ((level_dbm0 - _FULL_SCALE_SINE_DBM0) / 20)


def dbov_to_rms(level_dbov: float) -> float:
    """RMS amplitude of a level in dBov: 0 dBov is a full-scale square wave (RFC 3389 section 3)."""
    return _FULL_SCALE * 10 ** (level_dbov / 20)


def noise_level_dbov(samples: npt.NDArray[np.int16]) -> int:
    """The RFC 3389 noise-level byte (0 … 127, meaning 0 … −127 dBov) measured from samples."""
    if samples.size == 0:
        return 127
    rms = math.sqrt(float(np.mean(np.square(samples.astype(np.float64)))))
    if rms <= 0:
        return 127
    return min(127, max(0, round(-20 * math.log10(rms / _FULL_SCALE))))


def silence(samples: int = FRAME_SAMPLES) -> npt.NDArray[np.int16]:
    """A frame of digital silence."""
    return np.zeros(samples, dtype=np.int16)


class ToneConfig(Protocol):
    """A configured tone, such as okc.config's telephony.tones entries (structural: no import of the config).

    cadence holds [on, off] pairs in milliseconds; an empty cadence is a continuous tone.
    """

    @property
    def frequencies(self) -> Sequence[float]: ...

    @property
    def level_dbm0(self) -> float: ...

    @property
    def cadence(self) -> Sequence[tuple[int, int]]: ...


@dataclass(frozen=True, slots=True)
class ToneSpec:
    """A tone: frequencies sounded together, a cadence of on/off durations (s) that repeats, a level.

    An empty cadence is a continuous tone. The cadence alternates on, off, on, off … and must have an
    even number of entries; each is rounded to whole samples.
    """

    frequencies: tuple[float, ...]
    cadence: tuple[float, ...] = ()
    level_dbm0: float = -10.0

    def __post_init__(self) -> None:
        if not self.frequencies:
            raise ToneError("a tone needs at least one frequency")
        if any(not 0 < f < SAMPLE_RATE / 2 for f in self.frequencies):
            raise ToneError(f"frequencies must lie in 0 … {SAMPLE_RATE // 2} Hz: {self.frequencies}")
        if len(self.cadence) % 2:
            raise ToneError(f"a cadence alternates on and off, so it has an even length: {self.cadence}")
        if any(not math.isfinite(d) or round(d * SAMPLE_RATE) < 1 for d in self.cadence):
            raise ToneError(f"every cadence step must last at least one sample: {self.cadence}")
        if not -60.0 <= self.level_dbm0 <= _FULL_SCALE_SINE_DBM0:
            raise ToneError(f"tone level must be −60 … +3.14 dBm0, not {self.level_dbm0}")

    @classmethod
    def from_config(cls, tone: ToneConfig) -> ToneSpec:
        """The tone a configuration entry describes: millisecond [on, off] pairs become seconds."""
        cadence = tuple(ms / 1000 for step in tone.cadence for ms in step)
        return cls(tuple(float(f) for f in tone.frequencies), cadence, float(tone.level_dbm0))

    def with_level(self, level_dbm0: float) -> ToneSpec:
        """The same tone at another level."""
        return ToneSpec(self.frequencies, self.cadence, level_dbm0)


RINGBACK = ToneSpec((425.0,), (1.0, 4.0))
BUSY = ToneSpec((425.0,), (0.4, 0.4))
CONGESTION = ToneSpec((425.0,), (0.2, 0.2))
DIAL = ToneSpec((425.0,))


class ToneGenerator:
    """Produces a tone frame by frame; frame n holds samples 160·n … 160·n + 159 of one endless signal."""

    def __init__(self, spec: ToneSpec) -> None:
        self._spec = spec
        self._sample = 0
        # Each frequency as an exact fraction of the sample rate, so phase is computed without rounding error.
        self._steps = [Fraction(f).limit_denominator(1000) / SAMPLE_RATE for f in spec.frequencies]
        self._amplitude = dbm0_to_peak(spec.level_dbm0) / len(spec.frequencies)
        steps = [round(d * SAMPLE_RATE) for d in spec.cadence]
        self._period = sum(steps)
        self._on_mask: npt.NDArray[np.bool_] | None = None
        if steps:
            mask = np.zeros(self._period, dtype=np.bool_)
            position = 0
            for index, length in enumerate(steps):
                if index % 2 == 0:
                    mask[position : position + length] = True
                position += length
            self._on_mask = mask

    @property
    def spec(self) -> ToneSpec:
        """The tone being generated."""
        return self._spec

    @property
    def position(self) -> int:
        """Samples produced so far."""
        return self._sample

    def next_frame(self, samples: int = FRAME_SAMPLES) -> npt.NDArray[np.int16]:
        """The next `samples` samples of the tone."""
        index = np.arange(self._sample, self._sample + samples, dtype=np.int64)
        signal = np.zeros(samples, dtype=np.float64)
        for step in self._steps:
            # phase = 2π · (n·p/q mod 1), with n·p mod q in integers: exact for any n.
            cycle = (index * step.numerator) % step.denominator
            signal += np.sin(2 * np.pi * cycle / step.denominator)
        signal *= self._amplitude
        if self._on_mask is not None:
            signal *= self._on_mask[index % self._period]
        self._sample += samples
        return np.round(signal).astype(np.int16)

    def __iter__(self) -> Iterator[npt.NDArray[np.int16]]:
        return self

    def __next__(self) -> npt.NDArray[np.int16]:
        return self.next_frame()


class ComfortNoise:
    """White noise at an RFC 3389 level (the noise-level byte, 0 … 127 for 0 … −127 dBov).

    The random source is injected so a call's noise is reproducible in tests.
    """

    def __init__(self, level: int, rng: random.Random) -> None:
        if not 0 <= level <= 127:
            raise ToneError(f"comfort-noise level must be 0 … 127 (−dBov), not {level}")
        self._level = level
        self._rms = dbov_to_rms(-level)
        self._rng = np.random.default_rng(rng.getrandbits(64))

    @property
    def level(self) -> int:
        """The noise level in −dBov."""
        return self._level

    @classmethod
    def from_payload(cls, payload: bytes, rng: random.Random) -> ComfortNoise:
        """Noise as described by an RFC 3389 CN payload (its first byte; spectral coefficients ignored)."""
        if not payload:
            raise ToneError("an RFC 3389 comfort-noise payload holds at least the noise-level byte")
        return cls(payload[0] & 0x7F, rng)

    def payload(self) -> bytes:
        """The RFC 3389 payload announcing this noise (level only: white noise)."""
        return bytes([self._level])

    def next_frame(self, samples: int = FRAME_SAMPLES) -> npt.NDArray[np.int16]:
        """The next frame of noise."""
        noise = self._rng.normal(0.0, self._rms, samples)
        return np.clip(np.round(noise), -32768, 32767).astype(np.int16)

    def __iter__(self) -> Iterator[npt.NDArray[np.int16]]:
        return self

    def __next__(self) -> npt.NDArray[np.int16]:
        return self.next_frame()
