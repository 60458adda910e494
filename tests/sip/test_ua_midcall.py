"""UserAgentCore during a call: hold/unhold, overlapping re-INVITE (500), glare (491), DTMF, REFER, PRACK,
session timers and digest auth, in virtual time."""

from __future__ import annotations

import random

from okc.sip.auth import AuthChallenged, AuthFailed, DigestAlgorithm, DigestClient, DigestServer
from okc.sip.layer import Address
from okc.sip.message import Request, Response, parse_message
from okc.sip.refer import ReferTo
from okc.sip.ua import CallState, UserAgentCore
from okc.sip.ua_events import (
    CallAnswered,
    CallEnded,
    CallHeld,
    CallResumed,
    CallUpdateFailed,
    DtmfReceived,
    EndReason,
    IncomingCall,
    MediaUpdated,
    TransferRequested,
    TransferStatus,
)
from tests.sip.ua_net import A, B, Net, sdp


def _incoming(net: Net) -> IncomingCall:
    return [e for e in net.got_b if isinstance(e, IncomingCall)][-1]


def _connect(net: Net, *, extra: tuple[tuple[str, str], ...] = ()) -> tuple[object, IncomingCall]:
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp(), extra=extra)
    net.pump()
    incoming = _incoming(net)
    net.b.answer(incoming.call, sdp(41000), net.now)
    net.pump()
    return ref, incoming


def _responses(net: Net, who: Address, method: str) -> list[Response]:
    out = []
    for src, data in net.wire:
        message = parse_message(data)
        if src == who and isinstance(message, Response) and message.cseq.method == method:
            out.append(message)
    return out


def test_hold_and_unhold_by_reinvite() -> None:
    net = Net()
    _, incoming = _connect(net)
    (ref,) = net.a.calls()
    net.a.hold(ref, net.now)
    net.pump()
    assert CallHeld(incoming.call, True) in net.got_b
    assert CallHeld(ref, False) in net.got_a
    offer = [e for e in net.got_b if isinstance(e, MediaUpdated)][-1].sdp
    assert b"a=sendonly" in bytes(offer)
    answer = _responses(net, B, "INVITE")[-1]
    assert b"a=recvonly" in answer.body
    assert b"o=okc 41000 2 " in answer.body
    net.a.unhold(ref, net.now)
    net.pump()
    assert CallResumed(incoming.call, True) in net.got_b
    assert CallResumed(ref, False) in net.got_a
    assert b"a=sendrecv" in _responses(net, B, "INVITE")[-1].body
    assert len(net.sent_by(A, "ACK")) == 3


def test_reinvite_before_our_2xx_is_acked_gets_500_with_retry_after() -> None:
    net = Net()
    acks = {"lost": True}
    net.drop = lambda data, src, dst: data.startswith(b"ACK") and acks["lost"]
    _, incoming = _connect(net)
    (ref,) = net.a.calls()
    net.a.hold(ref, net.now)
    net.pump()
    refusal = _responses(net, B, "INVITE")[-1]
    assert refusal.status == 500
    assert 0 <= int(refusal.headers.get("Retry-After") or "-1") <= 10
    assert CallUpdateFailed(ref, 500) in net.got_a
    assert net.b.call_state(incoming.call) is CallState.ACCEPTED


def test_glare_gets_491_and_both_retry_after_random_delays() -> None:
    net = Net()
    _, incoming = _connect(net)
    (ref,) = net.a.calls()
    net.a.hold(ref, net.now)
    net.b.hold(incoming.call, net.now)
    net.pump()
    assert [r.status for r in _responses(net, A, "INVITE")].count(491) == 1
    assert [r.status for r in _responses(net, B, "INVITE")].count(491) == 1
    net.run_until(5.0)
    assert CallHeld(ref, False) in net.got_a
    assert CallHeld(incoming.call, False) in net.got_b
    assert net.a.call_state(ref) is CallState.ESTABLISHED


def test_dtmf_by_info() -> None:
    net = Net()
    _, incoming = _connect(net)
    (ref,) = net.a.calls()
    for digit in "5#":
        net.a.send_dtmf(ref, digit, net.now)
    net.pump()
    assert [e for e in net.got_b if isinstance(e, DtmfReceived)] == [
        DtmfReceived(incoming.call, "5", 160),
        DtmfReceived(incoming.call, "#", 160),
    ]


def test_refer_is_accepted_202_and_progress_notified() -> None:
    net = Net()
    _, incoming = _connect(net)
    (ref,) = net.a.calls()
    net.a.transfer(ref, "sip:carol@127.0.0.1:5090", net.now)
    net.pump()
    requested = [e for e in net.got_b if isinstance(e, TransferRequested)]
    assert requested
    assert requested[0].refer_to == ReferTo.of(requested[0].request)
    assert str(requested[0].refer_to.target) == "sip:carol@127.0.0.1:5090"
    assert TransferStatus(ref, 202, False) in net.got_a
    net.b.notify_transfer(incoming.call, 100, net.now)
    net.b.notify_transfer(incoming.call, 200, net.now)
    net.pump()
    assert [e for e in net.got_a if isinstance(e, TransferStatus)][-2:] == [
        TransferStatus(ref, 100, False),
        TransferStatus(ref, 200, True),
    ]


def test_reliable_provisional_is_pracked_and_stops_retransmitting() -> None:
    net = Net()
    net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp(), extra=(("Require", "100rel"),))
    net.pump()
    incoming = _incoming(net)
    net.b.ring(incoming.call, net.now)
    net.pump()
    assert len(net.sent_by(A, "PRACK")) == 1
    assert [r.status for r in _responses(net, B, "PRACK")] == [200]
    net.run_until(3.0)
    ringing = [r for r in _responses(net, B, "INVITE") if r.status == 180]
    assert len(ringing) == 1
    assert ringing[0].headers.get("RSeq") is not None
    net.b.answer(incoming.call, sdp(41000), net.now)
    net.pump()
    assert [e for e in net.got_a if isinstance(e, CallAnswered)]


def test_unpracked_reliable_provisional_gives_up_with_504() -> None:
    net = Net()
    net.drop = lambda data, src, dst: data.startswith(b"PRACK")
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp(), extra=(("Require", "100rel"),))
    net.pump()
    incoming = _incoming(net)
    net.b.ring(incoming.call, net.now)
    net.run_until(40.0)
    assert CallEnded(incoming.call, EndReason.REJECTED, 504) in net.got_b
    assert net.a.call_state(ref) is CallState.ENDED


def test_session_timer_refreshes_keep_the_call_and_missing_ones_end_it() -> None:
    a = UserAgentCore(A, rng=random.Random(5), session_expires=90)
    net = Net(a=a)
    _, incoming = _connect(net)
    (ref,) = net.a.calls()
    ok = _responses(net, B, "INVITE")[-1]
    assert ok.headers.get("Session-Expires") == "90;refresher=uac"
    assert "timer" in ok.require
    net.run_until(200.0)
    assert net.a.call_state(ref) is CallState.ESTABLISHED
    assert len(net.sent_by(A, "INVITE")) >= 4  # the first and a refresh every 45 s
    net.drop = lambda data, src, dst: src == A and data.startswith(b"INVITE")
    net.run_until(400.0)
    assert CallEnded(incoming.call, EndReason.SESSION_EXPIRED) in net.got_b
    assert [e for e in net.got_a if isinstance(e, CallEnded)]  # A's own timer ends it too
    assert not [e for e in net.got_a if isinstance(e, CallResumed | CallHeld)]  # refreshes change nothing


def test_too_small_session_interval_is_refused_422() -> None:
    a = UserAgentCore(A, rng=random.Random(5), session_expires=30)
    net = Net(a=a)
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    refusal = _responses(net, B, "INVITE")[-1]
    assert refusal.status == 422
    assert refusal.headers.get("Min-SE") == "90"
    assert net.a.call_state(ref) is CallState.ENDED


def test_digest_challenge_is_answered_once() -> None:
    def ha1(user: str, algorithm: DigestAlgorithm) -> str:
        return algorithm.hexdigest(f"{user}:okc.test:secret")

    server = DigestServer("okc.test", b"k" * 32, ha1, random.Random(7))

    def gate(request: Request, source: Address, now: float) -> Response | None:
        outcome = server.authenticate(request, now, to_tag="gate")
        return outcome.response if isinstance(outcome, AuthChallenged | AuthFailed) else None

    a = UserAgentCore(A, rng=random.Random(5), credentials=DigestClient("alice", "secret", random.Random(8)))
    b = UserAgentCore(B, rng=random.Random(6), request_filter=gate)
    net = Net(a=a, b=b)
    ref, incoming = _connect(net)
    assert [r.status for r in _responses(net, B, "INVITE")] == [401, 200]
    assert net.a.call_state(ref) is CallState.ESTABLISHED  # type: ignore[arg-type]
    ack = [parse_message(d) for d in net.sent_by(A, "ACK")][-1]
    assert isinstance(ack, Request)
    assert ack.headers.get("Authorization") is not None
    wrong = UserAgentCore(A, rng=random.Random(5), credentials=DigestClient("alice", "bad", random.Random(8)))
    net = Net(a=wrong, b=UserAgentCore(B, rng=random.Random(6), request_filter=gate))
    ref = net.a.invite("sip:bob@127.0.0.1:5080", B, net.now, sdp=sdp())
    net.pump()
    assert [r.status for r in _responses(net, B, "INVITE")] == [401, 401]
    assert net.a.call_state(ref) is CallState.ENDED
    assert incoming.call not in net.b.calls()
