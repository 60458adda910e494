"""Repair: a recording copied mid-call (as a crash leaves it) becomes a valid WAV; recovery at start-up."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from okc.errors import OkcError
from okc.rtp.recorder import CallRecorder, Direction, Layout, RecordingFormat, RecordingOptions, part_path
from okc.rtp.repair import RepairError, recover, repair


def _crashed_copy(tmp_path: Path, options: RecordingOptions, seconds: float, name: str = "call.wav") -> Path:
    """Record `seconds` of a call, copy the unfinished file as a crash would leave it, then close."""
    path = tmp_path / "live" / name
    path.parent.mkdir(exist_ok=True)
    recorder = CallRecorder(path, 0.0, options)
    samples = (np.arange(160) * 100).astype(np.int16)
    for n in range(round(seconds * 50)):
        now = 0.02 * (n + 1)
        recorder.push(Direction.CUSTOMER, 1, 160 * n, samples, now)
        timer = recorder.get_timer()
        if timer is not None and now >= timer:
            recorder.handle_timer(now)
    crashed = tmp_path / (name + ".part")
    shutil.copyfile(part_path(path), crashed)
    recorder.close()
    return crashed


def _libsndfile_frames(path: Path) -> int:
    """Frames libsndfile reports: for an odd count of GSM blocks it counts the RIFF pad byte as a block."""
    return int(soundfile.info(str(path)).frames)


def test_unrepaired_crash_copy_claims_no_audio(tmp_path: Path) -> None:
    crashed = _crashed_copy(tmp_path, RecordingOptions(), 3.0)
    data_size = struct.unpack_from("<I", crashed.read_bytes(), 56)[0]
    assert data_size == 0


def test_gsm_repair_keeps_whole_blocks_and_drops_a_partial_one(tmp_path: Path) -> None:
    crashed = _crashed_copy(tmp_path, RecordingOptions(), 3.0)
    with crashed.open("ab") as file:
        file.write(b"\x55" * 30)  # half a GSM block, as if the crash came mid-write
    report = repair(crashed)
    assert report.changed
    assert report.dropped_bytes == 30
    assert report.data_bytes % 65 == 0
    assert report.format_tag == 0x31
    assert _libsndfile_frames(crashed) - report.frames in (0, 320)
    # Everything older than a second of call time survived (latency 0.2 s + flush every 0.5 s).
    assert report.seconds >= 3.0 - 1.0
    assert crashed.stat().st_size % 2 == 0  # RIFF pads an odd data chunk


def test_pcm_stereo_repair_reads_back_the_samples(tmp_path: Path) -> None:
    options = RecordingOptions(format=RecordingFormat.PCM, layout=Layout.STEREO)
    crashed = _crashed_copy(tmp_path, options, 2.0)
    with crashed.open("ab") as file:
        file.write(b"\x01\x02\x03")  # a torn frame
    report = repair(crashed)
    assert report.dropped_bytes == 3
    data, rate = soundfile.read(crashed, dtype="int16")
    assert rate == 8000
    assert data.shape == (report.frames, 2)
    assert report.frames >= 8000
    expected = np.tile((np.arange(160) * 100).astype(np.int16), report.frames // 160 + 1)
    first = int(np.flatnonzero(data[:, 0])[0]) - 1  # the call's audio starts after its first packet
    assert np.array_equal(data[first : first + 1600, 0], expected[:1600])


def test_closed_file_is_left_alone(tmp_path: Path) -> None:
    crashed = _crashed_copy(tmp_path, RecordingOptions(), 1.0)
    closed = tmp_path / "live" / "call.wav"
    before = closed.read_bytes()
    report = repair(closed)
    assert not report.changed
    assert closed.read_bytes() == before
    assert report.frames == 8000
    assert _libsndfile_frames(closed) - report.frames in (0, 320)
    assert crashed.exists()


def test_repair_twice_changes_nothing_more(tmp_path: Path) -> None:
    crashed = _crashed_copy(tmp_path, RecordingOptions(), 2.0)
    first = repair(crashed)
    again = repair(crashed)
    assert not again.changed
    assert again.frames == first.frames


def test_recover_repairs_and_renames_every_part_file(tmp_path: Path) -> None:
    store = tmp_path / "recordings"
    (store / "2026-11-28").mkdir(parents=True)
    one = _crashed_copy(tmp_path, RecordingOptions(), 1.5, name="a.wav")
    two = _crashed_copy(tmp_path, RecordingOptions(format=RecordingFormat.PCM), 1.5, name="b.wav")
    one.replace(store / "a.wav.part")
    two.replace(store / "2026-11-28" / "b.wav.part")
    (store / "junk.wav.part").write_bytes(b"not a wav")
    report = recover(store)
    assert sorted(r.path.name for r in report.repaired) == ["a.wav", "b.wav"]
    assert [p.name for p, _ in report.failed] == ["junk.wav.part"]
    for repaired in report.repaired:
        assert repaired.path.exists()
        assert _libsndfile_frames(repaired.path) - repaired.frames in (0, 320)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"RIFX\0\0\0\0WAVE",
        b"RIFF\0\0\0\0WAVEdata\0\0\0\0",
        b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0" + struct.pack("<HHIIHH", 0x55, 1, 8000, 1000, 1, 0),
        b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0" + struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16),
    ],
)
def test_unrepairable_files_raise_repair_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(RepairError) as raised:
        repair(path)
    assert isinstance(raised.value, OkcError)


def test_missing_file_raises_repair_error(tmp_path: Path) -> None:
    with pytest.raises(RepairError):
        repair(tmp_path / "nothing.wav")
