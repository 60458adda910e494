"""Crash repair against sox: a recorder in a subprocess is killed with SIGKILL mid-call; after repair sox
opens the file, and it lacks at most the last second of what the recorder had been given."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from okc.rtp.repair import recover
from tests.conftest import require_program

pytestmark = pytest.mark.interop

# The child records a call in virtual time: the customer says a 440 Hz tone, the agent a 700 Hz one. It
# reports every second of call time it has handed to the recorder. In "wait" mode it stops after
# `seconds` and blocks (the recorder still open), so the amount pushed before the kill is exact; in "run"
# mode it keeps going, pacing itself, and is killed while writing.
CHILD = r"""
import sys, time
from pathlib import Path
import numpy as np
from okc.rtp.recorder import CallRecorder, Direction, RecordingFormat, RecordingOptions

path, fmt, mode, seconds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
recorder = CallRecorder(path, 0.0, RecordingOptions(format=RecordingFormat(fmt)))
n_all = np.arange(3600 * 8000)
customer = (6000 * np.sin(2 * np.pi * 440 * n_all[: 120 * 8000] / 8000)).astype(np.int16)
agent = (3000 * np.sin(2 * np.pi * 700 * n_all[: 120 * 8000] / 8000)).astype(np.int16)
for n in range(120 * 50):
    now = 0.02 * (n + 1)
    frame = slice(160 * n, 160 * (n + 1))
    recorder.push(Direction.CUSTOMER, 11, 160 * n, customer[frame], now)
    recorder.push(Direction.AGENT, 22, 5000 + 160 * n, agent[frame], now)
    timer = recorder.get_timer()
    if timer is not None and now >= timer:
        recorder.handle_timer(now)
    if (n + 1) % 50 == 0:
        print((n + 1) // 50, flush=True)
        if mode == "wait" and (n + 1) // 50 == seconds:
            sys.stdin.read()
    if mode == "run":
        time.sleep(0.002)
"""


def _record_and_kill(directory: Path, fmt: str, mode: str, seconds: int) -> tuple[Path, int]:
    """Run the child until it reports `seconds` of call time and SIGKILL it; return the .part file, time."""
    part = directory / "call.wav.part"
    reported = 0
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory / "call.wav"), fmt, mode, str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    ) as child:
        assert child.stdout is not None
        try:
            for line in child.stdout:
                reported = int(line)
                if reported >= seconds:
                    break
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert part.exists()
    return part, reported


def _sox_duration(path: Path) -> float:
    sox = require_program("sox")
    out = subprocess.run([sox, "--i", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def _sox_samples(path: Path) -> npt.NDArray[np.int16]:
    sox = require_program("sox")
    raw = subprocess.run(
        [sox, str(path), "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.int16)


def _sox_stat(path: Path) -> dict[str, str]:
    sox = require_program("sox")
    result = subprocess.run([sox, str(path), "-n", "stat"], capture_output=True, text=True, check=True)
    pairs = (line.split(":", 1) for line in result.stderr.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.parametrize("fmt", ["gsm", "pcm"])
def test_killed_recorder_is_repaired_losing_at_most_a_second(tmp_path: Path, fmt: str) -> None:
    require_program("sox")
    part, pushed = _record_and_kill(tmp_path, fmt, "wait", 6)
    # Before repair the header still says there is no audio.
    header = part.read_bytes()[:64]
    data_at = header.index(b"data") + 4
    assert int.from_bytes(header[data_at : data_at + 4], "little") == 0
    report = recover(tmp_path)
    assert report.failed == ()
    (repaired,) = report.repaired
    final = tmp_path / "call.wav"
    assert repaired.path == final
    duration = _sox_duration(final)
    assert pushed - 1.0 <= duration <= pushed
    stat = _sox_stat(final)
    assert float(stat["Length (seconds)"]) == pytest.approx(duration, abs=0.001)
    assert float(stat["RMS     amplitude"]) > 0.05  # the tones are there, not silence
    n = np.arange(round(duration * 8000))
    expected = (6000 * np.sin(2 * np.pi * 440 * n / 8000)).astype(np.int32)
    expected += (3000 * np.sin(2 * np.pi * 700 * n / 8000)).astype(np.int16)
    expected = np.clip(expected, -32768, 32767)
    if fmt == "pcm":
        data, _ = soundfile.read(final, dtype="int16")
        assert np.array_equal(data, expected)
    else:
        # What sox decodes is the call's own start (both tones, in place), not just any sound.
        decoded = _sox_samples(final)
        assert decoded.size == expected.size
        error = decoded.astype(np.float64) - expected
        snr = 10 * np.log10(np.sum(expected.astype(np.float64) ** 2) / np.sum(error**2))
        assert snr > 10.0, snr


def test_recorder_killed_while_writing_is_repaired(tmp_path: Path) -> None:
    require_program("sox")
    _, reported = _record_and_kill(tmp_path, "gsm", "run", 4)
    report = recover(tmp_path)
    (repaired,) = report.repaired
    duration = _sox_duration(repaired.path)
    # The child went on after its last report, so at least that much minus a second is there.
    assert duration >= reported - 1.0
    assert float(_sox_stat(repaired.path)["RMS     amplitude"]) > 0.05
