"""Content-Length framing of SIP over stream transports (RFC 3261 §18.3), sans-I/O."""

from __future__ import annotations

import re

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
        found = _length_of(bytes(buf[:end]))
        total = end + 4 + (found or 0)
        if len(buf) < total:
            return None
        data = bytes(buf[:total])
        del buf[:total]
        if found is None:
            data = data[:end] + b"\r\nContent-Length: 0\r\n\r\n"
        return parse_message(data)


#: The usual Content-Length line (long or compact name, any case); odd spellings go line by line.
_LENGTH_RE = re.compile(
    rb"\r\n[ \t]*(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*(?=\r\n|\Z)", re.IGNORECASE
)


def _length_of(head: bytes) -> int | None:
    """The Content-Length of a header block, None when it has none; SipParseError when it is invalid."""
    m = _LENGTH_RE.search(head)
    value = m.group(1) if m is not None else b""
    if not value:
        found = _content_length_line(head)
        if found is None:
            return None
        value = found
    if not value.isdigit() or len(value) > 10 or int(value) > _MAX_BODY:
        raise SipParseError(f"invalid Content-Length {value!r} on a stream", None)
    return int(value)


def _content_length_line(head: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):
            return value.strip()
    return None
