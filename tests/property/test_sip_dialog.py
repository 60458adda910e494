"""Hypothesis state machine: random in-dialog request orders and session-timer firings between two dialogs."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from okc.sip import parse_message
from okc.sip.dialog import Dialog, DialogError, DialogState
from okc.sip.errors import SipStateError
from okc.sip.headers import NameAddr, Via
from okc.sip.message import Request, response_to
from okc.sip.session_timer import RefreshDue, Refresher, SessionExpired, SessionExpires, SessionTimer
from okc.sip.uri import Params, SipUri

VIA = Via("UDP", "127.0.0.1", 5070, Params((("branch", "z9hG4bKx"),)))
INVITE = (
    b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
    b"From: <sip:alice@a>;tag=a1\r\nTo: <sip:bob@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
    b"Contact: <sip:alice@127.0.0.1>\r\nContent-Length: 0\r\n\r\n"
)


class DialogPair(RuleBasedStateMachine):
    """Requests flow both ways through the wire format; each side checks the other's CSeq."""

    def __init__(self) -> None:
        super().__init__()
        invite = parse_message(INVITE)
        assert isinstance(invite, Request)
        self.uas = Dialog.from_request(invite, "b1", NameAddr(SipUri("127.0.0.1", "bob")), confirmed=False)
        ringing = response_to(
            invite, 180, "Ringing", to_tag="b1", extra=(("Contact", "<sip:bob@127.0.0.1>"),)
        )
        self.uac = Dialog.from_response(invite, ringing)
        self.invite = invite
        self.replay: Request | None = None
        self.now = 0.0
        self.timers: list[tuple[Dialog, SessionTimer]] = []
        self.refresh_lost = False
        self.expired_by_timer = False

    def _deliver(self, sender: Dialog, receiver: Dialog, method: str) -> None:
        request = sender.create_request(method, VIA)
        wire = parse_message(bytes(request))
        assert isinstance(wire, Request)
        receiver.receive_request(wire)
        self.replay = wire

    @precondition(lambda self: self.uas.state is DialogState.EARLY)
    @rule()
    def answer(self) -> None:
        self.uas.confirm()
        ok = response_to(self.invite, 200, "OK", to_tag="b1", extra=(("Contact", "<sip:bob@127.0.0.1>"),))
        self.uac.receive_response(self.invite, ok)
        expires = SessionExpires(90, Refresher.UAC)
        self.timers = [
            (self.uac, SessionTimer(expires, we_refresh=True, now=self.now)),
            (self.uas, SessionTimer(expires, we_refresh=False, now=self.now)),
        ]

    @rule(dt=st.floats(0.0, 120.0), deliver=st.booleans())
    def advance_clock(self, dt: float, deliver: bool) -> None:
        """Fire every due timer at its own deadline, in order; refreshes may be lost."""
        end = self.now + dt
        while True:
            due = [(t.get_timer(), d, t) for d, t in self.timers if t.get_timer() is not None]
            due = [x for x in due if x[0] is not None and x[0] <= end]
            if not due:
                break
            when, dialog, timer = min(due, key=lambda x: x[0] or 0.0)
            assert when is not None
            self.now = when
            for event in timer.handle_timer(when):
                if isinstance(event, RefreshDue) and dialog.state is DialogState.CONFIRMED:
                    if deliver:
                        self._deliver(self.uac, self.uas, "UPDATE")
                        for _, t in self.timers:
                            t.refreshed(when)
                    else:
                        self.refresh_lost = True
                elif isinstance(event, SessionExpired) and dialog.state is DialogState.CONFIRMED:
                    self.expired_by_timer = True
                    other = self.uas if dialog is self.uac else self.uac
                    self._hang_up(dialog, other)
        self.now = end

    def _hang_up(self, sender: Dialog, receiver: Dialog) -> None:
        bye, _ = sender.bye(VIA)
        wire = parse_message(bytes(bye))
        assert isinstance(wire, Request)
        receiver.receive_request(wire)
        for _, timer in self.timers:
            timer.stop()

    @precondition(
        lambda self: self.uac.state is DialogState.CONFIRMED and self.uas.state is DialogState.CONFIRMED
    )
    @rule(method=st.sampled_from(["OPTIONS", "INFO", "UPDATE", "INVITE", "MESSAGE"]), forward=st.booleans())
    def in_dialog(self, method: str, forward: bool) -> None:
        if forward:
            self._deliver(self.uac, self.uas, method)
        else:
            self._deliver(self.uas, self.uac, method)

    @precondition(lambda self: self.replay is not None and self.uas.state is not DialogState.TERMINATED)
    @rule()
    def replayed_request_is_refused(self) -> None:
        assert self.replay is not None
        receiver = self.uas if self.replay.from_.tag == "a1" else self.uac
        if receiver.state is DialogState.TERMINATED:
            return
        with pytest.raises(DialogError) as info:
            receiver.receive_request(self.replay)
        assert info.value.status == 500

    @precondition(lambda self: self.uac.state is DialogState.CONFIRMED)
    @rule(forward=st.booleans())
    def hang_up(self, forward: bool) -> None:
        sender, receiver = (self.uac, self.uas) if forward else (self.uas, self.uac)
        self._hang_up(sender, receiver)

    @precondition(lambda self: self.uac.state is DialogState.TERMINATED)
    @rule()
    def nothing_after_bye(self) -> None:
        try:
            self.uac.create_request("INFO", VIA)
        except SipStateError:
            return
        raise AssertionError("request created on a terminated dialog")

    @invariant()
    def session_only_expires_after_a_lost_refresh(self) -> None:
        if self.expired_by_timer:
            assert self.refresh_lost

    @invariant()
    def both_sides_agree(self) -> None:
        if self.uac.state is DialogState.TERMINATED:
            assert self.uas.state is DialogState.TERMINATED
        assert self.uac.id.call_id == self.uas.id.call_id
        assert self.uac.id.local_tag == self.uas.id.remote_tag


TestDialogPair = DialogPair.TestCase
