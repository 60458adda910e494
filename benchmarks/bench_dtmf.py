"""In-band DTMF detection speed as multiples of real time on one core.

okc's ToneDetector (all checks) fed 20 ms frames and 1 s chunks, beside the textbook per-sample Goertzel
recurrence for the same eight frequencies in pure Python (energies only, no decisions) — what a
straightforward implementation costs — on one minute of noise with digits in it.
"""

from __future__ import annotations

import math
import time

import numpy as np
import numpy.typing as npt

from benchmarks.report import Measurement, show
from okc.rtp.goertzel import DTMF_HIGH, DTMF_LOW, ToneDetector, dtmf_tone

RATE = 8000


def audio(seconds: float = 60.0) -> npt.NDArray[np.int16]:
    rng = np.random.default_rng(1)
    signal = rng.normal(0, 300, int(seconds * RATE))
    for position, digit in enumerate("0123456789*#ABCD" * 3):
        start = int((0.5 + position * 1.2) * RATE)
        tone = dtmf_tone(digit, 0.08).astype(np.float64)
        signal[start : start + len(tone)] += tone
    clipped: npt.NDArray[np.int16] = np.clip(signal, -32768, 32767).astype(np.int16)
    return clipped


def detector_speed(samples: npt.NDArray[np.int16], chunk: int) -> tuple[float, int]:
    detector = ToneDetector()
    started = time.perf_counter()
    found = []
    for offset in range(0, len(samples), chunk):
        found += detector.feed(samples[offset : offset + chunk])
    found += detector.flush()
    return len(samples) / RATE / (time.perf_counter() - started), len(found)


def plain_goertzel_speed(samples: npt.NDArray[np.int16], seconds: float = 5.0) -> float:
    """Per-sample Goertzel recurrence over 102-sample blocks for the eight frequencies, pure Python."""
    coefficients = [2 * math.cos(2 * math.pi * f / RATE) for f in DTMF_LOW + DTMF_HIGH]
    data = samples[: int(seconds * RATE)].astype(float).tolist()
    started = time.perf_counter()
    for block in range(0, len(data) - 102, 102):
        for coefficient in coefficients:
            s1 = s2 = 0.0
            for x in data[block : block + 102]:
                s1, s2 = x + coefficient * s1 - s2, s1
            _ = s1 * s1 + s2 * s2 - coefficient * s1 * s2
    return seconds / (time.perf_counter() - started)


def main() -> None:
    samples = audio()
    frames, digits = detector_speed(samples, 160)
    chunks, _ = detector_speed(samples, RATE)
    plain = plain_goertzel_speed(samples)
    print(f"digits found: {digits} of 48 sent")
    show(
        "In-band DTMF detection, × real time per core (higher is better)",
        Measurement("okc ToneDetector, 20 ms frames", frames, "× real time"),
        [
            Measurement("okc ToneDetector, 1 s chunks", chunks, "× real time"),
            Measurement("plain Goertzel recurrence (Python, energies only)", plain, "× real time"),
        ],
    )


if __name__ == "__main__":
    main()
