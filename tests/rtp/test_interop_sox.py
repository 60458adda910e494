"""okc's recordings read by sox: GSM 06.10 WAV as good as sox's own GSM encoding; PCM WAV sample-exact.

The source is speech synthesized by espeak-ng and resampled to 8 kHz by sox, sent through G.711 A-law
(as a call carries it) and decoded; those decoded samples are what the recorder is fed, packet by packet,
in virtual time. sox decodes okc's files; for GSM the signal-to-noise ratio against the decoded input must
be within 1 dB of what sox achieves encoding the same samples itself (`-e gsm-full-rate` into WAV).
"""

from __future__ import annotations

import audioop
import math
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from okc.rtp.recorder import CallRecorder, Direction, Layout, RecordingFormat, RecordingOptions
from tests.conftest import require_program

pytestmark = pytest.mark.interop

SENTENCE = (
    "Thank you for calling. All our operators are busy at the moment. Please stay on the line, "
    "your call is important to us. The expected waiting time is three minutes."
)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> npt.NDArray[np.int16]:
    """About ten seconds of synthesized speech at 8 kHz, passed through G.711 A-law and back."""
    espeak = require_program("espeak-ng")
    sox = require_program("sox")
    folder = tmp_path_factory.mktemp("speech")
    wide = folder / "speech-22k.wav"
    subprocess.run([espeak, "-w", str(wide), SENTENCE], check=True, capture_output=True)
    raw = subprocess.run(
        [sox, str(wide), "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1", "-L", "-"],
        check=True,
        capture_output=True,
    ).stdout
    linear = raw[: len(raw) // 320 * 320]  # whole 20 ms packets
    decoded = audioop.alaw2lin(audioop.lin2alaw(linear, 2), 2)
    return np.frombuffer(decoded, dtype="<i2").astype(np.int16)


def _record(path: Path, samples: npt.NDArray[np.int16], options: RecordingOptions) -> Path:
    """Feed samples as 20 ms packets of the customer's side; the first one lands at position 0."""
    recorder = CallRecorder(path, 0.0, options)
    for n in range(samples.size // 160):
        now = 0.02 * (n + 1)
        recorder.push(Direction.CUSTOMER, 1234, 9000 + 160 * n, samples[160 * n : 160 * (n + 1)], now)
        timer = recorder.get_timer()
        if timer is not None and now >= timer:
            recorder.handle_timer(now)
    return recorder.close().path


def _sox_decode(path: Path) -> npt.NDArray[np.int16]:
    sox = require_program("sox")
    out = subprocess.run(
        [sox, str(path), "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(out, dtype="<i2").astype(np.int16)


def _snr(reference: npt.NDArray[np.int16], decoded: npt.NDArray[np.int16]) -> float:
    x = reference.astype(np.float64)
    y = decoded[: reference.size].astype(np.float64)
    return 10 * math.log10(float(np.sum(x**2)) / float(np.sum((x - y) ** 2)))


def test_gsm_wav_decodes_in_sox_as_well_as_sox_own_gsm(tmp_path: Path, speech: npt.NDArray[np.int16]) -> None:
    sox = require_program("sox")
    ours = _record(tmp_path / "okc.wav", speech, RecordingOptions())  # GSM mono is the default
    info = subprocess.run([sox, "--i", str(ours)], check=True, capture_output=True, text=True).stdout
    assert "GSM" in info
    assert "Channels       : 1" in info
    assert "Sample Rate    : 8000" in info
    ours_decoded = _sox_decode(ours)
    assert ours_decoded.size >= speech.size

    source = tmp_path / "source.raw"
    source.write_bytes(speech.astype("<i2").tobytes())
    theirs = tmp_path / "sox.wav"
    subprocess.run(
        [sox, "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1", "-L", str(source),
         "-e", "gsm-full-rate", str(theirs)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    theirs_decoded = _sox_decode(theirs)

    ours_snr, theirs_snr = _snr(speech, ours_decoded), _snr(speech, theirs_decoded)
    assert theirs_snr > 3.0  # GSM full rate keeps speech recognisable
    assert abs(ours_snr - theirs_snr) <= 1.0, (ours_snr, theirs_snr)


@pytest.mark.parametrize("layout", [Layout.MONO, Layout.STEREO])
def test_pcm_wav_read_by_sox_equals_the_decoded_g711_input(
    tmp_path: Path, speech: npt.NDArray[np.int16], layout: Layout
) -> None:
    ours = _record(tmp_path / "okc.wav", speech, RecordingOptions(format=RecordingFormat.PCM, layout=layout))
    decoded = _sox_decode(ours)
    if layout is Layout.STEREO:
        customer, agent = decoded[0::2], decoded[1::2]
        assert not agent.any()
        decoded = customer
    assert np.array_equal(decoded, speech)
