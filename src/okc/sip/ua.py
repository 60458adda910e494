"""The SIP user agent core (RFC 3261 §8, §12-15), sans-I/O: joins dialogs to the transaction layer.

`UserAgentCore` is fed datagrams (`receive(data, source, now)`) and the clock (`handle_timer(now)`); the
owner drains `datagrams()` for the transport, `events()` for the application (okc.sip.ua_events lists them)
and arms one timer at `get_timer()`. Commands: `invite`, `ring`, `answer`, `reject`, `hangup`, `hold`,
`unhold`, `send_dtmf`, `transfer`, `notify_transfer`, `request` (OPTIONS …) and `respond`.

What the core does by itself: ACK for 2xx (and again for each retransmitted 2xx, §13.2.2.4); BYE for a 2xx
arriving after our CANCEL and for extra forked 2xx; 2xx retransmission T1 doubling to T2 until the ACK, and
BYE after 64·T1 without one (§13.3.1.4); 487 to an INVITE the peer cancels; 481 for requests to unknown
dialogs; 500 with Retry-After for a re-INVITE overlapping one not yet finished (§14.2) and 491 on glare
with a randomised retry (§14.1); re-INVITE/UPDATE answered from our last SDP (hold/unhold); PRACK for
reliable provisionals and 200 to the peer's PRACKs (RFC 3262); session timer refreshes and expiry
(RFC 4028); 202 to REFER; 200 to OPTIONS; digest retry on 401/407 with the optional `DigestClient`.
A `request_filter(request, source, now)` may answer any new out-of-dialog request first (auth, security).
Out-of-dialog methods in `surfaced` (REGISTER, MESSAGE, SUBSCRIBE, PUBLISH by default) come out as
OutOfDialogRequest for the owner to `respond` to; any other is refused 405/501 at once.

The class is split by concern: okc.sip.ua_base (state, outputs, builders), okc.sip.ua_client (responses
to our requests) and this module (commands, incoming requests, call timers); okc.sip.ua_state holds the
per-call record.
"""

from __future__ import annotations

import heapq

from okc.sip.dialog import (
    ByeReceived,
    Dialog,
    DialogError,
    ReInviteReceived,
    RequestReceivedInDialog,
    UpdateReceived,
)
from okc.sip.dialog import DtmfReceived as DialogDtmf
from okc.sip.dialog import OptionsReceived as DialogOptions
from okc.sip.errors import SipParseError, SipStateError
from okc.sip.headers import NameAddr
from okc.sip.layer import (
    Address,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionKey,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
    response_address,
)
from okc.sip.layer import MessageDropped as TxDropped
from okc.sip.message import Request, Response, response_to
from okc.sip.prack import PrackTimedOut, ReliableProvisionals
from okc.sip.refer import ReferTo, Replaces, parse_sipfrag, refer_request, sipfrag_notify
from okc.sip.sdp import SdpError, SessionDescription
from okc.sip.session_timer import (
    RefreshDue,
    Refresher,
    SessionExpires,
    SessionTimer,
    SessionTimerError,
    check_session_interval,
)
from okc.sip.ua_base import UDP_LIMIT, RequestFilter
from okc.sip.ua_client import ClientResponses
from okc.sip.ua_events import (
    CallEstablished,
    CallHeld,
    CallRef,
    CallResumed,
    DtmfReceived,
    EndReason,
    IncomingCall,
    MediaUpdated,
    MessageDropped,
    OptionsReceived,
    OutOfDialogRequest,
    TransferRequested,
    TransferStatus,
)
from okc.sip.ua_state import (
    ALLOW,
    SUPPORTED,
    CallRecord,
    CallState,
    PendingRequest,
    reason_phrase,
    sdp_of,
    with_direction,
)
from okc.sip.uri import SipUri, Uri, parse_uri
from okc.sip.validate import validate_request

__all__ = ["UDP_LIMIT", "CallState", "RequestFilter", "UserAgentCore"]

_KNOWN = frozenset({"REGISTER", "MESSAGE", "SUBSCRIBE", "PUBLISH"})
_DIALOG_ONLY = frozenset({"BYE", "PRACK", "UPDATE", "INFO", "NOTIFY", "REFER"})


class UserAgentCore(ClientResponses):
    """Calls and standalone requests of one SIP user agent on one local address, sans-I/O."""

    def receive(self, data: bytes, source: Address, now: float) -> None:
        """A datagram (or framed stream message) arrived from source."""
        self.layer.receive(data, source, now)
        self._process(now)

    def receive_message(self, message: Request | Response, source: Address, now: float) -> None:
        """An already parsed message (stream framing) arrived from source."""
        self.layer.receive_message(message, source, now)
        self._process(now)

    def handle_timer(self, now: float) -> None:
        """Fire every transaction and call timer due at now."""
        self.layer.handle_timer(now)
        self._process(now)
        while (top := self._next_call()) is not None and top[0] <= now:
            heapq.heappop(self._call_deadlines)
            call = top[1]
            self._call_timers(call, now)
            self._schedule(call)
        self._process(now)

    def transport_error(self, key: TransactionKey, now: float) -> None:
        """The transport could not send a transaction's message."""
        self.layer.transport_error(key, now)
        self._process(now)

    def invite(
        self,
        target: Uri | str,
        address: Address,
        now: float,
        *,
        sdp: SessionDescription | None = None,
        from_: NameAddr | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> CallRef:
        """Place a call to target through the next hop `address`; returns the new call's reference."""
        uri = parse_uri(target) if isinstance(target, str) else target
        tag = self._tag()
        local = from_ or NameAddr(SipUri(self.local[0], self.user, None, self.local[1]))
        call_id = f"{self._rng.randbytes(10).hex()}@{self.local[0]}"
        headers = self._standard()
        if self.session_expires is not None:
            headers += (("Session-Expires", str(self.session_expires)), ("Min-SE", str(self.min_se)))
        body = bytes(sdp) if sdp is not None else b""
        ctype = "application/sdp" if sdp is not None else None
        request = self._build(
            "INVITE",
            uri,
            call_id=call_id,
            from_=local.with_tag(tag),
            extra=headers + extra,
            body=body,
            ctype=ctype,
        )
        ref = CallRef(call_id, tag)
        call = CallRecord(ref, True, request, address, CallState.CALLING, local_sdp=sdp)
        self._calls[ref] = call
        self._send_invite(call, request, now)
        return ref

    def request(
        self,
        method: str,
        target: Uri | str,
        address: Address,
        now: float,
        *,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> TransactionKey:
        """Send a standalone request (OPTIONS, MESSAGE …); its final response comes as ResponseToRequest."""
        if method in ("INVITE", "ACK", "CANCEL"):
            raise SipStateError(f"{method} is not a standalone request: use invite/hangup")
        uri = parse_uri(target) if isinstance(target, str) else target
        local = NameAddr(SipUri(self.local[0], self.user, None, self.local[1])).with_tag(self._tag())
        call_id = f"{self._rng.randbytes(10).hex()}@{self.local[0]}"
        request = self._build(method, uri, call_id=call_id, from_=local, extra=self._standard() + extra)
        key = self.layer.send_request(request, address, now)
        self._client[key] = PendingRequest(None, "OOD", request, address)
        return key

    def send(self, request: Request, address: Address, now: float) -> TransactionKey:
        """Send a request someone else built (an OutboundRegistration's REGISTER) through a new client
        transaction on this core's socket; its final response comes as ResponseToRequest, a timeout or
        transport failure as RequestFailed. Challenges are passed up, not answered: the builder owns them."""
        if request.method in ("INVITE", "ACK", "CANCEL"):
            raise SipStateError(f"{request.method} is not a standalone request: use invite/hangup")
        key = self.layer.send_request(request, address, now)
        self._client[key] = PendingRequest(None, "OOD", request, address)
        self._ood_auth.add(key)  # counts as already answered: the core's own credentials stay out of it
        return key

    def respond(
        self,
        key: TransactionKey,
        status: int,
        now: float,
        *,
        reason: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> None:
        """Answer an OutOfDialogRequest (SipStateError if its transaction is gone)."""
        tx = self.layer.state_of(key)
        if tx is None:
            raise SipStateError("that request's transaction is gone")
        response = response_to(
            tx.request,
            status,
            reason or reason_phrase(status),
            to_tag=self._tag(),
            extra=extra,
            body=body,
            content_type=content_type,
        )
        self._send_response(response, now)

    def hangup(self, ref: CallRef, now: float) -> None:
        """End a call in any state: CANCEL (outgoing, unanswered), 603 (incoming), else BYE."""
        call = self._get(ref)
        if call.state in (CallState.CALLING, CallState.PROCEEDING):
            call.hangup_requested = True
            if call.provisional and not call.cancel_sent:
                self._send_cancel(call, now)
        elif call.state is CallState.INCOMING:
            self.reject(ref, 603, now)
        elif call.state is CallState.ACCEPTED and call.uas_2xx is not None:
            call.hangup_requested = True  # §15: no BYE before the ACK (or its timeout)
        else:
            self._bye(call, now)
            self._end(call, EndReason.LOCAL_BYE)
        self._process(now)

    def hold(self, ref: CallRef, now: float) -> None:
        """Put the call on hold: a re-INVITE offering our SDP sendonly (CallHeld when it is accepted)."""
        self._reinvite(ref, now, hold=True)

    def unhold(self, ref: CallRef, now: float) -> None:
        """Take the call off hold: a re-INVITE offering sendrecv (CallResumed when accepted)."""
        self._reinvite(ref, now, hold=False)

    def _reinvite(self, ref: CallRef, now: float, *, hold: bool) -> None:
        call, dialog = self._established(ref)
        if call.local_sdp is None:
            raise SipStateError("the call has no SDP of ours to re-offer")
        call.local_hold = hold
        self._send_reinvite(call, dialog, now)

    def send_dtmf(self, ref: CallRef, digit: str, now: float, duration_ms: int = 160) -> None:
        """Send one DTMF digit by INFO (application/dtmf-relay)."""
        call, dialog = self._established(ref)
        self._send_in_dialog(call, dialog.info_dtmf(self._via(), digit, duration_ms), "INFO", now)

    def transfer(
        self, ref: CallRef, target: SipUri | str, now: float, *, replaces: Replaces | None = None
    ) -> None:
        """Blind (or, with Replaces, attended) transfer: REFER; progress arrives as TransferStatus."""
        call, dialog = self._established(ref)
        uri = parse_uri(target) if isinstance(target, str) else target
        if not isinstance(uri, SipUri):
            raise SipStateError(f"okc transfers only to SIP URIs, not {uri}")
        request = refer_request(dialog, self._via(), ReferTo(uri, replaces), dialog.local_uri)
        self._send_in_dialog(call, request, "REFER", now)

    def notify_transfer(self, ref: CallRef, status: int, now: float) -> None:
        """Report the progress of a transfer the peer asked for (NOTIFY with a sipfrag status line)."""
        call, dialog = self._established(ref)
        request = sipfrag_notify(dialog, self._via(), call.refer_seq, status, reason_phrase(status))
        self._send_in_dialog(call, request, "NOTIFY", now)

    def ring(
        self, ref: CallRef, now: float, *, status: int = 180, sdp: SessionDescription | None = None
    ) -> None:
        """Send a provisional response (180 Ringing, 183 with early-media SDP), reliably if required."""
        call = self._incoming(ref)
        if not 101 <= status <= 199:
            raise SipStateError(f"{status} is not a provisional status")
        response = self._uas_response(call, status, sdp=sdp)
        sends = [response]
        if call.prov is not None:
            sends = call.prov.send(response, now)
            self._schedule(call)
        for item in sends:
            self._send_response(item, now)

    def answer(self, ref: CallRef, sdp: SessionDescription | None, now: float) -> None:
        """Answer an incoming call 200 OK with `sdp`; retransmitted until the ACK (CallEstablished)."""
        call = self._incoming(ref)
        extra = self._standard()
        wanted = call.requested_session
        if wanted is not None:
            extra += (("Session-Expires", str(wanted)), ("Require", "timer"))
            call.session = SessionTimer(wanted, we_refresh=wanted.refresher is Refresher.UAS, now=now)
            self._schedule(call)
        if call.prov is not None:
            call.prov.final_sent()
            call.prov = None
        response = self._uas_response(call, 200, extra, sdp)
        self._send_response(response, now)
        call.local_sdp = sdp
        assert call.dialog is not None
        call.dialog.confirm()
        call.state = CallState.ACCEPTED
        self._await_ack(call, response, now)

    def reject(
        self, ref: CallRef, status: int, now: float, *, extra: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """Refuse an incoming call with a 3xx-6xx status."""
        call = self._incoming(ref)
        if not 300 <= status <= 699:
            raise SipStateError(f"{status} is not a failure status")
        if call.prov is not None:
            call.prov.final_sent()
        self._send_response(self._uas_response(call, status, extra), now)
        self._end(call, EndReason.REJECTED, status)

    def _process(self, now: float) -> None:
        for event in self.layer.events():
            try:
                self._dispatch(event, now)
            except SipParseError as exc:  # a header the layer did not need turned out malformed
                if isinstance(event, RequestReceived) and event.key is not None and exc.status is not None:
                    self._respond(event.request, exc.status, now, reason=exc.reason)
                else:
                    self._emit(MessageDropped(str(exc), ("", 0)))

    def _dispatch(self, event: object, now: float) -> None:
        if isinstance(event, RequestReceived):
            if event.request.method == "ACK" or event.key is None:
                self._on_ack(event.request, now)
            elif event.request.method == "CANCEL":
                self._on_cancel(event.request, event.cancels, now)
            else:
                self._on_request(event.request, event.source, event.key, now)
        elif isinstance(event, ResponseReceived):
            pending = self._client.get(event.key)
            if pending is not None:
                self._on_response(pending, event.key, event.response, now)
        elif isinstance(event, StrayResponse):
            self._on_stray(event.response)
        elif isinstance(event, TransactionTimedOut | TransportFailed):
            pending = self._client.get(event.key)
            if pending is not None:
                self._on_failure(
                    pending, event.key, 408 if isinstance(event, TransactionTimedOut) else 503, now
                )
        elif isinstance(event, TransactionTerminated):
            self._client.pop(event.key, None)
            self._server_invites.pop(event.key, None)
            self._ood_auth.discard(event.key)
        elif isinstance(event, TxDropped):
            self._emit(MessageDropped(event.reason, event.source))

    def _on_ack(self, request: Request, now: float) -> None:
        tag = request.to.tag
        call = self._calls.get(CallRef(request.call_id, tag)) if tag else None
        if call is None or call.uas_2xx is None or request.cseq.seq != call.uas_2xx.cseq.seq:
            return
        call.uas_2xx = None
        if call.state is CallState.ACCEPTED:
            call.state = CallState.ESTABLISHED
            self._emit(CallEstablished(call.ref))
            if call.hangup_requested:
                self._bye(call, now)
                self._end(call, EndReason.LOCAL_BYE)

    def _on_cancel(self, request: Request, cancels: TransactionKey | None, now: float) -> None:
        call = self._server_invites.get(cancels) if cancels is not None else None
        if call is None:
            self._respond(request, 481, now)
            return
        self._respond(request, 200, now)
        if call.state is CallState.INCOMING:
            if call.prov is not None:
                call.prov.final_sent()
            self._send_response(self._uas_response(call, 487), now)
            self._end(call, EndReason.CANCELLED, 487)

    def _on_request(self, request: Request, source: Address, key: TransactionKey, now: float) -> None:
        if request.cseq.method != request.method:  # RFC 4475 3.1.2.11: 400, sent statelessly (no
            # transaction can match an answer whose CSeq names another method), and the transaction goes
            self._respond(request, 400, now, reason="CSeq Method Mismatch")
            self._forget(key)
            return
        tag = request.to.tag
        if tag is not None:
            call = self._calls.get(CallRef(request.call_id, tag))
            if call is None or (call.dialog is None and not call.early):
                self._respond(request, 481, now)
            else:
                self._in_dialog(call, request, now)
            return
        if request.method != "INVITE":  # an INVITE is checked with its To tag in _on_invite
            try:
                validate_request(request, supported=SUPPORTED)
            except SipParseError as exc:
                if exc.status is not None:
                    self._respond(request, exc.status, now, reason=exc.reason, extra=exc.extra_headers)
                return
        if self.request_filter is not None:
            verdict = self.request_filter(request, source, now)
            if verdict is not None:
                self._send_response(verdict, now)
                return
        method = request.method
        if method == "INVITE":
            self._on_invite(request, source, key, now)
        elif method == "OPTIONS":
            extra = (("Accept", "application/sdp"), *self._standard())
            self._respond(request, 200, now, extra=extra)
            self._emit(OptionsReceived(request, source))
        elif method in _DIALOG_ONLY:
            self._respond(request, 481, now)
        elif method in self.surfaced:
            self._emit(OutOfDialogRequest(request, source, key))
        else:  # nobody here handles it: refuse at once rather than leave the transaction waiting
            self._respond(request, 405 if method in _KNOWN else 501, now, extra=(("Allow", ALLOW),))

    def _on_invite(self, request: Request, source: Address, key: TransactionKey, now: float) -> None:
        tag = self._tag()
        try:
            validate_request(request, supported=SUPPORTED)
            requested = check_session_interval(request, self.min_se)
            offer = sdp_of(request)
            dialog = Dialog.from_request(request, tag, self.contact)
        except SessionTimerError as exc:
            self._respond(request, 422, now, to_tag=tag, extra=exc.extra_headers)
            return
        except SdpError as exc:
            self._respond(request, 488, now, to_tag=tag, extra=(("Warning", exc.warning(self.local[0])),))
            return
        except SipParseError as exc:
            if exc.status is not None:
                self._respond(
                    request, exc.status, now, to_tag=tag, reason=exc.reason, extra=exc.extra_headers
                )
            return
        except DialogError as exc:
            self._respond(request, exc.status, now, to_tag=tag)
            return
        ref = CallRef(request.call_id, tag)
        call = CallRecord(ref, False, request, source, CallState.INCOMING, key, dialog, remote_sdp=offer)
        call.requested_session = requested
        if "100rel" in request.require:
            call.prov = ReliableProvisionals(self._rng.randrange(1, 2**31), self.timers)
            self._schedule(call)
        self._calls[ref] = call
        self._server_invites[key] = call
        self._emit(IncomingCall(ref, request, source, offer))

    def _in_dialog(self, call: CallRecord, request: Request, now: float) -> None:
        method = request.method
        dialog = call.dialog
        if dialog is None:  # an outgoing call's early dialog: only PRACK-less requests such as BYE/UPDATE
            dialog = call.early.get(request.from_.tag or "")
            if dialog is None:
                self._respond(request, 481, now)
                return
        if method == "INVITE" and (call.state is not CallState.ESTABLISHED or call.uas_2xx is not None):
            retry = str(self._rng.randint(0, 10))
            self._respond(request, 500, now, extra=(("Retry-After", retry),))
            return
        try:
            events = dialog.receive_request(request)
        except DialogError as exc:
            self._respond(request, exc.status, now)
            return
        except SdpError:
            self._respond(request, 488, now)
            return
        for event in events:
            if isinstance(event, ReInviteReceived | UpdateReceived):
                self._on_offer(call, request, event, now)
            elif isinstance(event, ByeReceived):
                self._respond(request, 200, now)
                if call.state is CallState.INCOMING:
                    self._send_response(self._uas_response(call, 487), now)
                self._end(call, EndReason.REMOTE_BYE)
            elif isinstance(event, DialogOptions):
                self._respond(request, 200, now, extra=self._standard())
            elif isinstance(event, DialogDtmf):
                self._respond(request, 200, now)
                self._emit(DtmfReceived(call.ref, event.digit, event.duration_ms))
            elif isinstance(event, RequestReceivedInDialog):
                self._other_in_dialog(call, request, now)

    def _on_offer(
        self, call: CallRecord, request: Request, event: ReInviteReceived | UpdateReceived, now: float
    ) -> None:
        offer = event.offer if isinstance(event, ReInviteReceived) else sdp_of(request)
        answer = call.local_sdp
        extra = self._standard()
        if call.session is not None:
            wanted = SessionExpires.of(request) or call.session.expires
            call.session.refreshed(
                now, SessionExpires(wanted.interval, wanted.refresher or call.session.expires.refresher)
            )
            extra += (("Session-Expires", str(call.session.expires)), ("Require", "timer"))
            self._schedule(call)
        if offer is not None:
            if answer is None or not offer.media:
                self._respond(request, 488, now)
                return
            theirs = offer.media_direction(offer.media[0])
            answer = with_direction(answer, hold=call.local_hold, bump=True, peer=theirs)
            call.local_sdp = answer
            call.remote_sdp = offer
            self._emit(MediaUpdated(call.ref, offer))
            held = not theirs.receives
            if held != call.remote_hold:
                call.remote_hold = held
                self._emit(CallHeld(call.ref, True) if held else CallResumed(call.ref, True))
        response = response_to(
            request,
            200,
            "OK",
            extra=(("Contact", str(self.contact)), *extra),
            body=bytes(answer) if answer else b"",
            content_type="application/sdp" if answer else None,
        )
        self._send_response(response, now)
        if request.method == "INVITE":
            self._await_ack(call, response, now)

    def _other_in_dialog(self, call: CallRecord, request: Request, now: float) -> None:
        method = request.method
        if method == "PRACK":
            matched = False
            if call.prov is not None:
                matched, due = call.prov.receive_prack(request, now)
                self._schedule(call)
                for item in due:
                    self._send_response(item, now)
            self._respond(request, 200 if matched else 481, now)
        elif method == "REFER":
            try:
                refer_to = ReferTo.of(request)
            except (DialogError, SipParseError) as exc:
                self._respond(request, getattr(exc, "status", None) or 400, now)
                return
            call.refer_seq = request.cseq.seq
            self._respond(request, 202, now)
            self._emit(TransferRequested(call.ref, refer_to, request))
        elif method == "NOTIFY":
            event_header = (request.headers.get("Event") or request.headers.get("o") or "").lower()
            if not event_header.startswith("refer"):
                self._respond(request, 489, now)
                return
            try:
                status = parse_sipfrag(request.body)
            except DialogError:
                self._respond(request, 400, now)
                return
            self._respond(request, 200, now)
            self._emit(TransferStatus(call.ref, status, status >= 200))
        elif method == "INFO":
            self._respond(request, 200, now)
        else:
            self._respond(request, 405, now, extra=(("Allow", ALLOW),))

    def _call_timers(self, call: CallRecord, now: float) -> None:
        if call.uas_2xx is not None:
            if now >= call.give_up_at:  # RFC 3261 §13.3.1.4: no ACK in 64*T1 — end the dialog with BYE
                call.uas_2xx = None
                self._bye(call, now)
                if call.hangup_requested:
                    self._end(call, EndReason.LOCAL_BYE)
                else:
                    self._end(call, EndReason.NO_ACK, 408)
                return
            if now >= call.rtx_at:
                target = call.address if self.reliable else response_address(call.uas_2xx, call.address)
                self.layer.send_stateless(call.uas_2xx, target)
                call.rtx_interval = min(call.rtx_interval * 2, self.timers.t2)
                call.rtx_at = now + call.rtx_interval
        if call.prov is not None:
            for item in call.prov.handle_timer(now):
                if isinstance(item, PrackTimedOut):
                    call.prov = None
                    self.reject(call.ref, 504, now)
                    return
                self._send_response(item, now)
        if call.abandon_at is not None and now >= call.abandon_at:
            call.abandon_at = None
            if call.state in (CallState.CALLING, CallState.PROCEEDING) and call.invite_key is not None:
                self._forget(call.invite_key)
                self._fail(call, 408, "no final response after CANCEL")
                return
        if call.glare_at is not None and now >= call.glare_at:
            call.glare_at = None
            if (
                call.dialog is not None
                and call.state is CallState.ESTABLISHED
                and not call.dialog.invite_pending
            ):
                self._send_reinvite(call, call.dialog, now)
        if call.session is not None:
            for event in call.session.handle_timer(now):
                if isinstance(event, RefreshDue):
                    dialog = call.dialog
                    if dialog is not None and call.local_sdp is not None and not dialog.invite_pending:
                        self._send_reinvite(call, dialog, now)
                else:
                    self._bye(call, now)
                    self._end(call, EndReason.SESSION_EXPIRED)
                    return
