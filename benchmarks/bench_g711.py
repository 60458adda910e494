"""G.711 speed: okc.rtp.g711 as multiples of real time per core, against audioop in the same run.

Two shapes of work: one 20 ms frame (160 samples) per call, as an RTP endpoint does, and a one-minute
buffer (480,000 samples), as a recorder or a prompt converter does. "okc" is the public bytes API (which
picks audioop or the numpy tables by size, see okc.rtp.g711); "okc tables" forces the numpy lookup tables
(the array API on a buffer view); the peer is the standard library's audioop (audioop-lts on 3.13+).
Single thread, so calls per second × the audio's duration is the multiple of real time per core.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from rich.console import Console

from benchmarks.report import Measurement, rate, show
from okc.rtp import g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000


def _speech_like(samples: int) -> bytes:
    """Noise shaped by a slow envelope, so codes spread over the segments as speech does."""
    rng = np.random.default_rng(11)
    envelope = 0.2 + np.abs(np.sin(np.arange(samples) * 2 * np.pi / 4000))
    return (rng.normal(0, 6000, samples) * envelope).clip(-32768, 32767).astype("<i2").tobytes()


def _to_bytes(convert: Callable[[Any], np.ndarray[Any, Any]], array: np.ndarray[Any, Any]) -> bytes:
    """The array API's result as bytes, as a caller holding bytes would need it."""
    return convert(array).tobytes()


def _row(
    console: Console,
    title: str,
    *,
    seconds: float,
    ours: Callable[[], object],
    tables: Callable[[], object],
    peer: Callable[[], object],
    batch: int,
) -> None:
    def realtime(fn: Callable[[], object]) -> float:
        # Best of three short runs: the host is shared, and the best run is the least disturbed one.
        return max(rate(fn, min_seconds=0.4, batch=batch) for _ in range(3)) * seconds

    show(
        title,
        Measurement("okc.rtp.g711 (bytes API)", realtime(ours), "× real time"),
        [
            Measurement("okc numpy tables only", realtime(tables), "× real time"),
            Measurement("audioop (stdlib C)", realtime(peer), "× real time"),
        ],
        console,
    )


def main() -> None:
    """Print encode and decode speed for 20 ms frames and one-minute buffers, A-law and mu-law."""
    console = Console()
    for samples, label, batch in ((160, "20 ms frame", 1000), (60 * RATE, "1-minute buffer", 1)):
        pcm = _speech_like(samples)
        view = np.frombuffer(pcm, dtype="<i2")
        seconds = samples / RATE
        for law, encode, decode, encode_array, decode_array, peer_encode, peer_decode in (
            (
                "A-law",
                g711.alaw_encode,
                g711.alaw_decode,
                g711.alaw_encode_array,
                g711.alaw_decode_array,
                audioop.lin2alaw,
                audioop.alaw2lin,
            ),
            (
                "mu-law",
                g711.ulaw_encode,
                g711.ulaw_decode,
                g711.ulaw_encode_array,
                g711.ulaw_decode_array,
                audioop.lin2ulaw,
                audioop.ulaw2lin,
            ),
        ):
            codes = encode(pcm)
            code_view = np.frombuffer(codes, dtype=np.uint8)
            _row(
                console,
                f"{law} encode, {label} (bytes in, bytes out; × real time per core)",
                seconds=seconds,
                ours=partial(encode, pcm),
                tables=partial(_to_bytes, encode_array, view),
                peer=partial(peer_encode, pcm, 2),
                batch=batch,
            )
            _row(
                console,
                f"{law} decode, {label} (bytes in, bytes out; × real time per core)",
                seconds=seconds,
                ours=partial(decode, codes),
                tables=partial(_to_bytes, decode_array, code_view),
                peer=partial(peer_decode, codes, 2),
                batch=batch,
            )


if __name__ == "__main__":
    main()
