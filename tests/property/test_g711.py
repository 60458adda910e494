"""G.711 properties: round trips within one quantisation step, agreement with audioop on any buffer."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from okc.rtp import g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

samples = arrays(np.int16, st.integers(0, 2000), elements=st.integers(-32768, 32767))


@given(samples)
def test_bytes_and_arrays_agree_with_audioop_on_any_buffer(pcm: npt.NDArray[np.int16]) -> None:
    data = pcm.astype("<i2").tobytes()
    assert g711.alaw_encode(data) == audioop.lin2alaw(data, 2) == g711.alaw_encode_array(pcm).tobytes()
    assert g711.ulaw_encode(data) == audioop.lin2ulaw(data, 2) == g711.ulaw_encode_array(pcm).tobytes()


@given(samples)
def test_round_trip_error_is_within_one_step_of_the_segment(pcm: npt.NDArray[np.int16]) -> None:
    wide = pcm.astype(np.int32)
    for encode, decode in (
        (g711.alaw_encode_array, g711.alaw_decode_array),
        (g711.ulaw_encode_array, g711.ulaw_decode_array),
    ):
        back = decode(encode(pcm)).astype(np.int32)
        # A segment holds 16 steps over a doubling of the magnitude, so a step is at most |x| / 16 (and 16
        # near zero); mu-law also clips magnitudes above its top level, 32124.
        error = np.abs(back - wide)
        assert np.all(error <= np.maximum(np.abs(wide) // 16, 16) + 1024 * (np.abs(wide) > 32124))
