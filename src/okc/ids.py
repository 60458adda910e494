"""Interaction ids: one time-sortable id per contact, naming its SIP legs, recording and disposition.

The id is a ULID (48-bit millisecond timestamp + 80 random bits, Crockford base32, 26 characters), so ids
sort by creation time in the database and need no coordination. The random source is injected, so a
simulation produces the same ids for the same seed.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from okc.errors import OkcError

__all__ = ["InteractionId", "InteractionIdError"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_LENGTH = 26
_MAX_MS = (1 << 48) - 1


class InteractionIdError(OkcError):
    """Text that is not a valid interaction id."""


@dataclass(frozen=True, slots=True, order=True)
class InteractionId:
    """A contact's id: 26 Crockford base32 characters, ordered by creation time."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) != _LENGTH or any(c not in _DECODE for c in self.value):
            raise InteractionIdError(f"not an interaction id: {self.value!r}")
        if _DECODE[self.value[0]] > 7:  # first character carries only 3 bits of a 128-bit number
            raise InteractionIdError(f"interaction id overflows 128 bits: {self.value!r}")

    @classmethod
    def new(cls, now: float, rng: random.Random | None = None) -> InteractionId:
        """A fresh id for wall-clock time now (seconds since the epoch); rng makes it reproducible."""
        ms = int(now * 1000)
        if not 0 <= ms <= _MAX_MS:
            raise InteractionIdError(f"time {now!r} is outside the id's range")
        rand = rng.getrandbits(80) if rng is not None else secrets.randbits(80)
        number = (ms << 80) | rand
        chars = []
        for _ in range(_LENGTH):
            chars.append(_ALPHABET[number & 31])
            number >>= 5
        return cls("".join(reversed(chars)))

    @classmethod
    def parse(cls, text: str) -> InteractionId:
        """Parse an id, accepting lower case as Crockford base32 allows."""
        return cls(text.strip().upper())

    @property
    def timestamp(self) -> float:
        """Creation time in seconds since the epoch (millisecond precision)."""
        number = 0
        for c in self.value[:10]:
            number = (number << 5) | _DECODE[c]
        return number / 1000

    def leg(self, index: int) -> str:
        """The Call-ID local part of this contact's SIP leg number index (0 = the first leg)."""
        if index < 0:
            raise InteractionIdError(f"leg index must not be negative: {index}")
        return f"{self.value}-{index}"

    @classmethod
    def from_leg(cls, leg: str) -> InteractionId:
        """The interaction a leg name (as made by leg()) belongs to."""
        return cls.parse(leg.split("@", 1)[0].rsplit("-", 1)[0])

    def __str__(self) -> str:
        return self.value
