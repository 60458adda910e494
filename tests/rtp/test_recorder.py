"""Recorder: alignment by RTP timestamps, silence for a missing side, pause, GSM and PCM files, flushing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from okc.errors import OkcError
from okc.rtp.recorder import (
    GSM_BYTES_PER_SECOND,
    CallRecorder,
    CallTimeline,
    Direction,
    Layout,
    RecorderError,
    RecordingFormat,
    RecordingOptions,
    part_path,
)

CUSTOMER, AGENT = Direction.CUSTOMER, Direction.AGENT
PCM_STEREO = RecordingOptions(format=RecordingFormat.PCM, layout=Layout.STEREO)


def _ramp(start: int, count: int = 160) -> npt.NDArray[np.int16]:
    """Samples whose values say where they are, so misplacement shows."""
    return (np.arange(start, start + count) % 30000).astype(np.int16)


def _collect(timeline: CallTimeline, now: float) -> npt.NDArray[np.int16]:
    return timeline.take(now)


def test_both_directions_line_up_by_their_own_timestamps() -> None:
    timeline = CallTimeline(100.0, latency=0.2)
    # Each side starts its RTP timestamps somewhere random; packets arrive 20 ms apart with up to 15 ms
    # of jitter; the first packet of each side places it, then timestamps alone decide.
    base_customer, base_agent = 4_000_000_000, 77
    for n in range(50):
        now = 100.0 + 0.02 * (n + 1)
        timeline.push(CUSTOMER, 1, (base_customer + 160 * n) % 2**32, _ramp(160 * n), now + 0.005 * (n % 4))
        timeline.push(AGENT, 2, base_agent + 160 * n, _ramp(10_000 + 160 * n), now + 0.003 * (n % 6))
    block = _collect(timeline, 100.0 + 1.2)
    assert block.shape == (2, 8000)
    assert np.array_equal(block[0], _ramp(0, 8000))
    assert np.array_equal(block[1], _ramp(10_000, 8000))
    assert timeline.dropped_samples == 0


def test_missing_direction_is_silence() -> None:
    timeline = CallTimeline(0.0, latency=0.0)
    for n in range(100):
        now = 0.02 * (n + 1)
        timeline.push(CUSTOMER, 1, 160 * n, _ramp(160 * n), now)
        if n >= 50:  # the agent's side starts a second late
            timeline.push(AGENT, 2, 999 + 160 * n, _ramp(20_000 + 160 * n), now)
    block = _collect(timeline, 2.0)
    assert np.array_equal(block[0], _ramp(0, 16000))
    assert not block[1, :8000].any()
    assert np.array_equal(block[1, 8000:], _ramp(20_000 + 8000, 8000))


def test_reordered_packets_land_in_place_and_late_ones_are_dropped() -> None:
    timeline = CallTimeline(0.0, latency=0.1)
    timeline.push(CUSTOMER, 5, 0, _ramp(0), 0.02)
    timeline.push(CUSTOMER, 5, 320, _ramp(320), 0.06)  # arrives before the packet it follows
    timeline.push(CUSTOMER, 5, 160, _ramp(160), 0.061)
    first = _collect(timeline, 0.2)
    assert np.array_equal(first[0, :480], _ramp(0, 480))
    timeline.push(CUSTOMER, 5, 480, _ramp(480), 0.3)  # its place (0.06-0.08 s) is already written
    assert timeline.dropped_samples == 160


def test_timestamp_wraps_around() -> None:
    timeline = CallTimeline(0.0, latency=0.0)
    base = 2**32 - 320
    for n in range(6):
        timeline.push(AGENT, 9, (base + 160 * n) % 2**32, _ramp(160 * n), 0.02 * (n + 1))
    assert np.array_equal(_collect(timeline, 0.12)[1], _ramp(0, 960))
    assert timeline.reanchors == 0


def test_new_ssrc_or_jump_reanchors_by_arrival() -> None:
    timeline = CallTimeline(0.0, latency=0.0)
    timeline.push(CUSTOMER, 1, 0, _ramp(0), 0.02)
    timeline.push(CUSTOMER, 2, 123_456, _ramp(1000), 0.04)  # new source: placed by arrival
    timeline.push(CUSTOMER, 2, 123_456 + 160 * 1000, _ramp(5000), 0.06)  # a 20 s jump: placed by arrival
    block = _collect(timeline, 0.06)
    assert np.array_equal(block[0], np.concatenate([_ramp(0), _ramp(1000), _ramp(5000)]))
    assert timeline.reanchors == 2


def test_pause_leaves_the_stretch_out() -> None:
    timeline = CallTimeline(0.0, latency=0.0)
    for n in range(150):
        now = 0.02 * (n + 1)
        if n == 50:
            timeline.pause(0.02 * n)
        if n == 100:
            timeline.resume(0.02 * n)
        timeline.push(CUSTOMER, 1, 160 * n, _ramp(160 * n), now)
    block = _collect(timeline, 3.0)
    assert block.shape[1] == 16000
    assert np.array_equal(block[0], np.concatenate([_ramp(0, 8000), _ramp(16000, 8000)]))
    assert timeline.paused_samples == 8000
    assert not timeline.paused


def _record(
    path: Path, options: RecordingOptions, seconds: int
) -> tuple[CallRecorder, npt.NDArray[np.int16]]:
    """Drive a recorder through a call in virtual time; return it unclosed and the customer's audio."""
    rng = np.random.default_rng(1)
    customer = (rng.normal(0, 3000, seconds * 8000)).clip(-32768, 32767).astype(np.int16)
    recorder = CallRecorder(path, 50.0, options)
    for n in range(seconds * 50):
        now = 50.0 + 0.02 * (n + 1)
        recorder.push(CUSTOMER, 7, 1000 + 160 * n, customer[160 * n : 160 * (n + 1)], now)
        recorder.push(AGENT, 8, 160 * n, np.full(160, 100, dtype=np.int16), now)
        timer = recorder.get_timer()
        if timer is not None and now >= timer:
            recorder.handle_timer(now)
    return recorder, customer


def test_pcm_stereo_keeps_every_sample(tmp_path: Path) -> None:
    recorder, customer = _record(tmp_path / "call.wav", PCM_STEREO, 3)
    summary = recorder.close()
    assert summary.path == tmp_path / "call.wav"
    assert not part_path(summary.path).exists()
    data, rate = soundfile.read(summary.path, dtype="int16")
    assert rate == 8000
    assert data.shape == (24000, 2)
    assert np.array_equal(data[:, 0], customer)
    assert (data[:, 1] == 100).all()
    assert summary.seconds == 3.0
    assert summary.dropped_samples == 0


def test_pcm_mono_mixes_both_sides(tmp_path: Path) -> None:
    options = RecordingOptions(format=RecordingFormat.PCM)
    recorder, customer = _record(tmp_path / "call.wav", options, 2)
    data, _ = soundfile.read(recorder.close().path, dtype="int16")
    expected = np.clip(customer.astype(np.int32) + 100, -32768, 32767)
    assert np.array_equal(data, expected)


def test_gsm_is_the_default_and_takes_1625_bytes_a_second(tmp_path: Path) -> None:
    # One hour is 5,850,000 bytes; 36 s is a hundredth of that.
    recorder, _ = _record(tmp_path / "call.wav", RecordingOptions(), 36)
    summary = recorder.close()
    assert summary.data_bytes * 100 == 5_850_000
    assert GSM_BYTES_PER_SECOND == 1625
    info = soundfile.info(str(summary.path))
    assert (info.format, info.subtype, info.channels, info.frames) == ("WAV", "GSM610", 1, 36 * 8000)
    header = summary.path.read_bytes()[:64]
    assert header[20:22] == b"\x31\x00"  # WAVE_FORMAT_GSM610
    assert summary.path.stat().st_size == 60 + summary.data_bytes


def test_recorder_writes_at_least_every_second_of_call_time(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    recorder = CallRecorder(path, 0.0, RecordingOptions(format=RecordingFormat.PCM))
    header = 44
    for n in range(250):
        now = 0.02 * (n + 1)
        recorder.push(CUSTOMER, 1, 160 * n, _ramp(160 * n), now)
        timer = recorder.get_timer()
        assert timer is not None
        assert timer - now <= 1.0
        if now >= timer:
            recorder.handle_timer(now)
        on_disk = (part_path(path).stat().st_size - header) // 2
        assert on_disk >= (now - 1.0) * 8000
    recorder.close()


def test_gsm_stereo_and_bad_options_raise(tmp_path: Path) -> None:
    bad = [
        {"format": RecordingFormat.GSM, "layout": Layout.STEREO},
        {"flush_interval": 2.0},
        {"latency": 0.6, "flush_interval": 0.5},
        {"max_jump": 0.1},
    ]
    for kwargs in bad:
        with pytest.raises(RecorderError) as raised:
            RecordingOptions(**kwargs)  # type: ignore[arg-type]
        assert isinstance(raised.value, OkcError)
    with pytest.raises(RecorderError):
        CallRecorder(tmp_path / "missing-folder" / "call.wav", 0.0)


def test_bad_input_and_double_close_raise(tmp_path: Path) -> None:
    recorder = CallRecorder(tmp_path / "call.wav", 0.0)
    with pytest.raises(RecorderError):
        recorder.push(CUSTOMER, 1, 0, np.zeros(160, dtype=np.float32), 0.02)
    with pytest.raises(RecorderError):
        recorder.push(CUSTOMER, 1, 2**32, _ramp(0), 0.02)
    recorder.close()
    with pytest.raises(RecorderError):
        recorder.close()
    assert recorder.get_timer() is None
