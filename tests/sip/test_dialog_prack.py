"""100rel / PRACK (RFC 3262): reliable provisional retransmission in virtual time, RSeq ordering."""

from __future__ import annotations

import pytest

from okc.sip import parse_message
from okc.sip.dialog import Dialog, DialogError, DialogState
from okc.sip.headers import NameAddr, Via
from okc.sip.message import Request, Response, response_to
from okc.sip.prack import (
    PrackTimedOut,
    ProvisionalTracker,
    RAck,
    ReliableProvisionals,
    prack_request,
    wants_100rel,
)
from okc.sip.uri import Params

VIA = Via("UDP", "127.0.0.1", 5070, Params((("branch", "z9hG4bKp"),)))
INVITE = (
    b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
    b"From: <sip:alice@a>;tag=a1\r\nTo: <sip:bob@b>\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\n"
    b"Require: 100rel\r\nContact: <sip:alice@127.0.0.1>\r\nContent-Length: 0\r\n\r\n"
)


def _invite() -> Request:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    return msg


def _ringing(status: int = 180) -> Response:
    return response_to(_invite(), status, "Ringing", to_tag="b1", extra=(("Contact", "<sip:bob@127.0.0.1>"),))


def _wire(message: Request | Response) -> Request | Response:
    return parse_message(bytes(message))


def test_wants_100rel() -> None:
    assert wants_100rel(_invite())


def test_rack_parse() -> None:
    assert RAck.parse("776656 1 INVITE") == RAck(776656, 1, "INVITE")
    with pytest.raises(DialogError):
        RAck.parse("1 INVITE")
    with pytest.raises(DialogError):
        RAck(0, 1, "INVITE")


def test_full_exchange_stops_retransmission() -> None:
    uas = ReliableProvisionals(1000)
    (sent,) = uas.send(_ringing(), 0.0)
    assert sent.headers.get("RSeq") == "1000"
    assert "100rel" in sent.require
    assert uas.get_timer() == 0.5
    assert uas.handle_timer(0.5) == [sent]
    assert uas.get_timer() == 1.5
    wire = _wire(sent)
    assert isinstance(wire, Response)
    tracker = ProvisionalTracker()
    rack = tracker.receive(wire)
    assert rack == RAck(1000, 5, "INVITE")
    assert tracker.receive(wire) is None  # the retransmission is dropped
    early = Dialog.from_response(_invite(), wire)
    assert early.state is DialogState.EARLY
    prack = _wire(prack_request(early, VIA, rack))
    assert isinstance(prack, Request)
    assert prack.cseq.seq == 6
    matched, due = uas.receive_prack(prack, 1.0)
    assert matched
    assert due == []
    assert uas.get_timer() is None


def test_timeout_after_64_t1() -> None:
    uas = ReliableProvisionals(1)
    uas.send(_ringing(), 0.0)
    sends = 0
    while (when := uas.get_timer()) is not None:
        events = uas.handle_timer(when)
        if events and isinstance(events[0], PrackTimedOut):
            assert when == 32.0
            break
        sends += 1
    assert sends == 6  # 0.5, 1.5, 3.5, 7.5, 15.5, 31.5


def test_second_provisional_waits_for_first_prack() -> None:
    uas = ReliableProvisionals(7)
    (first,) = uas.send(_ringing(180), 0.0)
    assert uas.send(_ringing(183), 0.1) == []
    prack = Request.build(
        "PRACK",
        "sip:bob@127.0.0.1",
        via=VIA,
        from_=NameAddr.parse("<sip:alice@a>;tag=a1"),
        to=NameAddr.parse("<sip:bob@b>;tag=b1"),
        call_id="c",
        cseq=6,
        extra=(("RAck", "7 5 INVITE"),),
    )
    wrong = prack.replace(headers=prack.headers.with_replaced("RAck", "8 5 INVITE"))
    assert uas.receive_prack(wrong, 0.2) == (False, [])
    matched, due = uas.receive_prack(prack, 0.3)
    assert matched
    assert [r.headers.get("RSeq") for r in due] == ["8"]
    assert first.status == 180


def test_out_of_order_rseq_dropped() -> None:
    uas = ReliableProvisionals(10)
    (a,) = uas.send(_ringing(), 0.0)
    skipped = a.replace(headers=a.headers.with_replaced("RSeq", "12"))
    tracker = ProvisionalTracker()
    assert tracker.receive(a) is not None
    assert tracker.receive(skipped) is None


def test_only_1xx_are_reliable_and_final_stops() -> None:
    uas = ReliableProvisionals(1)
    ok = response_to(_invite(), 200, "OK", to_tag="b1")
    with pytest.raises(DialogError):
        uas.send(ok, 0.0)
    uas.send(_ringing(), 0.0)
    uas.final_sent()
    assert uas.get_timer() is None
    with pytest.raises(DialogError):
        ProvisionalTracker().receive(ok)
