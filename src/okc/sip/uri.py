"""SIP, SIPS and tel URIs (RFC 3261 §19.1, §25; RFC 3966; IPv6 references per RFC 5118).

Components keep their on-the-wire (escaped) spelling so that serialising gives back the same text;
`unescape` decodes a component when its meaning is needed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from okc.sip.errors import SipParseError

__all__ = ["AbsoluteUri", "Params", "SipUri", "TelUri", "Uri", "parse_uri", "unescape"]

_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
_UNRESERVED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()")
_USER_CHARS = _UNRESERVED | frozenset("%&=+$,;?/")
_PASSWORD_CHARS = _UNRESERVED | frozenset("%&=+$,")
_PARAM_CHARS = _UNRESERVED | frozenset("%[]/:&+$")
_HEADER_CHARS = _UNRESERVED | frozenset("%[]/?:+$")
_HOSTNAME_RE = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_OPAQUE_BAD = frozenset(' \t\r\n<>"')
#: _HOSTNAME_RE's language (labels of letters, digits and inner hyphens; optional final dot) written with
#: lookarounds, which the regex engine runs faster than nested optional groups.
_HOSTNAME = r"(?!-)[A-Za-z0-9-]+(?<!-)(?:\.(?!-)[A-Za-z0-9-]+(?<!-))*\.?"
_PCHAR = r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$]"
#: The usual SIP URI: no escapes, IPv6 reference or `?headers`, every part within the characters the
#: general parser allows. Whatever this takes, the general parser would take with the same result.
#: Groups: scheme, user, password, host, port, `;params` text.
_FAST_SIP = (
    r"(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,;?/]+)(?::([A-Za-z0-9\-_.!~*'()&=+$,]*))?@)?"
    rf"({_HOSTNAME})(?::([0-9]{{1,5}}))?((?:;{_PCHAR}+(?:={_PCHAR}+)?)*)"
)
_FAST_SIP_RE = re.compile(_FAST_SIP)


def unescape(text: str) -> str:
    """Decode %HH escapes of a URI component (undecodable bytes become U+FFFD)."""
    if "%" not in text:
        return text
    return unquote_to_bytes(text).decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Params:
    """An ordered list of `;name[=value]` parameters; names compare case-insensitively."""

    items: tuple[tuple[str, str | None], ...] = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first parameter called name (None for a flag without value)."""
        lname = name.lower()
        for key, value in self.items:
            if key.lower() == lname:
                return value
        return default

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lname = name.lower()
        return any(key.lower() == lname for key, _ in self.items)

    def with_param(self, name: str, value: str | None) -> Params:
        """A copy with name set to value (replacing an existing one in place, else appended)."""
        lname = name.lower()
        if name in self:
            return Params(tuple((k, value) if k.lower() == lname else (k, v) for k, v in self.items))
        return Params((*self.items, (name, value)))

    def without(self, name: str) -> Params:
        """A copy with every parameter called name removed."""
        lname = name.lower()
        return Params(tuple((k, v) for k, v in self.items if k.lower() != lname))

    def __str__(self) -> str:
        return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self.items)


_NO_PARAMS = Params()


def _check_chars(text: str, allowed: frozenset[str], what: str) -> None:
    if not allowed.issuperset(text) or ("%" in text and _ESCAPE_RE.search(text)):
        raise SipParseError(f"invalid character in URI {what}: {text!r}")


def parse_host(text: str) -> tuple[str, int | None]:
    """Split and check `host[:port]`; IPv6 references keep their brackets."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError(f"unterminated IPv6 reference: {text!r}")
        host, rest = text[: end + 1], text[end + 1 :]
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise SipParseError(f"invalid IPv6 reference: {host!r}") from None
        if rest and not rest.startswith(":"):
            raise SipParseError(f"garbage after IPv6 reference: {text!r}")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text_ = text.partition(":")
        port_text = port_text_ if sep else None
        if not host or not _HOSTNAME_RE.fullmatch(host):
            raise SipParseError(f"invalid host: {host!r}")
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not port_text.isascii() or len(port_text) > 5 or int(port_text) > 65535:
        raise SipParseError(f"invalid port: {port_text!r}")
    return host, int(port_text)


def parse_params(text: str, allowed: frozenset[str] = _PARAM_CHARS) -> Params:
    """Parse `;a=b;c` (text starts after the first ';' is stripped or with it) into Params."""
    items: list[tuple[str, str | None]] = []
    for part in text.split(";"):
        if not part:
            raise SipParseError(f"empty URI parameter in {text!r}")
        name, sep, value = part.partition("=")
        _check_chars(name, allowed, "parameter")
        if sep:
            _check_chars(value, allowed, "parameter value")
            if not value:
                raise SipParseError(f"empty URI parameter value in {text!r}")
        items.append((name, value if sep else None))
    return Params(tuple(items))


@dataclass(frozen=True, slots=True)
class SipUri:
    """A `sip:` or `sips:` URI with user, password, host, port, parameters and headers."""

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = _NO_PARAMS
    headers: tuple[tuple[str, str], ...] = ()
    scheme: str = "sip"

    def __post_init__(self) -> None:
        if self.scheme not in ("sip", "sips"):
            raise SipParseError(f"not a SIP scheme: {self.scheme!r}")
        if self.user is not None:
            _check_chars(self.user, _USER_CHARS, "user")
        if self.password is not None:
            _check_chars(self.password, _PASSWORD_CHARS, "password")
        parse_host(self.host if self.port is None else f"{self.host}:{self.port}")

    @property
    def transport(self) -> str | None:
        """The transport parameter, lower-cased."""
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def lr(self) -> bool:
        """Whether this is a loose router's URI (RFC 3261 §16.12)."""
        return "lr" in self.params

    @property
    def maddr(self) -> str | None:
        """The maddr parameter, if any."""
        return self.params.get("maddr")

    @property
    def host_port(self) -> str:
        """host[:port] as written in a URI."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_params(self, params: Params) -> SipUri:
        """A copy with other URI parameters."""
        return SipUri(self.host, self.user, self.password, self.port, params, self.headers, self.scheme)

    def without_headers(self) -> SipUri:
        """A copy without the `?header=value` part (what a request built from it would use)."""
        return SipUri(self.host, self.user, self.password, self.port, self.params, (), self.scheme)

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out += [":", self.password]
            out.append("@")
        out.append(self.host_port)
        out.append(str(self.params))
        if self.headers:
            out += ["?", "&".join(f"{k}={v}" for k, v in self.headers)]
        return "".join(out)


@dataclass(frozen=True, slots=True)
class TelUri:
    """A `tel:` URI (RFC 3966): the number and its parameters."""

    number: str
    params: Params = _NO_PARAMS

    def __post_init__(self) -> None:
        if not self.number or not _PARAM_CHARS.issuperset(self.number):
            raise SipParseError(f"invalid telephone number: {self.number!r}")

    @property
    def scheme(self) -> str:
        """Always "tel"."""
        return "tel"

    def __str__(self) -> str:
        return f"tel:{self.number}{self.params}"


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """A URI of any other scheme, kept opaque (a UAS answers such Request-URIs with 416)."""

    scheme: str
    opaque: str

    def __post_init__(self) -> None:
        if (
            not _SCHEME_RE.fullmatch(self.scheme)
            or not self.opaque
            or not _OPAQUE_BAD.isdisjoint(self.opaque)
        ):
            raise SipParseError(f"invalid URI: {self.scheme}:{self.opaque}")

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


_new = object.__new__
_set_items = Params.__dict__["items"].__set__
_SIP_SLOTS = tuple(
    SipUri.__dict__[n].__set__ for n in ("host", "user", "password", "port", "params", "headers", "scheme")
)


def _checked_params(text: str) -> Params:
    """Params from `;a=b;c` text that a caller already checked (no quotes); no per-part validation."""
    params: Params = _new(Params)
    if text.count(";") == 1:  # the usual single parameter: no list to build
        name, eq, value = text[1:].partition("=")
        _set_items(params, ((name, value if eq else None),))
        return params
    items: list[tuple[str, str | None]] = []
    for part in text[1:].split(";"):
        name, eq, value = part.partition("=")
        items.append((name, value if eq else None))
    _set_items(params, tuple(items))
    return params


def _checked_sip_uri(
    scheme: str, user: str | None, password: str | None, host: str, *, port: int | None, params: Params
) -> SipUri:
    """A SipUri from components the parser already checked (skips __post_init__: the parser's hot path)."""
    uri: SipUri = _new(SipUri)
    s_host, s_user, s_password, s_port, s_params, s_headers, s_scheme = _SIP_SLOTS
    s_host(uri, host)
    s_user(uri, user)
    s_password(uri, password)
    s_port(uri, port)
    s_params(uri, params)
    s_headers(uri, ())
    s_scheme(uri, scheme)
    return uri


Uri = SipUri | TelUri | AbsoluteUri


def parse_uri(text: str) -> Uri:
    """Parse a URI; raise SipParseError (400) when it is malformed."""
    m = _FAST_SIP_RE.fullmatch(text)
    if m is not None:
        scheme, user, password, host, port_text, ptext = m.groups()
        port = None if port_text is None else int(port_text)
        if port is None or port <= 65535:
            params = _checked_params(ptext) if ptext else _NO_PARAMS
            return _checked_sip_uri(scheme, user, password, host, port=port, params=params)
    if text.startswith("sip:"):
        return _parse_sip("sip", text[4:], text)
    scheme, sep, rest = text.partition(":")
    if not sep or not _SCHEME_RE.fullmatch(scheme):
        raise SipParseError(f"not a URI: {text!r}")
    lscheme = scheme.lower()
    if lscheme in ("sip", "sips"):
        return _parse_sip(lscheme, rest, text)
    if lscheme == "tel":
        number, _, ptext = rest.partition(";")
        return TelUri(number, parse_params(ptext) if ptext else Params())
    return AbsoluteUri(scheme, rest)


def _parse_sip(scheme: str, rest: str, text: str) -> SipUri:
    user = password = None
    at = rest.rfind("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        user, colon, pw = userinfo.partition(":")
        if not user:
            raise SipParseError(f"empty user in {text!r}")
        _check_chars(user, _USER_CHARS, "user")
        if colon:
            _check_chars(pw, _PASSWORD_CHARS, "password")
            password = pw
    rest, qmark, htext = rest.partition("?")
    headers: tuple[tuple[str, str], ...] = ()
    if qmark:
        pairs: list[tuple[str, str]] = []
        for item in htext.split("&"):
            name, eq, value = item.partition("=")
            if not eq or not name:
                raise SipParseError(f"invalid URI header in {text!r}")
            _check_chars(name, _HEADER_CHARS, "header")
            _check_chars(value, _HEADER_CHARS, "header value")
            pairs.append((name, value))
        headers = tuple(pairs)
    hostport, semi, ptext = rest.partition(";")
    host, port = parse_host(hostport)
    params = parse_params(ptext) if semi else _NO_PARAMS
    # Every component was checked above: skip __post_init__'s second pass (this is the parser's hot path).
    uri = object.__new__(SipUri)
    setattr_ = object.__setattr__
    setattr_(uri, "host", host)
    setattr_(uri, "user", user)
    setattr_(uri, "password", password)
    setattr_(uri, "port", port)
    setattr_(uri, "params", params)
    setattr_(uri, "headers", headers)
    setattr_(uri, "scheme", scheme)
    return uri
