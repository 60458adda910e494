"""SIP dialogs (RFC 3261 §12), sans-I/O: identity, route set, remote target, CSeq rules and state.

A `Dialog` is created from a 1xx-with-tag or 2xx (UAC side, `Dialog.from_response`) or from the INVITE
the UAS answers (`Dialog.from_request`). It builds in-dialog requests (`create_request`, `bye`,
`reinvite`, `info_dtmf`) and checks incoming ones (`receive_request`), returning events. States move only
along the table `_TRANSITIONS`; anything else raises SipStateError.

Events: DialogConfirmed, DialogTerminated, TargetRefreshed, ReInviteReceived (with the offered hold state),
UpdateReceived, ByeReceived, OptionsReceived, DtmfReceived (INFO application/dtmf-relay) and
RequestReceivedInDialog for any other method.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from okc.sip.errors import SipError, SipStateError
from okc.sip.headers import NameAddr, Via
from okc.sip.message import Request, Response
from okc.sip.sdp import Direction, SdpError, SessionDescription
from okc.sip.uri import SipUri, Uri

__all__ = [
    "ByeReceived",
    "Dialog",
    "DialogConfirmed",
    "DialogError",
    "DialogEvent",
    "DialogId",
    "DialogState",
    "DialogTerminated",
    "DtmfReceived",
    "OptionsReceived",
    "ReInviteReceived",
    "RequestReceivedInDialog",
    "TargetRefreshed",
    "UpdateReceived",
    "parse_dtmf_relay",
]

_TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})
_DTMF_DIGITS = frozenset("0123456789*#ABCD")


class DialogError(SipError):
    """An in-dialog request okc must refuse; `status` is the response to send (500, 481, 400 ...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class DialogState(enum.Enum):
    """Dialog states of RFC 3261 §12."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class _Input(enum.Enum):
    PROVISIONAL = "provisional"
    SUCCESS = "success"
    FAILURE = "failure"
    BYE = "bye"


# Every legal move of the dialog state machine; anything else raises SipStateError.
_TRANSITIONS: dict[tuple[DialogState, _Input], DialogState] = {
    (DialogState.EARLY, _Input.PROVISIONAL): DialogState.EARLY,
    (DialogState.EARLY, _Input.SUCCESS): DialogState.CONFIRMED,
    (DialogState.EARLY, _Input.FAILURE): DialogState.TERMINATED,
    (DialogState.EARLY, _Input.BYE): DialogState.TERMINATED,
    (DialogState.CONFIRMED, _Input.SUCCESS): DialogState.CONFIRMED,
    (DialogState.CONFIRMED, _Input.BYE): DialogState.TERMINATED,
}


@dataclass(frozen=True, slots=True)
class DialogId:
    """Call-ID with the local and remote tags."""

    call_id: str
    local_tag: str
    remote_tag: str


@dataclass(frozen=True, slots=True)
class DialogConfirmed:
    """A 2xx confirmed the dialog."""

    dialog_id: DialogId


@dataclass(frozen=True, slots=True)
class DialogTerminated:
    """The dialog ended (BYE sent or received, or the INVITE failed); `reason` is for the log."""

    dialog_id: DialogId
    reason: str


@dataclass(frozen=True, slots=True)
class TargetRefreshed:
    """The remote target (Contact) changed."""

    target: Uri


@dataclass(frozen=True, slots=True)
class ReInviteReceived:
    """A re-INVITE; `offer` is its SDP (None for an offerless re-INVITE); `hold` when it puts us on hold."""

    request: Request
    offer: SessionDescription | None

    @property
    def hold(self) -> bool:
        """Whether the offer stops the peer from receiving our media (sendonly, inactive or c=0.0.0.0)."""
        if self.offer is None or not self.offer.media:
            return False
        return not self.offer.media_direction(self.offer.media[0]).receives


@dataclass(frozen=True, slots=True)
class UpdateReceived:
    """An UPDATE (RFC 3311)."""

    request: Request


@dataclass(frozen=True, slots=True)
class ByeReceived:
    """A BYE; the dialog is terminated and the caller answers 200."""

    request: Request


@dataclass(frozen=True, slots=True)
class OptionsReceived:
    """An in-dialog OPTIONS (keep-alive probe)."""

    request: Request


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """A DTMF digit sent by INFO with application/dtmf-relay."""

    digit: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class RequestReceivedInDialog:
    """Any other in-dialog request (INFO of another type, MESSAGE, REFER, NOTIFY ...)."""

    request: Request


DialogEvent = (
    DialogConfirmed
    | DialogTerminated
    | TargetRefreshed
    | ReInviteReceived
    | UpdateReceived
    | ByeReceived
    | OptionsReceived
    | DtmfReceived
    | RequestReceivedInDialog
)


def parse_dtmf_relay(body: bytes) -> DtmfReceived:
    """Read `Signal=5` / `Duration=160` lines of an application/dtmf-relay body."""
    fields: dict[str, str] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        name, eq, value = line.partition("=")
        if eq:
            fields[name.strip().lower()] = value.strip()
    digit = fields.get("signal", "").upper()
    duration = fields.get("duration", "250")
    if digit not in _DTMF_DIGITS or len(digit) != 1 or not duration.isdigit():
        raise DialogError(f"invalid dtmf-relay body {body!r}", 400)
    return DtmfReceived(digit, int(duration))


def _sdp(message: Request | Response) -> SessionDescription | None:
    ctype = message.content_type
    if not message.body or ctype is None or ctype.mime != "application/sdp":
        return None
    try:
        return SessionDescription.parse(message.body)
    except SdpError as exc:
        raise DialogError(str(exc), 488) from None


class Dialog:
    """One dialog's state as seen from this side (UAC or UAS)."""

    def __init__(
        self,
        dialog_id: DialogId,
        *,
        local_uri: NameAddr,
        remote_uri: NameAddr,
        remote_target: Uri,
        route_set: tuple[NameAddr, ...],
        local_seq: int,
        remote_seq: int | None,
        local_contact: NameAddr,
        state: DialogState,
        secure: bool = False,
    ) -> None:
        self.id = dialog_id
        self.local_uri = local_uri
        self.remote_uri = remote_uri
        self.remote_target = remote_target
        self.route_set = route_set
        self.local_seq = local_seq
        self.remote_seq = remote_seq
        self.local_contact = local_contact
        self.state = state
        self.secure = secure
        self.invite_pending = False  # our re-INVITE awaits its final response (glare → 491, RFC 3261 §14.2)

    @classmethod
    def from_response(cls, request: Request, response: Response) -> Dialog:
        """UAC side: the dialog of a tagged 1xx or a 2xx to `request` (§12.1.2, Record-Route reversed)."""
        tag = response.to.tag
        local_tag = request.from_.tag
        if tag is None or local_tag is None or response.status < 101 or response.status >= 300:
            raise DialogError("a dialog needs a 101-299 response with To and From tags", 400)
        if not response.contacts:
            raise DialogError("dialog-creating response without Contact", 400)
        contact = request.contacts[0] if request.contacts else request.from_
        return cls(
            DialogId(request.call_id, local_tag, tag),
            local_uri=request.from_,
            remote_uri=response.to,
            remote_target=response.contacts[0].uri,
            route_set=tuple(reversed(response.record_routes)),
            local_seq=request.cseq.seq,
            remote_seq=None,
            local_contact=contact,
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
        )

    @classmethod
    def from_request(
        cls, request: Request, local_tag: str, local_contact: NameAddr, *, confirmed: bool = False
    ) -> Dialog:
        """UAS side: the dialog a 1xx (early) or 2xx (confirmed) with `local_tag` creates (§12.1.1)."""
        # §12.1.1: a request without a From tag (an RFC 2543 peer) has a null remote tag; such a peer may
        # also leave out Contact, and RFC 2543 then sends requests back to its From address.
        remote_tag = request.from_.tag or ""
        target = request.contacts[0].uri if request.contacts else request.from_.uri
        if not request.contacts and request.from_.tag is not None:
            raise DialogError("dialog-creating request without Contact", 400)
        return cls(
            DialogId(request.call_id, local_tag, remote_tag),
            local_uri=request.to.with_tag(local_tag),
            remote_uri=request.from_,
            remote_target=target,
            route_set=request.record_routes,
            local_seq=0,
            remote_seq=request.cseq.seq,
            local_contact=local_contact,
            state=DialogState.CONFIRMED if confirmed else DialogState.EARLY,
        )

    def _move(self, event: _Input) -> DialogState:
        new = _TRANSITIONS.get((self.state, event))
        if new is None:
            raise SipStateError(f"dialog cannot take {event.value} in state {self.state.value}")
        self.state = new
        return new

    def confirm(self) -> list[DialogEvent]:
        """UAS side: the 2xx to the INVITE was sent."""
        before = self.state
        self._move(_Input.SUCCESS)
        return [DialogConfirmed(self.id)] if before is DialogState.EARLY else []

    def receive_response(self, request: Request, response: Response) -> list[DialogEvent]:
        """UAC side: a response to one of this dialog's requests; confirms, refreshes the target or ends."""
        events: list[DialogEvent] = []
        method = response.cseq.method
        if 200 <= response.status < 300 and method in _TARGET_REFRESH and response.contacts:
            target = response.contacts[0].uri
            if target != self.remote_target:
                self.remote_target = target
                events.append(TargetRefreshed(target))
        if method == "INVITE" and response.status >= 200:
            self.invite_pending = False
        if method == "INVITE" and request.cseq.seq == response.cseq.seq:
            if response.status < 200:
                self._move(_Input.PROVISIONAL)
            elif response.status < 300:
                if self.state is DialogState.EARLY:
                    events.append(DialogConfirmed(self.id))
                self._move(_Input.SUCCESS)
            elif self.state is DialogState.EARLY:
                self._move(_Input.FAILURE)
                events.append(DialogTerminated(self.id, f"INVITE failed with {response.status}"))
        if response.status in (408, 481) and self.state is not DialogState.TERMINATED:
            self.state = DialogState.TERMINATED
            events.append(DialogTerminated(self.id, f"in-dialog request answered {response.status}"))
        return events

    def receive_request(self, request: Request) -> list[DialogEvent]:
        """Check an in-dialog request (§12.2.2): CSeq must increase (else DialogError 500); events out."""
        if self.state is DialogState.TERMINATED:
            raise DialogError("dialog is terminated", 481)
        seq = request.cseq.seq
        if request.method == "INVITE" and self.invite_pending:
            raise DialogError("re-INVITE glare: ours is still pending", 491)
        if request.method != "ACK":
            if self.remote_seq is not None and seq <= self.remote_seq:
                raise DialogError(f"CSeq {seq} not above {self.remote_seq}", 500)
            self.remote_seq = seq
        events: list[DialogEvent] = []
        if request.method in _TARGET_REFRESH and request.contacts:
            target = request.contacts[0].uri
            if target != self.remote_target:
                self.remote_target = target
                events.append(TargetRefreshed(target))
        method = request.method
        if method == "INVITE":
            events.append(ReInviteReceived(request, _sdp(request)))
        elif method == "UPDATE":
            events.append(UpdateReceived(request))
        elif method == "BYE":
            self._move(_Input.BYE)
            events += [ByeReceived(request), DialogTerminated(self.id, "BYE received")]
        elif method == "OPTIONS":
            events.append(OptionsReceived(request))
        elif (
            method == "INFO"
            and request.content_type is not None
            and request.content_type.mime == ("application/dtmf-relay")
        ):
            events.append(parse_dtmf_relay(request.body))
        elif method != "ACK":
            events.append(RequestReceivedInDialog(request))
        return events

    def create_request(
        self,
        method: str,
        via: Via,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> Request:
        """An in-dialog request (§12.2.1.1): next local CSeq (ACK and CANCEL reuse it), route set applied."""
        if self.state is DialogState.TERMINATED and method != "ACK":
            raise SipStateError("dialog is terminated")
        if method not in ("ACK", "CANCEL"):
            self.local_seq += 1
        uri: Uri = self.remote_target
        routes = [str(r) for r in self.route_set]
        if self.route_set:
            first = self.route_set[0].uri
            if isinstance(first, SipUri) and not first.lr:
                uri = first.without_headers()
                routes = [*routes[1:], f"<{self.remote_target}>"]
        fields = tuple(("Route", r) for r in routes) + extra
        contact = self.local_contact if method in _TARGET_REFRESH else None
        return Request.build(
            method,
            uri,
            via=via,
            from_=self.local_uri,
            to=self.remote_uri,
            call_id=self.id.call_id,
            cseq=self.local_seq,
            contact=contact,
            extra=fields,
            body=body,
            content_type=content_type,
        )

    def bye(self, via: Via) -> tuple[Request, list[DialogEvent]]:
        """A BYE; the dialog is terminated once it is sent."""
        request = self.create_request("BYE", via)
        self._move(_Input.BYE)
        return request, [DialogTerminated(self.id, "BYE sent")]

    def reinvite(self, via: Via, offer: SessionDescription) -> Request:
        """A re-INVITE carrying `offer` (hold: an offer with sendonly/inactive; unhold: sendrecv)."""
        if self.state is not DialogState.CONFIRMED:
            raise SipStateError("re-INVITE needs a confirmed dialog")
        if self.invite_pending:
            raise SipStateError("a re-INVITE is already pending")
        request = self.create_request("INVITE", via, body=bytes(offer), content_type="application/sdp")
        self.invite_pending = True
        return request

    def info_dtmf(self, via: Via, digit: str, duration_ms: int = 160) -> Request:
        """An INFO carrying one DTMF digit as application/dtmf-relay."""
        if digit.upper() not in _DTMF_DIGITS or len(digit) != 1 or duration_ms <= 0:
            raise DialogError(f"invalid DTMF digit {digit!r} or duration {duration_ms}", 400)
        body = f"Signal={digit.upper()}\r\nDuration={duration_ms}\r\n".encode()
        return self.create_request("INFO", via, body=body, content_type="application/dtmf-relay")


def offer_direction(offer: SessionDescription) -> Direction:
    """The effective direction of an offer's first stream (sendrecv when it has none)."""
    return offer.media_direction(offer.media[0]) if offer.media else Direction.SENDRECV
