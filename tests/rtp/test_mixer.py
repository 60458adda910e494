"""Mixer: three-way conference and the supervisor's listen, whisper and barge-in modes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from okc.errors import OkcError
from okc.rtp.mixer import Mixer, MixerError, Role


def _tone(value: int) -> npt.NDArray[np.int16]:
    return np.full(160, value, dtype=np.int16)


def _call(supervisor: Role | None = None) -> Mixer[str]:
    mixer = Mixer[str]()
    mixer.add("customer")
    mixer.add("agent")
    if supervisor is not None:
        mixer.add("supervisor", supervisor, coached="agent" if supervisor is Role.WHISPER else None)
    return mixer


# Each speaker sends a distinct constant, so a sum tells exactly who is heard.
SPEAKERS = {"customer": _tone(1), "agent": _tone(10), "supervisor": _tone(100)}


def _heard(mixer: Mixer[str]) -> dict[str, int]:
    frames = {key: frame for key, frame in SPEAKERS.items() if key in mixer.members}
    return {key: int(frame[0]) for key, frame in mixer.mix(frames).items()}


def test_three_way_conference_everyone_hears_the_others() -> None:
    mixer = _call()
    mixer.add("expert")
    heard = mixer.mix({"customer": _tone(1), "agent": _tone(10), "expert": _tone(100)})
    assert {key: int(frame[0]) for key, frame in heard.items()} == {
        "customer": 110,
        "agent": 101,
        "expert": 11,
    }


def test_listen_supervisor_hears_both_and_nobody_hears_them() -> None:
    assert _heard(_call(Role.LISTEN)) == {"customer": 10, "agent": 1, "supervisor": 11}


def test_whisper_reaches_only_the_agent() -> None:
    assert _heard(_call(Role.WHISPER)) == {"customer": 10, "agent": 101, "supervisor": 11}


def test_barge_in_joins_the_conversation() -> None:
    assert _heard(_call(Role.BARGE)) == {"customer": 110, "agent": 101, "supervisor": 11}


def test_supervisor_moves_from_listen_to_whisper_to_barge() -> None:
    mixer = _call(Role.LISTEN)
    mixer.set_role("supervisor", Role.WHISPER, coached="agent")
    assert _heard(mixer)["agent"] == 101
    assert _heard(mixer)["customer"] == 10
    mixer.set_role("supervisor", Role.BARGE)
    assert _heard(mixer)["customer"] == 110
    assert mixer.hears("customer", "supervisor")


def test_sum_saturates_instead_of_wrapping() -> None:
    mixer = _call()
    mixer.add("third")
    heard = mixer.mix({"customer": _tone(30000), "agent": _tone(30000), "third": _tone(-30000)})
    assert int(heard["third"][0]) == 32767
    assert int(heard["customer"][0]) == 0
    low = mixer.mix({"customer": _tone(-30000), "agent": _tone(-30000)})
    assert int(low["third"][0]) == -32768


def test_missing_frame_is_silence() -> None:
    heard = _call(Role.LISTEN).mix({"customer": _tone(5)})
    assert int(heard["agent"][0]) == 5
    assert not heard["customer"].any()


def test_removing_the_coached_agent_turns_whisper_into_listen() -> None:
    mixer = _call(Role.WHISPER)
    mixer.remove("agent")
    assert mixer.members["supervisor"] is Role.LISTEN
    assert not mixer.hears("customer", "supervisor")


@pytest.mark.parametrize(
    "action",
    [
        lambda m: m.add("customer"),
        lambda m: m.add("sup", Role.WHISPER),
        lambda m: m.add("sup", Role.WHISPER, coached="nobody"),
        lambda m: m.add("sup", Role.LISTEN, coached="agent"),
        lambda m: m.set_role("nobody", Role.BARGE),
        lambda m: m.remove("nobody"),
        lambda m: m.mix({"nobody": _tone(1)}),
        lambda m: m.mix({"agent": np.zeros(80, dtype=np.int16)}),
        lambda m: m.hears("agent", "nobody"),
        lambda m: Mixer(0),
    ],
)
def test_misuse_raises_mixer_error(action: object) -> None:
    with pytest.raises(MixerError) as raised:
        action(_call())  # type: ignore[operator]
    assert isinstance(raised.value, OkcError)
