"""Transfer: REFER with Refer-To/Replaces and NOTIFY with message/sipfrag, across two okc dialogs."""

from __future__ import annotations

import pytest

from okc.sip import parse_message
from okc.sip.dialog import Dialog, DialogError, RequestReceivedInDialog
from okc.sip.headers import NameAddr, Via
from okc.sip.message import Request, response_to
from okc.sip.refer import ReferTo, Replaces, parse_sipfrag, refer_request, sipfrag_notify
from okc.sip.uri import Params, SipUri

VIA = Via("UDP", "127.0.0.1", 5070, Params((("branch", "z9hG4bKr"),)))
INVITE = (
    b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
    b"From: <sip:alice@a>;tag=a1\r\nTo: <sip:bob@b>\r\nCall-ID: call-x@host\r\nCSeq: 1 INVITE\r\n"
    b"Contact: <sip:alice@127.0.0.1>\r\nContent-Length: 0\r\n\r\n"
)


def _pair() -> tuple[Dialog, Dialog]:
    invite = parse_message(INVITE)
    assert isinstance(invite, Request)
    uas = Dialog.from_request(invite, "b1", NameAddr(SipUri("127.0.0.1", "bob")), confirmed=True)
    ok = response_to(invite, 200, "OK", to_tag="b1", extra=(("Contact", "<sip:bob@127.0.0.1>"),))
    return Dialog.from_response(invite, ok), uas


def _wire(request: Request) -> Request:
    msg = parse_message(bytes(request))
    assert isinstance(msg, Request)
    return msg


def test_replaces_round_trip_and_match() -> None:
    uac, uas = _pair()
    rep = Replaces.of(uac)
    assert rep == Replaces("call-x@host", "b1", "a1")
    assert rep.matches(uas)
    assert not rep.matches(uac)
    assert Replaces.parse(str(rep)) == rep
    assert Replaces.parse("c;from-tag=1;to-tag=2;early-only").early_only


@pytest.mark.parametrize("text", ["c;to-tag=1", ";to-tag=1;from-tag=2", "c;from-tag=2"])
def test_bad_replaces(text: str) -> None:
    with pytest.raises(DialogError):
        Replaces.parse(text)


def test_blind_transfer_refer_and_notifies() -> None:
    uac, uas = _pair()
    refer = _wire(
        refer_request(uac, VIA, ReferTo(SipUri("10.0.0.5", "carol")), NameAddr(SipUri("a", "alice")))
    )
    (event,) = uas.receive_request(refer)
    assert isinstance(event, RequestReceivedInDialog)
    target = ReferTo.of(event.request)
    assert target == ReferTo(SipUri("10.0.0.5", "carol"))
    trying = _wire(sipfrag_notify(uas, VIA, refer.cseq.seq, 100, "Trying"))
    assert trying.headers.get("Event") == f"refer;id={refer.cseq.seq}"
    assert trying.headers.get("Subscription-State") == "active;expires=60"
    (notify_event,) = uac.receive_request(trying)
    assert isinstance(notify_event, RequestReceivedInDialog)
    assert parse_sipfrag(trying.body) == 100
    done = _wire(sipfrag_notify(uas, VIA, refer.cseq.seq, 200, "OK"))
    assert done.headers.get("Subscription-State") == "terminated;reason=noresource"
    assert parse_sipfrag(done.body) == 200


def test_attended_transfer_carries_escaped_replaces() -> None:
    uac, _uas = _pair()
    consult = Replaces("other@host", "t1", "f1", early_only=True)
    refer = _wire(refer_request(uac, VIA, ReferTo(SipUri("10.0.0.5", "carol"), consult)))
    raw = refer.headers.get("Refer-To")
    assert raw is not None
    assert "%3B" in raw
    assert "%40" in raw
    parsed = ReferTo.of(refer)
    assert parsed.replaces == consult
    assert parsed.target == SipUri("10.0.0.5", "carol")


def test_refer_needs_one_sip_refer_to() -> None:
    uac, _ = _pair()
    req = uac.create_request("REFER", VIA)
    with pytest.raises(DialogError):
        ReferTo.of(req)
    tel = req.replace(headers=req.headers.with_added("Refer-To", "<tel:+15551234>"))
    with pytest.raises(DialogError):
        ReferTo.of(tel)


@pytest.mark.parametrize("body", [b"", b"HTTP/1.1 200 OK\r\n", b"SIP/2.0 99 Odd\r\n", b"SIP/2.0 abc\r\n"])
def test_bad_sipfrag(body: bytes) -> None:
    with pytest.raises(DialogError):
        parse_sipfrag(body)


def test_sipfrag_status_checked() -> None:
    uac, _ = _pair()
    with pytest.raises(DialogError):
        sipfrag_notify(uac, VIA, 1, 42, "x")
