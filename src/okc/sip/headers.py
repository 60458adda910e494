"""Header fields: the ordered field list of a message and the typed values of the well-known ones.

The field list keeps every header line as received (name spelling, unfolded value), so unknown headers
pass through verbatim; typed values (Via, NameAddr, CSeq, ContentType) are parsed from it on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import MappingProxyType

from okc.sip.errors import SipParseError
from okc.sip.uri import (
    _FAST_SIP,
    _HOSTNAME,
    Params,
    SipUri,
    Uri,
    _checked_params,
    _checked_sip_uri,
    parse_host,
    parse_uri,
)

__all__ = [
    "COMPACT_FORMS",
    "CSeq",
    "ContentType",
    "Headers",
    "NameAddr",
    "Via",
    "canonical_key",
    "parse_generic_params",
    "split_list",
]

#: RFC 3261 §7.3.3 and later RFCs: compact form -> long form (lower case).
COMPACT_FORMS = {
    "i": "call-id",
    "m": "contact",
    "e": "content-encoding",
    "l": "content-length",
    "c": "content-type",
    "f": "from",
    "s": "subject",
    "k": "supported",
    "t": "to",
    "v": "via",
    "o": "event",
    "u": "allow-events",
    "r": "refer-to",
    "b": "referred-by",
    "x": "session-expires",
    "y": "identity",
    "a": "accept-contact",
    "j": "reject-contact",
    "d": "request-disposition",
    "n": "identity-info",
}

#: Headers whose values are comma-separated lists (RFC 3261 §7.3.1); others are never split.
LIST_HEADERS = frozenset(
    {
        "via", "contact", "route", "record-route", "require", "proxy-require", "supported", "unsupported",
        "allow", "accept", "accept-encoding", "accept-language", "content-encoding", "allow-events",
        "in-reply-to", "path", "service-route", "p-asserted-identity", "p-preferred-identity", "alert-info",
        "call-info", "error-info", "warning", "history-info", "reason", "accept-contact", "reject-contact",
    }
)  # fmt: skip

TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
_PARAM_VALUE_CHARS = TOKEN_CHARS | frozenset(":[]")
_WS = " \t"
NO_PARAMS = Params()
_URI_DELIMS = frozenset(' \t"<>')
_WS_SET = frozenset(_WS)
_new = object.__new__

# Fast paths: regexes for the usual spelling of a header value (no optional whitespace, escapes or IPv6).
# Whatever one of them takes, the general parser below it would take with the same result; anything else
# goes to the general parser, which decides.
_TOK = r"[A-Za-z0-9\-.!%*_+`'~]+"
_PVAL = r"[A-Za-z0-9\-.!%*_+`'~:\[\]]+"
_FAST_PARAMS = rf'((?:;{_TOK}(?:=(?:{_PVAL}|"[^"\\<]*"))?)*)'
#: `[display] <sip-uri>;params`, the spelling of nearly every From, To and Contact: one match checks it
#: all. Groups: quoted display, token display, the _FAST_SIP groups, header `;params` text.
_FAST_DISPLAY = rf'(?:"([^"\\]*)"|({_TOK}(?: {_TOK})*))?[ \t]*'
_FAST_NAME_ADDR_SIP_RE = re.compile(rf"{_FAST_DISPLAY}<{_FAST_SIP}>{_FAST_PARAMS}")
#: Any other URI scheme in <>, or an addr-spec: the URI itself goes to parse_uri.
_FAST_NAME_ADDR_RE = re.compile(rf'{_FAST_DISPLAY}<([^ \t"<>]+)>{_FAST_PARAMS}|([^ \t"<>;?,]+){_FAST_PARAMS}')
_FAST_VIA_RE = re.compile(rf"SIP/2\.0/({_TOK}) ({_HOSTNAME})(?::([0-9]{{1,5}}))?((?:;{_TOK}(?:={_PVAL})?)*)")


def _slow_key(name: str) -> str:
    lname = name.lower()
    return COMPACT_FORMS.get(lname, lname)


_USUAL_SPELLINGS = (
    "Via", "From", "To", "Call-ID", "Call-Id", "CSeq", "Contact", "Max-Forwards", "Content-Length",
    "Content-Type", "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
    "Expires", "Min-Expires", "User-Agent", "Server", "Allow", "Supported", "Require", "Record-Route",
    "Route", "Date", "Path", "Session-Expires", "Min-SE", "RSeq", "RAck", "Event", "Subscription-State",
    "Refer-To", "Referred-By", "Replaces", "P-Asserted-Identity", "Privacy", "Accept", "Warning",
)  # fmt: skip
#: Keys of the header names as they are usually spelt (and lower-cased, and compact): one dict lookup.
_KEY_OF = MappingProxyType(
    {n: _slow_key(n) for n in (*_USUAL_SPELLINGS, *(s.lower() for s in _USUAL_SPELLINGS), *COMPACT_FORMS)}
)


def canonical_key(name: str) -> str:
    """The lookup key of a header name: lower case, compact form expanded."""
    key = _KEY_OF.get(name)
    if key is None:
        lname = name.lower()
        return COMPACT_FORMS.get(lname, lname)
    return key


def is_token(text: str) -> bool:
    """Whether text is a non-empty RFC 3261 token."""
    return text != "" and TOKEN_CHARS.issuperset(text)


def _scan_quoted(text: str, start: int) -> int:
    """Index just past the quoted string that opens at text[start] (a '"'); 400 if unterminated."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        i += 1
    raise SipParseError(f"unterminated quoted string: {text!r}")


def unquote(text: str) -> str:
    """The content of a quoted string (with its quotes), quoted-pairs resolved."""
    inner = text[1:-1]
    if "\\" not in inner:
        return inner
    out: list[str] = []
    i = 0
    while i < len(inner):
        if inner[i] == "\\" and i + 1 < len(inner):
            out.append(inner[i + 1])
            i += 2
        else:
            out.append(inner[i])
            i += 1
    return "".join(out)


def quote(text: str) -> str:
    """text as a quoted string, escaping backslash and double quote."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_top(text: str, sep: str) -> list[str]:
    """Split text on sep outside quoted strings and <...> brackets."""
    if '"' not in text and "<" not in text:
        return text.split(sep)
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i = _scan_quoted(text, i)
            continue
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def split_list(text: str) -> list[str]:
    """The elements of a comma-separated header value, stripped; empty elements are an error."""
    if "," not in text:
        return [text.strip(_WS)]
    items = [item.strip(_WS) for item in split_top(text, ",")]
    if any(not item for item in items):
        raise SipParseError(f"empty element in list header value {text!r}")
    return items


def parse_generic_params(text: str) -> Params:
    """Parse `;name[=value]...` header parameters with SWS around ';' and '='."""
    items: list[tuple[str, str | None]] = []
    for raw in split_top(text, ";")[1:]:
        name, eq, value = raw.partition("=")
        name = name.strip(_WS)
        if not is_token(name):
            raise SipParseError(f"invalid header parameter {raw!r}")
        if not eq:
            items.append((name, None))
            continue
        value = value.strip(_WS)
        if value.startswith('"'):
            if _scan_quoted(value, 0) != len(value):
                raise SipParseError(f"invalid quoted parameter value {raw!r}")
        elif not value or not _PARAM_VALUE_CHARS.issuperset(value):
            raise SipParseError(f"invalid header parameter value {raw!r}")
        items.append((name, value))
    return Params(tuple(items))


def _matched_params(text: str) -> Params:
    """Params from header `;params` text that a fast-path regex matched (quoted values: the general way)."""
    if not text:
        return NO_PARAMS
    return parse_generic_params(text) if '"' in text else _checked_params(text)


class Headers:
    """An immutable, ordered list of (name, value) header fields with case-insensitive lookup.

    Names keep their received spelling; lookups accept long or compact names in any case.
    """

    __slots__ = ("_fields", "_index")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields: tuple[tuple[str, str], ...] = tuple(fields)
        index: dict[str, list[int]] = {}
        for pos, (name, _) in enumerate(self._fields):
            index.setdefault(canonical_key(name), []).append(pos)
        self._index = index

    @classmethod
    def _trusted(cls, fields: tuple[tuple[str, str], ...], index: dict[str, list[int]]) -> Headers:
        """Build from a field tuple and its index that the parser already computed."""
        self = cls.__new__(cls)
        self._fields = fields
        self._index = index
        return self

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        """Every header field in order, as (name, value)."""
        return self._fields

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_key(name) in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._fields == other._fields

    def __hash__(self) -> int:
        return hash(self._fields)

    def __repr__(self) -> str:
        return f"Headers({list(self._fields)!r})"

    def count(self, name: str) -> int:
        """How many header lines carry name."""
        return len(self._index.get(canonical_key(name), ()))

    def get(self, name: str) -> str | None:
        """The value of the first line called name, or None."""
        positions = self._index.get(canonical_key(name))
        return self._fields[positions[0]][1] if positions else None

    def get_lines(self, name: str) -> list[str]:
        """The raw values of every line called name, unsplit."""
        return [self._fields[p][1] for p in self._index.get(canonical_key(name), ())]

    def get_all(self, name: str) -> list[str]:
        """Every value of name: list headers split on top-level commas, others one value per line."""
        key = canonical_key(name)
        lines = [self._fields[p][1] for p in self._index.get(key, ())]
        if key not in LIST_HEADERS:
            return lines
        out: list[str] = []
        for line in lines:
            out.extend(split_list(line))
        return out

    def with_added(self, name: str, value: str, *, first: bool = False) -> Headers:
        """A copy with a header line added at the end (or before all others)."""
        line = (name, value)
        if first:
            return Headers((line, *self._fields))
        # appending leaves every position in place: copy the index and extend one entry (lists are
        # never mutated once built, so the untouched ones are shared)
        key = canonical_key(name)
        index = self._index.copy()
        index[key] = [*index.get(key, ()), len(self._fields)]
        return Headers._trusted((*self._fields, line), index)

    def with_replaced(self, name: str, *values: str) -> Headers:
        """A copy where the lines called name are replaced by one line per value (at the first's place)."""
        key = canonical_key(name)
        out: list[tuple[str, str]] = []
        placed = False
        for field in self._fields:
            if canonical_key(field[0]) == key:
                if not placed:
                    out.extend((name, v) for v in values)
                    placed = True
                continue
            out.append(field)
        if not placed:
            out.extend((name, v) for v in values)
        return Headers(out)

    def without(self, name: str) -> Headers:
        """A copy without any line called name."""
        key = canonical_key(name)
        return Headers(f for f in self._fields if canonical_key(f[0]) != key)


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A name-addr or addr-spec with header parameters: From, To, Contact, Route, Refer-To ..."""

    uri: Uri
    display_name: str | None = None
    params: Params = NO_PARAMS

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        """Parse one element (not a list); SipParseError(400) when malformed."""
        text = text.strip(_WS)
        m = _FAST_NAME_ADDR_SIP_RE.fullmatch(text)
        if m is not None:
            quoted, words, scheme, user, password, host, port_text, uptext, ptext = m.groups()
            port = None if port_text is None else int(port_text)
            if port is None or port <= 65535:
                uparams = _checked_params(uptext) if uptext else NO_PARAMS
                value: NameAddr = _new(cls)
                _NA_URI(value, _checked_sip_uri(scheme, user, password, host, port=port, params=uparams))
                _NA_DISPLAY(value, quoted if words is None else words)
                _NA_PARAMS(value, _matched_params(ptext))
                return value
        m = _FAST_NAME_ADDR_RE.fullmatch(text)
        if m is not None:
            quoted, words, uri_text, ptext, spec_text, spec_ptext = m.groups()
            if uri_text is None:
                uri_text, ptext = spec_text, spec_ptext
            value = _new(cls)
            _NA_URI(value, parse_uri(uri_text))
            _NA_DISPLAY(value, quoted if words is None else words)
            _NA_PARAMS(value, _matched_params(ptext))
            return value
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> NameAddr:
        """NameAddr.parse for every spelling (text already stripped)."""
        display: str | None = None
        if text.startswith('"'):
            end = _scan_quoted(text, 0)
            display = unquote(text[:end])
            rest = text[end:].lstrip(_WS)
            if not rest.startswith("<"):
                raise SipParseError(f"display name without <uri>: {text!r}")
        else:
            lt = text.find("<")
            if lt >= 0:
                words = text[:lt].split()
                if not all(is_token(w) for w in words):
                    raise SipParseError(f"invalid display name in {text!r}")
                display = " ".join(words) if words else None
                rest = text[lt:]
            else:
                rest = ""
        if rest:
            gt = rest.find(">")
            if gt < 0:
                raise SipParseError(f"unterminated <uri> in {text!r}")
            uri_text, ptext = rest[1:gt], rest[gt + 1 :]
            tail = ptext.lstrip(_WS)
            if tail and not tail.startswith(";"):
                raise SipParseError(f"garbage after <uri> in {text!r}")
        else:
            uri_text, semi, ptext = text.partition(";")
            uri_text = uri_text.rstrip(_WS)
            ptext = semi + ptext
            if "?" in uri_text or "," in uri_text:
                raise SipParseError(f"URI with '?' or ',' must be in <>: {text!r}")
        if not _URI_DELIMS.isdisjoint(uri_text):
            raise SipParseError(f"whitespace or delimiter inside URI {uri_text!r}")
        return cls(parse_uri(uri_text), display, parse_generic_params(ptext) if ptext else Params())

    @property
    def tag(self) -> str | None:
        """The tag parameter (From/To)."""
        return self.params.get("tag")

    @property
    def expires(self) -> int | None:
        """The expires parameter of a Contact, as an integer (capped at 2**32-1)."""
        value = self.params.get("expires")
        if value is None:
            return None
        if not value.isdigit():
            raise SipParseError(f"invalid expires parameter {value!r}")
        return min(int(value), 2**32 - 1)

    @property
    def q(self) -> float | None:
        """The q parameter of a Contact (0..1)."""
        value = self.params.get("q")
        if value is None:
            return None
        if not re.fullmatch(r"0(\.\d{0,3})?|1(\.0{0,3})?", value):
            raise SipParseError(f"invalid q parameter {value!r}")
        return float(value)

    def with_tag(self, tag: str) -> NameAddr:
        """A copy with the tag parameter set."""
        return NameAddr(self.uri, self.display_name, self.params.with_param("tag", tag))

    def __str__(self) -> str:
        name = f"{quote(self.display_name)} " if self.display_name is not None else ""
        return f"{name}<{self.uri}>{self.params}"


_NA_URI, _NA_DISPLAY, _NA_PARAMS = (NameAddr.__dict__[n].__set__ for n in ("uri", "display_name", "params"))

_VIA_RE = re.compile(
    r"([^\s/;]+)[ \t]*/[ \t]*([^\s/;]+)[ \t]*/[ \t]*([^\s/;]+)[ \t]+"
    r"(\[[^\]]*\]|[^\s:;\[]+)(?:[ \t]*:[ \t]*([^\s;]*))?[ \t]*(;.*)?"
)


@dataclass(frozen=True, slots=True)
class Via:
    """One Via element: sent-protocol, sent-by and parameters (branch, received, rport ...)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = NO_PARAMS
    protocol: str = "SIP/2.0"

    @classmethod
    def parse(cls, text: str) -> Via:
        """Parse one Via element (not a list)."""
        text = text.strip(_WS)
        m = _FAST_VIA_RE.fullmatch(text)
        if m is not None:
            transport, host, port_text, ptext = m.groups()
            port = None if port_text is None else int(port_text)
            if port is None or port <= 65535:
                via: Via = _new(cls)
                _VIA_TRANSPORT(via, transport.upper())
                _VIA_HOST(via, host)
                _VIA_PORT(via, port)
                _VIA_PARAMS(via, _checked_params(ptext) if ptext else NO_PARAMS)
                _VIA_PROTOCOL(via, "SIP/2.0")
                return via
        if text.startswith("SIP/2.0/"):  # the usual spelling: no regex needed
            transport, sp, rest = text[8:].partition(" ")
            sent_by, semi, ptext = rest.partition(";")
            if sp and is_token(transport) and sent_by and _WS_SET.isdisjoint(sent_by):
                host, port = parse_host(sent_by)
                params = parse_generic_params(semi + ptext) if semi else NO_PARAMS
                return cls(transport.upper(), host, port, params)
        m = _VIA_RE.fullmatch(text)
        if m is None:
            raise SipParseError(f"invalid Via: {text!r}")
        name, version, transport, host, port_text, ptext = m.groups()
        if not (is_token(name) and is_token(version) and is_token(transport)):
            raise SipParseError(f"invalid Via protocol: {text!r}")
        host, port = parse_host(host if port_text is None else f"{host}:{port_text}")
        params = parse_generic_params(ptext) if ptext else Params()
        return cls(transport.upper(), host, port, params, f"{name}/{version}")

    @property
    def branch(self) -> str | None:
        """The branch parameter (transaction id when it starts with the magic cookie z9hG4bK)."""
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """The received parameter a server stamped."""
        return self.params.get("received")

    @property
    def rport_requested(self) -> bool:
        """Whether rport is present (RFC 3581), with or without a value."""
        return "rport" in self.params

    @property
    def rport(self) -> int | None:
        """The rport value a server filled in, if any."""
        value = self.params.get("rport")
        if value is None:
            return None
        if not value.isdigit() or int(value) > 65535:
            raise SipParseError(f"invalid rport {value!r}")
        return int(value)

    @property
    def sent_by(self) -> tuple[str, int | None]:
        """(host, port) of sent-by."""
        return self.host, self.port

    def with_params(self, params: Params) -> Via:
        """A copy with other parameters."""
        return Via(self.transport, self.host, self.port, params, self.protocol)

    def __str__(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.protocol}/{self.transport} {self.host}{port}{self.params}"


_VIA_TRANSPORT, _VIA_HOST, _VIA_PORT, _VIA_PARAMS, _VIA_PROTOCOL = (
    Via.__dict__[n].__set__ for n in ("transport", "host", "port", "params", "protocol")
)


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq header: sequence number (< 2**31) and method."""

    seq: int
    method: str

    def __post_init__(self) -> None:
        if not 0 <= self.seq < 2**31 or not is_token(self.method):
            raise SipParseError(f"invalid CSeq {self.seq} {self.method!r}")

    @classmethod
    def parse(cls, text: str) -> CSeq:
        """Parse `number method`."""
        parts = text.split()
        if len(parts) != 2 or not parts[0].isdigit() or not parts[0].isascii() or len(parts[0]) > 10:
            raise SipParseError(f"invalid CSeq: {text!r}")
        seq, method = int(parts[0]), parts[1]
        if seq >= 2**31 or not TOKEN_CHARS.issuperset(method):
            raise SipParseError(f"invalid CSeq {seq} {method!r}")
        cseq: CSeq = _new(cls)  # checked above as __post_init__ would: fill the slots directly
        _CSEQ_SEQ(cseq, seq)
        _CSEQ_METHOD(cseq, method)
        return cseq

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


_CSEQ_SEQ, _CSEQ_METHOD = (CSeq.__dict__[n].__set__ for n in ("seq", "method"))


@dataclass(frozen=True, slots=True)
class ContentType:
    """A media type with parameters (Content-Type, Accept elements)."""

    type: str
    subtype: str
    params: Params = NO_PARAMS

    @classmethod
    def parse(cls, text: str) -> ContentType:
        """Parse `type/subtype;params`."""
        semi = split_top(text, ";")
        mtype, slash, sub = semi[0].partition("/")
        mtype, sub = mtype.strip(_WS), sub.strip(_WS)
        if not slash or not is_token(mtype) or not is_token(sub):
            raise SipParseError(f"invalid media type {text!r}")
        params = parse_generic_params(text[len(semi[0]) :]) if len(semi) > 1 else Params()
        return cls(mtype.lower(), sub.lower(), params)

    @property
    def mime(self) -> str:
        """type/subtype in lower case."""
        return f"{self.type}/{self.subtype}"

    def __str__(self) -> str:
        return f"{self.type}/{self.subtype}{self.params}"


def is_sip_uri(uri: Uri) -> bool:
    """Whether uri is a sip: or sips: URI."""
    return isinstance(uri, SipUri)
