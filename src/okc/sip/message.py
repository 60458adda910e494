"""SIP requests and responses: parsing (RFC 3261 §7, §25), serialisation and typed header access.

`parse_message` checks the framing, the start line and the header-line syntax at once; the typed value of
a header (Via, From, CSeq ...) is parsed on first access and cached, so a proxy that only reads the top Via
pays for nothing else. `validate_request` (okc.sip.validate) parses everything a UAS relies on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from okc.sip.errors import SipParseError
from okc.sip.headers import (
    COMPACT_FORMS,
    TOKEN_CHARS,
    ContentType,
    CSeq,
    Headers,
    NameAddr,
    Via,
    canonical_key,
    split_list,
)
from okc.sip.uri import Uri, parse_uri

__all__ = ["Message", "Request", "Response", "parse_message", "response_to"]

_MAX_CONTENT_LENGTH = 2**24


class _Accessors:
    """Typed header accessors shared by Request and Response (cached per message)."""

    __slots__ = ()
    headers: Headers
    body: bytes
    _cache: dict[str, object]

    def _single(self, key: str) -> str:
        """The value of the one line called key (a lookup key); 400 if there is none or more than one."""
        headers = self.headers
        positions = headers._index.get(key)
        if positions is None:
            raise SipParseError(f"missing {key} header")
        if len(positions) > 1:
            raise SipParseError(f"more than one {key} header")
        return headers._fields[positions[0]][1]

    @property
    def vias(self) -> tuple[Via, ...]:
        """Every Via element, topmost first."""
        cached = self._cache.get("via")
        if cached is None:
            cached = tuple(Via.parse(v) for v in self.headers.get_all("via"))
            self._cache["via"] = cached
        return cached  # type: ignore[return-value]

    @property
    def top_via(self) -> Via:
        """The topmost Via (400 if there is none); parses only that element."""
        cached = self._cache.get("top-via")
        if cached is None:
            positions = self.headers._index.get("via")
            if positions is None:
                raise SipParseError("missing Via header")
            first = self.headers._fields[positions[0]][1]
            cached = self._cache["top-via"] = Via.parse(split_list(first)[0] if "," in first else first)
        return cached  # type: ignore[return-value]

    def _name_addr(self, key: str) -> NameAddr:
        cached = self._cache.get(key)
        if cached is None:
            value = self._single(key)
            if "," in value:
                items = split_list(value)
                if len(items) != 1:
                    raise SipParseError(f"{key} carries more than one value")
                value = items[0]
            cached = NameAddr.parse(value)
            self._cache[key] = cached
        return cached  # type: ignore[return-value]

    @property
    def from_(self) -> NameAddr:
        """The From header."""
        return self._name_addr("from")

    @property
    def to(self) -> NameAddr:
        """The To header."""
        return self._name_addr("to")

    @property
    def call_id(self) -> str:
        """The Call-ID (word[@word], no whitespace)."""
        cached = self._cache.get("call-id")
        if cached is None:
            value = self._single("call-id").strip(" \t")
            if not value or " " in value or "\t" in value or "," in value:
                raise SipParseError(f"invalid Call-ID {value!r}")
            cached = self._cache["call-id"] = value
        return cached  # type: ignore[return-value]

    @property
    def cseq(self) -> CSeq:
        """The CSeq header."""
        cached = self._cache.get("cseq")
        if cached is None:
            cached = self._cache["cseq"] = CSeq.parse(self._single("cseq"))
        return cached  # type: ignore[return-value]

    @property
    def contacts(self) -> tuple[NameAddr, ...]:
        """Every Contact element (empty for `Contact: *`; see contact_is_star)."""
        cached = self._cache.get("contact")
        if cached is None:
            positions = self.headers._index.get("contact")
            if positions is None:
                cached = ()
            elif len(positions) == 1 and "," not in (line := self.headers._fields[positions[0]][1]):
                cached = () if line == "*" else (NameAddr.parse(line),)
            else:
                values = self.headers.get_all("contact")
                cached = () if values == ["*"] else tuple(NameAddr.parse(v) for v in values)
            self._cache["contact"] = cached
        return cached  # type: ignore[return-value]

    @property
    def contact_is_star(self) -> bool:
        """Whether the message carries `Contact: *` (REGISTER removing all bindings)."""
        return self.headers.get_all("contact") == ["*"]

    @property
    def routes(self) -> tuple[NameAddr, ...]:
        """The Route set, in order."""
        return tuple(NameAddr.parse(v) for v in self.headers.get_all("route"))

    @property
    def record_routes(self) -> tuple[NameAddr, ...]:
        """The Record-Route set, in order."""
        return tuple(NameAddr.parse(v) for v in self.headers.get_all("record-route"))

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards (0..255), or None when absent."""
        if "max-forwards" not in self.headers:
            return None
        value = self._single("max-forwards").strip(" \t")
        if not value.isdigit() or not value.isascii() or int(value) > 255:
            raise SipParseError(f"invalid Max-Forwards {value!r}")
        return int(value)

    @property
    def content_type(self) -> ContentType | None:
        """The Content-Type, or None."""
        if "content-type" not in self.headers:
            return None
        return ContentType.parse(self._single("content-type"))

    @property
    def content_length(self) -> int | None:
        """The Content-Length header's value, or None when absent."""
        if "content-length" not in self.headers:
            return None
        return _content_length(self._single("content-length"))

    @property
    def expires(self) -> int | None:
        """The Expires header in seconds (values above 2**32-1 are capped, per §20.19)."""
        if "expires" not in self.headers:
            return None
        value = self._single("expires").strip(" \t")
        if not value.isdigit() or not value.isascii():
            raise SipParseError(f"invalid Expires {value!r}")
        return min(int(value), 2**32 - 1)

    def _tokens(self, key: str) -> tuple[str, ...]:
        out = tuple(v for v in self.headers.get_all(key) if v)
        for item in out:
            if not TOKEN_CHARS.issuperset(item):
                raise SipParseError(f"invalid option tag {item!r} in {key}")
        return out

    @property
    def require(self) -> tuple[str, ...]:
        """Option tags of Require."""
        return self._tokens("require")

    @property
    def proxy_require(self) -> tuple[str, ...]:
        """Option tags of Proxy-Require."""
        return self._tokens("proxy-require")

    @property
    def supported(self) -> tuple[str, ...]:
        """Option tags of Supported."""
        return self._tokens("supported")

    @property
    def allow(self) -> tuple[str, ...]:
        """Methods of Allow."""
        return self._tokens("allow")


def _content_length(text: str) -> int:
    value = text.strip(" \t")
    if not value.isdigit() or not value.isascii() or len(value) > 10:
        raise SipParseError(f"invalid Content-Length {value!r}")
    return int(value)


def _serialise(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    has_length = False
    for name, value in headers.fields:
        if not has_length and canonical_key(name) == "content-length":
            has_length = True
        lines.append(f"{name}: {value}")
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape")
    return head + b"\r\n\r\n" + body


@dataclass(frozen=True, slots=True)
class Request(_Accessors):
    """A SIP request: method, Request-URI, header fields and body."""

    method: str
    uri: Uri
    headers: Headers
    body: bytes = b""
    version: str = "SIP/2.0"
    _cache: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.method or not TOKEN_CHARS.issuperset(self.method):
            raise SipParseError(f"invalid method {self.method!r}")

    @classmethod
    def build(
        cls,
        method: str,
        uri: Uri | str,
        *,
        via: Via,
        from_: NameAddr,
        to: NameAddr,
        call_id: str,
        cseq: int,
        max_forwards: int = 70,
        contact: NameAddr | None = None,
        extra: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Request:
        """A new request with the mandatory headers of §8.1.1 in the usual order."""
        target = parse_uri(uri) if isinstance(uri, str) else uri
        fields = [
            ("Via", str(via)),
            ("Max-Forwards", str(max_forwards)),
            ("From", str(from_)),
            ("To", str(to)),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        if contact is not None:
            fields.append(("Contact", str(contact)))
        fields.extend(extra)
        if content_type is not None:
            fields.append(("Content-Type", content_type))
        fields.append(("Content-Length", str(len(body))))
        return cls(method, target, Headers(fields), body)

    def replace(
        self, *, headers: Headers | None = None, body: bytes | None = None, uri: Uri | None = None
    ) -> Request:
        """A copy with other headers, body or Request-URI."""
        return Request(
            self.method,
            self.uri if uri is None else uri,
            self.headers if headers is None else headers,
            self.body if body is None else body,
            self.version,
        )

    def __bytes__(self) -> bytes:
        return _serialise(f"{self.method} {self.uri} {self.version}", self.headers, self.body)


@dataclass(frozen=True, slots=True)
class Response(_Accessors):
    """A SIP response: status code, reason phrase, header fields and body."""

    status: int
    reason: str
    headers: Headers
    body: bytes = b""
    version: str = "SIP/2.0"
    _cache: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 699:
            raise SipParseError(f"invalid status code {self.status}", None)
        if "\r" in self.reason or "\n" in self.reason:
            raise SipParseError("line break in reason phrase", None)

    def replace(self, *, headers: Headers | None = None, body: bytes | None = None) -> Response:
        """A copy with other headers or body."""
        return Response(
            self.status,
            self.reason,
            self.headers if headers is None else headers,
            self.body if body is None else body,
            self.version,
        )

    def __bytes__(self) -> bytes:
        return _serialise(f"{self.version} {self.status} {self.reason}", self.headers, self.body)


Message = Request | Response

_new = object.__new__
# Slot setters: parse_message builds a message from parts it has checked without a second validation.
_REQ_METHOD, _REQ_URI, _REQ_HEADERS, _REQ_BODY, _REQ_VERSION, _REQ_CACHE = (
    Request.__dict__[n].__set__ for n in ("method", "uri", "headers", "body", "version", "_cache")
)
_RESP_STATUS, _RESP_REASON, _RESP_HEADERS, _RESP_BODY, _RESP_VERSION, _RESP_CACHE = (
    Response.__dict__[n].__set__ for n in ("status", "reason", "headers", "body", "version", "_cache")
)

_COPIED = ("via", "from", "to", "call-id", "cseq")


def response_to(
    request: Request,
    status: int,
    reason: str,
    *,
    to_tag: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """A response per §8.2.6: Via, From, To, Call-ID and CSeq copied; a To tag added when given."""
    fields: list[tuple[str, str]] = []
    for name, value in request.headers.fields:
        key = canonical_key(name)
        if key not in _COPIED:
            continue
        if key == "to" and to_tag is not None and request.to.tag is None:
            fields.append((name, str(request.to.with_tag(to_tag))))
        else:
            fields.append((name, value))
    fields.extend(extra)
    if content_type is not None:
        fields.append(("Content-Type", content_type))
    fields.append(("Content-Length", str(len(body))))
    return Response(status, reason, Headers(fields), body)


def _find_head_end(data: bytes) -> tuple[int, int]:
    """(end of the header block, start of the body); -1 if the block is not complete."""
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return end, end + 4
    end = data.find(b"\n\n")
    if end >= 0:
        return end, end + 2
    return -1, -1


_FOLD_RE = re.compile(r"[ \t]*\r?\n[ \t]+")
#: A line end that the CRLF splitter cannot take: a continuation line (folding) or a bare LF.
_ODD_LINE_END_RE = re.compile(r"\n(?:[ \t]|(?<!\r\n))")
#: Lookup keys of the usual header-name spellings: a name found here is a token, so the fast splitter
#: needs no further check of it.
_KNOWN_KEYS = {
    spelling: canonical_key(spelling)
    for name in (
        "Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Contact", "Route", "Record-Route",
        "Allow", "Supported", "Require", "Proxy-Require", "User-Agent", "Server", "Expires", "Date",
        "Content-Type", "Content-Length", "Content-Disposition", "Accept", "Authorization",
        "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate", "Session-Expires", "Min-SE",
        "Event", "Subscription-State", "Refer-To", "Referred-By", "P-Asserted-Identity", "Privacy",
        "RSeq", "RAck", "Allow-Events", "Organization", "Subject", "Warning", "Reason", "Replaces",
        "Call-Id", "Cseq", "Max-forwards", "Content-type", "Content-length", "User-agent", *COMPACT_FORMS,
    )
    for spelling in (name, name.lower(), name.upper())
}  # fmt: skip


def parse_head(head: bytes) -> tuple[str, list[tuple[str, str]], dict[str, list[int]]]:
    """Split a header block into its start line and unfolded (name, value) fields with an index."""
    text = head.decode("utf-8", "surrogateescape")
    start_line, sep, rest = text.partition("\r\n")
    if not sep or _ODD_LINE_END_RE.search(text) is not None:
        return _parse_head_general(text)
    lines = rest.split("\r\n")
    fields: list[tuple[str, str]] = []
    index: dict[str, list[int]] = {}
    known = _KNOWN_KEYS
    for pos, line in enumerate(lines):
        name, colon, value = line.partition(":")
        key = known.get(name)
        if key is None or not colon:
            # An unusual spelling or an odd line: the general splitter checks and indexes it all.
            return _parse_head_general(text)
        positions = index.get(key)
        if positions is None:
            index[key] = [pos]
        else:
            positions.append(pos)
        fields.append((name, value.strip(" \t")))
    return start_line, fields, index


def _parse_head_general(text: str) -> tuple[str, list[tuple[str, str]], dict[str, list[int]]]:
    """parse_head for every shape: bare-LF lines, folded values, malformed lines (which raise)."""
    start_line, sep, rest = text.partition("\n")
    start_line = start_line.removesuffix("\r")
    if not sep:
        return start_line, [], {}
    if rest[:1] in (" ", "\t"):
        raise SipParseError("continuation line before any header")
    if "\n " in rest or "\n\t" in rest:
        rest = _FOLD_RE.sub(" ", rest)
    fields: list[tuple[str, str]] = []
    index: dict[str, list[int]] = {}
    compact = COMPACT_FORMS
    is_token = TOKEN_CHARS.issuperset
    for pos, line in enumerate(rest.split("\r\n") if "\r\n" in rest else rest.split("\n")):
        name, colon, value = line.partition(":")
        if not colon or not is_token(name) or not name:
            name = name.rstrip(" \t")
            if not colon or not name or not is_token(name):
                raise SipParseError(f"malformed header line {line[:40]!r}")
        key = name.lower()
        key = compact.get(key, key)
        positions = index.get(key)
        if positions is None:
            index[key] = [pos]
        else:
            positions.append(pos)
        fields.append((name, value.strip(" \t")))
    return start_line, fields, index


def parse_start_line(line: str) -> tuple[str, str, str]:
    """Split a start line into its three parts, exactly one SP apart (§7.1, RFC 4475 lwsstart/trws)."""
    if line.startswith("SIP/"):
        version, sp, rest = line.partition(" ")
        code, _, reason = rest.partition(" ")
        if not sp or len(code) != 3 or not code.isdigit() or not code.isascii():
            raise SipParseError(f"invalid status line {line[:60]!r}", None)
        return version, code, reason
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError(f"invalid request line {line[:60]!r}")
    return parts[0], parts[1], parts[2]


def _check_version(version: str, status: int | None) -> None:
    head, slash, rest = version.partition("/")
    major, dot, minor = rest.partition(".")
    if head != "SIP" or not slash or not dot or not major.isdigit() or not minor.isdigit():
        raise SipParseError(f"invalid SIP version {version!r}", status)


def parse_message(data: bytes) -> Request | Response:
    """Parse one SIP message from a datagram or a framed stream message.

    Content-Length frames the body: extra octets after it are ignored (RFC 4475 dblreq); a missing
    Content-Length means the rest of the datagram. Raises SipParseError whose `status` tells whether and how
    to answer.
    """
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    head_end, body_start = _find_head_end(data[start:] if start else data)
    if start:
        data = data[start:]
    if head_end < 0:
        raise SipParseError("no end of header block", None)
    start_line, fields, index = parse_head(data[:head_end])
    is_response = start_line.startswith("SIP/")
    err_status = None if is_response else 400
    try:
        a, b, c = parse_start_line(start_line)
        lengths = index.get("content-length")
        if lengths is None:
            body = data[body_start:]
        else:
            if len(lengths) > 1:
                raise SipParseError("more than one Content-Length")
            length = _content_length(fields[lengths[0]][1])
            if length > len(data) - body_start:
                raise SipParseError(
                    f"Content-Length {length} exceeds the {len(data) - body_start} octets received"
                )
            body = data[body_start : body_start + length]
        headers = Headers._trusted(tuple(fields), index)
        if is_response:
            if a != "SIP/2.0":
                _check_version(a, None)
            status = int(b)
            if not 100 <= status <= 699 or "\r" in c or "\n" in c:
                return Response(status, c, headers, body, a)  # raises the constructor's error
            response: Response = _new(Response)
            _RESP_STATUS(response, status)
            _RESP_REASON(response, c)
            _RESP_HEADERS(response, headers)
            _RESP_BODY(response, body)
            _RESP_VERSION(response, a)
            _RESP_CACHE(response, {})
            return response
        if c != "SIP/2.0":
            _check_version(c, 400)
        uri = parse_uri(b)
        if not TOKEN_CHARS.issuperset(a):
            raise SipParseError(f"invalid method {a!r}")
        request: Request = _new(Request)
        _REQ_METHOD(request, a)
        _REQ_URI(request, uri)
        _REQ_HEADERS(request, headers)
        _REQ_BODY(request, body)
        _REQ_VERSION(request, c)
        _REQ_CACHE(request, {})
        return request
    except SipParseError as exc:
        if exc.status != err_status:
            raise SipParseError(str(exc), err_status) from None
        raise
