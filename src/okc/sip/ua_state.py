"""What the user agent core (okc.sip.ua) keeps per call and shares between its modules: call states and
records, pending client requests, reason phrases, SDP direction edits."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from okc.sip.dialog import Dialog
from okc.sip.layer import Address, TransactionKey
from okc.sip.message import Request, Response
from okc.sip.prack import ProvisionalTracker, ReliableProvisionals
from okc.sip.sdp import Direction, Media, Origin, SessionDescription
from okc.sip.session_timer import SessionExpires, SessionTimer
from okc.sip.ua_events import CallRef

__all__ = [
    "ALLOW",
    "SUPPORTED",
    "CallRecord",
    "CallState",
    "PendingRequest",
    "reason_phrase",
    "sdp_of",
    "with_direction",
]

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, PRACK"
SUPPORTED = ("100rel", "timer", "replaces")


class CallState(enum.Enum):
    """Where one call stands, as the user agent core sees it."""

    CALLING = "calling"  # our INVITE is out, nothing back yet
    PROCEEDING = "proceeding"  # our INVITE got a provisional response
    INCOMING = "incoming"  # a peer's INVITE awaits our answer
    ACCEPTED = "accepted"  # we answered 2xx and wait for the ACK
    ESTABLISHED = "established"  # the dialog is confirmed
    ENDED = "ended"


_REASONS = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    420: "Bad Extension",
    422: "Session Interval Too Small",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    600: "Busy Everywhere",
    603: "Decline",
}

_CLASS = {1: "Provisional", 2: "OK", 3: "Redirect", 4: "Client Error", 5: "Server Error", 6: "Global Failure"}
_DIRECTIONS = frozenset(d.value for d in Direction)


def reason_phrase(status: int) -> str:
    """The RFC 3261 reason phrase of a status code (its class name for codes without one)."""
    return _REASONS.get(status) or _CLASS.get(status // 100, "Unknown")


def with_direction(
    sdp: SessionDescription, *, hold: bool, bump: bool, peer: Direction | None = None
) -> SessionDescription:
    """Our SDP again with every stream's direction set: sendonly on hold, else sendrecv, narrowed by what
    the peer's offer allows (`peer`), and the o= version raised by one when `bump` (RFC 3264 §8)."""
    mine = Direction.SENDONLY if hold else Direction.SENDRECV
    if peer is not None:
        theirs = peer.reversed()
        mine = Direction.of(mine.sends and theirs.sends, mine.receives and theirs.receives)
    session: list[tuple[str, str]] = []
    for kind, value in sdp.lines:
        if kind == "a" and value in _DIRECTIONS:
            continue
        if kind == "o" and bump:
            origin = Origin.parse(value)
            session.append((kind, str(replace(origin, version=origin.version + 1))))
        else:
            session.append((kind, value))
    media = tuple(
        Media(
            m.media,
            m.port,
            m.proto,
            m.formats,
            (*((k, v) for k, v in m.lines if not (k == "a" and v in _DIRECTIONS)), ("a", mine.value)),
        )
        for m in sdp.media
    )
    return SessionDescription(tuple(session), media)


@dataclass(eq=False, slots=True)
class CallRecord:
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
        """The earliest of this call's own timers, or None."""
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
class PendingRequest:
    """What a client transaction of ours is for."""

    call: CallRecord | None
    purpose: str  # INVITE, CANCEL, REINVITE, BYE, PRACK, INFO, REFER, NOTIFY, OOD
    request: Request
    address: Address = ("", 0)
    origin: TransactionKey | None = None  # a digest retry answers for the key its owner knows


def sdp_of(message: Request | Response) -> SessionDescription | None:
    ctype = message.content_type
    if not message.body or ctype is None or ctype.mime != "application/sdp":
        return None
    return SessionDescription.parse(message.body)
