"""The common part of the user agent core (okc.sip.ua): its state, outputs and message builders."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import random
from collections.abc import Callable

from okc.sip.auth import DigestClient
from okc.sip.dialog import (
    Dialog,
)
from okc.sip.errors import SipStateError
from okc.sip.headers import NameAddr, Via
from okc.sip.layer import (
    Address,
    TransactionKey,
    TransactionLayer,
)
from okc.sip.message import Request, Response, response_to
from okc.sip.sdp import SessionDescription
from okc.sip.timers import TimerConfig
from okc.sip.ua_events import (
    CallEnded,
    CallFailed,
    CallRef,
    EndReason,
    UaEvent,
)
from okc.sip.ua_state import (
    ALLOW,
    SUPPORTED,
    CallRecord,
    CallState,
    PendingRequest,
    reason_phrase,
    with_direction,
)
from okc.sip.uri import Params, SipUri, Uri

__all__ = ["UDP_LIMIT", "RequestFilter", "UserAgentBase"]

UDP_LIMIT = 1300  # RFC 3261 §18.1.1: MTU 1500 − 200; larger requests go over TCP

#: Answers a new out-of-dialog request itself (a challenge, a 403) or lets it pass with None.
RequestFilter = Callable[[Request, Address, float], Response | None]


class UserAgentBase:
    """State, outputs and helpers shared by the UA core's client and server halves."""

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
        self._calls: dict[CallRef, CallRecord] = {}
        # (deadline, n, call) of calls with a timer; an entry whose call's deadline has since moved is
        # re-pushed (or dropped) when it surfaces, so timers cost O(log n) however many calls wait
        self._call_deadlines: list[tuple[float, int, CallRecord]] = []
        self._order = itertools.count()
        self._server_invites: dict[TransactionKey, CallRecord] = {}
        self._client: dict[TransactionKey, PendingRequest] = {}
        self._ood_auth: set[TransactionKey] = set()
        self._events: list[UaEvent] = []

    def events(self) -> list[UaEvent]:
        """Take every event produced so far, in order."""
        out, self._events = self._events, []
        return out

    def datagrams(self) -> list[tuple[bytes, Address]]:
        """Take every (data, address) the transport must send, in order."""
        return [(d.data, d.address) for d in self.layer.datagrams()]

    def _schedule(self, call: CallRecord) -> None:
        """Index a call whose timers were just armed or moved earlier."""
        deadline = call.deadline()
        if deadline is not None and call.state is not CallState.ENDED:
            heapq.heappush(self._call_deadlines, (deadline, next(self._order), call))

    def _next_call(self) -> tuple[float, CallRecord] | None:
        heap = self._call_deadlines
        while heap:
            deadline, _, call = heap[0]
            current = call.deadline() if call.state is not CallState.ENDED else None
            if current == deadline:
                return deadline, call
            heapq.heappop(heap)
            if current is not None:  # moved later: index it where it is now
                heapq.heappush(heap, (current, next(self._order), call))
        return None

    def get_timer(self) -> float | None:
        """The earliest deadline of any transaction or call timer, or None."""
        best = self.layer.get_timer()
        top = self._next_call()
        if top is not None and (best is None or top[0] < best):
            best = top[0]
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

    def _send_invite(self, call: CallRecord, request: Request, now: float) -> None:
        call.invite = request
        call.invite_key = key = self.layer.send_request(request, call.address, now)
        self._client[key] = PendingRequest(call, "INVITE", request)

    def _get(self, ref: CallRef) -> CallRecord:
        call = self._calls.get(ref)
        if call is None:
            raise SipStateError(f"no such call {ref.call_id}")
        return call

    def _established(self, ref: CallRef) -> tuple[CallRecord, Dialog]:
        call = self._get(ref)
        if call.state not in (CallState.ESTABLISHED, CallState.ACCEPTED) or call.dialog is None:
            raise SipStateError(f"call {ref.call_id} is {call.state.value}, not established")
        return call, call.dialog

    def _send_cancel(self, call: CallRecord, now: float) -> None:
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
        self._client[key] = PendingRequest(call, "CANCEL", cancel)
        call.cancel_sent = True
        call.abandon_at = now + self.timers.timeout
        self._schedule(call)

    def _send_in_dialog(self, call: CallRecord, request: Request, purpose: str, now: float) -> None:
        key = self.layer.send_request(request, call.address, now)
        self._client[key] = PendingRequest(call, purpose, request)

    def _bye(self, call: CallRecord, now: float) -> None:
        dialog = call.dialog
        if dialog is None:
            return
        try:
            bye, _ = dialog.bye(self._via())
        except SipStateError:
            return
        self._send_in_dialog(call, bye, "BYE", now)

    def _send_reinvite(self, call: CallRecord, dialog: Dialog, now: float) -> None:
        assert call.local_sdp is not None
        offer = with_direction(call.local_sdp, hold=call.local_hold, bump=True)
        request = dialog.reinvite(self._via(), offer)
        if call.session is not None:
            request = request.replace(
                headers=request.headers.with_added("Session-Expires", str(call.session.expires))
            )
        call.local_sdp = offer
        self._send_in_dialog(call, request, "REINVITE", now)

    def _uas_response(
        self,
        call: CallRecord,
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

    def _incoming(self, ref: CallRef) -> CallRecord:
        call = self._get(ref)
        if call.state is not CallState.INCOMING:
            raise SipStateError(f"call {ref.call_id} is {call.state.value}, not an unanswered incoming call")
        return call

    def _await_ack(self, call: CallRecord, response: Response, now: float) -> None:
        call.uas_2xx = response
        call.rtx_interval = self.timers.t1
        call.rtx_at = now + self.timers.t1 if not self.reliable else now + self.timers.timeout
        call.give_up_at = now + self.timers.timeout
        self._schedule(call)

    def _emit(self, event: UaEvent) -> None:
        self._events.append(event)

    def _end(self, call: CallRecord, reason: EndReason, status: int | None = None) -> None:
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

    def _fail(self, call: CallRecord, status: int, reason: str) -> None:
        call.state = CallState.ENDED
        self._calls.pop(call.ref, None)
        if call.hangup_requested:
            self._emit(CallEnded(call.ref, EndReason.CANCELLED, status))
        else:
            self._emit(CallFailed(call.ref, status, reason))

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

    def _ack(self, dialog: Dialog, request: Request) -> Request:
        """The ACK for a 2xx to `request` (INVITE or re-INVITE): its CSeq number, its credentials."""
        ack = dialog.create_request("ACK", self._via())
        headers = ack.headers.with_replaced("CSeq", f"{request.cseq.seq} ACK")
        for name in ("Authorization", "Proxy-Authorization"):
            for value in request.headers.get_lines(name):
                headers = headers.with_added(name, value)
        return ack.replace(headers=headers)

    def _forget(self, key: TransactionKey) -> None:
        """Destroy a transaction no message can end: an INVITE client one left in Proceeding 64*T1 after
        our CANCEL (RFC 3261 §9.1), or a server one whose request no response could match.
        """
        self.layer.abandon(key)
        self._client.pop(key, None)
