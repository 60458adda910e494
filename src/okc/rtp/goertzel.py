"""In-band DTMF detection on 8 kHz 16-bit PCM: eight Goertzel filters and Q.24-style acceptance rules.

`ToneDetector` is sans-I/O: `feed(pcm)` takes frames of any size and returns the digits that ended, with
their times counted from the samples fed (no clock). Analysis windows are 102 samples (12.75 ms) long and
overlap by half. Per window the eight Goertzel outputs (the single-bin DFT terms, evaluated for all windows
of a frame as one matrix product) must show one tone per group above the level floor, within the twist
limits, dominating the other six filters and most of the window's energy. Energy alone cannot tell a tone
1.5 % off nominal from one 3.5 % off (both sit inside a 78 Hz wide bin), so each tone's frequency is also
measured from the phase advance of a Hamming-windowed filter between consecutive windows, accurate to a
few hertz. A digit's start and end are estimated to a few milliseconds from how much of the edge windows
the tones fill, which is what lets 35 ms bursts be rejected and 45 ms tones accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from okc.rtp.dtmf import DigitEvent, DigitSource, DtmfError

__all__ = [
    "DBM0_AMPLITUDE",
    "DTMF_HIGH",
    "DTMF_LOW",
    "DetectorLimits",
    "ToneDetector",
    "dtmf_tone",
]

SAMPLE_RATE: Final = 8000
DTMF_LOW: Final = (697.0, 770.0, 852.0, 941.0)
"""Row frequencies in hertz (ITU-T Q.23)."""
DTMF_HIGH: Final = (1209.0, 1336.0, 1477.0, 1633.0)
"""Column frequencies in hertz (ITU-T Q.23)."""
_KEYS: Final = ("123A", "456B", "789C", "*0#D")
DBM0_AMPLITUDE: Final = 22_500.0
"""Peak of a 0 dBm0 sine in 16-bit PCM: G.711's full scale is about +3.1 dBm0 (G.711 table 5/6)."""

_WINDOW: Final = 102  # samples per analysis window: 78 Hz bins, 697 and 770 Hz nearly a bin apart
_HOP: Final = _WINDOW // 2  # windows overlap by half; the edge estimate below relies on hop = window / 2
_LEAD: Final = 2 * _HOP
_BATCH: Final = 8  # windows analysed together (51 ms): digits are reported at most that much later
_FREQS: Final = np.array(DTMF_LOW + DTMF_HIGH)


def _filter_bank() -> npt.NDArray[np.complex128]:
    """Columns 0–7: rectangular single-bin DFTs; 8–15: the same bins Hamming-windowed, for phase."""
    n = np.arange(_WINDOW)[:, None]
    kernel = np.exp(-2j * np.pi * _FREQS[None, :] * n / SAMPLE_RATE)
    hamming = np.hamming(_WINDOW)[:, None]
    return np.ascontiguousarray(np.hstack([kernel, kernel * hamming]))


_BANK: Final = _filter_bank()
_PHASE_STEP: Final = 2 * np.pi * _FREQS * _HOP / SAMPLE_RATE


def _fit_tones(
    frames: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    energy: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Least-squares fit of two sinusoids at the measured frequencies to each window.

    Returns the share of the window's energy they explain and their two amplitudes. Voiced speech can put
    two harmonics near a DTMF pair; its other harmonics are what the share sees.
    """
    n = np.arange(_WINDOW) * (2 * np.pi / SAMPLE_RATE)
    phase_low = low[:, None] * n[None, :]
    phase_high = high[:, None] * n[None, :]
    basis = np.stack([np.cos(phase_low), np.sin(phase_low), np.cos(phase_high), np.sin(phase_high)], axis=2)
    gram = np.einsum("knj,kni->kji", basis, basis) + 1e-9 * np.eye(4)
    projection = np.einsum("knj,kn->kj", basis, frames)
    coefficients = np.linalg.solve(gram, projection[:, :, None])[:, :, 0]
    explained = np.einsum("kj,kj->k", projection, coefficients)
    low_amp = np.hypot(coefficients[:, 0], coefficients[:, 1])
    high_amp = np.hypot(coefficients[:, 2], coefficients[:, 3])
    return explained / np.maximum(energy, 1e-9), low_amp, high_amp


def _db(value: float) -> float:
    return 10 ** (value / 20)


@dataclass(frozen=True, slots=True)
class DetectorLimits:
    """Acceptance limits; the defaults follow ITU-T Q.24 (and what common receivers use where it allows)."""

    min_level_dbm0: float = -30.0
    """Each tone must be at least this loud."""
    normal_twist_db: float = 8.0
    """How much weaker the high-group tone may be than the low-group tone (a line's usual loss slope)."""
    reverse_twist_db: float = 4.0
    """How much stronger the high-group tone may be than the low-group tone."""
    frequency_tolerance: float = 0.025
    """Largest relative frequency error accepted: between Q.24's must-accept 1.5 % and must-reject 3.5 %."""
    relative_peak_db: float = 8.0
    """The other tones of a group must be this far below the group's strongest."""
    min_energy_ratio: float = 0.6
    """The two filters' outputs together must carry this share of the window's energy (a quick screen)."""
    min_tone_share: float = 0.9
    """Two sinusoids fitted at the measured frequencies must explain this share of the window's energy."""
    min_duration: float = 0.040
    """Shortest tone taken as a digit, in seconds."""
    min_pause: float = 0.040
    """Shortest interruption that separates two digits; a shorter one is bridged (a dropout)."""

    def __post_init__(self) -> None:
        if not 0 < self.frequency_tolerance < 0.05:
            raise DtmfError(f"frequency tolerance must be within (0, 0.05), not {self.frequency_tolerance}")
        if not (0 < self.min_energy_ratio <= 1 and 0 < self.min_tone_share <= 1):
            raise DtmfError("the energy ratio and tone share limits are within (0, 1]")
        if min(self.normal_twist_db, self.reverse_twist_db, self.relative_peak_db) < 0:
            raise DtmfError("twist and relative peak limits are non-negative decibels")
        if self.min_duration < 0 or self.min_pause < 0:
            raise DtmfError("minimum duration and pause are non-negative seconds")


@dataclass(slots=True)
class _Run:
    """A digit being heard: window indices and Goertzel magnitudes needed to place its edges."""

    digit: int  # 4 * row + column
    first: int
    last: int
    lead: list[tuple[float, float]]  # magnitudes of windows first-2 … first
    refs: list[tuple[float, float]]  # magnitudes of hit windows (up to _MAX_REFS), for the full-tone level
    tail: list[tuple[float, float]]  # magnitudes of windows last … last+2


_MAX_REFS: Final = 32


class ToneDetector:
    """Detects DTMF digits in a stream of 8 kHz signed 16-bit PCM fed in frames of any size."""

    def __init__(self, limits: DetectorLimits | None = None, *, start_time: float = 0.0) -> None:
        self._limits = limits or DetectorLimits()
        self._start_time = start_time
        # Two hops of silence before the stream give the first windows the lead-in the edge estimate needs.
        self._pending = np.zeros(_LEAD, dtype=np.float64)  # samples not yet consumed by a full window
        self._consumed = -_LEAD  # stream index of _pending[0]
        self._window = 0  # index of the next window to analyse (window k starts at sample (k - 2) * _HOP)
        self._prev_phase: npt.NDArray[np.complex128] | None = None
        self._recent: list[tuple[int, npt.NDArray[np.float64]]] = []  # the last two windows' magnitudes
        self._run: _Run | None = None
        lim = self._limits
        self._min_amplitude = DBM0_AMPLITUDE * _db(lim.min_level_dbm0) * _WINDOW / 2
        self._normal = _db(lim.normal_twist_db)
        self._reverse = _db(lim.reverse_twist_db)
        self._peak = _db(-lim.relative_peak_db)

    @property
    def samples(self) -> int:
        """Samples fed so far."""
        return max(0, self._consumed + len(self._pending))

    def feed(self, pcm: bytes | npt.NDArray[np.int16]) -> list[DigitEvent]:
        """Analyse more audio (bytes of little-endian int16, or an int16 array); return digits that ended."""
        if isinstance(pcm, bytes | bytearray | memoryview):
            if len(pcm) % 2:
                raise DtmfError(f"16-bit PCM is an even number of bytes, not {len(pcm)}")
            samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        else:
            samples = np.asarray(pcm, dtype=np.float64)
        self._pending = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        count = (len(self._pending) - _WINDOW) // _HOP + 1 if len(self._pending) >= _WINDOW else 0
        if count < _BATCH:  # analyse several windows at once: numpy's per-call cost dominates small frames
            return []
        frames = np.lib.stride_tricks.sliding_window_view(self._pending, _WINDOW)[::_HOP][:count]
        events = self._analyse(frames)
        used = count * _HOP
        self._pending = self._pending[used:].copy()
        self._consumed += used
        return events

    def flush(self) -> list[DigitEvent]:
        """End of stream: pad with silence so a digit still sounding at the end is judged and reported."""
        pause = int(self._limits.min_pause * SAMPLE_RATE) + (3 + _BATCH) * _WINDOW
        events = self.feed(np.zeros(pause, dtype=np.int16))
        if self._run is not None:
            event = self._finish(self._run)
            self._run = None
            if event is not None:
                events.append(event)
        return events

    def _analyse(self, frames: npt.NDArray[np.float64]) -> list[DigitEvent]:
        out = frames @ _BANK
        mags = np.abs(out[:, :8])
        phases = out[:, 8:]
        prev = np.vstack([self._prev_phase[None, :] if self._prev_phase is not None else phases[:1], phases])
        self._prev_phase = phases[-1].copy()
        step = np.angle(phases * np.conj(prev[:-1])) - _PHASE_STEP
        deviation = (step + np.pi) % (2 * np.pi) - np.pi  # radians per hop away from nominal
        offset = deviation * SAMPLE_RATE / (2 * np.pi * _HOP)  # hertz
        candidates = self._candidates(frames, mags, offset)
        events: list[DigitEvent] = []
        active = candidates >= 0
        for index in range(len(frames)):
            if self._run is not None or active[index]:
                # Lead-in windows for a digit starting here: the two before it, from this call or the last.
                self._recent = [
                    *self._recent,
                    *((self._window - k, mags[index - k]) for k in (2, 1) if index >= k),
                ]
                self._recent = self._recent[-2:]
                event = self._step(self._window, int(candidates[index]), mags[index])
                if event is not None:
                    events.append(event)
            self._window += 1
        self._recent = [
            (self._window - len(mags) + k, mags[k]) for k in range(max(0, len(mags) - 2), len(mags))
        ]
        return events

    def _candidates(
        self,
        frames: npt.NDArray[np.float64],
        mags: npt.NDArray[np.float64],
        offset: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.int64]:
        """Per window the digit (4 * row + column) its tones pass every check for, or -1."""
        rows = np.argmax(mags[:, :4], axis=1)
        cols = np.argmax(mags[:, 4:], axis=1)
        index = np.arange(len(mags))
        low = mags[index, rows]
        high = mags[index, 4 + cols]
        # A quick screen on the filter outputs, with 3 dB of slack on level and twist (the filters read a
        # tone off its nominal frequency low), then the exact checks on the fitted tones of the survivors.
        slack = _db(3.0)
        ok = (low * slack >= self._min_amplitude) & (high * slack >= self._min_amplitude)
        ok &= (high * self._normal * slack >= low) & (high <= low * self._reverse * slack)
        low_group = np.sort(mags[:, :4], axis=1)
        high_group = np.sort(mags[:, 4:], axis=1)
        ok &= (low_group[:, -2] <= low * self._peak) & (high_group[:, -2] <= high * self._peak)
        # Tone power is (2|X|/N)^2 / 2 per tone; the window's mean power is sum(x^2) / N.
        energy = np.einsum("ij,ij->i", frames, frames)
        tones = 2 * (low**2 + high**2) / _WINDOW
        ok &= tones >= self._limits.min_energy_ratio * np.maximum(energy, 1e-9)
        tolerance = self._limits.frequency_tolerance
        low_freq = _FREQS[rows] + offset[index, rows]
        high_freq = _FREQS[4 + cols] + offset[index, 4 + cols]
        ok &= np.abs(low_freq - _FREQS[rows]) <= tolerance * _FREQS[rows]
        ok &= np.abs(high_freq - _FREQS[4 + cols]) <= tolerance * _FREQS[4 + cols]
        hits = np.flatnonzero(ok)
        if len(hits):
            share, low_amp, high_amp = _fit_tones(frames[hits], low_freq[hits], high_freq[hits], energy[hits])
            passed = share >= self._limits.min_tone_share
            floor = self._min_amplitude * 2 / _WINDOW
            passed &= (low_amp >= floor) & (high_amp >= floor)
            passed &= (high_amp * self._normal >= low_amp) & (high_amp <= low_amp * self._reverse)
            ok[hits] = passed
        return np.where(ok, rows * 4 + cols, -1)

    def _step(self, window: int, candidate: int, mags: npt.NDArray[np.float64]) -> DigitEvent | None:
        """Advance the digit state machine by one window."""
        event: DigitEvent | None = None
        run = self._run
        if run is not None:
            pair = self._pair(run.digit, mags)
            if candidate == run.digit and self._separated(run, window, pair):
                event = self._finish(run)
                self._run = run = None
            elif candidate == run.digit:
                if len(run.refs) < _MAX_REFS:
                    run.refs.append(pair)
                run.last = window
                run.tail = [pair]
            else:
                if len(run.tail) < 3:
                    run.tail.append(pair)
                if candidate >= 0 or self._pause_elapsed(run, window):
                    event = self._finish(run)
                    self._run = run = None
        if run is None and candidate >= 0:
            lead = [self._pair(candidate, m) for w, m in self._recent if w >= window - 2]
            pair = self._pair(candidate, mags)
            self._run = _Run(candidate, window, window, [*lead, pair], [pair], [pair])
        return event

    @staticmethod
    def _pair(digit: int, mags: npt.NDArray[np.float64]) -> tuple[float, float]:
        return float(mags[digit // 4]), float(mags[4 + digit % 4])

    def _coverage(self, run: _Run, pairs: list[tuple[float, float]]) -> float:
        """How many windows' worth of tone the given windows hold (each 0 … 1), from their magnitudes."""
        ref_low = float(np.median([p[0] for p in run.refs]))
        ref_high = float(np.median([p[1] for p in run.refs]))
        return sum(min(1.0, (low / ref_low + high / ref_high) / 2) for low, high in pairs)

    def _edges(self, run: _Run) -> tuple[float, float]:
        """Start and end sample of the run's tone (hop = window / 2 makes these exact for a steady tone)."""
        start = (run.first + 1.5) * _HOP - _HOP * self._coverage(run, run.lead[-3:])
        end = (run.last + 0.5) * _HOP + _HOP * self._coverage(run, run.tail)
        return start - _LEAD, end - _LEAD

    def _separated(self, run: _Run, window: int, pair: tuple[float, float]) -> bool:
        """Whether the run's digit, heard again after a gap, is a new press (the pause was long enough)."""
        if len(run.tail) < 3:
            return False
        _, end = self._edges(run)
        lead = [self._pair(run.digit, m) for w, m in self._recent if w >= window - 2]
        start = (window + 1.5) * _HOP - _HOP * self._coverage(run, [*lead, pair]) - _LEAD
        return start - end >= self._limits.min_pause * SAMPLE_RATE

    def _pause_elapsed(self, run: _Run, window: int) -> bool:
        """Whether a tone starting from this window on would begin at least a minimum pause after the run."""
        if len(run.tail) < 3:
            return False
        _, end = self._edges(run)
        return (window - 1.5) * _HOP - _LEAD >= end + self._limits.min_pause * SAMPLE_RATE

    def _finish(self, run: _Run) -> DigitEvent | None:
        start, end = self._edges(run)
        duration = (end - start) / SAMPLE_RATE
        if duration < self._limits.min_duration:
            return None
        digit = _KEYS[run.digit // 4][run.digit % 4]
        return DigitEvent(digit, self._start_time + start / SAMPLE_RATE, duration, DigitSource.INBAND)


def dtmf_tone(
    digit: str,
    duration: float,
    *,
    level_dbm0: float = -10.0,
    twist_db: float = 0.0,
    deviation: float = 0.0,
    sample_rate: int = SAMPLE_RATE,
) -> npt.NDArray[np.int16]:
    """A DTMF digit as int16 PCM: tones at level_dbm0, the high one twist_db lower, both off by deviation.

    Used by tests and by anything that must play a digit in-band (a far end without RFC 4733).
    """
    key = digit.upper()
    place = next(
        ((r, keys.index(key)) for r, keys in enumerate(_KEYS) if len(key) == 1 and key in keys), None
    )
    if place is None:
        raise DtmfError(f"{digit!r} is not a DTMF digit (0-9, *, #, A-D)")
    row, col = place
    if duration < 0:
        raise DtmfError(f"a tone lasts a non-negative time, not {duration}")
    t = np.arange(round(duration * sample_rate)) / sample_rate
    amplitude = DBM0_AMPLITUDE * _db(level_dbm0)
    low = amplitude * np.sin(2 * math.pi * DTMF_LOW[row] * (1 + deviation) * t)
    high = amplitude * _db(-twist_db) * np.sin(2 * math.pi * DTMF_HIGH[col] * (1 + deviation) * t)
    return np.clip(np.round(low + high), -32768, 32767).astype(np.int16)
