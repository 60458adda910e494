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
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from okc.sip.auth import AuthError, DigestClient
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
from okc.sip.headers import NameAddr, Via
from okc.sip.layer import (
    Address,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionKey,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
    response_address,
)
from okc.sip.layer import MessageDropped as TxDropped
from okc.sip.message import Request, Response, response_to
from okc.sip.prack import PrackTimedOut, ProvisionalTracker, ReliableProvisionals, prack_request
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
from okc.sip.timers import TimerConfig
from okc.sip.ua_events import (
    CallAnswered,
    CallEnded,
    CallEstablished,
    CallFailed,
    CallHeld,
    CallRef,
    CallResumed,
    CallRinging,
    CallUpdateFailed,
    DtmfReceived,
    EndReason,
    IncomingCall,
    MediaUpdated,
    MessageDropped,
    OptionsReceived,
    OutOfDialogRequest,
    RequestFailed,
    ResponseToRequest,
    TransferRequested,
    TransferStatus,
    UaEvent,
)
from okc.sip.ua_state import CallState, reason_phrase, with_direction
from okc.sip.uri import Params, SipUri, Uri, parse_uri
from okc.sip.validate import validate_request

__all__ = ["CallState", "RequestFilter", "UserAgentCore"]

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, PRACK"
SUPPORTED = ("100rel", "timer", "replaces")
UDP_LIMIT = 1300  # RFC 3261 §18.1.1: MTU 1500 − 200; larger requests go over TCP
_KNOWN = frozenset({"REGISTER", "MESSAGE", "SUBSCRIBE", "PUBLISH"})
_DIALOG_ONLY = frozenset({"BYE", "PRACK", "UPDATE", "INFO", "NOTIFY", "REFER"})

#: Answers a new out-of-dialog request itself (a challenge, a 403) or lets it pass with None.
RequestFilter = Callable[[Request, Address, float], Response | None]


@dataclass(eq=False, slots=True)
class _Call:
    """Everything the core tracks for one call."""

    ref: CallRef
    outgoing: bool
    invite: Request
    address: Address
    state: CallState
    invite_key: TransactionKey | None = None
    dialog: Dialog | None = None
    early: dict[str, Dialog] = field(default_factory=dict)
    local_sdp: SessionDescription | None = None
    remote_sdp: SessionDescription | None = None
    # outgoing
    acks: dict[int, Request] = field(default_factory=dict)
    provisional: bool = False
    hangup_requested: bool = False
    cancel_sent: bool = False
    auth_tried: bool = False
    tracker: ProvisionalTracker = field(default_factory=ProvisionalTracker)
    # incoming
    uas_2xx: Response | None = None
    rtx_at: float = 0.0
    rtx_interval: float = 0.0
    give_up_at: float = 0.0
    prov: ReliableProvisionals | None = None
    requested_session: SessionExpires | None = None
    # both
    local_hold: bool = False
    announced_hold: bool = False
    remote_hold: bool = False
    glare_at: float | None = None
    abandon_at: float | None = None  # our CANCEL got no final response for the INVITE: give up (§9.1)
    session: SessionTimer | None = None
    refer_seq: int = 0

    def deadline(self) -> float | None:
        times: list[float] = []
        if self.uas_2xx is not None:
            times += (self.rtx_at, self.give_up_at)
        if self.prov is not None and (t := self.prov.get_timer()) is not None:
            times.append(t)
        if self.glare_at is not None:
            times.append(self.glare_at)
        if self.abandon_at is not None:
            times.append(self.abandon_at)
        if self.session is not None and (t := self.session.get_timer()) is not None:
            times.append(t)
        return min(times) if times else None


@dataclass(frozen=True, slots=True)
class _Pending:
    """What a client transaction of ours is for."""

    call: _Call | None
    purpose: str  # INVITE, CANCEL, REINVITE, BYE, PRACK, INFO, REFER, NOTIFY, OOD
    request: Request
    address: Address = ("", 0)
    origin: TransactionKey | None = None  # a digest retry answers for the key its owner knows


def _sdp_of(message: Request | Response) -> SessionDescription | None:
    ctype = message.content_type
    if not message.body or ctype is None or ctype.mime != "application/sdp":
        return None
    return SessionDescription.parse(message.body)


class UserAgentCore:
    """Calls and standalone requests of one SIP user agent on one local address, sans-I/O."""

    def __init__(
        self,
        local: Address,
        *,
        rng: random.Random,
        transport: str = "UDP",
        timers: TimerConfig | None = None,
        user: str = "okc",
        request_filter: RequestFilter | None = None,
        credentials: DigestClient | None = None,
        session_expires: int | None = None,
        min_se: int = 90,
        user_agent: str = "okc",
        large_over_tcp: bool = False,
        surfaced: frozenset[str] = frozenset({"REGISTER", "MESSAGE", "SUBSCRIBE", "PUBLISH"}),
    ) -> None:
        self.local = local
        self.transport = transport.upper()
        self.reliable = self.transport != "UDP"
        self.timers = timers or TimerConfig()
        self.layer = TransactionLayer(self.timers, reliable=self.reliable)
        self.user = user
        self.request_filter = request_filter
        self.credentials = credentials
        self.session_expires = session_expires
        self.min_se = min_se
        self.user_agent = user_agent
        self.large_over_tcp = large_over_tcp
        self.surfaced = surfaced
        self._rng = rng
        params = Params() if self.transport == "UDP" else Params((("transport", self.transport.lower()),))
        self.contact = NameAddr(SipUri(local[0], user, None, local[1], params))
        self._calls: dict[CallRef, _Call] = {}
        self._timed: dict[CallRef, _Call] = {}  # calls that may have a timer armed (checked lazily)
        self._server_invites: dict[TransactionKey, _Call] = {}
        self._client: dict[TransactionKey, _Pending] = {}
        self._ood_auth: set[TransactionKey] = set()
        self._events: list[UaEvent] = []

    # --- outputs -------------------------------------------------------------------------------------

    def events(self) -> list[UaEvent]:
        """Take every event produced so far, in order."""
        out, self._events = self._events, []
        return out

    def datagrams(self) -> list[tuple[bytes, Address]]:
        """Take every (data, address) the transport must send, in order."""
        return [(d.data, d.address) for d in self.layer.datagrams()]

    def get_timer(self) -> float | None:
        """The earliest deadline of any transaction or call timer, or None."""
        best = self.layer.get_timer()
        for call in list(self._timed.values()):
            t = call.deadline() if call.state is not CallState.ENDED else None
            if t is None:
                del self._timed[call.ref]
            elif best is None or t < best:
                best = t
        return best

    def call_state(self, ref: CallRef) -> CallState:
        """The state of a call (ENDED once it is forgotten)."""
        call = self._calls.get(ref)
        return CallState.ENDED if call is None else call.state

    def calls(self) -> tuple[CallRef, ...]:
        """Every live call."""
        return tuple(self._calls)

    def remote_sdp(self, ref: CallRef) -> SessionDescription | None:
        """The peer's latest SDP of a live call."""
        call = self._calls.get(ref)
        return None if call is None else call.remote_sdp

    # --- inputs --------------------------------------------------------------------------------------

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
        for call in list(self._timed.values()):
            deadline = call.deadline()
            if deadline is not None and deadline <= now and call.state is not CallState.ENDED:
                self._call_timers(call, now)
        self._process(now)

    def transport_error(self, key: TransactionKey, now: float) -> None:
        """The transport could not send a transaction's message."""
        self.layer.transport_error(key, now)
        self._process(now)

    # --- commands: outgoing calls and requests ----------------------------------------------------------

    def _tag(self) -> str:
        return self._rng.randbytes(6).hex()

    def _via(self, transport: str | None = None) -> Via:
        branch = "z9hG4bK" + self._rng.randbytes(8).hex()
        return Via(
            transport or self.transport,
            self.local[0],
            self.local[1],
            Params((("branch", branch), ("rport", None))),
        )

    def _standard(self) -> tuple[tuple[str, str], ...]:
        return (("Allow", ALLOW), ("Supported", ", ".join(SUPPORTED)), ("User-Agent", self.user_agent))

    def _build(
        self,
        method: str,
        target: Uri,
        *,
        call_id: str,
        from_: NameAddr,
        extra: tuple[tuple[str, str], ...],
        body: bytes = b"",
        ctype: str | None = None,
    ) -> Request:
        def build(via: Via) -> Request:
            return Request.build(
                method,
                target,
                via=via,
                from_=from_,
                to=NameAddr(target),
                call_id=call_id,
                cseq=1,
                contact=self.contact if method == "INVITE" else None,
                extra=extra,
                body=body,
                content_type=ctype,
            )

        request = build(self._via())
        if self.transport == "UDP" and self.large_over_tcp and len(bytes(request)) > UDP_LIMIT:
            request = build(self._via("TCP"))
        return request

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
        call = _Call(ref, True, request, address, CallState.CALLING, local_sdp=sdp)
        self._calls[ref] = call
        self._send_invite(call, request, now)
        return ref

    def _send_invite(self, call: _Call, request: Request, now: float) -> None:
        call.invite = request
        call.invite_key = key = self.layer.send_request(request, call.address, now)
        self._client[key] = _Pending(call, "INVITE", request)

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
        self._client[key] = _Pending(None, "OOD", request, address)
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

    def _get(self, ref: CallRef) -> _Call:
        call = self._calls.get(ref)
        if call is None:
            raise SipStateError(f"no such call {ref.call_id}")
        return call

    def _established(self, ref: CallRef) -> tuple[_Call, Dialog]:
        call = self._get(ref)
        if call.state not in (CallState.ESTABLISHED, CallState.ACCEPTED) or call.dialog is None:
            raise SipStateError(f"call {ref.call_id} is {call.state.value}, not established")
        return call, call.dialog

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

    def _send_cancel(self, call: _Call, now: float) -> None:
        invite = call.invite
        fields = [("Via", invite.headers.get_all("via")[0]), ("Max-Forwards", "70")]
        for name in ("from", "to", "call-id"):
            fields += [(name.title(), v) for v in invite.headers.get_lines(name)]
        fields += [("CSeq", f"{invite.cseq.seq} CANCEL")]
        fields += [("Route", v) for v in invite.headers.get_lines("route")]
        cancel = Request.build(
            "CANCEL",
            invite.uri,
            via=invite.top_via,
            from_=invite.from_,
            to=invite.to,
            call_id=invite.call_id,
            cseq=invite.cseq.seq,
            extra=tuple(f for f in fields if f[0] == "Route"),
        )
        key = self.layer.send_request(cancel, call.address, now)
        self._client[key] = _Pending(call, "CANCEL", cancel)
        call.cancel_sent = True
        call.abandon_at = now + self.timers.timeout
        self._timed[call.ref] = call

    def _send_in_dialog(self, call: _Call, request: Request, purpose: str, now: float) -> None:
        key = self.layer.send_request(request, call.address, now)
        self._client[key] = _Pending(call, purpose, request)

    def _bye(self, call: _Call, now: float) -> None:
        dialog = call.dialog
        if dialog is None:
            return
        try:
            bye, _ = dialog.bye(self._via())
        except SipStateError:
            return
        self._send_in_dialog(call, bye, "BYE", now)

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

    def _send_reinvite(self, call: _Call, dialog: Dialog, now: float) -> None:
        assert call.local_sdp is not None
        offer = with_direction(call.local_sdp, hold=call.local_hold, bump=True)
        request = dialog.reinvite(self._via(), offer)
        if call.session is not None:
            request = request.replace(
                headers=request.headers.with_added("Session-Expires", str(call.session.expires))
            )
        call.local_sdp = offer
        self._send_in_dialog(call, request, "REINVITE", now)

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

    # --- commands: incoming calls ----------------------------------------------------------------------

    def _uas_response(
        self,
        call: _Call,
        status: int,
        extra: tuple[tuple[str, str], ...] = (),
        sdp: SessionDescription | None = None,
    ) -> Response:
        return response_to(
            call.invite,
            status,
            reason_phrase(status),
            to_tag=call.ref.local_tag,
            extra=(("Contact", str(self.contact)), *extra),
            body=bytes(sdp) if sdp else b"",
            content_type="application/sdp" if sdp else None,
        )

    def _incoming(self, ref: CallRef) -> _Call:
        call = self._get(ref)
        if call.state is not CallState.INCOMING:
            raise SipStateError(f"call {ref.call_id} is {call.state.value}, not an unanswered incoming call")
        return call

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
            self._timed[ref] = call
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
            self._timed[ref] = call
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

    def _await_ack(self, call: _Call, response: Response, now: float) -> None:
        self._timed[call.ref] = call
        call.uas_2xx = response
        call.rtx_interval = self.timers.t1
        call.rtx_at = now + self.timers.t1 if not self.reliable else now + self.timers.timeout
        call.give_up_at = now + self.timers.timeout

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

    # --- internals: dispatch ----------------------------------------------------------------------------

    def _emit(self, event: UaEvent) -> None:
        self._events.append(event)

    def _end(self, call: _Call, reason: EndReason, status: int | None = None) -> None:
        if call.state is CallState.ENDED:
            return
        call.state = CallState.ENDED
        call.uas_2xx = None
        call.glare_at = None
        if call.session is not None:
            call.session.stop()
        if call.prov is not None:
            call.prov.final_sent()
        self._calls.pop(call.ref, None)
        self._emit(CallEnded(call.ref, reason, status))

    def _fail(self, call: _Call, status: int, reason: str) -> None:
        call.state = CallState.ENDED
        self._calls.pop(call.ref, None)
        if call.hangup_requested:
            self._emit(CallEnded(call.ref, EndReason.CANCELLED, status))
        else:
            self._emit(CallFailed(call.ref, status, reason))

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

    def _respond(
        self,
        request: Request,
        status: int,
        now: float,
        *,
        to_tag: str | None = None,
        reason: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
        sdp: SessionDescription | None = None,
    ) -> Response:
        if to_tag is None and request.to.tag is None and status > 100:
            to_tag = self._tag()
        response = response_to(
            request,
            status,
            reason or reason_phrase(status),
            to_tag=to_tag,
            extra=extra,
            body=bytes(sdp) if sdp else b"",
            content_type="application/sdp" if sdp else None,
        )
        self._send_response(response, now)
        return response

    def _send_response(self, response: Response, now: float) -> None:
        with contextlib.suppress(SipStateError):  # already answered (a late event): nothing more to say
            self.layer.send_response(response, now)

    # --- internals: requests ----------------------------------------------------------------------------

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
        if request.cseq.method != request.method:  # its answer could not find its transaction: drop it
            self._emit(MessageDropped(f"CSeq method {request.cseq.method} of a {request.method}", source))
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
            offer = _sdp_of(request)
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
        call = _Call(ref, False, request, source, CallState.INCOMING, key, dialog, remote_sdp=offer)
        call.requested_session = requested
        if "100rel" in request.require:
            call.prov = ReliableProvisionals(self._rng.randrange(1, 2**31), self.timers)
            self._timed[ref] = call
        self._calls[ref] = call
        self._server_invites[key] = call
        self._emit(IncomingCall(ref, request, source, offer))

    def _in_dialog(self, call: _Call, request: Request, now: float) -> None:
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
        self, call: _Call, request: Request, event: ReInviteReceived | UpdateReceived, now: float
    ) -> None:
        offer = event.offer if isinstance(event, ReInviteReceived) else _sdp_of(request)
        answer = call.local_sdp
        extra = self._standard()
        if call.session is not None:
            wanted = SessionExpires.of(request) or call.session.expires
            call.session.refreshed(
                now, SessionExpires(wanted.interval, wanted.refresher or call.session.expires.refresher)
            )
            extra += (("Session-Expires", str(call.session.expires)), ("Require", "timer"))
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

    def _other_in_dialog(self, call: _Call, request: Request, now: float) -> None:
        method = request.method
        if method == "PRACK":
            matched = False
            if call.prov is not None:
                matched, due = call.prov.receive_prack(request, now)
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

    # --- internals: responses and failures --------------------------------------------------------------

    def _on_response(self, pending: _Pending, key: TransactionKey, response: Response, now: float) -> None:
        call = pending.call
        if call is None:
            self._on_ood_response(pending, key, response, now)
            return
        purpose = pending.purpose
        if purpose == "INVITE":
            if key == call.invite_key:
                self._on_invite_response(call, response, now)
            return
        if call.state is CallState.ENDED or response.status < 200:
            return
        dialog = call.dialog
        if dialog is not None:
            dialog.receive_response(pending.request, response)
        status = response.status
        if purpose == "REINVITE":
            self._on_reinvite_response(call, pending.request, response, now)
        elif purpose == "REFER":
            self._emit(TransferStatus(call.ref, status, status >= 300))
        if status in (408, 481) and purpose not in ("BYE", "CANCEL", "PRACK"):
            self._end(call, EndReason.DIALOG_GONE, status)

    def _on_ood_response(
        self, pending: _Pending, key: TransactionKey, response: Response, now: float
    ) -> None:
        if response.status < 200:
            return
        if response.status in (401, 407) and self.credentials is not None and key not in self._ood_auth:
            try:
                retry = self.credentials.retry(pending.request, response)
            except AuthError:
                pass
            else:
                new_key = self.layer.send_request(retry, pending.address, now)
                self._client[new_key] = _Pending(None, "OOD", retry, pending.address, pending.origin or key)
                self._ood_auth.add(new_key)
                return
        self._emit(ResponseToRequest(pending.origin or key, response))

    def _on_invite_response(self, call: _Call, response: Response, now: float) -> None:
        status = response.status
        if call.state is CallState.ENDED and status < 200:
            return
        if status < 200:
            self._on_provisional(call, response, now)
        elif status < 300:
            self._on_invite_2xx(call, response, now)
        elif call.state is not CallState.ENDED:
            if status in (401, 407) and self.credentials and not (call.auth_tried or call.hangup_requested):
                try:
                    retry = self.credentials.retry(call.invite, response)
                except AuthError:
                    pass
                else:
                    call.auth_tried = True
                    call.provisional = call.cancel_sent = False
                    self._send_invite(call, retry, now)
                    return
            self._fail(call, status, response.reason)

    def _on_provisional(self, call: _Call, response: Response, now: float) -> None:
        call.provisional = True
        if call.state is CallState.CALLING:
            call.state = CallState.PROCEEDING
        if call.hangup_requested:
            if not call.cancel_sent:
                self._send_cancel(call, now)
            return
        tag = response.to.tag
        if response.status == 100 or tag is None or not response.contacts:
            return
        dialog = call.early.get(tag)
        if dialog is None:
            try:
                dialog = call.early[tag] = Dialog.from_response(call.invite, response)
            except DialogError:
                return
        else:
            dialog.receive_response(call.invite, response)
        if "100rel" in response.require:
            try:
                rack = call.tracker.receive(response)
            except DialogError:
                return
            if rack is None:
                return  # a retransmission: already PRACKed, already reported
            self._send_in_dialog(call, prack_request(dialog, self._via(), rack), "PRACK", now)
        try:
            sdp = _sdp_of(response)
        except SdpError:
            sdp = None
        self._emit(CallRinging(call.ref, response.status, sdp))

    def _ack(self, dialog: Dialog, request: Request) -> Request:
        """The ACK for a 2xx to `request` (INVITE or re-INVITE): its CSeq number, its credentials."""
        ack = dialog.create_request("ACK", self._via())
        headers = ack.headers.with_replaced("CSeq", f"{request.cseq.seq} ACK")
        for name in ("Authorization", "Proxy-Authorization"):
            for value in request.headers.get_lines(name):
                headers = headers.with_added(name, value)
        return ack.replace(headers=headers)

    def _on_invite_2xx(self, call: _Call, response: Response, now: float) -> None:
        tag = response.to.tag or ""
        current = call.dialog
        if current is not None:
            if current.id.remote_tag == tag:  # a retransmission: our ACK was lost
                ack = call.acks.get(response.cseq.seq)
                if ack is not None:
                    self.layer.send_stateless(ack, call.address)
            else:
                self._ack_and_bye(call, response, now)  # another fork answered too
            return
        if call.state is CallState.ENDED:
            self._ack_and_bye(call, response, now)
            return
        try:
            dialog = Dialog.from_response(call.invite, response)
        except DialogError:
            self._fail(call, 502, "2xx without a usable Contact or tag")
            return
        early = call.early.pop(tag, None)
        if early is not None:
            dialog.local_seq = max(dialog.local_seq, early.local_seq)
        call.early.clear()
        call.dialog = dialog
        ack = call.acks[response.cseq.seq] = self._ack(dialog, call.invite)
        self.layer.send_stateless(ack, call.address)
        try:
            call.remote_sdp = _sdp_of(response)
        except SdpError:
            call.remote_sdp = None
        if call.hangup_requested:  # answered although we cancelled: end it (RFC 3261 §15)
            self._bye(call, now)
            self._end(call, EndReason.CANCELLED, response.status)
            return
        try:
            expires = SessionExpires.of(response)
        except DialogError:
            expires = None
        if expires is not None:
            call.session = SessionTimer(expires, we_refresh=expires.refresher is not Refresher.UAS, now=now)
            self._timed[call.ref] = call
        call.state = CallState.ESTABLISHED
        self._emit(CallAnswered(call.ref, call.remote_sdp))
        self._emit(CallEstablished(call.ref))

    def _ack_and_bye(self, call: _Call, response: Response, now: float) -> None:
        try:
            dialog = Dialog.from_response(call.invite, response)
        except DialogError:
            return
        self.layer.send_stateless(self._ack(dialog, call.invite), call.address)
        bye, _ = dialog.bye(self._via())
        key = self.layer.send_request(bye, call.address, now)
        self._client[key] = _Pending(None, "BYE", bye, call.address)

    def _on_reinvite_response(self, call: _Call, request: Request, response: Response, now: float) -> None:
        dialog = call.dialog
        status = response.status
        if dialog is None:
            return
        if 200 <= status < 300:
            ack = call.acks[request.cseq.seq] = self._ack(dialog, request)
            self.layer.send_stateless(ack, call.address)
            try:
                sdp = _sdp_of(response)
            except SdpError:
                sdp = None
            if sdp is not None:
                call.remote_sdp = sdp
                self._emit(MediaUpdated(call.ref, sdp))
            if call.session is not None:
                call.session.refreshed(now)
            if call.local_hold != call.announced_hold:
                call.announced_hold = call.local_hold
                self._emit(CallHeld(call.ref, False) if call.local_hold else CallResumed(call.ref, False))
        elif status == 491:
            # RFC 3261 §14.1: the Call-ID owner retries after 2.1-4 s, the other side after 0-2 s
            delay = self._rng.uniform(2.1, 4.0) if call.outgoing else self._rng.uniform(0.0, 2.0)
            call.glare_at = now + delay
            self._timed[call.ref] = call
        elif status not in (408, 481):
            if call.local_sdp is not None:
                call.local_hold = not call.local_hold
                call.local_sdp = with_direction(call.local_sdp, hold=call.local_hold, bump=False)
            self._emit(CallUpdateFailed(call.ref, status))

    def _on_failure(self, pending: _Pending, key: TransactionKey, status: int, now: float) -> None:
        call = pending.call
        if call is None:
            if pending.purpose == "OOD":
                self._emit(RequestFailed(pending.origin or key, status))
            return
        if pending.purpose == "INVITE":
            if key == call.invite_key and call.state in (CallState.CALLING, CallState.PROCEEDING):
                self._fail(call, status, reason_phrase(status))
        elif pending.purpose == "REINVITE" and call.dialog is not None:
            call.dialog.invite_pending = False
            self._bye(call, now)
            self._end(call, EndReason.DIALOG_GONE, status)
        elif pending.purpose not in ("BYE", "CANCEL", "PRACK") and call.state is not CallState.ENDED:
            self._bye(call, now)
            self._end(call, EndReason.DIALOG_GONE, status)

    def _forget(self, key: TransactionKey) -> None:
        """Destroy a transaction no message can end: an INVITE client one left in Proceeding 64*T1 after
        our CANCEL (RFC 3261 §9.1), or a server one whose request no response could match.

        TransactionLayer has no public call for this yet; it keeps no other state about the key.
        """
        self.layer._transactions.pop(key, None)  # noqa: SLF001
        self.layer._addresses.pop(key, None)  # noqa: SLF001
        self._client.pop(key, None)

    def _on_stray(self, response: Response) -> None:
        if response.cseq.method != "INVITE" or not 200 <= response.status < 300:
            return
        tag = response.from_.tag
        call = self._calls.get(CallRef(response.call_id, tag)) if tag else None
        if call is not None and call.dialog is not None and call.dialog.id.remote_tag == response.to.tag:
            ack = call.acks.get(response.cseq.seq)
            if ack is not None:
                self.layer.send_stateless(ack, call.address)

    # --- internals: call timers -------------------------------------------------------------------------

    def _call_timers(self, call: _Call, now: float) -> None:
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
