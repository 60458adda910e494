"""The user agent core's handling of responses to its own requests (okc.sip.ua): INVITE outcomes,
ACK for 2xx (again for each retransmission), BYE for late or forked 2xx, re-INVITE results and glare,
timeouts and transport failures."""

from __future__ import annotations

from okc.sip.auth import AuthError
from okc.sip.dialog import (
    Dialog,
    DialogError,
)
from okc.sip.layer import (
    TransactionKey,
)
from okc.sip.message import Request, Response
from okc.sip.prack import prack_request
from okc.sip.sdp import SdpError
from okc.sip.session_timer import (
    Refresher,
    SessionExpires,
    SessionTimer,
)
from okc.sip.ua_base import UserAgentBase
from okc.sip.ua_events import (
    CallAnswered,
    CallEstablished,
    CallHeld,
    CallRef,
    CallResumed,
    CallRinging,
    CallUpdateFailed,
    EndReason,
    MediaUpdated,
    RequestFailed,
    ResponseToRequest,
    TransferStatus,
)
from okc.sip.ua_state import (
    CallRecord,
    CallState,
    PendingRequest,
    reason_phrase,
    sdp_of,
    with_direction,
)

__all__ = ["ClientResponses"]


class ClientResponses(UserAgentBase):
    """Responses, timeouts and stray 2xx for the client transactions the core started."""

    def _on_response(
        self, pending: PendingRequest, key: TransactionKey, response: Response, now: float
    ) -> None:
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
        self, pending: PendingRequest, key: TransactionKey, response: Response, now: float
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
                self._client[new_key] = PendingRequest(
                    None, "OOD", retry, pending.address, pending.origin or key
                )
                self._ood_auth.add(new_key)
                return
        self._emit(ResponseToRequest(pending.origin or key, response))

    def _on_invite_response(self, call: CallRecord, response: Response, now: float) -> None:
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

    def _on_provisional(self, call: CallRecord, response: Response, now: float) -> None:
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
            sdp = sdp_of(response)
        except SdpError:
            sdp = None
        self._emit(CallRinging(call.ref, response.status, sdp))

    def _on_invite_2xx(self, call: CallRecord, response: Response, now: float) -> None:
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
            call.remote_sdp = sdp_of(response)
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
            self._schedule(call)
        call.state = CallState.ESTABLISHED
        self._emit(CallAnswered(call.ref, call.remote_sdp))
        self._emit(CallEstablished(call.ref))

    def _ack_and_bye(self, call: CallRecord, response: Response, now: float) -> None:
        try:
            dialog = Dialog.from_response(call.invite, response)
        except DialogError:
            return
        self.layer.send_stateless(self._ack(dialog, call.invite), call.address)
        bye, _ = dialog.bye(self._via())
        key = self.layer.send_request(bye, call.address, now)
        self._client[key] = PendingRequest(None, "BYE", bye, call.address)

    def _on_reinvite_response(
        self, call: CallRecord, request: Request, response: Response, now: float
    ) -> None:
        dialog = call.dialog
        status = response.status
        if dialog is None:
            return
        if 200 <= status < 300:
            ack = call.acks[request.cseq.seq] = self._ack(dialog, request)
            self.layer.send_stateless(ack, call.address)
            try:
                sdp = sdp_of(response)
            except SdpError:
                sdp = None
            if sdp is not None:
                call.remote_sdp = sdp
                self._emit(MediaUpdated(call.ref, sdp))
            if call.session is not None:
                call.session.refreshed(now)
                self._schedule(call)
            if call.local_hold != call.announced_hold:
                call.announced_hold = call.local_hold
                self._emit(CallHeld(call.ref, False) if call.local_hold else CallResumed(call.ref, False))
        elif status == 491:
            # RFC 3261 §14.1: the Call-ID owner retries after 2.1-4 s, the other side after 0-2 s
            delay = self._rng.uniform(2.1, 4.0) if call.outgoing else self._rng.uniform(0.0, 2.0)
            call.glare_at = now + delay
            self._schedule(call)
        elif status not in (408, 481):
            if call.local_sdp is not None:
                call.local_hold = not call.local_hold
                call.local_sdp = with_direction(call.local_sdp, hold=call.local_hold, bump=False)
            self._emit(CallUpdateFailed(call.ref, status))

    def _on_failure(self, pending: PendingRequest, key: TransactionKey, status: int, now: float) -> None:
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

    def _on_stray(self, response: Response) -> None:
        if response.cseq.method != "INVITE" or not 200 <= response.status < 300:
            return
        tag = response.from_.tag
        call = self._calls.get(CallRef(response.call_id, tag)) if tag else None
        if call is not None and call.dialog is not None and call.dialog.id.remote_tag == response.to.tag:
            ack = call.acks.get(response.cseq.seq)
            if ack is not None:
                self.layer.send_stateless(ack, call.address)
