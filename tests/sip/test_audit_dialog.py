"""Audit: every move of the dialog state table (RFC 3261 §12/§15) driven through the public API, once each."""

from __future__ import annotations

import pytest

from okc.sip.dialog import (
    ByeReceived,
    Dialog,
    DialogConfirmed,
    DialogError,
    DialogState,
    DialogTerminated,
)
from okc.sip.errors import SipStateError
from okc.sip.message import response_to
from tests.sip.test_dialog import VIA, _answer, _from_peer, _invite, _uac, _uas


def test_early_provisional_stays_early_without_events() -> None:
    d = _uac(180)
    assert d.receive_response(_invite(), _answer(183, "Session Progress")) == []
    assert d.state is DialogState.EARLY


def test_early_success_confirms_once() -> None:
    d = _uac(180)
    assert DialogConfirmed(d.id) in d.receive_response(_invite(), _answer(200, "OK"))
    assert d.state is DialogState.CONFIRMED


def test_early_failure_terminates() -> None:
    d = _uac(183)
    (event,) = d.receive_response(_invite(), _answer(480, "Unavailable"))
    assert isinstance(event, DialogTerminated)
    assert d.state is DialogState.TERMINATED


def test_early_bye_from_the_caller_terminates_the_callee_side() -> None:
    """§15: the caller may send BYE on an early dialog; the callee's early dialog ends."""
    d = _uas(confirmed=False)
    events = d.receive_request(_from_peer(d, "BYE", 11))
    assert any(isinstance(e, ByeReceived) for e in events)
    assert d.state is DialogState.TERMINATED


def test_confirmed_success_again_is_a_retransmission_not_a_second_confirmation() -> None:
    d = _uac(200)
    events = d.receive_response(_invite(), _answer(200, "OK"))
    assert DialogConfirmed(d.id) not in events
    assert d.state is DialogState.CONFIRMED


def test_confirmed_bye_sent_terminates_and_nothing_follows() -> None:
    d = _uac(200)
    bye, events = d.bye(VIA)
    assert bye.method == "BYE"
    assert bye.cseq.seq == 11
    assert events == [DialogTerminated(d.id, "BYE sent")]
    assert d.state is DialogState.TERMINATED
    with pytest.raises(SipStateError):
        d.bye(VIA)


def test_terminated_dialog_refuses_new_requests_both_ways() -> None:
    uas = _uas()
    uas.receive_request(_from_peer(uas, "BYE", 11))
    assert uas.state is DialogState.TERMINATED
    with pytest.raises(SipStateError):
        uas.create_request("OPTIONS", VIA)


def test_dialog_from_a_failure_or_a_tagless_response_is_refused() -> None:
    with pytest.raises(DialogError, match="101-299"):
        Dialog.from_response(_invite(), _answer(486, "Busy Here"))
    with pytest.raises(DialogError, match="tags"):
        Dialog.from_response(_invite(), response_to(_invite(), 180, "Ringing"))
