"""Small values the user agent core (okc.sip.ua) shares: call states, reason phrases, SDP direction edits."""

from __future__ import annotations

import enum
from dataclasses import replace

from okc.sip.sdp import Direction, Media, Origin, SessionDescription

__all__ = ["CallState", "reason_phrase", "with_direction"]


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
