"""Player: WAV format checks, frame schedule without drift (virtual hour), playlists, loops, barge-in."""

from __future__ import annotations

import random
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

from okc.errors import OkcError
from okc.rtp.player import (
    FRAME_SAMPLES,
    FRAME_SECONDS,
    Player,
    PlayerError,
    PlayerState,
    Prompt,
    load_prompt,
)


@dataclass(frozen=True, slots=True)
class Digit:
    """Stands in for okc.rtp's DigitEvent: the player needs only the digit."""

    digit: str


def _prompt(name: str, count: int, first: int = 1) -> Prompt:
    return Prompt(name, np.arange(first, first + count, dtype=np.int16))


def _play_all(player: Player, now: float = 1e9) -> np.ndarray:
    return np.concatenate([frame.samples for frame in player.handle_timer(now)])


def _write_wav(path: Path, *, rate: int = 8000, channels: int = 1, width: int = 2, frames: int = 800) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(bytes(frames * channels * width))
    return path


def test_loads_pcm_16_bit_8k_mono(tmp_path: Path) -> None:
    samples = np.array([0, 1, -1, 32767, -32768] * 100, dtype=np.int16)
    path = tmp_path / "greeting.wav"
    soundfile.write(path, samples, 8000, subtype="PCM_16")
    prompt = load_prompt(path)
    assert prompt.name == "greeting"
    assert np.array_equal(prompt.samples, samples)
    assert prompt.seconds == pytest.approx(500 / 8000)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"rate": 16000}, "16000 Hz"),
        ({"channels": 2}, "2 channels"),
        ({"width": 1}, "8 bit PCM"),
    ],
)
def test_rejects_other_wav_formats(tmp_path: Path, kwargs: dict[str, int], problem: str) -> None:
    path = _write_wav(tmp_path / "bad.wav", **kwargs)
    with pytest.raises(PlayerError, match=problem):
        load_prompt(path)


def test_accepts_wave_format_extensible_pcm(tmp_path: Path) -> None:
    path = tmp_path / "extensible.wav"
    soundfile.write(path, np.arange(800, dtype=np.int16), 8000, subtype="PCM_16", format="WAVEX")
    assert np.array_equal(load_prompt(path).samples, np.arange(800))


def test_rejects_compressed_and_missing_files(tmp_path: Path) -> None:
    alaw = tmp_path / "alaw.wav"
    soundfile.write(alaw, np.zeros(800, dtype=np.int16), 8000, subtype="ALAW")
    with pytest.raises(PlayerError, match="A-Law"):
        load_prompt(alaw)
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(PlayerError):
        load_prompt(tmp_path / "text.wav")
    with pytest.raises(PlayerError):
        load_prompt(tmp_path / "missing.wav")


def test_plays_a_prompt_in_20ms_frames_padded_at_the_end() -> None:
    player = Player([_prompt("p", 400)], start=10.0)
    assert player.get_timer() == 10.0
    frames = player.handle_timer(10.05)
    assert [f.index for f in frames] == [0, 1, 2]
    assert [f.due for f in frames] == [10.0, 10.02, 10.04]
    audio = np.concatenate([f.samples for f in frames])
    assert np.array_equal(audio[:400], np.arange(1, 401))
    assert not audio[400:].any()
    assert player.state is PlayerState.FINISHED
    assert player.get_timer() is None
    assert player.handle_timer(11.0) == []


def test_playlist_runs_across_prompt_boundaries_without_gaps() -> None:
    player = Player([_prompt("a", 100), _prompt("b", 250, first=1000)], start=0.0)
    audio = _play_all(player)
    assert np.array_equal(audio[:350], np.concatenate([np.arange(1, 101), np.arange(1000, 1250)]))
    assert audio.size == 3 * FRAME_SAMPLES


def test_music_on_hold_loops_seamlessly_until_stopped() -> None:
    player = Player([_prompt("moh", 300)], start=0.0, loop=True, max_late=1.0)
    audio = np.concatenate([f.samples for f in player.handle_timer(0.999)])
    assert audio.size == 50 * FRAME_SAMPLES
    assert np.array_equal(audio, np.tile(np.arange(1, 301, dtype=np.int16), 27)[: audio.size])
    player.stop()
    assert player.state is PlayerState.STOPPED
    assert player.get_timer() is None


def test_digit_barges_in_when_allowed() -> None:
    player = Player([_prompt("menu", 8000)], start=0.0)
    player.handle_timer(0.1)
    assert player.handle_digit(Digit("5"))
    assert player.state is PlayerState.INTERRUPTED
    assert player.digit == "5"
    assert player.handle_timer(1.0) == []
    assert not player.handle_digit(Digit("6"))


def test_digit_is_ignored_when_barge_in_is_not_allowed() -> None:
    player = Player([_prompt("legal notice", 8000)], start=0.0, interruptible=False)
    assert not player.handle_digit(Digit("1"))
    assert player.state is PlayerState.PLAYING
    assert player.digit is None


def test_no_drift_over_an_hour_of_virtual_time_with_a_jittery_caller() -> None:
    start = 123_456.789  # a monotonic clock far from zero, where float addition would accumulate error
    player = Player([_prompt("moh", 7919)], start=start, loop=True, max_late=0.1)
    rng = random.Random(5)
    expected_index = 0
    now = start
    while now < start + 3600.0:
        timer = player.get_timer()
        assert timer is not None
        now = timer + rng.uniform(0.0, 0.05)  # the event loop wakes up late by up to 50 ms
        for frame in player.handle_timer(now):
            assert frame.index == expected_index
            assert frame.due == start + frame.index * FRAME_SECONDS
            assert frame.due <= now
            # The audio continues where the loop was: sample k of the stream is the prompt's k mod 7919.
            position = np.arange(FRAME_SAMPLES * frame.index, FRAME_SAMPLES * (frame.index + 1)) % 7919
            assert np.array_equal(frame.samples, position + 1)
            expected_index += 1
    assert player.frames_skipped == 0
    assert expected_index >= 3600 * 50
    assert player.get_timer() == start + expected_index * FRAME_SECONDS
    assert player.frames_sent == expected_index
    # An hour later the schedule is still exactly on the 20 ms grid of the start (no accumulated error).
    assert (player.get_timer() or 0.0) - start == pytest.approx(expected_index * 0.02, abs=1e-9)


def test_a_stall_skips_slots_but_keeps_the_audio() -> None:
    player = Player([_prompt("p", 16000)], start=0.0, max_late=0.1)
    first = player.handle_timer(0.0)
    late = player.handle_timer(1.0)  # woke up a second late
    assert [f.index for f in late] == [45, 46, 47, 48, 49, 50]
    assert player.frames_skipped == 44
    audio = np.concatenate([f.samples for f in first + late])
    assert np.array_equal(audio, np.arange(1, 1 + audio.size, dtype=np.int16))


@pytest.mark.parametrize(
    "make",
    [
        lambda: Player([], start=0.0),
        lambda: Player([_prompt("p", 10)], start=0.0, max_late=-1.0),
        lambda: Prompt("empty", np.zeros(0, dtype=np.int16)),
        lambda: Prompt("float", np.zeros(10, dtype=np.float32)),
    ],
)
def test_bad_players_raise_player_error(make: object) -> None:
    with pytest.raises(PlayerError) as raised:
        make()  # type: ignore[operator]
    assert isinstance(raised.value, OkcError)
