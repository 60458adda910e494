"""UserAgentCore call paths in virtual time: two cores piped together, datagrams lost on purpose."""

from __future__ import annotations

import random

import pytest

from okc.sip.errors import SipStateError
from okc.sip.message import Request, Response, parse_message
from okc.sip.ua import CallState, UserAgentCore
from okc.sip.ua_events import (
    CallAnswered,
    CallEnded,
    CallEstablished,
    CallFailed,
    CallRinging,
    EndReason,
    IncomingCall,
    MessageDropped,
    OptionsReceived,
    OutOfDialogRequest,
    RequestFailed,
    ResponseToRequest,
)
from tests.sip.ua_net import A, B, Net, sdp

T1 = 0.5


def _incoming(net: Net) -> IncomingCall:
    calls = [e for e in net.got_b if isinstance(e, IncomingCall)]
    assert calls, net.got_b
    return calls[-1]


def _statuses(net: Net, who: tuple[str, int], method: str) -> list[int]:
    out = []
    for src, data in net.wire:
        message = parse_message(data)
        if src == who and isinstance(message, Response) and message.cseq.method == method:
            out.append(message.status)
    return out


def connected() -> tuple[Net, IncomingCall]:
    """A calls B, B rings and answers, everything delivered."""
    net = Net()
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    incoming = _incoming(net)
    net.b.ring(incoming.call, net.now)
    net.pump()
    net.b.answer(incoming.call, sdp(41000), net.now)
    net.pump()
    assert net.a.call_state(ref) is CallState.ESTABLISHED
    assert net.b.call_state(incoming.call) is CallState.ESTABLISHED
    return net, incoming


def test_call_rings_answers_and_ends_with_bye() -> None:
    net, incoming = connected()
    (ref,) = net.a.calls()
    assert incoming.offer is not None
    assert str(incoming.caller.uri) == "sip:alice@127.0.0.1:5070"
    ringing = net.of(net.got_a, CallRinging)
    assert [r.status for r in ringing] == [180]
    answered = net.of(net.got_a, CallAnswered)
    assert answered
    assert answered[0].sdp is not None
    assert net.of(net.got_a, CallEstablished)
    assert net.of(net.got_b, CallEstablished)
    net.a.hangup(ref, net.now)
    net.pump()
    assert net.got_a[-1] == CallEnded(ref, EndReason.LOCAL_BYE)
    assert net.got_b[-1] == CallEnded(incoming.call, EndReason.REMOTE_BYE)
    assert _statuses(net, B, "BYE") == [200]
    net.run_until(net.now + 64 * T1 + 10)
    assert not net.a.calls()
    assert not net.b.calls()
    assert len(net.a.layer) == 0
    assert len(net.b.layer) == 0
    assert net.a.get_timer() is None
    assert net.b.get_timer() is None


def test_trying_is_sent_by_the_transaction_when_the_answer_is_slow() -> None:
    net = Net()
    net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    net.run_until(0.3)
    assert _statuses(net, B, "INVITE") == [100]


def test_lost_acks_make_the_2xx_retransmit_and_each_is_acked_again() -> None:
    net = Net()
    lost = {"n": 0}

    def drop(data: bytes, src: tuple[str, int], dst: tuple[str, int]) -> bool:
        if data.startswith(b"ACK") and lost["n"] < 2:
            lost["n"] += 1
            return True
        return False

    net.drop = drop
    net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    net.b.answer(_incoming(net).call, sdp(41000), net.now)
    net.pump()
    net.run_until(10.0)
    # 2xx at 0, T1, 3*T1 (T1 doubling); the third ACK gets through
    assert _statuses(net, B, "INVITE").count(200) == 3
    assert len(net.sent_by(A, "ACK")) == 1
    assert lost["n"] == 2
    assert net.of(net.got_b, CallEstablished)
    assert net.b.get_timer() is None or net.b.get_timer() > 10.0  # type: ignore[operator]


def test_no_ack_in_64_t1_ends_the_call_with_bye() -> None:
    net = Net()
    net.drop = lambda data, src, dst: data.startswith(b"ACK")
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    incoming = _incoming(net)
    net.b.answer(incoming.call, sdp(41000), net.now)
    net.run_until(64 * T1 + 1)
    intervals = [min(T1 * 2**i, 4.0) for i in range(12)]
    assert _statuses(net, B, "INVITE").count(200) >= 8, intervals
    assert CallEnded(incoming.call, EndReason.NO_ACK, 408) in net.got_b
    assert CallEnded(ref, EndReason.REMOTE_BYE) in net.got_a
    net.run_until(200)
    assert not net.b.calls()
    assert len(net.b.layer) == 0


def test_cancel_ends_the_ringing_call_with_487() -> None:
    net = Net()
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    incoming = _incoming(net)
    net.b.ring(incoming.call, net.now)
    net.pump()
    net.a.hangup(ref, net.now)
    net.pump()
    assert CallEnded(incoming.call, EndReason.CANCELLED, 487) in net.got_b
    assert CallEnded(ref, EndReason.CANCELLED, 487) in net.got_a
    assert _statuses(net, B, "CANCEL") == [200]
    with pytest.raises(SipStateError):
        net.b.answer(incoming.call, sdp(), net.now)


def test_hangup_before_any_provisional_cancels_once_one_arrives() -> None:
    net = Net()
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.a.hangup(ref, net.now)  # nothing back yet: no CANCEL may be sent (§9.1)
    net.pump()
    assert not net.sent_by(A, "CANCEL")
    net.b.ring(_incoming(net).call, net.now)
    net.pump()
    assert len(net.sent_by(A, "CANCEL")) == 1
    assert net.got_a[-1] == CallEnded(ref, EndReason.CANCELLED, 487)


def test_2xx_arriving_after_cancel_is_acked_and_byed() -> None:
    net = Net()
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.a.hangup(ref, net.now)
    net.pump()
    incoming = _incoming(net)
    net.b.answer(incoming.call, sdp(41000), net.now)  # answer crosses our (unsent) CANCEL
    net.pump()
    assert len(net.sent_by(A, "ACK")) == 1
    assert len(net.sent_by(A, "BYE")) == 1
    assert net.got_a[-1] == CallEnded(ref, EndReason.CANCELLED, 200)
    assert net.got_b[-2:] == [CallEstablished(incoming.call), CallEnded(incoming.call, EndReason.REMOTE_BYE)]


def test_forked_second_2xx_is_acked_and_byed() -> None:
    net, _ = connected()
    (ref,) = net.a.calls()
    ok = next(d for src, d in net.wire if src == B and d.startswith(b"SIP/2.0 200"))
    message = parse_message(ok)
    assert isinstance(message, Response)
    tag = message.to.tag
    assert tag is not None
    forked = ok.replace(tag.encode(), b"f0f0f0f0")
    net.a.receive(forked, ("127.0.0.1", 5090), net.now)
    out = [d for d, _ in net.a.datagrams()]
    assert [d.split(b" ")[0] for d in out] == [b"ACK", b"BYE"]
    assert all(b"f0f0f0f0" in d for d in out)
    assert net.a.call_state(ref) is CallState.ESTABLISHED


def test_reject_fails_the_call_with_its_status() -> None:
    net = Net()
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    incoming = _incoming(net)
    net.b.reject(incoming.call, 486, net.now)
    net.pump()
    assert net.got_a[-1] == CallFailed(ref, 486, "Busy Here")
    assert net.got_b[-1] == CallEnded(incoming.call, EndReason.REJECTED, 486)
    assert len(net.sent_by(A, "ACK")) == 1  # the ACK for a non-2xx is the transaction's


def test_unanswered_invite_fails_with_408_after_timer_b() -> None:
    net = Net()
    net.drop = lambda data, src, dst: True
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.run_until(64 * T1 + 1)
    assert net.got_a == [CallFailed(ref, 408, "Request Timeout")]
    assert not net.a.calls()


def test_requests_to_unknown_dialogs_get_481() -> None:
    net, _ = connected()
    invite = parse_message(net.sent_by(A, "INVITE")[0])
    assert isinstance(invite, Request)
    bye = (
        b"BYE sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx1\r\n"
        b"From: <sip:alice@x>;tag=zz\r\nTo: <sip:bob@x>;tag=nope\r\nCall-ID: other@x\r\nCSeq: 5 BYE\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    net.b.receive(bye, A, net.now)
    ((data, _),) = net.b.datagrams()
    assert data.startswith(b"SIP/2.0 481")


def test_bye_outside_a_dialog_and_cancel_matching_nothing_get_481() -> None:
    net = Net()
    for method in ("BYE", "CANCEL"):
        raw = (
            f"{method} sip:bob@127.0.0.1:5080 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{method}\r\n"
            f"From: <sip:alice@x>;tag=zz\r\nTo: <sip:bob@x>\r\nCall-ID: c@x\r\nCSeq: 5 {method}\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
        net.b.receive(raw, A, net.now)
        ((data, _),) = net.b.datagrams()
        assert data.startswith(b"SIP/2.0 481"), data


def test_garbage_is_dropped_and_a_bad_request_answered_400() -> None:
    net = Net()
    net.b.receive(b"\x00\xffnot sip at all", A, 0.0)
    assert net.b.datagrams() == []
    assert isinstance(net.b.events()[0], MessageDropped)
    raw = (
        b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbad\r\n"
        b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: bad@x\r\nCSeq: 1 INVITE\r\n"
        b"Max-Forwards: many\r\n"
        b"Contact: <sip:a@127.0.0.1>\r\nContent-Length: 0\r\n\r\n"
    )
    net.b.receive(raw, A, 0.0)
    ((data, _),) = net.b.datagrams()
    assert data.startswith(b"SIP/2.0 400")
    assert not net.b.calls()


def test_unparseable_sdp_offer_is_refused_488() -> None:
    net = Net()
    net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, extra=(("Content-Type", "application/sdp"),))
    raw = net.a.datagrams()[0][0]
    body = b"this is not SDP"
    raw = raw.replace(b"Content-Length: 0\r\n\r\n", f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    net.b.receive(raw, A, 0.0)
    ((data, _),) = net.b.datagrams()
    assert data.startswith(b"SIP/2.0 488")
    assert b"Warning:" in data
    assert not net.b.calls()
    assert not net.b.events()


def test_options_are_answered_and_other_methods_left_to_the_owner() -> None:
    net = Net()
    key = net.a.request("OPTIONS", "sip:bob@127.0.0.1:5080", B, net.now)
    net.pump()
    assert isinstance(net.got_b[0], OptionsReceived)
    response = net.got_a[0]
    assert isinstance(response, ResponseToRequest)
    assert response.key == key
    assert response.response.status == 200
    assert "INVITE" in (response.response.headers.get("Allow") or "")
    key = net.a.request("MESSAGE", "sip:bob@127.0.0.1:5080", B, net.now)
    net.pump()
    pending = net.got_b[-1]
    assert isinstance(pending, OutOfDialogRequest)
    assert pending.request.method == "MESSAGE"
    net.b.respond(pending.key, 202, net.now)
    net.pump()
    last = net.got_a[-1]
    assert isinstance(last, ResponseToRequest)
    assert last.key == key
    assert last.response.status == 202


def test_request_timeout_is_reported() -> None:
    net = Net()
    net.drop = lambda data, src, dst: True
    key = net.a.request("OPTIONS", "sip:bob@127.0.0.1:5080", B, net.now)
    net.run_until(40)
    assert net.got_a == [RequestFailed(key, 408)]
    with pytest.raises(SipStateError):
        net.a.request("INVITE", "sip:bob@x", B, net.now)


def test_request_filter_answers_first() -> None:
    def deny(request: Request, source: tuple[str, int], now: float) -> Response | None:
        from okc.sip.message import response_to

        return response_to(request, 403, "Forbidden", to_tag="gate")

    net = Net(b=UserAgentCore(B, rng=random.Random(3), request_filter=deny))
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    assert net.got_b == []
    assert net.got_a == [CallFailed(ref, 403, "Forbidden")]


def test_commands_on_unknown_or_wrong_state_calls_raise() -> None:
    net, incoming = connected()
    with pytest.raises(SipStateError):
        net.b.ring(incoming.call, net.now)
    with pytest.raises(SipStateError):
        net.b.reject(incoming.call, 486, net.now)
    net.b.hangup(incoming.call, net.now)
    net.pump()
    with pytest.raises(SipStateError):
        net.b.hold(incoming.call, net.now)
    assert net.b.call_state(incoming.call) is CallState.ENDED


def test_send_routes_a_prebuilt_requests_answer_and_leaves_challenges_to_its_builder() -> None:
    """UserAgentCore.send: someone else's REGISTER goes through the core's layer; a 401 comes back up
    unanswered even though the core has credentials of its own."""
    from okc.sip.auth import DigestClient
    from okc.sip.headers import NameAddr, Via
    from okc.sip.message import response_to
    from okc.sip.uri import Params, parse_uri

    def challenge(request: Request, source: tuple[str, int], now: float) -> Response | None:
        return response_to(
            request, 401, "Unauthorized", extra=(("WWW-Authenticate", 'Digest realm="x", nonce="n"'),)
        )

    a = UserAgentCore(
        A, rng=random.Random(1), user="alice", credentials=DigestClient("a", "b", random.Random(3))
    )
    b = UserAgentCore(B, rng=random.Random(2), user="bob", request_filter=challenge)
    net = Net(a, b)
    register = Request.build(
        "REGISTER",
        "sip:127.0.0.1:5080",
        via=Via("UDP", A[0], A[1], Params((("branch", "z9hG4bKreg1"),))),
        from_=NameAddr(parse_uri("sip:trunk@127.0.0.1")).with_tag("t1"),
        to=NameAddr(parse_uri("sip:trunk@127.0.0.1")),
        call_id="reg-1",
        cseq=1,
    )
    key = net.a.send(register, B, net.now)
    net.pump()
    (answer,) = net.got_a
    assert isinstance(answer, ResponseToRequest)
    assert answer.key == key
    assert answer.response.status == 401
    assert sum(1 for _, data in net.wire if data.startswith(b"REGISTER")) == 1
