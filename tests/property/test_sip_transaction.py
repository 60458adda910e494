"""Hypothesis state machine over two piped transaction layers: random orders, losses, duplicates, timers.

Only SipParseError may escape from network input; TU misuse is SipStateError; once the TU has answered
everything and the clock runs far enough, no transaction is left.
"""

from __future__ import annotations

import contextlib

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from okc.sip import (
    Datagram,
    NameAddr,
    Request,
    RequestReceived,
    SipStateError,
    State,
    TransactionLayer,
    Via,
    parse_uri,
    response_to,
)

A = ("192.0.2.1", 5060)
B = ("192.0.2.2", 5060)


class TwoLayers(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.uac = TransactionLayer()
        self.uas = TransactionLayer()
        self.now = 0.0
        self.to_b: list[Datagram] = []
        self.to_a: list[Datagram] = []
        self.pending: list[Request] = []
        self.count = 0

    def _pump(self) -> None:
        self.to_b += self.uac.datagrams()
        self.to_a += self.uas.datagrams()
        for event in self.uas.events():
            if isinstance(event, RequestReceived) and event.key is not None:
                self.pending.append(event.request)
        self.uac.events()

    @rule(method=st.sampled_from(["INVITE", "OPTIONS", "BYE"]))
    def send_request(self, method: str) -> None:
        self.count += 1
        via = Via("UDP", A[0], A[1])
        request = Request.build(
            method,
            "sip:b@192.0.2.2",
            via=via.with_params(via.params.with_param("branch", f"z9hG4bK{self.count}")),
            from_=NameAddr(parse_uri("sip:a@example.com")).with_tag("t"),
            to=NameAddr(parse_uri("sip:b@example.com")),
            call_id=f"c{self.count}",
            cseq=self.count,
        )
        self.uac.send_request(request, B, self.now)
        self._pump()

    @precondition(lambda self: self.to_b)
    @rule(index=st.integers(0, 100), duplicate=st.booleans(), drop=st.booleans())
    def deliver_to_b(self, index: int, duplicate: bool, drop: bool) -> None:
        d = self.to_b[index % len(self.to_b)] if duplicate else self.to_b.pop(index % len(self.to_b))
        if not drop:
            self.uas.receive(d.data, A, self.now)
        self._pump()

    @precondition(lambda self: self.to_a)
    @rule(index=st.integers(0, 100), duplicate=st.booleans(), drop=st.booleans())
    def deliver_to_a(self, index: int, duplicate: bool, drop: bool) -> None:
        d = self.to_a[index % len(self.to_a)] if duplicate else self.to_a.pop(index % len(self.to_a))
        if not drop:
            self.uac.receive(d.data, B, self.now)
        self._pump()

    @precondition(lambda self: self.pending)
    @rule(index=st.integers(0, 100), status=st.sampled_from([100, 180, 200, 486, 503]))
    def answer(self, index: int, status: int) -> None:
        request = self.pending[index % len(self.pending)]
        # A second final response is TU misuse: the machine refuses it with SipStateError.
        with contextlib.suppress(SipStateError):
            self.uas.send_response(response_to(request, status, "X", to_tag="r"), self.now)
        if status >= 200:
            self.pending.remove(request)
        self._pump()

    @rule(step=st.floats(0.0, 40.0))
    def advance(self, step: float) -> None:
        self.now += step
        self.uac.handle_timer(self.now)
        self.uas.handle_timer(self.now)
        self._pump()

    @rule(garbage=st.binary(max_size=80))
    def garbage(self, garbage: bytes) -> None:
        self.uas.receive(garbage, A, self.now)
        self.uac.receive(garbage, B, self.now)
        self._pump()

    @invariant()
    def timers_not_in_the_past(self) -> None:
        for layer in (self.uac, self.uas):
            deadline = layer.get_timer()
            assert deadline is None or deadline > self.now or deadline == self.now

    def teardown(self) -> None:
        # The TU answers whatever is open, every INVITE client gets its final answer, and time runs out.
        for request in list(self.pending):
            with contextlib.suppress(SipStateError):
                self.uas.send_response(response_to(request, 500, "X", to_tag="r"), self.now)
        self.pending.clear()
        for _ in range(3):
            self.now += 100.0
            self.uac.handle_timer(self.now)
            self.uas.handle_timer(self.now)
            self._pump()
            for d in self.to_b:
                self.uas.receive(d.data, A, self.now)
            for d in self.to_a:
                self.uac.receive(d.data, B, self.now)
            self.to_a.clear()
            self.to_b.clear()
            self._pump()
            for request in list(self.pending):
                self.uas.send_response(response_to(request, 500, "X", to_tag="r"), self.now)
            self.pending.clear()
        for _ in range(3):
            self.now += 100.0
            self.uac.handle_timer(self.now)
            self.uas.handle_timer(self.now)
        # Left over only: INVITE clients stuck in Proceeding whose final response was lost (the TU
        # must CANCEL those; RFC 3261 gives them no timer). Nothing else may outlive its timers.
        assert len(self.uas) == 0
        for key in self.uac.transaction_keys():
            tx = self.uac.state_of(key)
            assert tx is not None
            assert tx.state is State.PROCEEDING
            assert tx.timers == {}


TwoLayers.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestTwoLayers = TwoLayers.TestCase
