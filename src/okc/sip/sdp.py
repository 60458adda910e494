"""SDP (RFC 8866) parsing and serialisation, and the offer/answer model of RFC 3264 for okc's audio.

A description keeps every line in its order, so unknown lines survive a round trip; typed views (origin,
connection, codecs, direction) are read from those lines. `answer` picks PCMA/PCMU and telephone-event
(RFC 4733) in the offerer's order of preference; an offer okc cannot take raises `SdpError` (488).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from okc.errors import OkcError

__all__ = [
    "Codec",
    "Direction",
    "LocalMedia",
    "Media",
    "Origin",
    "SdpError",
    "SessionDescription",
    "answer",
    "make_offer",
]

_SESSION_TYPES = frozenset("vosiuepcbtrzka")
_MEDIA_TYPES = frozenset("icbka")
_STATIC = {0: ("PCMU", 8000, 1), 8: ("PCMA", 8000, 1), 9: ("G722", 8000, 1), 18: ("G729", 8000, 1)}
DTMF_FMTP = "0-15"


class SdpError(OkcError):
    """A malformed or unacceptable session description; `status` is the SIP response to send."""

    def __init__(self, message: str, status: int = 488) -> None:
        super().__init__(message)
        self.status = status

    def warning(self, host: str) -> str:
        """The Warning header value for the rejection (RFC 3261 §20.43, code 399 with okc's text)."""
        return f'399 {host} "Incompatible media format"'


class Direction(enum.Enum):
    """Media direction attributes of RFC 3264 §5.1."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def sends(self) -> bool:
        """Whether this side sends media."""
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        """Whether this side receives media."""
        return self in (Direction.SENDRECV, Direction.RECVONLY)

    @classmethod
    def of(cls, sends: bool, receives: bool) -> Direction:
        """The direction that sends and/or receives."""
        if sends:
            return cls.SENDRECV if receives else cls.SENDONLY
        return cls.RECVONLY if receives else cls.INACTIVE

    def reversed(self) -> Direction:
        """The direction the other side sees (sendonly ↔ recvonly)."""
        return Direction.of(self.receives, self.sends)


@dataclass(frozen=True, slots=True)
class Origin:
    """The o= line: username, session id and version, network type, address type and address."""

    username: str
    session_id: int
    version: int
    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @classmethod
    def parse(cls, text: str) -> Origin:
        """Parse the value of an o= line."""
        parts = text.split(" ")
        if len(parts) != 6 or not parts[1].isdigit() or not parts[2].isdigit():
            raise SdpError(f"invalid o= line {text!r}", 400)
        return cls(parts[0], int(parts[1]), int(parts[2]), parts[5], parts[3], parts[4])

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.version} {self.nettype} {self.addrtype} {self.address}"
        )


@dataclass(frozen=True, slots=True)
class Codec:
    """An RTP payload format: payload type, encoding name, clock rate, channels and fmtp parameters."""

    payload_type: int
    name: str
    clock_rate: int = 8000
    channels: int = 1
    fmtp: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.payload_type <= 127:
            raise SdpError(f"payload type out of range: {self.payload_type}", 400)

    def same_format(self, other: Codec) -> bool:
        """Same encoding (case-insensitive name), clock rate and channels."""
        return (self.name.lower(), self.clock_rate, self.channels) == (
            other.name.lower(),
            other.clock_rate,
            other.channels,
        )

    @property
    def rtpmap(self) -> str:
        """The a=rtpmap value."""
        chans = "" if self.channels == 1 else f"/{self.channels}"
        return f"{self.payload_type} {self.name}/{self.clock_rate}{chans}"


PCMU = Codec(0, "PCMU")
PCMA = Codec(8, "PCMA")
TELEPHONE_EVENT = Codec(101, "telephone-event", fmtp=DTMF_FMTP)


def _attr(value: str) -> tuple[str, str | None]:
    name, colon, rest = value.partition(":")
    return name, rest if colon else None


@dataclass(frozen=True, slots=True)
class Media:
    """One m= section: the m-line fields and its other lines in order."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    lines: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise SdpError(f"media port out of range: {self.port}", 400)
        if not self.formats:
            raise SdpError("m= line without formats", 400)
        for kind, _ in self.lines:
            if kind not in _MEDIA_TYPES:
                raise SdpError(f"{kind}= line not allowed in a media section", 400)

    @property
    def attributes(self) -> tuple[tuple[str, str | None], ...]:
        """Every a= line as (name, value or None)."""
        return tuple(_attr(v) for k, v in self.lines if k == "a")

    def attribute(self, name: str) -> str | None:
        """The value of the first a=name:value line."""
        return next((v for n, v in self.attributes if n == name), None)

    @property
    def connection(self) -> str | None:
        """The address of this section's c= line, if it has one."""
        for kind, value in self.lines:
            if kind == "c":
                return value.split(" ")[-1].split("/")[0]
        return None

    @property
    def direction(self) -> Direction | None:
        """The direction attribute of this section, if present."""
        for name, value in self.attributes:
            if value is None and name in Direction._value2member_map_:
                return Direction(name)
        return None

    @property
    def ptime(self) -> int | None:
        """The a=ptime value in milliseconds."""
        value = self.attribute("ptime")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def codecs(self) -> tuple[Codec, ...]:
        """The payload formats in the m-line order, with rtpmap/fmtp applied (static types when unmapped)."""
        maps: dict[str, tuple[str, int, int]] = {}
        fmtps: dict[str, str] = {}
        for name, value in self.attributes:
            if value is None:
                continue
            pt, _, rest = value.partition(" ")
            if name == "rtpmap":
                parts = rest.strip().split("/")
                if len(parts) in (2, 3) and all(p.isdigit() for p in parts[1:]):
                    maps[pt] = (parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else 1)
            elif name == "fmtp":
                fmtps[pt] = rest.strip()
        out: list[Codec] = []
        for fmt in self.formats:
            if not fmt.isdigit() or int(fmt) > 127:
                continue
            mapped = maps.get(fmt) or _STATIC.get(int(fmt))
            if mapped is not None:
                out.append(Codec(int(fmt), mapped[0], mapped[1], mapped[2], fmtps.get(fmt)))
        return tuple(out)

    def __str__(self) -> str:
        head = f"m={self.media} {self.port} {self.proto} {' '.join(self.formats)}\r\n"
        return head + "".join(f"{k}={v}\r\n" for k, v in self.lines)


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A whole SDP body: session-level lines in order, then the media sections."""

    lines: tuple[tuple[str, str], ...]
    media: tuple[Media, ...] = ()

    def __post_init__(self) -> None:
        kinds = [k for k, _ in self.lines]
        if not kinds or self.lines[0] != ("v", "0"):
            raise SdpError("SDP must start with v=0", 400)
        for needed in "ost":
            if needed not in kinds:
                raise SdpError(f"SDP without {needed}= line", 400)
        for kind in kinds:
            if kind not in _SESSION_TYPES:
                raise SdpError(f"{kind}= line not allowed at session level", 400)
        Origin.parse(self.value("o") or "")

    def value(self, kind: str) -> str | None:
        """The value of the first session-level line of this type."""
        return next((v for k, v in self.lines if k == kind), None)

    @property
    def origin(self) -> Origin:
        """The o= line."""
        return Origin.parse(self.value("o") or "")

    @property
    def connection(self) -> str | None:
        """The session-level connection address."""
        value = self.value("c")
        return None if value is None else value.split(" ")[-1].split("/")[0]

    @property
    def direction(self) -> Direction:
        """The session-level direction (sendrecv when absent)."""
        for kind, value in self.lines:
            if kind == "a" and value in Direction._value2member_map_:
                return Direction(value)
        return Direction.SENDRECV

    def media_connection(self, media: Media) -> str | None:
        """The address that applies to a media section (its own c= or the session's)."""
        return media.connection or self.connection

    def media_direction(self, media: Media) -> Direction:
        """The effective direction of a section; c=0.0.0.0 (RFC 2543 hold) counts as not receiving."""
        direction = media.direction or self.direction
        if self.media_connection(media) == "0.0.0.0":  # noqa: S104 - the hold address, not a bind
            direction = Direction.of(direction.sends, False)
        return direction

    @classmethod
    def parse(cls, data: bytes | str) -> SessionDescription:
        """Parse an SDP body (CRLF or LF line ends)."""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        session: list[tuple[str, str]] = []
        media: list[tuple[tuple[str, int, str, tuple[str, ...]], list[tuple[str, str]]]] = []
        for raw in text.replace("\r\n", "\n").split("\n"):
            if not raw:
                continue
            if len(raw) < 2 or raw[1] != "=" or not raw[0].isalpha():
                raise SdpError(f"invalid SDP line {raw!r}", 400)
            kind, value = raw[0], raw[2:]
            if kind == "m":
                parts = value.split(" ")
                if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
                    raise SdpError(f"invalid m= line {raw!r}", 400)
                media.append(((parts[0], int(parts[1].split("/")[0]), parts[2], tuple(parts[3:])), []))
            elif media:
                media[-1][1].append((kind, value))
            else:
                session.append((kind, value))
        return cls(tuple(session), tuple(Media(*m, tuple(lines)) for m, lines in media))

    def __str__(self) -> str:
        return "".join(f"{k}={v}\r\n" for k, v in self.lines) + "".join(str(m) for m in self.media)

    def __bytes__(self) -> bytes:
        return str(self).encode("utf-8")


def _audio_lines(
    codecs: tuple[Codec, ...], ptime: int | None, direction: Direction
) -> tuple[tuple[str, str], ...]:
    lines: list[tuple[str, str]] = []
    for codec in codecs:
        lines.append(("a", f"rtpmap:{codec.rtpmap}"))
        if codec.fmtp is not None:
            lines.append(("a", f"fmtp:{codec.payload_type} {codec.fmtp}"))
    if ptime is not None:
        lines.append(("a", f"ptime:{ptime}"))
    lines.append(("a", direction.value))
    return tuple(lines)


def _session_lines(origin: Origin) -> tuple[tuple[str, str], ...]:
    return (
        ("v", "0"),
        ("o", str(origin)),
        ("s", "okc"),
        ("c", f"{origin.nettype} {origin.addrtype} {origin.address}"),
        ("t", "0 0"),
    )


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """What okc's side offers or accepts: address, RTP port, origin ids, codecs in preference order."""

    address: str
    port: int
    session_id: int
    version: int = 1
    codecs: tuple[Codec, ...] = (PCMA, PCMU)
    telephone_event: bool = True
    ptime: int = 20
    direction: Direction = Direction.SENDRECV
    username: str = "okc"

    def __post_init__(self) -> None:
        if not 0 < self.port <= 65535:
            raise SdpError(f"local RTP port out of range: {self.port}", 500)
        if not self.codecs:
            raise SdpError("no local codecs", 500)

    @property
    def origin(self) -> Origin:
        """The o= line for this side."""
        addrtype = "IP6" if ":" in self.address else "IP4"
        return Origin(self.username, self.session_id, self.version, self.address, "IN", addrtype)


def make_offer(local: LocalMedia) -> SessionDescription:
    """An offer with one audio stream listing the local codecs, then telephone-event 101 (0-15)."""
    codecs = local.codecs + ((TELEPHONE_EVENT,) if local.telephone_event else ())
    formats = tuple(str(c.payload_type) for c in codecs)
    media = Media("audio", local.port, "RTP/AVP", formats, _audio_lines(codecs, local.ptime, local.direction))
    return SessionDescription(_session_lines(local.origin), (media,))


def _rejected(media: Media) -> Media:
    return Media(media.media, 0, media.proto, media.formats)


def answer(offer: SessionDescription, local: LocalMedia) -> SessionDescription:
    """The RFC 3264 answer: the first usable audio stream accepted, every other m-line rejected (port 0).

    Codecs are the offered ones okc supports, in the offer's order and with the offer's payload types;
    telephone-event is kept when offered at 8000 Hz. Raises SdpError(488) when no stream is acceptable.
    """
    answered: list[Media] = []
    accepted = False
    for media in offer.media:
        usable = not accepted and media.media == "audio" and media.proto == "RTP/AVP" and media.port != 0
        chosen: list[Codec] = []
        audio = 0
        if usable:
            for codec in media.codecs:
                if any(codec.same_format(mine) for mine in local.codecs):
                    chosen.append(Codec(codec.payload_type, codec.name, codec.clock_rate, codec.channels))
                    audio += 1
                elif (
                    local.telephone_event
                    and codec.name.lower() == "telephone-event"
                    and codec.clock_rate == 8000
                    and not any(c.name == codec.name for c in chosen)
                ):
                    chosen.append(Codec(codec.payload_type, codec.name, 8000, 1, DTMF_FMTP))
        if not audio:
            answered.append(_rejected(media))
            continue
        accepted = True
        codecs = tuple(chosen)
        theirs = offer.media_direction(media).reversed()
        direction = Direction.of(
            theirs.sends and local.direction.sends, theirs.receives and local.direction.receives
        )
        formats = tuple(str(c.payload_type) for c in codecs)
        ptime = media.ptime or local.ptime
        answered.append(
            Media("audio", local.port, "RTP/AVP", formats, _audio_lines(codecs, ptime, direction))
        )
    if not accepted:
        raise SdpError("no acceptable audio stream in the offer (okc takes PCMA/PCMU over RTP/AVP)", 488)
    return SessionDescription(_session_lines(local.origin), tuple(answered))
