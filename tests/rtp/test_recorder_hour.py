"""One hour of GSM mono recording: the file is exactly 5,850,000 bytes of data (1,625 bytes a second)
behind a 60-byte WAV header that says so — checked by reading the RIFF chunks ourselves, not libsndfile."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from okc.rtp.recorder import CallRecorder, Direction, RecordingOptions

pytestmark = pytest.mark.slow  # an hour of GSM 06.10 encoding: several seconds of CPU

HOUR = 3600
PACKET = 1600  # 200 ms per push keeps the test to the codec's own cost


def _chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    chunks, at = {}, 12
    while at < len(data):
        name, size = data[at : at + 4], struct.unpack_from("<I", data, at + 4)[0]
        chunks[name] = data[at + 8 : at + 8 + size]
        at += 8 + size + (size & 1)
    return chunks


def test_an_hour_of_gsm_mono_is_5_85_million_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    customer = np.clip(rng.normal(0, 2500, 8000), -32768, 32767).astype(np.int16)
    agent = np.clip(rng.normal(0, 1500, 8000), -32768, 32767).astype(np.int16)
    recorder = CallRecorder(tmp_path / "hour.wav", 0.0, RecordingOptions())  # GSM mono: the default
    for second in range(HOUR):
        for k in range(8000 // PACKET):
            now = second + (k + 1) * PACKET / 8000
            block = slice(PACKET * k, PACKET * (k + 1))
            offset = second * 8000 + PACKET * k
            recorder.push(Direction.CUSTOMER, 1, offset % 2**32, customer[block], now)
            recorder.push(Direction.AGENT, 2, (offset + 7_777_777) % 2**32, agent[block], now)
        recorder.handle_timer(second + 1.0)
    summary = recorder.close()
    assert summary.seconds == HOUR
    assert summary.dropped_samples == 0
    assert summary.data_bytes == 5_850_000  # 3,600 s × 8,000 / 320 samples per block × 65 bytes
    data = summary.path.read_bytes()
    assert len(data) == 60 + 5_850_000
    chunks = _chunks(data)
    assert list(chunks) == [b"fmt ", b"fact", b"data"]
    tag, channels, rate, byte_rate, align, bits, extra, per_block = struct.unpack(
        "<HHIIHHHH", chunks[b"fmt "]
    )
    assert (tag, channels, rate, byte_rate, align, bits) == (0x31, 1, 8000, 1625, 65, 0)
    assert (extra, per_block) == (2, 320)
    assert struct.unpack("<I", chunks[b"fact"])[0] == HOUR * 8000
    assert len(chunks[b"data"]) == 5_850_000
    info = soundfile.info(str(summary.path))
    assert (info.subtype, info.channels, info.frames) == ("GSM610", 1, HOUR * 8000)
