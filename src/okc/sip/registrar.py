"""Registrar and location service for the center's users (RFC 3261 §10.3), sans-I/O.

`Registrar.handle_register(request, source, now)` authenticates a REGISTER with digest (stored HA1s, no
passwords), applies the §10.3 rules (Contact `*`, expiry limits with 423, Call-ID/CSeq ordering, several
contacts per address-of-record, all-or-nothing updates) and returns the response to send. The
`LocationService` keeps the bindings, expires them in virtual time (`handle_timer(now)`, `get_timer()`)
and reports `PhoneRegistered` / `PhoneUnregistered` for the ACD; `lookup(aor)` gives contacts by q.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from okc.sip.auth import AuthAccepted, AuthChallenged, DigestAlgorithm, DigestCredentials, DigestServer
from okc.sip.errors import SipError, SipParseError
from okc.sip.headers import NameAddr
from okc.sip.layer import Address
from okc.sip.message import Request, Response, response_to
from okc.sip.uri import Params, SipUri, Uri, parse_uri, unescape

if TYPE_CHECKING:
    from okc.config import CenterConfig

__all__ = [
    "DEFAULT_ALGORITHMS",
    "Account",
    "Binding",
    "LocationService",
    "PhoneRegistered",
    "PhoneUnregistered",
    "RegisterOutcome",
    "Registrar",
    "RegistrarError",
    "RegistrarEvent",
    "RegistrarSettings",
    "UnregisterReason",
    "contact_key",
]


class RegistrarError(SipError):
    """Invalid registrar settings or accounts."""


@dataclass(frozen=True, slots=True)
class RegistrarSettings:
    """Expiry limits (seconds) and the number of contacts one address-of-record may hold."""

    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600
    max_contacts: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.min_expires <= self.default_expires <= self.max_expires:
            raise RegistrarError(
                f"need 1 <= min_expires ({self.min_expires}) <= default_expires ({self.default_expires})"
                f" <= max_expires ({self.max_expires})"
            )
        if self.max_contacts < 1:
            raise RegistrarError(f"max_contacts must be at least 1, not {self.max_contacts}")


@dataclass(frozen=True, slots=True)
class Account:
    """A user who may register: login, optional extension and the stored digest HA1s for the realm."""

    login: str
    extension: str | None = None
    ha1_md5: str | None = None
    ha1_sha256: str | None = None

    def __post_init__(self) -> None:
        if not self.login:
            raise RegistrarError("an account needs a login")

    def ha1(self, algorithm: DigestAlgorithm) -> str | None:
        """The stored HA1 for a base digest algorithm."""
        return self.ha1_md5 if algorithm is DigestAlgorithm.MD5 else self.ha1_sha256


class UnregisterReason(enum.Enum):
    """Why a binding went away."""

    EXPIRED = "expired"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class PhoneRegistered:
    """A new contact for an address-of-record (a phone came up, or re-registered after a restart)."""

    aor: str
    contact: Uri
    expires: int
    source: Address


@dataclass(frozen=True, slots=True)
class PhoneUnregistered:
    """A contact is gone: it expired or the phone removed it."""

    aor: str
    contact: Uri
    reason: UnregisterReason


RegistrarEvent = PhoneRegistered | PhoneUnregistered


@dataclass(frozen=True, slots=True)
class Binding:
    """One contact of an address-of-record with the REGISTER that last set it."""

    aor: str
    contact: NameAddr
    call_id: str
    cseq: int
    expires_at: float
    registered_at: float
    source: Address

    @property
    def uri(self) -> Uri:
        """The contact URI requests for this phone go to."""
        return self.contact.uri

    @property
    def q(self) -> float:
        """The contact's preference (1.0 when it gave none)."""
        try:
            q = self.contact.q
        except SipParseError:
            return 1.0
        return 1.0 if q is None else q

    def remaining(self, now: float) -> int:
        """Whole seconds until the binding expires (never negative)."""
        return max(0, math.ceil(self.expires_at - now))


def contact_key(uri: Uri) -> str:
    """The key two contact URIs are the same binding by (§10.3 step 7, §19.1.4 in its common cases)."""
    if isinstance(uri, SipUri):
        user = unescape(uri.user) if uri.user is not None else ""
        transport = uri.transport or ""
        return f"{uri.scheme}:{user}@{uri.host.lower()}:{uri.port or ''};{transport}"
    return str(uri)


class LocationService:
    """The bindings of every address-of-record, expiring in virtual time, with events for the ACD."""

    def __init__(self) -> None:
        self._bindings: dict[str, dict[str, Binding]] = {}
        self._events: list[RegistrarEvent] = []

    def events(self) -> list[RegistrarEvent]:
        """Take every event produced so far, in order."""
        out, self._events = self._events, []
        return out

    def bindings(self, aor: str) -> tuple[Binding, ...]:
        """Every binding of aor in insertion order."""
        return tuple(self._bindings.get(aor, {}).values())

    def lookup(self, aor: str) -> tuple[Binding, ...]:
        """The live contacts of aor, highest q first, the most recently registered first among equals."""
        return tuple(sorted(self.bindings(aor), key=lambda b: (-b.q, -b.registered_at)))

    def aors(self) -> tuple[str, ...]:
        """Every address-of-record with at least one binding."""
        return tuple(aor for aor, found in self._bindings.items() if found)

    def get_timer(self) -> float | None:
        """When the next binding expires, or None."""
        return min(
            (b.expires_at for found in self._bindings.values() for b in found.values()),
            default=None,
        )

    def handle_timer(self, now: float) -> None:
        """Drop every binding whose time is up (PhoneUnregistered, reason expired)."""
        for aor, found in list(self._bindings.items()):
            for key, binding in list(found.items()):
                if binding.expires_at <= now:
                    del found[key]
                    self._events.append(PhoneUnregistered(aor, binding.uri, UnregisterReason.EXPIRED))
            if not found:
                del self._bindings[aor]

    def replace(self, aor: str, bindings: Iterable[Binding]) -> None:
        """Set aor's bindings to exactly these, reporting what appeared (new contact or Call-ID) and went."""
        old = self._bindings.get(aor, {})
        new = {contact_key(b.uri): b for b in bindings}
        for key, binding in old.items():
            if key not in new:
                self._events.append(PhoneUnregistered(aor, binding.uri, UnregisterReason.REMOVED))
        for key, binding in new.items():
            before = old.get(key)
            if before is None or before.call_id != binding.call_id:
                expires = math.ceil(binding.expires_at - binding.registered_at)
                self._events.append(PhoneRegistered(aor, binding.uri, expires, binding.source))
        if new:
            self._bindings[aor] = new
        else:
            self._bindings.pop(aor, None)


@dataclass(frozen=True, slots=True)
class RegisterOutcome:
    """What a REGISTER came to: the response to send, who authenticated, and whether auth failed."""

    response: Response
    login: str | None = None
    auth_failed: bool = False


class _RejectError(Exception):
    """Internal: abort the update with this status."""

    def __init__(self, status: int, reason: str, extra: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.extra = extra


DEFAULT_ALGORITHMS = (DigestAlgorithm.MD5,)
"""The digest challenges the registrar offers unless told otherwise (see Registrar)."""


class Registrar:
    """Answers REGISTER for the configured users of one realm, keeping bindings in a LocationService.

    A REGISTER's To user may be the login or the extension; the address-of-record is `sip:login@realm`.
    Only the account itself may change its bindings (403 otherwise). `algorithms` are the challenges
    offered, preferred first (RFC 8760). MD5 alone by default: deployed phones fail on any SHA-256
    challenge (baresip 1.0 gives up with ENOSYS, SIPp 3.6 answers only the first); offer SHA-256 as well
    with `algorithms=(SHA_256, MD5)` where every phone supports RFC 8760.
    `lenient_digest_uri` accepts a digest uri that differs from the Request-URI only in URI parameters
    (pyVoIP 1.6 signs `sip:host;transport=UDP` for `REGISTER sip:host`); user, host and port must match.
    """

    def __init__(
        self,
        realm: str,
        accounts: Iterable[Account],
        secret: bytes,
        rng: random.Random,
        *,
        settings: RegistrarSettings | None = None,
        domains: Iterable[str] | None = None,
        location: LocationService | None = None,
        algorithms: tuple[DigestAlgorithm, ...] = DEFAULT_ALGORITHMS,
        lenient_digest_uri: bool = False,
    ) -> None:
        self.realm = realm
        self.settings = settings or RegistrarSettings()
        self.location = location or LocationService()
        self._rng = rng
        self._domains = None if domains is None else frozenset(d.lower() for d in (realm, *domains))
        self._accounts: dict[str, Account] = {}
        self._by_user: dict[str, Account] = {}
        for account in accounts:
            if account.login in self._accounts:
                raise RegistrarError(f"login {account.login!r} is listed twice")
            self._accounts[account.login] = account
            for name in (account.login, account.extension):
                if name is None:
                    continue
                other = self._by_user.get(name)
                if other is not None and other.login != account.login:
                    raise RegistrarError(f"{name!r} names both {other.login!r} and {account.login!r}")
                self._by_user[name] = account
        self.digest = DigestServer(realm, secret, self.ha1, rng, algorithms=algorithms)
        self.algorithms = algorithms
        self.lenient_digest_uri = lenient_digest_uri

    @classmethod
    def from_config(
        cls,
        center: CenterConfig,
        secret: bytes,
        rng: random.Random,
        *,
        settings: RegistrarSettings | None = None,
        domains: Iterable[str] | None = None,
        algorithms: tuple[DigestAlgorithm, ...] = DEFAULT_ALGORITHMS,
    ) -> Registrar:
        """A registrar for the center's realm and every user with digest HA1s (others cannot register)."""
        accounts = [
            Account(u.login, u.extension, u.ha1_md5, u.ha1_sha256)
            for u in center.users
            if u.ha1_md5 is not None or u.ha1_sha256 is not None
        ]
        return cls(
            center.telephony.realm,
            accounts,
            secret,
            rng,
            settings=settings,
            domains=domains,
            algorithms=algorithms,
        )

    def ha1(self, username: str, algorithm: DigestAlgorithm) -> str | None:
        """The stored HA1 of a login (an HA1Lookup: a proxy-mode DigestServer for INVITEs can share it)."""
        account = self._accounts.get(username)
        return None if account is None else account.ha1(algorithm)

    def aor_of(self, login: str) -> str:
        """The address-of-record of a login."""
        return f"sip:{login}@{self.realm}"

    def account_for(self, name: str) -> Account | None:
        """The account a login, an extension or a `sip:user@host` URI names, if any."""
        if name.startswith(("sip:", "sips:")):
            user = name.partition(":")[2].partition("@")[0]
            name = unescape(user)
        return self._by_user.get(name)

    def lookup(self, name: str) -> tuple[Binding, ...]:
        """The contacts of a login, extension or AOR, highest q first."""
        account = self.account_for(name)
        return () if account is None else self.location.lookup(self.aor_of(account.login))

    def proxy_digest(self, secret: bytes) -> DigestServer:
        """A 407-challenging DigestServer over the same users and algorithms (for RequestGate)."""
        return DigestServer(self.realm, secret, self.ha1, self._rng, algorithms=self.algorithms, proxy=True)

    def login_at(self, source: Address) -> str | None:
        """The login of a phone whose live binding was registered from source (for RequestGate)."""
        for aor in self.location.aors():
            if any(b.source == source for b in self.location.bindings(aor)):
                return aor.removeprefix("sip:").rpartition("@")[0]
        return None

    def events(self) -> list[RegistrarEvent]:
        """Take the location service's events."""
        return self.location.events()

    def get_timer(self) -> float | None:
        """When the next binding expires."""
        return self.location.get_timer()

    def handle_timer(self, now: float) -> None:
        """Expire bindings due at now."""
        self.location.handle_timer(now)

    def _to_tag(self) -> str:
        return self._rng.randbytes(6).hex()

    def handle_register(self, request: Request, source: Address, now: float) -> RegisterOutcome:
        """Process a REGISTER (§10.3 steps 1-8) and return the response to send through its transaction."""
        if request.method != "REGISTER":
            raise RegistrarError(f"the registrar handles REGISTER, not {request.method}")
        tag = self._to_tag()
        try:
            self._check_domain(request)
            unsupported = [t for t in request.require if t]
            if unsupported:
                raise _RejectError(420, "Bad Extension", (("Unsupported", ", ".join(unsupported)),))
            auth = self.digest.authenticate(self._digest_view(request), now, to_tag=tag)
            if isinstance(auth, AuthChallenged):
                return RegisterOutcome(auth.response)
            if not isinstance(auth, AuthAccepted):
                return RegisterOutcome(auth.response, auth_failed=True)
            account = self._target_account(request)
            if account.login != auth.username:
                raise _RejectError(403, "Forbidden")
            aor = self.aor_of(account.login)
            bindings = self._updated(aor, request, source, now)
        except _RejectError as reject:
            response = response_to(request, reject.status, reject.reason, to_tag=tag, extra=reject.extra)
            return RegisterOutcome(response)
        except SipParseError as exc:
            status = exc.status or 400
            response = response_to(request, status, exc.reason, to_tag=tag, extra=exc.extra_headers)
            return RegisterOutcome(response)
        self.location.replace(aor, bindings)
        contacts = tuple(
            ("Contact", str(NameAddr(b.uri, b.contact.display_name, _contact_params(b, now))))
            for b in self.location.bindings(aor)
        )
        return RegisterOutcome(response_to(request, 200, "OK", to_tag=tag, extra=contacts), account.login)

    def _digest_view(self, request: Request) -> Request:
        """The request as the digest check sees it (see lenient_digest_uri)."""
        if not self.lenient_digest_uri or not isinstance(request.uri, SipUri):
            return request
        for value in request.headers.get_all("Authorization"):
            try:
                creds = DigestCredentials.parse(value)
                signed = parse_uri(creds.uri)
            except SipError:
                continue
            if creds.realm != self.realm or not isinstance(signed, SipUri):
                continue
            mine = request.uri
            same = (signed.scheme, signed.user, signed.host.lower(), signed.port) == (
                mine.scheme,
                mine.user,
                mine.host.lower(),
                mine.port,
            )
            return request.replace(uri=signed) if same else request
        return request

    def _check_domain(self, request: Request) -> None:
        uri = request.uri
        if not isinstance(uri, SipUri):
            raise _RejectError(416, "Unsupported URI Scheme")
        if self._domains is not None and uri.host.lower() not in self._domains:
            raise _RejectError(404, "Not Found")

    def _target_account(self, request: Request) -> Account:
        to = request.to.uri
        if not isinstance(to, SipUri) or to.user is None:
            raise _RejectError(404, "Not Found")
        account = self._by_user.get(unescape(to.user))
        if account is None:
            raise _RejectError(404, "Not Found")
        return account

    def _expiry(self, request: Request, contact: NameAddr) -> int:
        given = contact.expires
        if given is None:
            given = request.expires
        if given is None:
            return self.settings.default_expires
        if given == 0:
            return 0
        if given < self.settings.min_expires:
            raise _RejectError(423, "Interval Too Brief", (("Min-Expires", str(self.settings.min_expires)),))
        return min(given, self.settings.max_expires)

    def _updated(self, aor: str, request: Request, source: Address, now: float) -> list[Binding]:
        """The AOR's bindings after this request (§10.3 steps 6-7), or _RejectError with nothing changed."""
        call_id, cseq = request.call_id, request.cseq.seq
        current = {contact_key(b.uri): b for b in self.location.bindings(aor)}
        if request.contact_is_star:
            if request.expires != 0:
                raise _RejectError(400, "Bad Request")
            for binding in current.values():
                if binding.call_id == call_id and cseq <= binding.cseq:
                    raise _RejectError(500, "Server Internal Error", (("Retry-After", "1"),))
            return []
        if "*" in request.headers.get_all("contact"):
            raise _RejectError(400, "Bad Request")
        updated = dict(current)
        for contact in request.contacts:
            expires = self._expiry(request, contact)
            key = contact_key(contact.uri)
            existing = current.get(key)
            if existing is not None and existing.call_id == call_id and cseq <= existing.cseq:
                raise _RejectError(500, "Server Internal Error", (("Retry-After", "1"),))
            if expires == 0:
                updated.pop(key, None)
                continue
            registered_at = now
            if existing is not None and existing.call_id == call_id:
                registered_at = existing.registered_at
            params = contact.params.without("expires")
            updated[key] = Binding(
                aor,
                NameAddr(contact.uri, contact.display_name, params),
                call_id,
                cseq,
                now + expires,
                registered_at,
                source,
            )
        if len(updated) > self.settings.max_contacts:
            raise _RejectError(403, "Too Many Contacts")
        return list(updated.values())


def _contact_params(binding: Binding, now: float) -> Params:
    return binding.contact.params.with_param("expires", str(binding.remaining(now)))
