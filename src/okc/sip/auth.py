"""SIP digest authentication (RFC 3261 §22 with the RFC 8760 / RFC 7616 algorithms), sans-I/O.

`DigestServer` issues challenges whose nonce is HMAC-signed and carries its issue time (so no nonce table
is needed to know a nonce is ours or too old) and verifies answers from stored HA1s; it keeps only the last
nonce-count seen per nonce to refuse replays, forgetting a nonce once it expires (oldest first, from a heap,
so each request costs O(log n) however many nonces are live). `DigestClient` answers 401/407 with the
strongest algorithm offered and builds the retried request. Clock and random source are injected.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import heapq
import hmac
import random
import re
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from okc.sip.errors import SipError
from okc.sip.headers import Headers, canonical_key, is_token, quote, split_list, unquote
from okc.sip.message import Request, Response, response_to

__all__ = [
    "AuthAccepted",
    "AuthChallenged",
    "AuthError",
    "AuthFailed",
    "AuthOutcome",
    "DigestAlgorithm",
    "DigestChallenge",
    "DigestClient",
    "DigestCredentials",
    "DigestServer",
    "HA1Lookup",
    "digest_response",
    "parse_auth_params",
]

_WS = " \t"


class AuthError(SipError):
    """A malformed authentication header, or a challenge the client cannot answer."""


class DigestAlgorithm(enum.Enum):
    """Digest algorithms of RFC 8760 in order of strength (strongest first in `preference`)."""

    SHA_256 = "SHA-256"
    SHA_256_SESS = "SHA-256-sess"
    MD5 = "MD5"
    MD5_SESS = "MD5-sess"

    @classmethod
    def parse(cls, text: str) -> DigestAlgorithm:
        """The algorithm named in a header (case-insensitive)."""
        member = _ALGORITHMS.get(text.strip().lower())
        if member is None:
            raise AuthError(f"unsupported digest algorithm {text!r}")
        return member

    @property
    def sess(self) -> bool:
        """Whether HA1 is re-keyed with the nonces (the -sess variants)."""
        return self.value.endswith("-sess")

    @property
    def base(self) -> DigestAlgorithm:
        """The algorithm without -sess: the one a stored HA1 was computed with."""
        return DigestAlgorithm.MD5 if self.value.startswith("MD5") else DigestAlgorithm.SHA_256

    @property
    def strength(self) -> int:
        """Higher is stronger; a client answers the strongest challenge it supports."""
        return 2 if self.base is DigestAlgorithm.SHA_256 else 1

    def hexdigest(self, data: str) -> str:
        """H(data) as lower-case hex."""
        return _HASH_OF[self](data.encode("utf-8"), usedforsecurity=False).hexdigest()


_TCHARS = r"[A-Za-z0-9\-.!%*_+`'~]+"
_QUOTED_INNER = r'"([^"\\\r\n]*(?:\\.[^"\\\r\n]*)*)"'
#: One `name=value` auth-param with its separator per match (quoted value inner text or token value in
#: groups 2 and 3). Where the list stops being well-formed, the last alternative takes the rest of the
#: text, so a malformed list shows as a non-empty group 4 in the last match.
_SCAN_RE = re.compile(
    rf"[ \t]*(?:({_TCHARS})[ \t]*=[ \t]*(?:{_QUOTED_INNER}|({_TCHARS}))[ \t]*(?:,(?![ \t]*\Z)|\Z)|([\s\S]+))"
)
#: The usual spelling only (lower-case `name=value` pairs joined by ", ", no other whitespace, no
#: quoted-pair), the value group holding a quoted string's content or a token (a quote is consumed before
#: it only when its closing quote follows; a token may neither follow nor precede one). Where the text
#: leaves that spelling the last alternative matches with both groups empty, which shows as a "" name;
#: the general scan then decides.
_QCHARS = r'[^"\\\r\n]*'
_LOWER_TCHARS = r"[a-z0-9\-.!%*_+`'~]+"
_USUAL_VALUE = rf'(?:"(?={_QCHARS}")|)((?<="){_QCHARS}(?=")|(?<!"){_TCHARS}(?!"))"?'
_USUAL_PAIRS_RE = re.compile(rf"({_LOWER_TCHARS})={_USUAL_VALUE}(?:, (?!\Z)|\Z)|[\s\S]+")
_HEX8_RE = re.compile(r"[0-9a-fA-F]{8}")


_ALGORITHMS = {a.value.lower(): a for a in DigestAlgorithm}
_HASH_OF = {a: hashlib.md5 if a.value.startswith("MD5") else hashlib.sha256 for a in DigestAlgorithm}


def _scan(text: str) -> tuple[str, list[tuple[str, str, str, str]]]:
    """The scheme and the raw (name, quoted inner, token, error) matches of an auth header value."""
    text = text.strip(_WS)
    scheme, _, rest = text.partition(" ")
    if not is_token(scheme):
        raise AuthError(f"invalid auth scheme in {text!r}")
    found: list[tuple[str, str, str, str]] = _SCAN_RE.findall(rest)
    if found and found[-1][3]:
        if rest.strip(_WS):
            raise AuthError(f"malformed auth-param list in {text!r}")
        found = []
    return scheme, found


def _unquoted(inner: str) -> str:
    """The value of a quoted string given its inner text (quoted-pairs resolved)."""
    return unquote(f'"{inner}"') if "\\" in inner else inner


def parse_auth_params(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Split `Scheme name=value, name="quoted", ...` into the scheme and (lower-case name, value) pairs."""
    scheme, found = _scan(text)
    return scheme, tuple((name.lower(), _unquoted(q) if q else t) for name, q, t, _ in found)


def _params_dict(text: str) -> dict[str, str]:
    """The auth-params of a Digest header by lower-case name, quoted values unquoted."""
    scheme, _, rest = text.strip(_WS).partition(" ")
    if scheme in ("Digest", "digest") and "\\" not in rest and rest[:1] not in _WS:
        # The usual spelling: the dict is built from the scan in one step; a malformed list, an upper-case
        # name (both show as a "" name), a duplicate or an empty list takes the general path below.
        found: list[tuple[str, str]] = _USUAL_PAIRS_RE.findall(rest)
        raw = dict(found)
        if len(raw) == len(found) and "" not in raw:
            return raw
    return _params_dict_general(text)


def _params_dict_general(text: str) -> dict[str, str]:
    scheme, found = _scan(text)
    if scheme.lower() != "digest":
        raise AuthError(f"not a Digest header: {scheme}")
    if "\\" in text:
        params = {name.lower(): _unquoted(q) if q else t for name, q, t, _ in found}
    else:
        params = {name.lower(): q or t for name, q, t, _ in found}
    if len(params) != len(found):
        seen: set[str] = set()
        for name, *_ in found:
            if name.lower() in seen:
                raise AuthError(f"duplicate auth-param {name.lower()}")
            seen.add(name.lower())
    return params


@dataclass(frozen=True, slots=True)
class DigestChallenge:
    """One WWW-Authenticate / Proxy-Authenticate Digest challenge."""

    realm: str
    nonce: str
    algorithm: DigestAlgorithm = DigestAlgorithm.MD5
    qop: tuple[str, ...] = ("auth",)
    opaque: str | None = None
    stale: bool = False

    def __post_init__(self) -> None:
        if not self.nonce:
            raise AuthError("challenge without nonce")

    @classmethod
    def parse(cls, text: str) -> DigestChallenge:
        """Parse a challenge header value; unknown parameters are ignored as §22.4 requires."""
        p = _params_dict(text)
        if "realm" not in p or "nonce" not in p:
            raise AuthError(f"challenge without realm or nonce: {text!r}")
        qop = tuple(q.strip(_WS) for q in p["qop"].split(",") if q.strip(_WS)) if "qop" in p else ()
        return cls(
            p["realm"],
            p["nonce"],
            DigestAlgorithm.parse(p.get("algorithm", "MD5")),
            qop,
            p.get("opaque"),
            p.get("stale", "").lower() == "true",
        )

    def __str__(self) -> str:
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}"]
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        if self.stale:
            parts.append("stale=true")
        parts.append(f"algorithm={self.algorithm.value}")
        if self.qop:
            parts.append(f"qop={quote(','.join(self.qop))}")
        return "Digest " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """One Authorization / Proxy-Authorization Digest answer."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: DigestAlgorithm = DigestAlgorithm.MD5
    qop: str | None = None
    nc: int | None = None
    cnonce: str | None = None
    opaque: str | None = None

    def __post_init__(self) -> None:
        if self.qop is not None and (self.nc is None or self.cnonce is None):
            raise AuthError("qop given without nc and cnonce")
        if self.nc is not None and not 0 < self.nc < 2**32:
            raise AuthError(f"nonce-count out of range: {self.nc}")

    @classmethod
    def parse(cls, text: str) -> DigestCredentials:
        """Parse an Authorization header value."""
        p = _params_dict(text)
        try:
            username, realm, nonce, uri, response = (
                p["username"], p["realm"], p["nonce"], p["uri"], p["response"]
            )  # fmt: skip
        except KeyError:
            missing = [k for k in ("username", "realm", "nonce", "uri", "response") if k not in p]
            raise AuthError(f"credentials without {', '.join(missing)}") from None
        nc: int | None = None
        raw = p.get("nc")
        if raw is not None:
            if _HEX8_RE.fullmatch(raw) is None:
                raise AuthError(f"nonce-count must be 8 hex digits, not {raw!r}")
            nc = int(raw, 16)
        algorithm = p.get("algorithm")
        qop = p.get("qop")
        cnonce = p.get("cnonce")
        if qop is not None and (nc is None or cnonce is None):
            raise AuthError("qop given without nc and cnonce")
        if nc == 0:
            raise AuthError(f"nonce-count out of range: {nc}")
        # Every field is checked above: fill the slots without __post_init__ (this is the server's hot path).
        creds: DigestCredentials = _new(cls)
        s_user, s_realm, s_nonce, s_uri, s_resp, s_alg, s_qop, s_nc, s_cnonce, s_opaque = _CREDENTIAL_SLOTS
        s_user(creds, username)
        s_realm(creds, realm)
        s_nonce(creds, nonce)
        s_uri(creds, uri)
        s_resp(creds, response.lower())
        s_alg(creds, DigestAlgorithm.MD5 if algorithm is None else DigestAlgorithm.parse(algorithm))
        s_qop(creds, qop)
        s_nc(creds, nc)
        s_cnonce(creds, cnonce)
        s_opaque(creds, p.get("opaque"))
        return creds

    def __str__(self) -> str:
        parts = [
            f"username={quote(self.username)}",
            f"realm={quote(self.realm)}",
            f"nonce={quote(self.nonce)}",
            f"uri={quote(self.uri)}",
            f"response={quote(self.response)}",
            f"algorithm={self.algorithm.value}",
        ]
        if self.qop is not None:
            parts += [f"qop={self.qop}", f"nc={self.nc:08x}", f"cnonce={quote(self.cnonce or '')}"]
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        return "Digest " + ", ".join(parts)


_new = object.__new__
_CREDENTIAL_SLOTS = tuple(
    DigestCredentials.__dict__[name].__set__
    for name in (
        "username",
        "realm",
        "nonce",
        "uri",
        "response",
        "algorithm",
        "qop",
        "nc",
        "cnonce",
        "opaque",
    )
)
_SESS = frozenset({DigestAlgorithm.MD5_SESS, DigestAlgorithm.SHA_256_SESS})


def digest_response(
    algorithm: DigestAlgorithm,
    ha1: str,
    *,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: int | None = None,
    cnonce: str | None = None,
) -> str:
    """The request-digest of RFC 7616 §3.4.1 from a stored HA1 (H(user:realm:password), base algorithm)."""
    h = _HASH_OF[algorithm]
    if algorithm in _SESS:
        ha1 = h(f"{ha1}:{nonce}:{cnonce or ''}".encode(), usedforsecurity=False).hexdigest()
    ha2 = h(f"{method}:{uri}".encode(), usedforsecurity=False).hexdigest()
    if qop is None:
        return h(f"{ha1}:{nonce}:{ha2}".encode(), usedforsecurity=False).hexdigest()
    data = f"{ha1}:{nonce}:{nc or 0:08x}:{cnonce or ''}:{qop}:{ha2}"
    return h(data.encode(), usedforsecurity=False).hexdigest()


HA1Lookup = Callable[[str, DigestAlgorithm], "str | None"]
"""username, base algorithm → stored HA1 hex (None when the user is unknown or has no such HA1)."""


@dataclass(frozen=True, slots=True)
class AuthAccepted:
    """The request carries valid credentials of `username`."""

    username: str


@dataclass(frozen=True, slots=True)
class AuthChallenged:
    """No usable credentials (none, other realm, or a stale nonce): send `response` (401/407)."""

    response: Response
    stale: bool


@dataclass(frozen=True, slots=True)
class AuthFailed:
    """Credentials were wrong, forged or replayed: `response` re-challenges; `reason` is for the log."""

    response: Response
    username: str
    reason: str


AuthOutcome = AuthAccepted | AuthChallenged | AuthFailed

_NONCE = struct.Struct(">Q8s")
_MAC_BYTES = 16


class DigestServer:
    """Challenges requests and verifies their digest credentials for one realm.

    Nonces are `base64(issue-ms, 8 random bytes, HMAC(secret)[:16])`; a nonce older than `nonce_lifetime`
    seconds yields stale=true, so the client retries with the same password without asking the user.
    """

    def __init__(
        self,
        realm: str,
        secret: bytes,
        lookup: HA1Lookup,
        rng: random.Random,
        *,
        algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5),
        nonce_lifetime: float = 300.0,
        proxy: bool = False,
    ) -> None:
        if len(secret) < 16:
            raise AuthError("nonce secret must be at least 16 bytes")
        if not algorithms:
            raise AuthError("at least one digest algorithm is needed")
        self.realm = realm
        self._secret = secret
        self._lookup = lookup
        self._rng = rng
        self.algorithms = algorithms
        self.nonce_lifetime = nonce_lifetime
        self.proxy = proxy
        self._last_nc: dict[str, int] = {}
        self._expiry: list[tuple[float, str]] = []  # (issue time, nonce) of every remembered nonce, a heap

    @property
    def _challenge_header(self) -> str:
        return "Proxy-Authenticate" if self.proxy else "WWW-Authenticate"

    @property
    def _credentials_header(self) -> str:
        return "Proxy-Authorization" if self.proxy else "Authorization"

    def make_nonce(self, now: float) -> str:
        """A fresh signed nonce stamped with `now`."""
        body = _NONCE.pack(int(now * 1000), self._rng.randbytes(8))
        mac = hmac.new(self._secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(body + mac).decode("ascii").rstrip("=")

    def nonce_issued(self, nonce: str) -> float | None:
        """When this server issued `nonce` (seconds), or None when it is not ours or was altered."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != _NONCE.size + _MAC_BYTES:
            return None
        body, mac = raw[: _NONCE.size], raw[_NONCE.size :]
        if not hmac.compare_digest(mac, hmac.new(self._secret, body, hashlib.sha256).digest()[:_MAC_BYTES]):
            return None
        return float(_NONCE.unpack(body)[0]) / 1000.0

    def challenges(self, now: float, *, stale: bool = False) -> tuple[DigestChallenge, ...]:
        """One challenge per algorithm, strongest first (RFC 8760 §2.4), sharing one nonce."""
        nonce = self.make_nonce(now)
        return tuple(
            DigestChallenge(self.realm, nonce, alg, ("auth",), None, stale) for alg in self.algorithms
        )

    def challenge(
        self, request: Request, now: float, *, stale: bool = False, to_tag: str | None = None
    ) -> Response:
        """The 401 (or 407 for a proxy) that challenges `request`."""
        status, reason = (407, "Proxy Authentication Required") if self.proxy else (401, "Unauthorized")
        extra = tuple((self._challenge_header, str(c)) for c in self.challenges(now, stale=stale))
        return response_to(request, status, reason, to_tag=to_tag, extra=extra)

    def _ours(self, header_values: list[str]) -> Iterator[DigestCredentials]:
        for value in header_values:
            try:
                creds = DigestCredentials.parse(value)
            except AuthError:
                continue
            if creds.realm == self.realm:
                yield creds

    def authenticate(self, request: Request, now: float, *, to_tag: str | None = None) -> AuthOutcome:
        """Check `request`'s credentials for this realm: accepted, challenged (none / stale) or failed."""
        creds = next(iter(self._ours(request.headers.get_all(self._credentials_header))), None)
        if creds is None:
            return AuthChallenged(self.challenge(request, now, to_tag=to_tag), False)

        def failed(reason: str) -> AuthFailed:
            return AuthFailed(self.challenge(request, now, to_tag=to_tag), creds.username, reason)

        if creds.algorithm not in self.algorithms:
            return failed(f"algorithm {creds.algorithm.value} not offered")
        issued = self.nonce_issued(creds.nonce)
        if issued is None or issued > now + 1.0:
            return failed("nonce not issued by this server")
        if creds.qop not in (None, "auth"):
            return failed(f"qop {creds.qop} not offered")
        ha1 = self._lookup(creds.username, creds.algorithm.base)
        if ha1 is None:
            return failed("unknown user")
        expected = digest_response(
            creds.algorithm,
            ha1,
            method=request.method,
            uri=creds.uri,
            nonce=creds.nonce,
            qop=creds.qop,
            nc=creds.nc,
            cnonce=creds.cnonce,
        )
        if not hmac.compare_digest(expected, creds.response):
            return failed("wrong digest response")
        if str(request.uri) != creds.uri and request.method != "ACK":
            return failed("digest uri does not match the Request-URI")
        if now - issued > self.nonce_lifetime:
            return AuthChallenged(self.challenge(request, now, stale=True, to_tag=to_tag), True)
        self._forget_expired(now)
        nc = creds.nc or 0
        last = self._last_nc.get(creds.nonce)
        if last is not None and nc <= last:
            return failed(f"nonce-count {nc} replayed (last {last})")
        if last is None:
            heapq.heappush(self._expiry, (issued, creds.nonce))
        self._last_nc[creds.nonce] = nc
        return AuthAccepted(creds.username)

    @property
    def remembered_nonces(self) -> int:
        """How many nonces the replay check currently remembers (bounded by those used within a lifetime)."""
        return len(self._last_nc)

    def _forget_expired(self, now: float) -> None:
        """Drop nonces past their lifetime, oldest first; a forgotten nonce can only come back as stale."""
        expiry, lifetime = self._expiry, self.nonce_lifetime
        while expiry and now - expiry[0][0] > lifetime:  # the same test that answers stale=true
            del self._last_nc[heapq.heappop(expiry)[1]]


_KEPT_NONCES = 32  # a client answers a handful of realms at once; older nonces are never reused


@dataclass(slots=True)
class _NonceUse:
    challenge: DigestChallenge
    nc: int


class DigestClient:
    """Answers digest challenges for one account and counts nonce uses (nc) per nonce."""

    def __init__(
        self,
        username: str,
        password: str,
        rng: random.Random,
        *,
        algorithms: frozenset[DigestAlgorithm] = frozenset(DigestAlgorithm),
    ) -> None:
        self.username = username
        self._password = password
        self._rng = rng
        self.algorithms = algorithms
        self._uses: OrderedDict[str, _NonceUse] = (
            OrderedDict()
        )  # most recently used last, at most _KEPT_NONCES

    def _ha1(self, challenge: DigestChallenge) -> str:
        return challenge.algorithm.base.hexdigest(f"{self.username}:{challenge.realm}:{self._password}")

    def credentials(self, challenge: DigestChallenge, method: str, uri: str) -> DigestCredentials:
        """Credentials answering `challenge` for a request; nc increases on each use of the same nonce."""
        if challenge.algorithm not in self.algorithms:
            raise AuthError(f"algorithm {challenge.algorithm.value} is not enabled")
        if challenge.qop and "auth" not in challenge.qop:
            raise AuthError(f"no supported qop in {challenge.qop}")
        use = self._uses.get(challenge.nonce)
        if use is None or use.challenge != challenge:
            use = self._uses[challenge.nonce] = _NonceUse(challenge, 0)
            while len(self._uses) > _KEPT_NONCES:
                self._uses.popitem(last=False)
        self._uses.move_to_end(challenge.nonce)
        use.nc += 1
        qop = "auth" if challenge.qop else None
        cnonce = self._rng.randbytes(12).hex() if qop or challenge.algorithm.sess else None
        nc = use.nc if qop else None
        response = digest_response(
            challenge.algorithm,
            self._ha1(challenge),
            method=method,
            uri=uri,
            nonce=challenge.nonce,
            qop=qop,
            nc=nc,
            cnonce=cnonce,
        )
        return DigestCredentials(
            self.username,
            challenge.realm,
            challenge.nonce,
            uri,
            response,
            challenge.algorithm,
            qop,
            nc,
            cnonce,
            challenge.opaque,
        )

    def pick(self, response: Response) -> list[tuple[str, DigestChallenge]]:
        """Per realm of a 401/407, the strongest supported challenge and the header to answer it in."""
        if response.status == 401:
            source, target = "WWW-Authenticate", "Authorization"
        elif response.status == 407:
            source, target = "Proxy-Authenticate", "Proxy-Authorization"
        else:
            raise AuthError(f"status {response.status} is not a challenge")
        best: dict[str, DigestChallenge] = {}
        for value in response.headers.get_all(source):
            try:
                challenge = DigestChallenge.parse(value)
            except AuthError:
                continue
            if challenge.algorithm not in self.algorithms or (challenge.qop and "auth" not in challenge.qop):
                continue
            current = best.get(challenge.realm)
            if current is None or challenge.algorithm.strength > current.algorithm.strength:
                best[challenge.realm] = challenge
        if not best:
            raise AuthError("no challenge with a supported algorithm")
        return [(target, c) for c in best.values()]

    def retry(self, request: Request, response: Response) -> Request:
        """The request re-sent with credentials: CSeq + 1 and a new Via branch (a new transaction)."""
        headers = request.headers
        for target, challenge in self.pick(response):
            creds = self.credentials(challenge, request.method, str(request.uri))
            kept = [v for v in headers.get_all(target) if _realm_of(v) not in (challenge.realm, None)]
            headers = headers.without(target)
            for value in (*kept, str(creds)):
                headers = headers.with_added(target, value)
        cseq = request.cseq
        headers = headers.with_replaced("CSeq", f"{cseq.seq + 1} {cseq.method}")
        vias = headers.get_all("Via")
        if vias:
            top = request.top_via
            branch = "z9hG4bK" + self._rng.randbytes(8).hex()
            new_top = str(top.with_params(top.params.with_param("branch", branch)))
            headers = Headers(_replace_first_via(headers, new_top))
        return request.replace(headers=headers)


def _realm_of(value: str) -> str | None:
    try:
        return DigestCredentials.parse(value).realm
    except AuthError:
        return None


def _replace_first_via(headers: Headers, new_top: str) -> Iterator[tuple[str, str]]:
    """The header fields with the first Via element replaced (the rest of a comma list kept)."""
    done = False
    for name, value in headers.fields:
        if not done and canonical_key(name) == "via":
            rest = split_list(value)[1:]
            done = True
            yield name, ", ".join([new_top, *rest])
        else:
            yield name, value
