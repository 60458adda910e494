"""In-band DTMF detector: every digit, level and twist limits, Q.24 frequency limits, duration and pause."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from okc.rtp.dtmf import DIGITS, DigitEvent, DigitSource, DtmfError
from okc.rtp.goertzel import DTMF_HIGH, DTMF_LOW, SAMPLE_RATE, DetectorLimits, ToneDetector, dtmf_tone

Pcm = npt.NDArray[np.int16]


def silence(seconds: float) -> Pcm:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)


def detect(signal: Pcm, chunk: int = 160, limits: DetectorLimits | None = None) -> list[DigitEvent]:
    detector = ToneDetector(limits)
    events: list[DigitEvent] = []
    for start in range(0, len(signal), chunk):
        events += detector.feed(signal[start : start + chunk])
    return events + detector.flush()


def digits(signal: Pcm, chunk: int = 160) -> str:
    return "".join(event.digit for event in detect(signal, chunk))


def keyed(
    sequence: str,
    *,
    on: float = 0.08,
    off: float = 0.08,
    level_dbm0: float = -10.0,
    twist_db: float = 0.0,
    deviation: float = 0.0,
) -> Pcm:
    parts = [silence(0.05)]
    for digit in sequence:
        tone = dtmf_tone(digit, on, level_dbm0=level_dbm0, twist_db=twist_db, deviation=deviation)
        parts += [tone, silence(off)]
    return np.concatenate(parts)


@pytest.mark.parametrize("level", [-3.0, -10.0, -20.0, -27.0])
def test_all_sixteen_digits_at_several_levels(level: float) -> None:
    assert digits(keyed(DIGITS, level_dbm0=level)) == DIGITS


@pytest.mark.parametrize("twist", [-3.5, 0.0, 4.0, 7.5])
def test_twist_within_limits_is_accepted(twist: float) -> None:
    # Positive twist: the high tone weaker (normal, up to 8 dB); negative: stronger (reverse, up to 4 dB).
    assert digits(keyed(DIGITS, twist_db=twist, level_dbm0=-8)) == DIGITS


@pytest.mark.parametrize("twist", [-6.0, 11.0])
def test_twist_beyond_limits_is_rejected(twist: float) -> None:
    assert digits(keyed(DIGITS, twist_db=twist, level_dbm0=-8)) == ""


def test_below_the_level_floor_is_rejected() -> None:
    assert digits(keyed(DIGITS, level_dbm0=-36)) == ""


@pytest.mark.parametrize("deviation", [-0.015, -0.01, 0.0, 0.01, 0.015])
def test_frequency_within_one_and_a_half_percent_is_detected(deviation: float) -> None:
    assert digits(keyed(DIGITS, deviation=deviation)) == DIGITS


@pytest.mark.parametrize("deviation", [-0.06, -0.05, -0.04, -0.035, 0.035, 0.04, 0.05, 0.06])
def test_frequency_beyond_three_and_a_half_percent_is_rejected(deviation: float) -> None:
    assert digits(keyed(DIGITS, deviation=deviation)) == ""


def test_one_tone_off_frequency_rejects_the_digit() -> None:
    t = np.arange(800) / SAMPLE_RATE
    tone = 7000 * np.sin(2 * np.pi * 770 * t) + 7000 * np.sin(2 * np.pi * 1336 * 1.04 * t)
    assert digits(np.concatenate([silence(0.05), tone.astype(np.int16), silence(0.1)])) == ""


def test_a_single_tone_is_not_a_digit() -> None:
    t = np.arange(4000) / SAMPLE_RATE
    for freq in (697, 941, 1209, 1633):
        assert digits((9000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)) == ""


@pytest.mark.parametrize("offset", range(0, 51, 7))
def test_thirty_five_ms_rejected_forty_five_detected(offset: int) -> None:
    lead = np.zeros(400 + offset, dtype=np.int16)
    assert digits(np.concatenate([lead, dtmf_tone("5", 0.035), silence(0.1)])) == ""
    assert digits(np.concatenate([lead, dtmf_tone("5", 0.045), silence(0.1)])) == "5"


def test_events_carry_start_duration_and_source() -> None:
    signal = np.concatenate([silence(0.25), dtmf_tone("#", 0.12), silence(0.2), dtmf_tone("#", 0.06)])
    first, second = detect(signal)
    assert (first.digit, first.source) == ("#", DigitSource.INBAND)
    assert first.start_time == pytest.approx(0.25, abs=0.003)
    assert first.duration == pytest.approx(0.12, abs=0.003)
    assert second.start_time == pytest.approx(0.57, abs=0.003)
    assert second.duration == pytest.approx(0.06, abs=0.003)


def test_start_time_is_offset_by_the_detectors_origin() -> None:
    detector = ToneDetector(start_time=100.0)
    events = detector.feed(np.concatenate([silence(0.1), dtmf_tone("1", 0.1)])) + detector.flush()
    assert [round(e.start_time, 2) for e in events] == [100.1]


def test_short_dropout_is_bridged_long_pause_separates() -> None:
    bridged = np.concatenate([dtmf_tone("7", 0.1), silence(0.03), dtmf_tone("7", 0.1)])
    assert digits(bridged) == "7"
    separated = np.concatenate([dtmf_tone("7", 0.1), silence(0.045), dtmf_tone("7", 0.1)])
    assert digits(separated) == "77"


def test_different_digits_back_to_back() -> None:
    assert digits(np.concatenate([dtmf_tone("1", 0.08), dtmf_tone("2", 0.08), silence(0.1)])) == "12"


@pytest.mark.parametrize("chunk", [1, 37, 160, 1000, 100_000])
def test_frame_size_does_not_matter(chunk: int) -> None:
    assert digits(keyed("0123456789", on=0.05, off=0.05), chunk) == "0123456789"


def test_bytes_input_and_odd_length_rejected() -> None:
    detector = ToneDetector()
    signal = keyed("42")
    assert [e.digit for e in detector.feed(signal.astype("<i2").tobytes()) + detector.flush()] == ["4", "2"]
    with pytest.raises(DtmfError):
        detector.feed(b"\x00")


def test_digits_survive_moderate_noise() -> None:
    rng = np.random.default_rng(5)
    signal = keyed(DIGITS, level_dbm0=-12).astype(np.float64)
    noisy = signal + rng.normal(0, 22500 * 10 ** (-35 / 20), len(signal))
    assert digits(noisy.astype(np.int16)) == DIGITS


def test_digits_survive_g711() -> None:
    from okc.rtp import g711

    pcm = keyed(DIGITS, level_dbm0=-20).astype("<i2").tobytes()
    for encode, decode in ((g711.alaw_encode, g711.alaw_decode), (g711.ulaw_encode, g711.ulaw_decode)):
        decoded = np.frombuffer(decode(encode(pcm)), dtype="<i2")
        assert digits(decoded.astype(np.int16)) == DIGITS


def test_limits_validate() -> None:
    with pytest.raises(DtmfError):
        DetectorLimits(frequency_tolerance=0.1)
    with pytest.raises(DtmfError):
        DetectorLimits(min_energy_ratio=0)
    with pytest.raises(DtmfError):
        dtmf_tone("E", 0.1)


def two_tones(low: float, high: float, seconds: float = 0.1, amplitude: float = 7000.0) -> Pcm:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = amplitude * (np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t))
    return np.concatenate([silence(0.05), tone.astype(np.int16), silence(0.1)])


@pytest.mark.parametrize("which", range(8))
def test_each_frequency_alone_off_by_the_q24_limits(which: int) -> None:
    # One of the eight tones off nominal, its partner exact: ±1.5 % (and less) detected, ±3.5 % (and
    # more, up to where the next row or column begins) rejected, for every frequency of the band.
    row, col = (which, 1) if which < 4 else (1, which - 4)
    expected = "123A456B789C*0#D"[4 * row + col]
    for deviation in (-0.015, -0.0075, 0.0075, 0.015):
        low, high = DTMF_LOW[row], DTMF_HIGH[col]
        low, high = (low * (1 + deviation), high) if which < 4 else (low, high * (1 + deviation))
        assert digits(two_tones(low, high)) == expected, deviation
    for deviation in (-0.05, -0.04, -0.035, 0.035, 0.04, 0.05):
        low, high = DTMF_LOW[row], DTMF_HIGH[col]
        low, high = (low * (1 + deviation), high) if which < 4 else (low, high * (1 + deviation))
        assert digits(two_tones(low, high)) == "", deviation
