"""Reliable provisional responses (RFC 3262, 100rel/PRACK), sans-I/O on an injected clock.

UAS side, `ReliableProvisionals`: stamps RSeq and Require: 100rel on a 1xx, retransmits it at T1,
doubling, until the matching PRACK arrives, and reports `PrackTimedOut` after 64*T1 (then reject the
INVITE with 5xx). Only one reliable provisional is outstanding at a time; later ones wait in order.
UAC side, `ProvisionalTracker`: accepts RSeq in order, drops retransmissions, and gives the RAck to PRACK.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from okc.sip.dialog import Dialog, DialogError
from okc.sip.headers import Via
from okc.sip.message import Request, Response
from okc.sip.timers import TimerConfig

__all__ = [
    "PrackTimedOut",
    "ProvisionalTracker",
    "RAck",
    "ReliableProvisionals",
    "prack_request",
    "wants_100rel",
]


def wants_100rel(request: Request) -> bool:
    """Whether the peer requires (or supports) reliable provisionals for this INVITE."""
    return "100rel" in request.require or "100rel" in request.supported


@dataclass(frozen=True, slots=True)
class RAck:
    """The RAck header: the RSeq and the CSeq (number and method) of the acknowledged response."""

    rseq: int
    cseq: int
    method: str

    def __post_init__(self) -> None:
        if not 1 <= self.rseq < 2**32 or not 0 <= self.cseq < 2**32:
            raise DialogError(f"RAck out of range: {self.rseq} {self.cseq}", 400)

    @classmethod
    def parse(cls, text: str) -> RAck:
        """Parse `rseq cseq method`."""
        parts = text.split()
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise DialogError(f"invalid RAck {text!r}", 400)
        return cls(int(parts[0]), int(parts[1]), parts[2])

    def __str__(self) -> str:
        return f"{self.rseq} {self.cseq} {self.method}"


@dataclass(frozen=True, slots=True)
class PrackTimedOut:
    """No PRACK for a reliable provisional within 64*T1: the UAS should answer the INVITE 5xx."""

    rseq: int


class ReliableProvisionals:
    """UAS side of 100rel for one INVITE transaction."""

    def __init__(self, first_rseq: int, timers: TimerConfig | None = None) -> None:
        if not 1 <= first_rseq < 2**31:
            raise DialogError(f"initial RSeq out of range: {first_rseq}", 500)
        self._next_rseq = first_rseq
        self._timers = timers or TimerConfig()
        self._pending: Response | None = None
        self._queue: deque[Response] = deque()
        self._interval = 0.0
        self._next_send = 0.0
        self._give_up = 0.0

    def send(self, response: Response, now: float) -> list[Response]:
        """Stamp `response` (a 101-199) for reliable delivery; returns what to transmit now."""
        if not 101 <= response.status <= 199:
            raise DialogError(f"only 101-199 responses are sent reliably, not {response.status}", 500)
        headers = response.headers.with_added("Require", "100rel").with_replaced("RSeq", str(self._next_rseq))
        self._next_rseq += 1
        stamped = response.replace(headers=headers)
        if self._pending is not None:
            self._queue.append(stamped)
            return []
        return [self._start(stamped, now)]

    def _start(self, response: Response, now: float) -> Response:
        self._pending = response
        self._interval = self._timers.t1
        self._next_send = now + self._interval
        self._give_up = now + 64 * self._timers.t1
        return response

    @property
    def outstanding(self) -> bool:
        """Whether a reliable provisional awaits its PRACK."""
        return self._pending is not None

    def get_timer(self) -> float | None:
        """When `handle_timer` must run next."""
        return None if self._pending is None else min(self._next_send, self._give_up)

    def handle_timer(self, now: float) -> list[Response | PrackTimedOut]:
        """Retransmissions due at `now`, or PrackTimedOut after 64*T1."""
        pending = self._pending
        if pending is None or now < min(self._next_send, self._give_up):
            return []
        if now >= self._give_up:
            self._pending = None
            self._queue.clear()
            return [PrackTimedOut(int(pending.headers.get("RSeq") or 0))]
        self._interval *= 2
        self._next_send = now + self._interval
        return [pending]

    def receive_prack(self, request: Request, now: float) -> tuple[bool, list[Response]]:
        """Match a PRACK: (matched → answer 200, else 481; queued provisionals now due)."""
        value = request.headers.get("RAck")
        pending = self._pending
        if value is None or pending is None:
            return False, []
        rack = RAck.parse(value)
        cseq = pending.cseq
        if (rack.rseq, rack.cseq, rack.method) != (
            int(pending.headers.get("RSeq") or 0),
            cseq.seq,
            cseq.method,
        ):
            return False, []
        self._pending = None
        if self._queue:
            return True, [self._start(self._queue.popleft(), now)]
        return True, []

    def final_sent(self) -> None:
        """A final response went out: stop retransmitting (RFC 3262 §3)."""
        self._pending = None
        self._queue.clear()


class ProvisionalTracker:
    """UAC side: which reliable provisionals of one INVITE were already seen (RSeq must go up by one)."""

    def __init__(self) -> None:
        self._last: int | None = None

    def receive(self, response: Response) -> RAck | None:
        """The RAck to PRACK with, or None for a retransmission or out-of-order response (dropped)."""
        value = response.headers.get("RSeq")
        if value is None or not value.strip().isdigit():
            raise DialogError("reliable provisional without a valid RSeq", 400)
        rseq = int(value)
        if self._last is not None and rseq != self._last + 1:
            return None
        self._last = rseq
        cseq = response.cseq
        return RAck(rseq, cseq.seq, cseq.method)


def prack_request(dialog: Dialog, via: Via, rack: RAck) -> Request:
    """A PRACK in the early dialog that `rack`'s response created."""
    return dialog.create_request("PRACK", via, extra=(("RAck", str(rack)),))
