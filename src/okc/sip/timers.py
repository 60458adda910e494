"""RFC 3261 §17 timer values (T1, T2, T4 and the derived A-M), configurable per transaction layer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from okc.sip.errors import SipError

__all__ = ["Timer", "TimerConfig"]


class Timer(Enum):
    """The transaction timers of RFC 3261 §17 and RFC 6026 (L, M), plus the 100 Trying delay."""

    A = "A"  # INVITE client: retransmit request (unreliable)
    B = "B"  # INVITE client: give up
    D = "D"  # INVITE client: linger in Completed to absorb final-response retransmissions
    E = "E"  # non-INVITE client: retransmit request (unreliable)
    F = "F"  # non-INVITE client: give up
    G = "G"  # INVITE server: retransmit final response (unreliable)
    H = "H"  # INVITE server: wait for ACK
    I = "I"  # INVITE server: linger in Confirmed to absorb ACKs  # noqa: E741
    J = "J"  # non-INVITE server: linger in Completed to absorb request retransmissions
    K = "K"  # non-INVITE client: linger in Completed to absorb response retransmissions
    L = "L"  # INVITE server: linger in Accepted (RFC 6026)
    M = "M"  # INVITE client: linger in Accepted (RFC 6026)
    TRYING = "100"  # INVITE server: send 100 Trying if the TU has not answered within 200 ms


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """T1 (RTT estimate), T2 (max retransmit interval), T4 (max network lifetime) in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    trying_delay: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.t1 <= self.t2 or self.t4 <= 0 or self.trying_delay < 0:
            raise SipError(f"invalid SIP timer configuration {self}")

    @property
    def timeout(self) -> float:
        """64*T1: timers B, F, H, J (unreliable), L and M."""
        return 64 * self.t1

    def linger(self, timer: Timer, reliable: bool) -> float:
        """Duration of the lingering timers D, I, J, K: zero on reliable transports."""
        if reliable:
            return 0.0
        if timer is Timer.D:
            return max(32.0, self.timeout / 2)
        if timer is Timer.J:
            return self.timeout
        return self.t4
