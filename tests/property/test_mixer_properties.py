"""Mixer properties: equals a naive clipped sum of whoever may be heard, never hears itself, never wraps."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from okc.rtp.mixer import Mixer, Role

FRAME = 16

samples = arrays(np.int16, (FRAME,), elements=st.integers(-32768, 32767))


@st.composite
def conferences(draw: st.DrawFn) -> tuple[Mixer[int], dict[int, npt.NDArray[np.int16]]]:
    """A mixer with 1–5 parties and 0–3 supervisors in random roles, and a frame from a random subset."""
    mixer = Mixer[int](FRAME)
    parties = draw(st.integers(1, 5))
    for party in range(parties):
        mixer.add(party)
    for supervisor in range(parties, parties + draw(st.integers(0, 3))):
        role = draw(st.sampled_from(Role))
        coached = draw(st.integers(0, parties - 1)) if role is Role.WHISPER else None
        mixer.add(supervisor, role, coached=coached)
    speaking = draw(st.lists(st.sampled_from(sorted(mixer.members)), unique=True))
    return mixer, {member: draw(samples) for member in speaking}


@given(conferences())
def test_each_member_hears_the_clipped_sum_of_whoever_it_may_hear(
    case: tuple[Mixer[int], dict[int, npt.NDArray[np.int16]]],
) -> None:
    mixer, frames = case
    heard = mixer.mix(frames)
    assert set(heard) == set(mixer.members)
    for listener, frame in heard.items():
        expected = np.zeros(FRAME, dtype=np.int64)
        for speaker, spoken in frames.items():
            if mixer.hears(listener, speaker):
                expected += spoken
        assert frame.dtype == np.int16
        assert np.array_equal(frame, np.clip(expected, -32768, 32767))


@given(conferences())
def test_nobody_hears_themselves_and_nobody_hears_a_listener(
    case: tuple[Mixer[int], dict[int, npt.NDArray[np.int16]]],
) -> None:
    mixer, frames = case
    for speaker in frames:
        alone = mixer.mix({speaker: frames[speaker]})
        assert not alone[speaker].any()
        if mixer.members[speaker] is Role.LISTEN:
            assert not any(frame.any() for frame in alone.values())


@given(conferences())
def test_every_supervisor_hears_every_party(
    case: tuple[Mixer[int], dict[int, npt.NDArray[np.int16]]],
) -> None:
    mixer, _ = case
    members = mixer.members
    for listener in members:
        for speaker, role in members.items():
            if role is Role.PARTY and speaker != listener:
                assert mixer.hears(listener, speaker)
