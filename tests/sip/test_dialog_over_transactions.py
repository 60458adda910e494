"""A whole call between two okc endpoints over the transaction layer (bytes piped, virtual clock):
INVITE challenged with digest, retried, answered with SDP, ACKed, put on hold by re-INVITE, DTMF by INFO,
then BYE."""

from __future__ import annotations

import random

from okc.sip.auth import AuthAccepted, AuthChallenged, DigestAlgorithm, DigestClient, DigestServer
from okc.sip.dialog import ByeReceived, Dialog, DialogState, DtmfReceived, ReInviteReceived
from okc.sip.headers import NameAddr, Via
from okc.sip.layer import Address, RequestReceived, ResponseReceived, TransactionLayer, TxEvent
from okc.sip.message import Request, Response, response_to
from okc.sip.sdp import Direction, LocalMedia, SessionDescription, answer, make_offer
from okc.sip.uri import Params, SipUri

A: Address = ("127.0.0.1", 5070)
B: Address = ("127.0.0.1", 5080)
REALM = "okc.test"


class Net:
    """Two transaction layers joined by a lossless pipe on one virtual clock."""

    def __init__(self) -> None:
        self.a = TransactionLayer()
        self.b = TransactionLayer()
        self.now = 0.0
        self.rng = random.Random(9)

    def via(self) -> Via:
        return Via("UDP", A[0], A[1], Params((("branch", "z9hG4bK" + self.rng.randbytes(6).hex()),)))

    def via_b(self) -> Via:
        return Via("UDP", B[0], B[1], Params((("branch", "z9hG4bK" + self.rng.randbytes(6).hex()),)))

    def pump(self) -> tuple[list[TxEvent], list[TxEvent]]:
        """Move datagrams both ways until quiet; the events each side got."""
        got_a: list[TxEvent] = []
        got_b: list[TxEvent] = []
        while True:
            moved = False
            for d in self.a.datagrams():
                self.b.receive(d.data, A, self.now)
                moved = True
            for d in self.b.datagrams():
                self.a.receive(d.data, B, self.now)
                moved = True
            got_a += self.a.events()
            got_b += self.b.events()
            if not moved:
                return got_a, got_b


def _only_request(events: list[TxEvent]) -> Request:
    requests = [e.request for e in events if isinstance(e, RequestReceived)]
    assert len(requests) == 1
    return requests[0]


def _final(events: list[TxEvent]) -> Response:
    finals = [e.response for e in events if isinstance(e, ResponseReceived) and e.response.status >= 200]
    assert len(finals) == 1
    return finals[0]


def test_call_with_auth_sdp_hold_dtmf_and_bye() -> None:
    net = Net()
    ha1 = DigestAlgorithm.SHA_256.hexdigest(f"alice:{REALM}:pw")
    server = DigestServer(
        REALM, b"s" * 32, lambda u, alg: ha1 if alg is DigestAlgorithm.SHA_256 else None, random.Random(1)
    )
    client = DigestClient("alice", "pw", random.Random(2))
    offer = make_offer(LocalMedia("127.0.0.1", 40000, 1))
    invite = Request.build(
        "INVITE",
        "sip:bob@127.0.0.1:5080",
        via=net.via(),
        from_=NameAddr.parse("<sip:alice@okc.test>;tag=a1"),
        to=NameAddr.parse("<sip:bob@okc.test>"),
        call_id="call-1",
        cseq=1,
        contact=NameAddr(SipUri("127.0.0.1", "alice", port=5070)),
        body=bytes(offer),
        content_type="application/sdp",
    )
    net.a.send_request(invite, B, net.now)
    _, at_b = net.pump()
    received = _only_request(at_b)
    challenged = server.authenticate(received, net.now, to_tag="b-auth")
    assert isinstance(challenged, AuthChallenged)
    net.b.send_response(challenged.response, net.now)
    at_a, _ = net.pump()
    assert _final(at_a).status == 401

    retried = client.retry(invite, _final(at_a))
    net.a.send_request(retried, B, net.now)
    _, at_b = net.pump()
    received = _only_request(at_b)
    assert server.authenticate(received, net.now) == AuthAccepted("alice")
    uas = Dialog.from_request(received, "b1", NameAddr(SipUri("127.0.0.1", "bob", port=5080)))
    sdp_answer = answer(SessionDescription.parse(received.body), LocalMedia("127.0.0.1", 50000, 2))
    ok = response_to(
        received,
        200,
        "OK",
        to_tag="b1",
        extra=(("Contact", str(uas.local_contact)),),
        body=bytes(sdp_answer),
        content_type="application/sdp",
    )
    net.b.send_response(ok, net.now)
    uas.confirm()
    at_a, _ = net.pump()
    final = _final(at_a)
    uac = Dialog.from_response(retried, final)
    assert uac.state is DialogState.CONFIRMED
    assert SessionDescription.parse(final.body).media[0].port == 50000
    net.a.send_stateless(uac.create_request("ACK", net.via()), B)
    _, at_b = net.pump()
    assert uas.receive_request(_only_request(at_b)) == []

    hold = uac.reinvite(
        net.via(), make_offer(LocalMedia("127.0.0.1", 40000, 1, 2, direction=Direction.SENDONLY))
    )
    net.a.send_request(hold, B, net.now)
    _, at_b = net.pump()
    (event,) = uas.receive_request(_only_request(at_b))
    assert isinstance(event, ReInviteReceived)
    assert event.hold

    net.b.send_request(uas.info_dtmf(net.via_b(), "5"), A, net.now)
    at_a, _ = net.pump()
    assert uac.receive_request(_only_request(at_a)) == [DtmfReceived("5", 160)]

    bye, _ = uac.bye(net.via())
    net.a.send_request(bye, B, net.now)
    _, at_b = net.pump()
    events = uas.receive_request(_only_request(at_b))
    assert isinstance(events[0], ByeReceived)
    assert uas.state is DialogState.TERMINATED
    assert uac.state in {DialogState.TERMINATED}  # a set: mypy narrowed state to CONFIRMED above
