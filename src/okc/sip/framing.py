"""Content-Length framing of SIP over stream transports (RFC 3261 §18.3), sans-I/O."""

from __future__ import annotations

from okc.sip.errors import SipParseError
from okc.sip.message import Request, Response, parse_message

__all__ = ["StreamFramer"]

_MAX_HEAD = 65536
_MAX_BODY = 2**24


class StreamFramer:
    """Collects arbitrary chunks of a TCP/TLS byte stream and yields whole messages.

    Leading CRLFs (RFC 5626 keep-alives) are skipped. A missing Content-Length on a stream means an empty
    body. A malformed header block raises SipParseError; the connection cannot be resynchronised then and
    should be closed.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Request | Response]:
        """Add chunk; return every message now complete, in order."""
        self._buffer += chunk
        out: list[Request | Response] = []
        while True:
            message = self._next()
            if message is None:
                return out
            out.append(message)

    @property
    def pending(self) -> int:
        """Octets buffered that do not yet form a whole message."""
        return len(self._buffer)

    def _next(self) -> Request | Response | None:
        buf = self._buffer
        skip = 0
        while buf[skip : skip + 2] == b"\r\n":
            skip += 2
        if skip:
            del buf[:skip]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > _MAX_HEAD:
                raise SipParseError("header block too long", None)
            return None
        length = _content_length(bytes(buf[:end]))
        total = end + 4 + length
        if len(buf) < total:
            return None
        data = bytes(buf[:total])
        del buf[:total]
        if length == 0 and not _has_length(data[:end]):
            data = data[:end] + b"\r\nContent-Length: 0\r\n\r\n"
        return parse_message(data)


def _has_length(head: bytes) -> bool:
    return _content_length_line(head) is not None


def _content_length_line(head: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):
            return value.strip()
    return None


def _content_length(head: bytes) -> int:
    value = _content_length_line(head)
    if value is None:
        return 0
    if not value.isdigit() or len(value) > 10 or int(value) > _MAX_BODY:
        raise SipParseError(f"invalid Content-Length {value!r} on a stream", None)
    return int(value)
