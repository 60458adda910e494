"""SIP transactions (RFC 3261 §17, RFC 6026): the four state machines and their transition table.

Every transition is a row of TRANSITIONS: (kind, state, input) -> next state. A pair not in the table
raises SipStateError. A transaction never does I/O and never reads a clock: it returns Actions (send these
bytes, tell the TU this) and keeps deadlines in `now`-based seconds that its owner fires via handle_timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from okc.sip.errors import SipStateError
from okc.sip.headers import Headers
from okc.sip.message import Request, Response, response_to
from okc.sip.timers import Timer, TimerConfig

__all__ = ["TRANSITIONS", "Input", "Kind", "State", "Transaction", "TxAction", "ack_for"]


class Kind(Enum):
    """Which of the four machines."""

    INVITE_CLIENT = "invite-client"
    NON_INVITE_CLIENT = "non-invite-client"
    INVITE_SERVER = "invite-server"
    NON_INVITE_SERVER = "non-invite-server"


class State(Enum):
    """Transaction states (Accepted is RFC 6026's)."""

    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class Input(Enum):
    """What can happen to a transaction."""

    RECV_1XX = "recv-1xx"
    RECV_2XX = "recv-2xx"
    RECV_FINAL = "recv-300-699"
    RECV_REQUEST = "recv-request"  # a retransmission of the server transaction's request
    RECV_ACK = "recv-ack"
    SEND_1XX = "send-1xx"
    SEND_2XX = "send-2xx"
    SEND_FINAL = "send-300-699"
    TIMER_RETRANSMIT = "timer-a-e-g"
    TIMER_TIMEOUT = "timer-b-f-h"
    TIMER_LINGER = "timer-d-i-j-k-l-m"
    TIMER_TRYING = "timer-100"
    TRANSPORT_ERROR = "transport-error"


_IC, _NIC, _IS, _NIS = Kind.INVITE_CLIENT, Kind.NON_INVITE_CLIENT, Kind.INVITE_SERVER, Kind.NON_INVITE_SERVER
_S, _I = State, Input

#: The whole behaviour as data: (kind, state, input) -> next state.
TRANSITIONS: dict[tuple[Kind, State, Input], State] = {
    # INVITE client (§17.1.1, RFC 6026 §7.2)
    (_IC, _S.CALLING, _I.TIMER_RETRANSMIT): _S.CALLING,
    (_IC, _S.CALLING, _I.TIMER_TIMEOUT): _S.TERMINATED,
    (_IC, _S.CALLING, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_IC, _S.CALLING, _I.RECV_1XX): _S.PROCEEDING,
    (_IC, _S.CALLING, _I.RECV_2XX): _S.ACCEPTED,
    (_IC, _S.CALLING, _I.RECV_FINAL): _S.COMPLETED,
    (_IC, _S.PROCEEDING, _I.RECV_1XX): _S.PROCEEDING,
    (_IC, _S.PROCEEDING, _I.RECV_2XX): _S.ACCEPTED,
    (_IC, _S.PROCEEDING, _I.RECV_FINAL): _S.COMPLETED,
    (_IC, _S.COMPLETED, _I.RECV_FINAL): _S.COMPLETED,
    (_IC, _S.COMPLETED, _I.RECV_1XX): _S.COMPLETED,
    (_IC, _S.COMPLETED, _I.RECV_2XX): _S.COMPLETED,
    (_IC, _S.COMPLETED, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_IC, _S.COMPLETED, _I.TIMER_LINGER): _S.TERMINATED,
    (_IC, _S.ACCEPTED, _I.RECV_2XX): _S.ACCEPTED,
    (_IC, _S.ACCEPTED, _I.RECV_1XX): _S.ACCEPTED,
    (_IC, _S.ACCEPTED, _I.RECV_FINAL): _S.ACCEPTED,
    (_IC, _S.ACCEPTED, _I.TIMER_LINGER): _S.TERMINATED,
    # non-INVITE client (§17.1.2)
    (_NIC, _S.TRYING, _I.TIMER_RETRANSMIT): _S.TRYING,
    (_NIC, _S.TRYING, _I.TIMER_TIMEOUT): _S.TERMINATED,
    (_NIC, _S.TRYING, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_NIC, _S.TRYING, _I.RECV_1XX): _S.PROCEEDING,
    (_NIC, _S.TRYING, _I.RECV_2XX): _S.COMPLETED,
    (_NIC, _S.TRYING, _I.RECV_FINAL): _S.COMPLETED,
    (_NIC, _S.PROCEEDING, _I.TIMER_RETRANSMIT): _S.PROCEEDING,
    (_NIC, _S.PROCEEDING, _I.TIMER_TIMEOUT): _S.TERMINATED,
    (_NIC, _S.PROCEEDING, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_NIC, _S.PROCEEDING, _I.RECV_1XX): _S.PROCEEDING,
    (_NIC, _S.PROCEEDING, _I.RECV_2XX): _S.COMPLETED,
    (_NIC, _S.PROCEEDING, _I.RECV_FINAL): _S.COMPLETED,
    (_NIC, _S.COMPLETED, _I.RECV_1XX): _S.COMPLETED,
    (_NIC, _S.COMPLETED, _I.RECV_2XX): _S.COMPLETED,
    (_NIC, _S.COMPLETED, _I.RECV_FINAL): _S.COMPLETED,
    (_NIC, _S.COMPLETED, _I.TIMER_LINGER): _S.TERMINATED,
    # INVITE server (§17.2.1, RFC 6026 §7.1)
    (_IS, _S.PROCEEDING, _I.RECV_REQUEST): _S.PROCEEDING,
    (_IS, _S.PROCEEDING, _I.TIMER_TRYING): _S.PROCEEDING,
    (_IS, _S.PROCEEDING, _I.SEND_1XX): _S.PROCEEDING,
    (_IS, _S.PROCEEDING, _I.SEND_2XX): _S.ACCEPTED,
    (_IS, _S.PROCEEDING, _I.SEND_FINAL): _S.COMPLETED,
    (_IS, _S.PROCEEDING, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_IS, _S.COMPLETED, _I.RECV_REQUEST): _S.COMPLETED,
    (_IS, _S.COMPLETED, _I.RECV_ACK): _S.CONFIRMED,
    (_IS, _S.COMPLETED, _I.TIMER_RETRANSMIT): _S.COMPLETED,
    (_IS, _S.COMPLETED, _I.TIMER_TIMEOUT): _S.TERMINATED,
    (_IS, _S.COMPLETED, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_IS, _S.CONFIRMED, _I.RECV_ACK): _S.CONFIRMED,
    (_IS, _S.CONFIRMED, _I.RECV_REQUEST): _S.CONFIRMED,
    (_IS, _S.CONFIRMED, _I.TIMER_LINGER): _S.TERMINATED,
    (_IS, _S.ACCEPTED, _I.RECV_REQUEST): _S.ACCEPTED,
    (_IS, _S.ACCEPTED, _I.RECV_ACK): _S.ACCEPTED,
    (_IS, _S.ACCEPTED, _I.SEND_2XX): _S.ACCEPTED,
    (_IS, _S.ACCEPTED, _I.TRANSPORT_ERROR): _S.ACCEPTED,  # RFC 6026: the TU retransmits 2xx itself
    (_IS, _S.ACCEPTED, _I.TIMER_LINGER): _S.TERMINATED,
    # non-INVITE server (§17.2.2)
    (_NIS, _S.TRYING, _I.RECV_REQUEST): _S.TRYING,
    (_NIS, _S.TRYING, _I.SEND_1XX): _S.PROCEEDING,
    (_NIS, _S.TRYING, _I.SEND_2XX): _S.COMPLETED,
    (_NIS, _S.TRYING, _I.SEND_FINAL): _S.COMPLETED,
    (_NIS, _S.PROCEEDING, _I.RECV_REQUEST): _S.PROCEEDING,
    (_NIS, _S.PROCEEDING, _I.SEND_1XX): _S.PROCEEDING,
    (_NIS, _S.PROCEEDING, _I.SEND_2XX): _S.COMPLETED,
    (_NIS, _S.PROCEEDING, _I.SEND_FINAL): _S.COMPLETED,
    (_NIS, _S.PROCEEDING, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_NIS, _S.COMPLETED, _I.RECV_REQUEST): _S.COMPLETED,
    (_NIS, _S.COMPLETED, _I.TRANSPORT_ERROR): _S.TERMINATED,
    (_NIS, _S.COMPLETED, _I.TIMER_LINGER): _S.TERMINATED,
}


class TxAction(Enum):
    """What a transition asks its owner to do."""

    SEND = "send"  # transmit `message`
    DELIVER = "deliver"  # pass `message` to the TU
    TIMEOUT = "timeout"  # tell the TU the transaction timed out (408 semantics)
    TRANSPORT_FAILED = "transport-failed"  # tell the TU the transport failed (503 semantics)


def ack_for(request: Request, response: Response) -> Request:
    """The ACK a client transaction sends for a 300-699 response (§17.1.1.3)."""
    fields: list[tuple[str, str]] = [("Via", request.headers.get_all("via")[0])]
    for key in ("route", "max-forwards", "from", "call-id"):
        fields.extend((key.title(), v) for v in request.headers.get_lines(key))
    to_line = response.headers.get("to") or request.headers.get("to") or ""
    fields.append(("To", to_line))
    fields.append(("CSeq", f"{request.cseq.seq} ACK"))
    fields.append(("Content-Length", "0"))
    return Request("ACK", request.uri, Headers(fields))


@dataclass(slots=True)
class Transaction:
    """One transaction: its machine, state, last sent message and armed timers (absolute deadlines)."""

    kind: Kind
    request: Request
    reliable: bool
    config: TimerConfig
    state: State
    timers: dict[Timer, float] = field(default_factory=dict)
    last_response: Response | None = None
    ack: Request | None = None
    interval: float = 0.0
    _now: float = 0.0

    @classmethod
    def client(cls, request: Request, now: float, *, reliable: bool, config: TimerConfig) -> Transaction:
        """A client transaction for request (already sent once by the caller's first SEND action)."""
        invite = request.method == "INVITE"
        tx = cls(Kind.INVITE_CLIENT if invite else Kind.NON_INVITE_CLIENT, request, reliable, config,
                 State.CALLING if invite else State.TRYING)  # fmt: skip
        tx.interval = config.t1
        if not reliable:
            tx.timers[Timer.A if invite else Timer.E] = now + config.t1
        tx.timers[Timer.B if invite else Timer.F] = now + config.timeout
        return tx

    @classmethod
    def server(cls, request: Request, now: float, *, reliable: bool, config: TimerConfig) -> Transaction:
        """A server transaction for a newly received request."""
        invite = request.method == "INVITE"
        tx = cls(Kind.INVITE_SERVER if invite else Kind.NON_INVITE_SERVER, request, reliable, config,
                 State.PROCEEDING if invite else State.TRYING)  # fmt: skip
        if invite:
            tx.timers[Timer.TRYING] = now + config.trying_delay
        return tx

    @property
    def terminated(self) -> bool:
        """Whether the transaction is over and can be forgotten."""
        return self.state is State.TERMINATED

    def next_deadline(self) -> float | None:
        """The earliest armed timer, or None."""
        return min(self.timers.values()) if self.timers else None

    def _go(self, event: Input) -> State:
        try:
            nxt = TRANSITIONS[(self.kind, self.state, event)]
        except KeyError:
            raise SipStateError(
                f"{self.kind.value} transaction in {self.state.value}: {event.value}"
            ) from None
        old, self.state = self.state, nxt
        if nxt is State.TERMINATED:
            self.timers.clear()
        elif nxt is not old:
            self._enter(nxt)
        return nxt

    def _enter(self, state: State) -> None:
        """Cancel the timers the old state owned, then arm the new state's."""
        timers = self.timers
        if self.kind is Kind.INVITE_CLIENT:
            timers.pop(Timer.A, None)
            timers.pop(Timer.B, None)
        elif self.kind is Kind.NON_INVITE_CLIENT and state is State.COMPLETED:
            timers.pop(Timer.E, None)
            timers.pop(Timer.F, None)
        elif self.kind is Kind.INVITE_SERVER:
            timers.pop(Timer.TRYING, None)
        self._arm(state, self.config)

    def _arm(self, state: State, cfg: TimerConfig) -> None:
        kind = self.kind
        now = self._now
        if kind is Kind.INVITE_CLIENT and state is State.COMPLETED:
            self.timers[Timer.D] = now + cfg.linger(Timer.D, self.reliable)
        elif kind is Kind.INVITE_CLIENT and state is State.ACCEPTED:
            self.timers[Timer.M] = now + cfg.timeout
        elif kind is Kind.NON_INVITE_CLIENT and state is State.COMPLETED:
            self.timers[Timer.K] = now + cfg.linger(Timer.K, self.reliable)
        elif kind is Kind.INVITE_SERVER and state is State.COMPLETED:
            self.interval = cfg.t1
            if not self.reliable:
                self.timers[Timer.G] = now + cfg.t1
            self.timers[Timer.H] = now + cfg.timeout
        elif kind is Kind.INVITE_SERVER and state is State.CONFIRMED:
            self.timers.pop(Timer.G, None)
            self.timers.pop(Timer.H, None)
            self.timers[Timer.I] = now + cfg.linger(Timer.I, self.reliable)
        elif kind is Kind.INVITE_SERVER and state is State.ACCEPTED:
            self.timers[Timer.L] = now + cfg.timeout
        elif kind is Kind.NON_INVITE_SERVER and state is State.COMPLETED:
            self.timers[Timer.J] = now + cfg.linger(Timer.J, self.reliable)

    # --- inputs --------------------------------------------------------------------------------------

    def receive_response(self, response: Response, now: float) -> list[tuple[TxAction, Request | Response]]:
        """A response matched this client transaction."""
        self._now = now
        status = response.status
        event = Input.RECV_1XX if status < 200 else Input.RECV_2XX if status < 300 else Input.RECV_FINAL
        before = self.state
        after = self._go(event)
        out: list[tuple[TxAction, Request | Response]] = []
        if self.kind is Kind.INVITE_CLIENT:
            if after is State.COMPLETED:
                if before is not State.COMPLETED:
                    self.ack = ack_for(self.request, response)
                    out.append((TxAction.DELIVER, response))
                if event is Input.RECV_FINAL and self.ack is not None:
                    out.append((TxAction.SEND, self.ack))
            elif after is State.ACCEPTED:
                if event is Input.RECV_2XX:
                    out.append((TxAction.DELIVER, response))
            else:
                out.append((TxAction.DELIVER, response))
        elif before is not State.COMPLETED:
            out.append((TxAction.DELIVER, response))
        return out

    def receive_request(self, request: Request, now: float) -> list[tuple[TxAction, Request | Response]]:
        """A retransmission of the request, or (INVITE server) an ACK, matched this server transaction."""
        self._now = now
        if request.method == "ACK":
            before = self.state
            self._go(Input.RECV_ACK)
            if before is State.ACCEPTED:
                return [(TxAction.DELIVER, request)]
            return []
        self._go(Input.RECV_REQUEST)
        if self.last_response is not None and self.state is not State.ACCEPTED:
            return [(TxAction.SEND, self.last_response)]
        return []

    def send_response(self, response: Response, now: float) -> list[tuple[TxAction, Request | Response]]:
        """The TU answers through this server transaction."""
        self._now = now
        status = response.status
        self._go(Input.SEND_1XX if status < 200 else Input.SEND_2XX if status < 300 else Input.SEND_FINAL)
        self.timers.pop(Timer.TRYING, None)
        self.last_response = response
        return [(TxAction.SEND, response)]

    def transport_error(self, now: float) -> list[tuple[TxAction, Request | Response]]:
        """The transport could not deliver this transaction's message."""
        self._now = now
        self._go(Input.TRANSPORT_ERROR)
        if self.state is State.TERMINATED:
            return [(TxAction.TRANSPORT_FAILED, self.request)]
        return []

    def handle_timer(self, now: float) -> list[tuple[TxAction, Request | Response]]:
        """Fire every timer due at now."""
        self._now = now
        out: list[tuple[TxAction, Request | Response]] = []
        for timer, deadline in sorted(self.timers.items(), key=lambda item: item[1]):
            if deadline > now or timer not in self.timers or self.terminated:
                continue
            del self.timers[timer]
            out.extend(self._fire(timer, now))
        return out

    def _fire(self, timer: Timer, now: float) -> list[tuple[TxAction, Request | Response]]:
        cfg = self.config
        if timer in (Timer.A, Timer.E, Timer.G):
            self._go(Input.TIMER_RETRANSMIT)
            if timer is Timer.A:
                self.interval *= 2
            elif timer is Timer.E and self.state is State.PROCEEDING:
                self.interval = cfg.t2
            else:
                self.interval = min(self.interval * 2, cfg.t2)
            self.timers[timer] = now + self.interval
            message: Request | Response | None = self.request if timer is not Timer.G else self.last_response
            return [(TxAction.SEND, message)] if message is not None else []
        if timer in (Timer.B, Timer.F, Timer.H):
            self._go(Input.TIMER_TIMEOUT)
            return [(TxAction.TIMEOUT, self.request)] if self.terminated else []
        if timer is Timer.TRYING:
            self._go(Input.TIMER_TRYING)
            self.last_response = response_to(self.request, 100, "Trying")
            return [(TxAction.SEND, self.last_response)]
        self._go(Input.TIMER_LINGER)
        return []
