"""G.711 against the standard library's audioop (ITU-T G.711's reference in C) for every input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from okc.errors import OkcError
from okc.rtp import g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ALL_SAMPLES = np.arange(65536, dtype=np.uint16).view(np.int16)
ALL_PCM = ALL_SAMPLES.astype("<i2").tobytes()
ALL_CODES = bytes(range(256))


def test_alaw_tables_encode_every_sample_as_audioop_does() -> None:
    expected = np.frombuffer(audioop.lin2alaw(ALL_PCM, 2), dtype=np.uint8)
    assert np.array_equal(g711.alaw_encode_array(ALL_SAMPLES), expected)


def test_ulaw_tables_encode_every_sample_as_audioop_does() -> None:
    expected = np.frombuffer(audioop.lin2ulaw(ALL_PCM, 2), dtype=np.uint8)
    assert np.array_equal(g711.ulaw_encode_array(ALL_SAMPLES), expected)


def test_alaw_tables_decode_every_code_as_audioop_does() -> None:
    expected = np.frombuffer(audioop.alaw2lin(ALL_CODES, 2), dtype="<i2")
    assert np.array_equal(g711.alaw_decode_array(np.arange(256, dtype=np.uint8)), expected)


def test_ulaw_tables_decode_every_code_as_audioop_does() -> None:
    expected = np.frombuffer(audioop.ulaw2lin(ALL_CODES, 2), dtype="<i2")
    assert np.array_equal(g711.ulaw_decode_array(np.arange(256, dtype=np.uint8)), expected)


@pytest.mark.parametrize("size", [0, 1, 160, 1023, 1024, 65536])
def test_bytes_functions_agree_with_audioop_at_every_size(size: int) -> None:
    pcm = ALL_PCM[: 2 * size]
    codes = (ALL_CODES * 256)[:size]
    assert g711.alaw_encode(pcm) == audioop.lin2alaw(pcm, 2)
    assert g711.ulaw_encode(pcm) == audioop.lin2ulaw(pcm, 2)
    assert g711.alaw_decode(codes) == audioop.alaw2lin(codes, 2)
    assert g711.ulaw_decode(codes) == audioop.ulaw2lin(codes, 2)


def test_known_values_from_the_standard() -> None:
    # Silence: A-law 0xD5 (positive zero, even bits inverted), mu-law 0xFF; the extremes saturate.
    assert g711.alaw_encode(b"\x00\x00") == b"\xd5"
    assert g711.ulaw_encode(b"\x00\x00") == b"\xff"
    assert g711.alaw_decode(b"\xd5") == (8).to_bytes(2, "little", signed=True)
    assert g711.alaw_decode(b"\x2a") == (-32256).to_bytes(2, "little", signed=True)
    assert g711.ulaw_decode(b"\x00") == (-32124).to_bytes(2, "little", signed=True)


def test_decode_then_encode_is_the_identity_on_codes() -> None:
    codes = np.arange(256, dtype=np.uint8)
    assert np.array_equal(g711.alaw_encode_array(g711.alaw_decode_array(codes)), codes)
    # mu-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes as 0xFF.
    expected = codes.copy()
    expected[0x7F] = 0xFF
    assert np.array_equal(g711.ulaw_encode_array(g711.ulaw_decode_array(codes)), expected)


def test_arrays_keep_their_shape() -> None:
    frames = ALL_SAMPLES[:320].reshape(2, 160)
    assert g711.alaw_encode_array(frames).shape == (2, 160)
    assert g711.ulaw_decode_array(g711.ulaw_encode_array(frames)).dtype == np.int16


def test_bad_input_raises_g711_error() -> None:
    assert issubclass(g711.G711Error, OkcError)
    with pytest.raises(g711.G711Error, match="even number of bytes"):
        g711.alaw_encode(b"\x00\x01\x02")
    with pytest.raises(g711.G711Error, match="int16"):
        g711.ulaw_encode_array(np.zeros(4, dtype=np.int32))
    with pytest.raises(g711.G711Error, match="uint8"):
        g711.alaw_decode_array(np.zeros(4, dtype=np.int16))


def test_tables_are_read_only() -> None:
    with pytest.raises(ValueError, match="read-only"):
        g711.ALAW_ENCODE[0] = 0
