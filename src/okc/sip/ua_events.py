"""The events a `UserAgentCore` (okc.sip.ua) emits: one frozen value per call state change.

A call is named by a `CallRef` (Call-ID and our tag). Incoming side: IncomingCall → (CallEstablished once
the ACK for our 2xx arrives) → CallEnded. Outgoing side: CallRinging (1xx) → CallAnswered + CallEstablished
(2xx, ACK sent) or CallFailed(status). During the call: CallHeld/CallResumed (remote re-INVITE or our own
hold), MediaUpdated (new remote SDP), DtmfReceived (INFO), TransferRequested (REFER, already answered 202),
TransferStatus (our REFER's response and the peer's sipfrag NOTIFYs), CallUpdateFailed (our re-INVITE
refused). Outside calls: OptionsReceived (answered 200 by the core), OutOfDialogRequest (REGISTER, MESSAGE
… for the owner to answer with `UserAgentCore.respond`), ResponseToRequest / RequestFailed for requests
sent with `UserAgentCore.request`, MessageDropped for unparseable input.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from okc.sip.headers import NameAddr
from okc.sip.layer import Address, TransactionKey
from okc.sip.message import Request, Response
from okc.sip.refer import ReferTo
from okc.sip.sdp import SessionDescription

__all__ = [
    "CallAnswered",
    "CallEnded",
    "CallEstablished",
    "CallFailed",
    "CallHeld",
    "CallRef",
    "CallResumed",
    "CallRinging",
    "CallUpdateFailed",
    "DtmfReceived",
    "EndReason",
    "IncomingCall",
    "MediaUpdated",
    "MessageDropped",
    "OptionsReceived",
    "OutOfDialogRequest",
    "RequestFailed",
    "ResponseToRequest",
    "TransferRequested",
    "TransferStatus",
    "UaEvent",
]


@dataclass(frozen=True, slots=True)
class CallRef:
    """Names one call of a user agent: its Call-ID and our own tag (From tag outgoing, To tag incoming)."""

    call_id: str
    local_tag: str


class EndReason(enum.Enum):
    """Why a call that existed ended."""

    LOCAL_BYE = "local-bye"  # we hung up
    REMOTE_BYE = "remote-bye"  # the peer hung up
    CANCELLED = "cancelled"  # the INVITE was cancelled before an answer (by either side)
    REJECTED = "rejected"  # we answered the incoming INVITE with a failure
    NO_ACK = "no-ack"  # our 2xx was never acknowledged (RFC 3261 §13.3.1.4): BYE sent
    SESSION_EXPIRED = "session-expired"  # no session refresh in time (RFC 4028): BYE sent
    DIALOG_GONE = "dialog-gone"  # an in-dialog request was answered 408/481 or timed out


@dataclass(frozen=True, slots=True)
class IncomingCall:
    """A new INVITE: answer with `answer`, `ring` first if you like, or `reject`."""

    call: CallRef
    request: Request
    source: Address
    offer: SessionDescription | None

    @property
    def caller(self) -> NameAddr:
        """The From of the INVITE."""
        return self.request.from_


@dataclass(frozen=True, slots=True)
class CallRinging:
    """Our INVITE got a provisional response with a tag (180, 183 …); `sdp` for early media."""

    call: CallRef
    status: int
    sdp: SessionDescription | None


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """Our INVITE was answered 2xx (the ACK is sent); `sdp` is the answer."""

    call: CallRef
    sdp: SessionDescription | None


@dataclass(frozen=True, slots=True)
class CallEstablished:
    """The dialog is confirmed on our side: ACK sent (outgoing) or received (incoming)."""

    call: CallRef


@dataclass(frozen=True, slots=True)
class CallFailed:
    """Our INVITE ended without a call: a 3xx-6xx, 408 for a timeout, 503 for a transport failure."""

    call: CallRef
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A call (answered or still ringing on our side) is over; `status` says more when a response did."""

    call: CallRef
    reason: EndReason
    status: int | None = None


@dataclass(frozen=True, slots=True)
class CallHeld:
    """The call went on hold: `by_remote` when the peer's re-INVITE did it, else our own hold succeeded."""

    call: CallRef
    by_remote: bool


@dataclass(frozen=True, slots=True)
class CallResumed:
    """The call came off hold (see CallHeld)."""

    call: CallRef
    by_remote: bool


@dataclass(frozen=True, slots=True)
class MediaUpdated:
    """The peer's SDP changed (re-INVITE or UPDATE offer, or the answer to ours)."""

    call: CallRef
    sdp: SessionDescription


@dataclass(frozen=True, slots=True)
class CallUpdateFailed:
    """Our re-INVITE (hold, unhold, refresh) was refused; the previous session stays."""

    call: CallRef
    status: int


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """A DTMF digit by INFO (application/dtmf-relay)."""

    call: CallRef
    digit: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class TransferRequested:
    """The peer sent REFER (answered 202): call `refer_to`; report progress with `notify_transfer`."""

    call: CallRef
    refer_to: ReferTo
    request: Request


@dataclass(frozen=True, slots=True)
class TransferStatus:
    """Progress of our REFER: its own response first, then each sipfrag NOTIFY's status."""

    call: CallRef
    status: int
    final: bool


@dataclass(frozen=True, slots=True)
class OptionsReceived:
    """An OPTIONS outside a dialog, already answered 200 with Allow and Accept."""

    request: Request
    source: Address


@dataclass(frozen=True, slots=True)
class OutOfDialogRequest:
    """A request outside any dialog that the core does not handle (REGISTER, MESSAGE, SUBSCRIBE …).

    Answer it with `UserAgentCore.respond(key, status)` (or `respond_with`); unanswered it times out.
    """

    request: Request
    source: Address
    key: TransactionKey


@dataclass(frozen=True, slots=True)
class ResponseToRequest:
    """A final response to a request sent with `UserAgentCore.request`."""

    key: TransactionKey
    response: Response


@dataclass(frozen=True, slots=True)
class RequestFailed:
    """A request sent with `UserAgentCore.request` timed out (408) or its transport failed (503)."""

    key: TransactionKey
    status: int


@dataclass(frozen=True, slots=True)
class MessageDropped:
    """Input dropped without an answer (unparseable, or a response to nothing); for logs and counters."""

    reason: str
    source: Address


UaEvent = (
    IncomingCall
    | CallRinging
    | CallAnswered
    | CallEstablished
    | CallFailed
    | CallEnded
    | CallHeld
    | CallResumed
    | MediaUpdated
    | CallUpdateFailed
    | DtmfReceived
    | TransferRequested
    | TransferStatus
    | OptionsReceived
    | OutOfDialogRequest
    | ResponseToRequest
    | RequestFailed
    | MessageDropped
)
