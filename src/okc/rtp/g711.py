"""G.711 A-law and mu-law (ITU-T G.711) as numpy lookup tables built once from the standard's definition.

Encoding indexes a 65,536-entry table by the 16-bit sample's bit pattern; decoding indexes a 256-entry
table by the code. Both are bit-exact with the ITU-T tables (and with the standard library's `audioop`,
which the tests check for every input). The bytes functions take and return what RTP and WAV carry:
signed 16-bit little-endian PCM and one code per sample.

Measured (benchmarks/bench_g711.py): numpy's per-call overhead (about 2 µs) makes the tables slower than
the standard library's `audioop` on 20 ms frames, and audioop's decoder is faster at every size, while the
65,536-entry table encodes long buffers several times faster than audioop. So the bytes functions use
audioop where it wins (when it is importable: it is deprecated in 3.11/3.12 and comes from audioop-lts on
3.13+, and only on little-endian hosts, since it works in native byte order) and the tables otherwise.
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType
from typing import Final, cast

import numpy as np
import numpy.typing as npt

from okc.errors import OkcError

__all__ = [
    "ALAW_DECODE",
    "ALAW_ENCODE",
    "ULAW_DECODE",
    "ULAW_ENCODE",
    "G711Error",
    "alaw_decode",
    "alaw_decode_array",
    "alaw_encode",
    "alaw_encode_array",
    "ulaw_decode",
    "ulaw_decode_array",
    "ulaw_encode",
    "ulaw_encode_array",
]

Samples = npt.NDArray[np.int16]
Codes = npt.NDArray[np.uint8]

_PCM: Final = np.dtype("<i2")


_ENCODE_TABLE_FROM: Final = 1024
"""Samples from which the table encoder beats audioop (measured crossover 640 … 1280 samples)."""


def _load_audioop() -> ModuleType | None:
    """The standard library's G.711 in C, where it exists and speaks little-endian."""
    if sys.byteorder != "little":
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioop  # noqa: PLC0415 - optional, and deprecated: imported under a filter
    except ImportError:
        return None
    return audioop


_AUDIOOP: Final = _load_audioop()


class G711Error(OkcError):
    """PCM input that is not whole 16-bit samples, or an array of the wrong type."""


def _bit_length(values: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Bits needed for each non-negative value (0 for 0), vectorised."""
    lengths = np.zeros(values.shape, dtype=np.int32)
    for bit in range(16):
        lengths[values >= (1 << bit)] = bit + 1
    return lengths


def _alaw_encode_table() -> Codes:
    """A-law code of every 16-bit sample, indexed by its unsigned bit pattern.

    A-law quantises the 13 most significant bits: a sign, a 3-bit segment (the magnitude's octave above
    32) and 4 mantissa bits below the leading one; negative values use the one's complement magnitude.
    Even bits are inverted on the line (XOR 0x55), and the sign bit is 1 for positive values.
    """
    linear = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)
    positive = linear >= 0
    magnitude = np.where(positive, linear, -linear - 1) >> 3  # 0 … 4095
    segment = np.maximum(_bit_length(magnitude) - 5, 0)  # 0 … 7
    mantissa = (magnitude >> np.maximum(segment, 1)) & 0x0F
    code = (segment << 4) | mantissa
    return (code ^ np.where(positive, 0xD5, 0x55)).astype(np.uint8)


def _alaw_decode_table() -> Samples:
    """The 16-bit sample each A-law code stands for: the middle of its quantisation interval."""
    code = np.arange(256, dtype=np.int32) ^ 0x55
    segment = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = np.where(
        segment == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(segment - 1, 0),
    )
    return np.where(code & 0x80, magnitude, -magnitude).astype(np.int16)


_ULAW_BIAS: Final = 0x84
_ULAW_CLIP: Final = 8159


def _ulaw_encode_table() -> Codes:
    """mu-law code of every 16-bit sample, indexed by its unsigned bit pattern.

    mu-law quantises 14 bits: the magnitude (clipped at 8159) plus a bias of 33 puts the leading one at
    bit 5 … 12, giving a 3-bit segment and the 4 bits below it; all bits are inverted on the line and
    the sign bit is 1 for positive values.
    """
    linear = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32) >> 2
    positive = linear >= 0
    magnitude = np.minimum(np.where(positive, linear, -linear), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    segment = _bit_length(magnitude) - 6  # 0 … 8; 8 only for the clipped maximum
    mantissa = (magnitude >> (segment + 1)) & 0x0F
    code = np.where(segment > 7, 0x7F, (segment << 4) | mantissa)
    return (code ^ np.where(positive, 0xFF, 0x7F)).astype(np.uint8)


def _ulaw_decode_table() -> Samples:
    """The 16-bit sample each mu-law code stands for."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    segment = (code >> 4) & 0x07
    magnitude = ((((code & 0x0F) << 3) + _ULAW_BIAS) << segment) - _ULAW_BIAS
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


ALAW_ENCODE: Final = _alaw_encode_table()
"""A-law code of each sample, indexed by the sample's uint16 view (read-only)."""
ALAW_DECODE: Final = _alaw_decode_table()
"""Sample of each A-law code (read-only)."""
ULAW_ENCODE: Final = _ulaw_encode_table()
"""mu-law code of each sample, indexed by the sample's uint16 view (read-only)."""
ULAW_DECODE: Final = _ulaw_decode_table()
"""Sample of each mu-law code (read-only)."""
for _table in (ALAW_ENCODE, ALAW_DECODE, ULAW_ENCODE, ULAW_DECODE):
    _table.flags.writeable = False
# Decoding straight to little-endian bytes saves a byte swap on big-endian hosts.
_ALAW_DECODE_LE: Final = ALAW_DECODE.astype(_PCM)
_ULAW_DECODE_LE: Final = ULAW_DECODE.astype(_PCM)


def _pcm(data: bytes) -> npt.NDArray[np.uint16]:
    if len(data) % 2:
        raise G711Error(f"16-bit PCM has an even number of bytes, not {len(data)}")
    return np.frombuffer(data, dtype="<u2")


def _int16(samples: Samples) -> npt.NDArray[np.uint16]:
    if samples.dtype != np.int16:
        raise G711Error(f"G.711 encodes int16 samples, not {samples.dtype}")
    return samples.view(np.uint16)


def _uint8(codes: Codes) -> Codes:
    if codes.dtype != np.uint8:
        raise G711Error(f"G.711 codes are uint8, not {codes.dtype}")
    return codes


def alaw_encode(pcm: bytes) -> bytes:
    """A-law codes of signed 16-bit little-endian PCM."""
    if _AUDIOOP is not None and len(pcm) < 2 * _ENCODE_TABLE_FROM and not len(pcm) % 2:
        return cast(bytes, _AUDIOOP.lin2alaw(pcm, 2))
    return ALAW_ENCODE.take(_pcm(pcm)).tobytes()


def alaw_decode(codes: bytes) -> bytes:
    """Signed 16-bit little-endian PCM of A-law codes."""
    if _AUDIOOP is not None:
        return cast(bytes, _AUDIOOP.alaw2lin(codes, 2))
    return _ALAW_DECODE_LE.take(np.frombuffer(codes, dtype=np.uint8)).tobytes()


def ulaw_encode(pcm: bytes) -> bytes:
    """mu-law codes of signed 16-bit little-endian PCM."""
    if _AUDIOOP is not None and len(pcm) < 2 * _ENCODE_TABLE_FROM and not len(pcm) % 2:
        return cast(bytes, _AUDIOOP.lin2ulaw(pcm, 2))
    return ULAW_ENCODE.take(_pcm(pcm)).tobytes()


def ulaw_decode(codes: bytes) -> bytes:
    """Signed 16-bit little-endian PCM of mu-law codes."""
    if _AUDIOOP is not None:
        return cast(bytes, _AUDIOOP.ulaw2lin(codes, 2))
    return _ULAW_DECODE_LE.take(np.frombuffer(codes, dtype=np.uint8)).tobytes()


def alaw_encode_array(samples: Samples) -> Codes:
    """A-law codes of an int16 array (same shape)."""
    return ALAW_ENCODE.take(_int16(samples))


def alaw_decode_array(codes: Codes) -> Samples:
    """int16 samples of a uint8 array of A-law codes (same shape)."""
    return ALAW_DECODE.take(_uint8(codes))


def ulaw_encode_array(samples: Samples) -> Codes:
    """mu-law codes of an int16 array (same shape)."""
    return ULAW_ENCODE.take(_int16(samples))


def ulaw_decode_array(codes: Codes) -> Samples:
    """int16 samples of a uint8 array of mu-law codes (same shape)."""
    return ULAW_DECODE.take(_uint8(codes))
