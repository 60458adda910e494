"""Dialogs: creation on both sides, route sets, target refresh, CSeq rules, state transitions, DTMF INFO."""

from __future__ import annotations

import pytest

from okc.sip import parse_message
from okc.sip.dialog import (
    ByeReceived,
    Dialog,
    DialogConfirmed,
    DialogError,
    DialogState,
    DialogTerminated,
    DtmfReceived,
    OptionsReceived,
    ReInviteReceived,
    RequestReceivedInDialog,
    TargetRefreshed,
    UpdateReceived,
    parse_dtmf_relay,
)
from okc.sip.errors import SipStateError
from okc.sip.headers import NameAddr, Via
from okc.sip.message import Request, Response, response_to
from okc.sip.sdp import Direction, LocalMedia, make_offer
from okc.sip.uri import Params, SipUri

VIA = Via("UDP", "127.0.0.1", 5070, Params((("branch", "z9hG4bKnext"),)))
INVITE = (
    b"INVITE sip:bob@127.0.0.1:5080 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:alice@okc.test>;tag=a1\r\n"
    b"To: <sip:bob@okc.test>\r\n"
    b"Call-ID: call-1\r\n"
    b"CSeq: 10 INVITE\r\n"
    b"Contact: <sip:alice@127.0.0.1:5070>\r\n"
    b"Record-Route: <sip:p2.test;lr>\r\n"
    b"Record-Route: <sip:p1.test;lr>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _invite() -> Request:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    return msg


def _answer(status: int, reason: str, contact: str = "<sip:bob@127.0.0.1:5080>") -> Response:
    req = _invite()
    return response_to(
        req,
        status,
        reason,
        to_tag="b1",
        extra=(("Contact", contact), *(("Record-Route", v) for v in req.headers.get_all("Record-Route"))),
    )


def _uac(status: int = 200) -> Dialog:
    return Dialog.from_response(_invite(), _answer(status, "OK" if status == 200 else "Ringing"))


def _uas(*, confirmed: bool = True) -> Dialog:
    return Dialog.from_request(
        _invite(), "b1", NameAddr(SipUri("127.0.0.1", "bob", port=5080)), confirmed=confirmed
    )


def _from_peer(dialog: Dialog, method: str, seq: int, **kw: object) -> Request:
    """A request the UAC-side peer would send to this UAS dialog."""
    body = kw.get("body", b"")
    ctype = kw.get("content_type")
    assert isinstance(body, bytes)
    assert ctype is None or isinstance(ctype, str)
    contact = kw.get("contact", "<sip:alice@127.0.0.1:5070>")
    assert isinstance(contact, str)
    return Request.build(
        method,
        "sip:bob@127.0.0.1:5080",
        via=VIA,
        from_=dialog.remote_uri,
        to=dialog.local_uri,
        call_id=dialog.id.call_id,
        cseq=seq,
        contact=NameAddr.parse(contact),
        body=body,
        content_type=ctype,
    )


def test_uac_dialog_from_2xx_reverses_record_route() -> None:
    d = _uac()
    assert d.state is DialogState.CONFIRMED
    assert (d.id.call_id, d.id.local_tag, d.id.remote_tag) == ("call-1", "a1", "b1")
    assert [str(r.uri) for r in d.route_set] == ["sip:p1.test;lr", "sip:p2.test;lr"]
    assert str(d.remote_target) == "sip:bob@127.0.0.1:5080"
    assert d.local_seq == 10


def test_uas_dialog_keeps_record_route_order() -> None:
    d = _uas()
    assert [str(r.uri) for r in d.route_set] == ["sip:p2.test;lr", "sip:p1.test;lr"]
    assert d.remote_seq == 10
    assert d.local_uri.tag == "b1"


def test_loose_route_request() -> None:
    d = _uac()
    bye, events = d.bye(VIA)
    assert bye.method == "BYE"
    assert str(bye.uri) == "sip:bob@127.0.0.1:5080"
    assert [str(r.uri) for r in bye.routes] == ["sip:p1.test;lr", "sip:p2.test;lr"]
    assert bye.cseq.seq == 11
    assert bye.to.tag == "b1"
    assert bye.from_.tag == "a1"
    assert d.state is DialogState.TERMINATED
    assert events == [DialogTerminated(d.id, "BYE sent")]


def test_strict_route_request() -> None:
    req = _invite()
    resp = response_to(
        req,
        200,
        "OK",
        to_tag="b1",
        extra=(("Contact", "<sip:bob@10.0.0.2>"), ("Record-Route", "<sip:strict.test>")),
    )
    d = Dialog.from_response(req, resp)
    bye, _ = d.bye(VIA)
    assert str(bye.uri) == "sip:strict.test"
    assert [str(r.uri) for r in bye.routes] == ["sip:bob@10.0.0.2"]


def test_ack_reuses_cseq() -> None:
    d = _uac()
    ack = d.create_request("ACK", VIA)
    assert ack.cseq.seq == 10
    assert d.create_request("OPTIONS", VIA).cseq.seq == 11


def test_early_then_confirmed_then_terminated_uac() -> None:
    d = _uac(180)
    assert d.state is DialogState.EARLY
    assert d.receive_response(_invite(), _answer(183, "Session Progress")) == []
    events = d.receive_response(_invite(), _answer(200, "OK", "<sip:bob@10.0.0.9>"))
    assert DialogConfirmed(d.id) in events
    assert TargetRefreshed(SipUri("10.0.0.9", "bob")) in events
    assert d.state in {DialogState.CONFIRMED}  # a set: mypy narrowed state to EARLY above


def test_early_dialog_ends_on_failure() -> None:
    d = _uac(180)
    events = d.receive_response(_invite(), _answer(486, "Busy Here"))
    assert d.state is DialogState.TERMINATED
    assert isinstance(events[0], DialogTerminated)


def test_481_to_in_dialog_request_terminates() -> None:
    d = _uac()
    opts = d.create_request("OPTIONS", VIA)
    events = d.receive_response(opts, response_to(opts, 481, "Call/Transaction Does Not Exist"))
    assert d.state is DialogState.TERMINATED
    assert isinstance(events[0], DialogTerminated)


def test_uas_confirm_and_illegal_transitions() -> None:
    d = _uas(confirmed=False)
    assert d.state is DialogState.EARLY
    assert d.confirm() == [DialogConfirmed(d.id)]
    d.bye(VIA)
    with pytest.raises(SipStateError):
        d.confirm()
    with pytest.raises(SipStateError):
        d.create_request("INFO", VIA)


def test_reinvite_needs_confirmed_dialog() -> None:
    d = _uas(confirmed=False)
    with pytest.raises(SipStateError):
        d.reinvite(VIA, make_offer(LocalMedia("127.0.0.1", 4000, 1)))


def test_remote_cseq_must_increase() -> None:
    d = _uas()
    d.receive_request(_from_peer(d, "OPTIONS", 11))
    with pytest.raises(DialogError) as info:
        d.receive_request(_from_peer(d, "OPTIONS", 11))
    assert info.value.status == 500
    ack = _from_peer(d, "ACK", 10)
    assert d.receive_request(ack) == []


def test_requests_map_to_events() -> None:
    d = _uas()
    assert isinstance(d.receive_request(_from_peer(d, "OPTIONS", 11))[0], OptionsReceived)
    assert isinstance(d.receive_request(_from_peer(d, "UPDATE", 12))[0], UpdateReceived)
    assert isinstance(d.receive_request(_from_peer(d, "MESSAGE", 13))[0], RequestReceivedInDialog)
    events = d.receive_request(_from_peer(d, "UPDATE", 14, contact="<sip:alice@10.0.0.1>"))
    assert events[0] == TargetRefreshed(SipUri("10.0.0.1", "alice"))
    assert str(d.remote_target) == "sip:alice@10.0.0.1"
    bye_events = d.receive_request(_from_peer(d, "BYE", 15))
    assert isinstance(bye_events[0], ByeReceived)
    assert d.state is DialogState.TERMINATED
    with pytest.raises(DialogError) as info:
        d.receive_request(_from_peer(d, "BYE", 16))
    assert info.value.status == 481


@pytest.mark.parametrize(
    ("direction", "hold"),
    [(Direction.SENDONLY, True), (Direction.INACTIVE, True), (Direction.SENDRECV, False)],
)
def test_reinvite_hold_and_unhold(direction: Direction, hold: bool) -> None:
    uac = _uac()
    uas = _uas()
    reinvite = uac.reinvite(VIA, make_offer(LocalMedia("127.0.0.1", 4000, 1, direction=direction)))
    assert reinvite.cseq.seq == 11
    assert reinvite.contacts
    (event,) = uas.receive_request(reinvite)
    assert isinstance(event, ReInviteReceived)
    assert event.hold is hold


def test_dtmf_info_round_trip() -> None:
    uac = _uac()
    uas = _uas()
    info = uac.info_dtmf(VIA, "#", 200)
    assert uas.receive_request(info) == [DtmfReceived("#", 200)]
    with pytest.raises(DialogError):
        uac.info_dtmf(VIA, "x")


@pytest.mark.parametrize("body", [b"Signal=x\r\n", b"Duration=10\r\n", b"Signal=1\r\nDuration=ten\r\n"])
def test_bad_dtmf_relay(body: bytes) -> None:
    with pytest.raises(DialogError):
        parse_dtmf_relay(body)


def test_dialog_creation_needs_tags_and_contact() -> None:
    req = _invite()
    with pytest.raises(DialogError):
        Dialog.from_response(req, response_to(req, 180, "Ringing"))
    with pytest.raises(DialogError):
        Dialog.from_response(req, response_to(req, 200, "OK", to_tag="b1"))
    no_contact = req.replace(headers=req.headers.without("Contact"))
    with pytest.raises(DialogError):
        Dialog.from_request(no_contact, "b1", NameAddr(SipUri("h")))


def test_reinvite_glare_is_491_and_clears_on_final() -> None:
    uac = _uac()
    uas = _uas()
    offer = make_offer(LocalMedia("127.0.0.1", 4000, 1))
    ours = uac.reinvite(VIA, offer)
    with pytest.raises(SipStateError):
        uac.reinvite(VIA, offer)
    theirs = uas.reinvite(VIA, offer)
    with pytest.raises(DialogError) as info:
        uac.receive_request(theirs)
    assert info.value.status == 491
    uac.receive_response(ours, response_to(ours, 491, "Request Pending"))
    assert not uac.invite_pending
    uas.receive_response(theirs, response_to(theirs, 491, "Request Pending"))
    later = uas.reinvite(VIA, offer)
    assert isinstance(uac.receive_request(later)[0], ReInviteReceived)
