"""Property: whatever the order of commands, losses, corrupted datagrams and timer firings, the user agent
core raises nothing from its inputs, and once every call is hung up no call, transaction or timer remains."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from okc.sip.errors import SipError
from okc.sip.ua_events import IncomingCall, OutOfDialogRequest
from tests.sip.ua_net import A, B, Net, sdp

_OPS = st.one_of(
    st.tuples(st.just("invite"), st.integers(0, 3)),
    st.tuples(st.sampled_from(["ring", "answer", "reject", "hangup_b", "hold_b"]), st.integers(0, 3)),
    st.tuples(st.sampled_from(["hangup_a", "hold_a", "unhold_a", "dtmf_a", "refer_a"]), st.integers(0, 3)),
    st.tuples(st.just("advance"), st.floats(0.0, 40.0)),
    st.tuples(st.just("inject"), st.integers(0, 10_000), st.integers(0, 255)),
)


def _apply(net: Net, op: tuple[object, ...], incoming: list[IncomingCall]) -> None:
    kind = op[0]
    a_calls, b_calls = net.a.calls(), [i.call for i in incoming]
    index = op[1]
    assert isinstance(index, int | float)
    if kind == "invite":
        extra = (("Require", "100rel"),) if int(index) % 2 else ()
        net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp(), extra=extra)
    elif kind == "advance":
        net.run_until(net.now + float(index))
    elif kind == "inject":
        if net.wire:
            src, data = net.wire[int(index) % len(net.wire)]
            pos = int(index) % len(data)
            assert isinstance(op[2], int)
            mutated = data[:pos] + bytes([op[2]]) + data[pos + 1 :]
            (net.b if src == A else net.a).receive(mutated, src, net.now)
    elif kind in ("hangup_a", "hold_a", "unhold_a", "dtmf_a", "refer_a") and a_calls:
        ref = a_calls[int(index) % len(a_calls)]
        if kind == "hangup_a":
            net.a.hangup(ref, net.now)
        elif kind == "hold_a":
            net.a.hold(ref, net.now)
        elif kind == "unhold_a":
            net.a.unhold(ref, net.now)
        elif kind == "dtmf_a":
            net.a.send_dtmf(ref, "1", net.now)
        else:
            net.a.transfer(ref, "sip:carol@127.0.0.1:5090", net.now)
    elif b_calls:
        ref = b_calls[int(index) % len(b_calls)]
        if kind == "ring":
            net.b.ring(ref, net.now)
        elif kind == "answer":
            net.b.answer(ref, sdp(41000), net.now)
        elif kind == "reject":
            net.b.reject(ref, 486, net.now)
        elif kind == "hangup_b":
            net.b.hangup(ref, net.now)
        else:
            net.b.hold(ref, net.now)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_OPS, max_size=25), losses=st.lists(st.booleans(), min_size=1, max_size=30))
def test_random_operations_leave_nothing_behind(ops: list[tuple[object, ...]], losses: list[bool]) -> None:
    net = Net()
    counter = {"n": 0}

    def drop(data: bytes, src: tuple[str, int], dst: tuple[str, int]) -> bool:
        counter["n"] += 1
        return losses[counter["n"] % len(losses)]

    net.drop = drop
    for op in ops:
        incoming = [e for e in net.got_b if isinstance(e, IncomingCall)]
        if op[0] in ("advance", "inject"):
            _apply(net, op, incoming)  # inputs: nothing may escape
        else:
            with contextlib.suppress(SipError):  # a command the call's state does not allow is refused
                _apply(net, op, incoming)
        net.pump()
        for event in net.got_b:
            if isinstance(event, OutOfDialogRequest):  # the owner answers what the core surfaces
                with contextlib.suppress(SipError):
                    net.b.respond(event.key, 200, net.now)
        net.got_b = [e for e in net.got_b if not isinstance(e, OutOfDialogRequest)]
        net.pump()
    net.drop = lambda data, src, dst: False
    for ref in net.a.calls():
        net.a.hangup(ref, net.now)
    for ref in net.b.calls():
        net.b.hangup(ref, net.now)
    net.pump()
    net.run_until(net.now + 400.0)
    for ref in (*net.a.calls(), *net.b.calls()):  # calls the peer answered while our CANCEL was pending
        (net.a if ref in net.a.calls() else net.b).hangup(ref, net.now)
    net.run_until(net.now + 400.0)
    assert net.a.calls() == ()
    assert net.b.calls() == ()
    assert len(net.a.layer) == 0
    assert len(net.b.layer) == 0
    assert net.a.get_timer() is None
    assert net.b.get_timer() is None
