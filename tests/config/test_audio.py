"""Audio rules on real WAV files of each wrong kind: format, rate, width, channels, size, not a WAV."""

from __future__ import annotations

from pathlib import Path

import pytest

from okc import config
from okc.config.wav import MAX_AUDIO_BYTES, AudioUse, audio_problems, read_wav_info
from tests.config.conftest import write_pcm, write_sf


def check(directory: Path, sound: str, message: str) -> list[str]:
    """Load a center whose music on hold is `sound` and whose only message is `message`."""
    text = (
        "system_sounds:\n"
        f"  music_on_hold: {sound}\n"
        "audio_messages:\n"
        "  - name: Greeting\n"
        f"    files: {{ru: {message}}}\n"
    )
    path = directory / "okc.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        config.load(path)
    except config.ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_good_files_pass(tmp_path: Path) -> None:
    write_pcm(tmp_path / "pcm.wav")
    write_sf(tmp_path / "alaw.wav", "ALAW")
    write_sf(tmp_path / "ulaw.wav", "ULAW")
    assert check(tmp_path, "pcm.wav", "alaw.wav") == []
    assert check(tmp_path, "pcm.wav", "ulaw.wav") == []
    assert check(tmp_path, "pcm.wav", "pcm.wav") == []


SYSTEM_SOUND_CASES = [
    (lambda p: write_sf(p, "ALAW"), "format A-law, system sounds must be PCM"),
    (lambda p: write_sf(p, "ULAW"), "format µ-law, system sounds must be PCM"),
    (lambda p: write_sf(p, "GSM610"), "format GSM 6.10, system sounds must be PCM"),
    (lambda p: write_sf(p, "FLOAT"), "format IEEE float, system sounds must be PCM"),
    (lambda p: write_pcm(p, rate=16000), "sample rate 16000 Hz, must be 8000 Hz"),
    (lambda p: write_pcm(p, channels=2), "2 channels, must be mono"),
    (lambda p: write_pcm(p, width=1), "sample width 8-bit, PCM must be 16-bit"),
    (lambda p: write_sf(p, "PCM_24"), "sample width 24-bit, PCM must be 16-bit"),
]


@pytest.mark.parametrize(("make", "expected"), SYSTEM_SOUND_CASES)
def test_system_sound_rules(tmp_path: Path, make: object, expected: str) -> None:
    write_pcm(tmp_path / "pcm.wav")
    assert callable(make)
    make(tmp_path / "bad.wav")
    found = check(tmp_path, "bad.wav", "pcm.wav")
    assert found == [
        f"{tmp_path / 'okc.yaml'}:2: system_sounds.music_on_hold: {tmp_path / 'bad.wav'}: {expected}"
    ]


MESSAGE_CASES = [
    (lambda p: write_sf(p, "ALAW", rate=16000), "sample rate 16000 Hz, must be 8000 Hz"),
    (lambda p: write_sf(p, "ULAW", channels=2), "2 channels, must be mono"),
    (lambda p: write_sf(p, "GSM610"), "format GSM 6.10, audio messages must be PCM, A-law or µ-law"),
    (lambda p: write_sf(p, "MS_ADPCM"), "format Microsoft ADPCM"),
]


@pytest.mark.parametrize(("make", "expected"), MESSAGE_CASES)
def test_audio_message_rules(tmp_path: Path, make: object, expected: str) -> None:
    write_pcm(tmp_path / "pcm.wav")
    assert callable(make)
    make(tmp_path / "bad.wav")
    found = check(tmp_path, "pcm.wav", "bad.wav")
    assert len(found) == 1
    assert found[0].startswith(
        f"{tmp_path / 'okc.yaml'}:5: audio_messages[0].files.ru: audio message 'Greeting': "
    )
    assert expected in found[0]


def test_several_faults_are_all_named(tmp_path: Path) -> None:
    write_sf(tmp_path / "bad.wav", "FLOAT", rate=44100, channels=2)
    found = audio_problems(tmp_path / "bad.wav", AudioUse.SYSTEM_SOUND)
    assert [f.split(": ", 1)[1] for f in found] == [
        "format IEEE float, system sounds must be PCM",
        "sample rate 44100 Hz, must be 8000 Hz",
        "2 channels, must be mono",
    ]


def test_over_twenty_megabytes(tmp_path: Path) -> None:
    path = write_pcm(tmp_path / "big.wav")
    with path.open("r+b") as stream:
        stream.truncate(MAX_AUDIO_BYTES + 1)  # a sparse tail: the size is over, the header still valid
    assert audio_problems(path, AudioUse.AUDIO_MESSAGE) == (f"{path}: size 20.0 MB is over the 20 MB limit",)
    exact = write_pcm(tmp_path / "exact.wav")
    with exact.open("r+b") as stream:
        stream.truncate(MAX_AUDIO_BYTES)
    assert audio_problems(exact, AudioUse.SYSTEM_SOUND) == ()


def test_not_a_wav_and_missing(tmp_path: Path) -> None:
    (tmp_path / "text.wav").write_text("hello, not audio", encoding="utf-8")
    write_pcm(tmp_path / "pcm.wav")
    found = check(tmp_path, "text.wav", "missing.wav")
    assert found == [
        f"{tmp_path / 'okc.yaml'}:2: system_sounds.music_on_hold: {tmp_path / 'text.wav'}: "
        "not a WAV file (no RIFF/WAVE header)",
        f"{tmp_path / 'okc.yaml'}:5: audio_messages[0].files.ru: audio message 'Greeting': "
        f"audio file {tmp_path / 'missing.wav'} does not exist",
    ]


def test_truncated_headers(tmp_path: Path) -> None:
    good = write_pcm(tmp_path / "good.wav").read_bytes()
    (tmp_path / "nodata.wav").write_bytes(good[:36])  # RIFF + fmt chunk, no data chunk
    assert audio_problems(tmp_path / "nodata.wav", AudioUse.SYSTEM_SOUND)[0].endswith("has no data chunk")
    (tmp_path / "shortfmt.wav").write_bytes(good[:12] + b"fmt \x10\x00\x00\x00" + b"\x01\x00")
    assert audio_problems(tmp_path / "shortfmt.wav", AudioUse.SYSTEM_SOUND)[0].endswith(
        "fmt chunk is truncated"
    )
    (tmp_path / "nofmt.wav").write_bytes(good[:12])
    assert audio_problems(tmp_path / "nofmt.wav", AudioUse.SYSTEM_SOUND)[0].endswith("has no fmt chunk")


def test_header_facts_match_libsndfile(tmp_path: Path) -> None:
    info = read_wav_info(write_sf(tmp_path / "a.wav", "ALAW"))
    assert (info.format_name, info.sample_rate, info.channels, info.bits_per_sample) == ("A-law", 8000, 1, 8)
    info = read_wav_info(write_pcm(tmp_path / "p.wav"))
    assert (info.format_name, info.bits_per_sample, info.data_bytes) == ("PCM", 16, 1600)
