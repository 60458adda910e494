"""An N-party audio mixer for conferences and supervision, on 20 ms frames of 16-bit PCM.

Each party hears the saturated sum of everyone it may hear except itself. Who hears whom is a small rule
table over the speaker's role:

- PARTY and BARGE: heard by everyone (a barging supervisor joins the conversation);
- WHISPER: heard only by the agent the supervisor coaches;
- LISTEN: heard by nobody.

Every role hears all PARTY and BARGE speakers, so a supervisor in any mode hears both sides of the call.
The sum is computed once in 32-bit integers and each party's own voice is subtracted before clipping, so
mixing N parties costs O(N) frame operations, not O(N²).
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from okc.errors import OkcError

__all__ = ["Mixer", "MixerError", "Role"]

_FRAME = 160

MemberT = TypeVar("MemberT", bound=Hashable)


class MixerError(OkcError):
    """An unknown party, a duplicate, a whisper without its agent, or a frame of the wrong shape."""


class Role(enum.Enum):
    """How a member takes part: as a party to the call or as a supervisor in one of three modes."""

    PARTY = "party"
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


@dataclass(frozen=True, slots=True)
class _Member:
    role: Role
    coached: Hashable | None  # the agent a WHISPER supervisor speaks to


class Mixer(Generic[MemberT]):
    """Mixes one frame per member per tick into what each member hears; members are any hashable keys."""

    def __init__(self, frame_samples: int = _FRAME) -> None:
        if frame_samples < 1:
            raise MixerError(f"a frame holds at least one sample, not {frame_samples}")
        self._frame = frame_samples
        self._members: dict[MemberT, _Member] = {}

    @property
    def members(self) -> dict[MemberT, Role]:
        """Every member and its role."""
        return {key: member.role for key, member in self._members.items()}

    def add(self, member: MemberT, role: Role = Role.PARTY, *, coached: MemberT | None = None) -> None:
        """Add a member; a WHISPER supervisor names the agent (a PARTY) it coaches."""
        if member in self._members:
            raise MixerError(f"{member!r} is already in the mix")
        self._members[member] = self._checked(member, role, coached)

    def set_role(self, member: MemberT, role: Role, *, coached: MemberT | None = None) -> None:
        """Switch a member's role, e.g. a supervisor from listening to whispering to barging in."""
        if member not in self._members:
            raise MixerError(f"{member!r} is not in the mix")
        self._members[member] = self._checked(member, role, coached)

    def remove(self, member: MemberT) -> None:
        """Take a member out; supervisors coaching it fall back to listening."""
        if self._members.pop(member, None) is None:
            raise MixerError(f"{member!r} is not in the mix")
        for key, other in self._members.items():
            if other.coached == member:
                self._members[key] = _Member(Role.LISTEN, None)

    def _checked(self, member: MemberT, role: Role, coached: MemberT | None) -> _Member:
        if role is Role.WHISPER:
            target = self._members.get(coached) if coached is not None else None
            if target is None or target.role is not Role.PARTY or coached == member:
                raise MixerError(f"a whispering supervisor needs a party to coach, not {coached!r}")
            return _Member(role, coached)
        if coached is not None:
            raise MixerError(f"only a whispering supervisor coaches someone ({role.value} given {coached!r})")
        return _Member(role, None)

    def hears(self, listener: MemberT, speaker: MemberT) -> bool:
        """Whether listener hears speaker under the current roles."""
        if listener not in self._members or speaker not in self._members:
            raise MixerError(f"{listener!r} or {speaker!r} is not in the mix")
        if listener == speaker:
            return False
        member = self._members[speaker]
        if member.role is Role.WHISPER:
            return member.coached == listener
        return member.role is not Role.LISTEN

    def mix(self, frames: Mapping[MemberT, npt.NDArray[np.int16]]) -> dict[MemberT, npt.NDArray[np.int16]]:
        """What each member hears this tick; a member with no frame (nothing received) is silent."""
        for key, frame in frames.items():
            if key not in self._members:
                raise MixerError(f"a frame from {key!r}, who is not in the mix")
            if frame.shape != (self._frame,):
                raise MixerError(f"frames hold {self._frame} samples, {key!r} sent shape {frame.shape}")
        public = np.zeros(self._frame, dtype=np.int32)
        whispers: dict[Hashable | None, npt.NDArray[np.int32]] = {}
        for key, frame in frames.items():
            member = self._members[key]
            if member.role is Role.WHISPER:
                coached = whispers.setdefault(member.coached, np.zeros(self._frame, dtype=np.int32))
                coached += frame
            elif member.role is not Role.LISTEN:
                public += frame
        heard: dict[MemberT, npt.NDArray[np.int16]] = {}
        for key, member in self._members.items():
            total = public.copy()
            own = frames.get(key)
            if own is not None and member.role in (Role.PARTY, Role.BARGE):
                total -= own
            private = whispers.get(key)
            if private is not None:
                total += private
            heard[key] = np.clip(total, -32768, 32767).astype(np.int16)
        return heard
