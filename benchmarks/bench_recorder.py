"""Call recording speed: okc's CallRecorder as multiples of real time per core, against raw libsndfile.

okc's recorder is fed both directions of a call as 20 ms packets (alignment, mixing, 0.5 s writes); the
peer is libsndfile (soundfile) writing the same mixed samples to the same format in the same 0.5 s blocks,
with no alignment work: the cost of the codec and the file alone. CPU time (time.process_time) is measured,
so the figure is per core. Concurrent recordings a core sustains ≈ the multiple of real time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
from rich.console import Console

from benchmarks.report import Measurement, show
from okc.rtp.g711 import alaw_encode_array
from okc.rtp.recorder import CallRecorder, Direction, RecordingFormat, RecordingOptions, mix_down

CALL_SECONDS = 120


def _call_audio(seconds: int) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    """Two sides of a call: speech-band noise bursts, so the codec works on something voice-like."""
    rng = np.random.default_rng(7)
    count = seconds * 8000
    envelope = (np.sin(np.arange(count) * 2 * np.pi / 12000) > 0).astype(np.float64)
    customer = rng.normal(0, 4000, count) * envelope
    agent = rng.normal(0, 3000, count) * (1 - envelope)
    return customer.astype(np.int16), agent.astype(np.int16)


def _okc(
    folder: Path, options: RecordingOptions, customer: npt.NDArray[np.int16], agent: npt.NDArray[np.int16]
) -> float:
    """CPU seconds okc needs to record the call fed as decoded 20 ms frames."""
    start = time.process_time()
    recorder = CallRecorder(folder / "okc.wav", 0.0, options)
    for n in range(customer.size // 160):
        now = 0.02 * (n + 1)
        frame = slice(160 * n, 160 * (n + 1))
        recorder.push(Direction.CUSTOMER, 1, 160 * n, customer[frame], now)
        recorder.push(Direction.AGENT, 2, 777 + 160 * n, agent[frame], now)
        if now >= (recorder.get_timer() or now):
            recorder.handle_timer(now)
    recorder.close()
    return time.process_time() - start


def _okc_g711(folder: Path, options: RecordingOptions, customer: bytes, agent: bytes) -> float:
    """CPU seconds okc needs to record the call fed as A-law RTP payloads (push_g711: batched decoding)."""
    start = time.process_time()
    recorder = CallRecorder(folder / "okc.wav", 0.0, options)
    for n in range(len(customer) // 160):
        now = 0.02 * (n + 1)
        recorder.push_g711(Direction.CUSTOMER, 1, 160 * n, customer[160 * n : 160 * (n + 1)], now)
        recorder.push_g711(Direction.AGENT, 2, 777 + 160 * n, agent[160 * n : 160 * (n + 1)], now)
        if now >= (recorder.get_timer() or now):
            recorder.handle_timer(now)
    recorder.close()
    return time.process_time() - start


def _raw(folder: Path, subtype: str, customer: npt.NDArray[np.int16], agent: npt.NDArray[np.int16]) -> float:
    """CPU seconds libsndfile alone needs to write the mixed call in 0.5 s blocks."""
    mixed = mix_down(np.stack([customer, agent]))
    start = time.process_time()
    with soundfile.SoundFile(folder / "raw.wav", "w", 8000, 1, subtype, None, "WAV") as out:
        for block in range(0, mixed.size, 4000):
            out.write(mixed[block : block + 4000])
    return time.process_time() - start


def main() -> None:
    """Print GSM and PCM recording speed for okc and raw libsndfile."""
    console = Console()
    customer, agent = _call_audio(CALL_SECONDS)
    customer_alaw, agent_alaw = alaw_encode_array(customer).tobytes(), alaw_encode_array(agent).tobytes()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for fmt, subtype in ((RecordingFormat.GSM, "GSM610"), (RecordingFormat.PCM, "PCM_16")):
            options = RecordingOptions(format=fmt)
            ours = min(_okc(folder, options, customer, agent) for _ in range(3))
            queued = min(_okc_g711(folder, options, customer_alaw, agent_alaw) for _ in range(3))
            raw = min(_raw(folder, subtype, customer, agent) for _ in range(3))
            show(
                f"Recording a {CALL_SECONDS} s two-sided call to {fmt.value.upper()} mono WAV "
                "(× real time per core ≈ concurrent recordings per core)",
                Measurement("okc CallRecorder (align, mix, write)", CALL_SECONDS / ours, "× real time"),
                [
                    Measurement(
                        "okc CallRecorder.push_g711 (A-law in: decode, align, mix, write)",
                        CALL_SECONDS / queued,
                        "× real time",
                    ),
                    Measurement(f"raw libsndfile {subtype} (write only)", CALL_SECONDS / raw, "× real time"),
                ],
                console,
            )
