"""Toll-fraud gate and authentication ban, sans-I/O (clock passed in).

`RequestGate.check` decides, for each out-of-dialog request, whether it may proceed: a request from a
trunk's static addresses is trusted, any other needs valid digest credentials of a configured user, so a
stranger can never reach a trunk. `AuthBan` refuses an address for B seconds after N failed
authentications within T seconds; other addresses are unaffected.
"""

from __future__ import annotations

import enum
import ipaddress
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from okc.sip.auth import AuthAccepted, AuthChallenged, DigestServer
from okc.sip.errors import SipError
from okc.sip.layer import Address
from okc.sip.message import Request, Response, response_to

if TYPE_CHECKING:
    from okc.config import CenterConfig
    from okc.sip.registrar import Registrar

__all__ = [
    "AccessFilter",
    "AddressBanned",
    "AddressUnbanned",
    "AuthBan",
    "BanAction",
    "BanEvent",
    "BanSettings",
    "GateDecision",
    "RequestGate",
    "SecurityError",
    "TrustedTrunk",
    "Verdict",
]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SecurityError(SipError):
    """Invalid gate or ban settings (a malformed network, a non-positive limit)."""


class BanAction(enum.Enum):
    """What a banned source gets: nothing at all, or a 403."""

    DROP = "drop"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class BanSettings:
    """N failures within T seconds ban an address for B seconds."""

    max_failures: int = 5
    window: float = 60.0
    ban_time: float = 600.0
    action: BanAction = BanAction.DROP

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= 0 or self.ban_time <= 0:
            raise SecurityError(
                f"ban settings need max_failures >= 1 and positive times, not {self.max_failures}, "
                f"{self.window}, {self.ban_time}"
            )


@dataclass(frozen=True, slots=True)
class AddressBanned:
    """An address failed authentication too often and is refused until `until`."""

    host: str
    until: float
    failures: int


@dataclass(frozen=True, slots=True)
class AddressUnbanned:
    """An address's ban ran out."""

    host: str


BanEvent = AddressBanned | AddressUnbanned


class AuthBan:
    """Counts failed authentications per source IP in a sliding window and bans repeat offenders."""

    def __init__(self, settings: BanSettings | None = None) -> None:
        self.settings = settings or BanSettings()
        self._failures: dict[str, deque[float]] = {}
        self._banned: dict[str, float] = {}
        self._events: list[BanEvent] = []

    def events(self) -> list[BanEvent]:
        """Take every event produced so far, in order."""
        out, self._events = self._events, []
        return out

    def failure(self, host: str, now: float) -> bool:
        """Record a failed authentication from host; True when host is (now) banned."""
        self.handle_timer(now)
        if host in self._banned:
            return True
        times = self._failures.setdefault(host, deque())
        times.append(now)
        while times and times[0] <= now - self.settings.window:
            times.popleft()
        if len(times) >= self.settings.max_failures:
            until = now + self.settings.ban_time
            self._banned[host] = until
            del self._failures[host]
            self._events.append(AddressBanned(host, until, len(times)))
            return True
        return False

    def is_banned(self, host: str, now: float) -> bool:
        """Whether host is refused at now."""
        until = self._banned.get(host)
        return until is not None and now < until

    def get_timer(self) -> float | None:
        """When the next ban ends or the oldest counted failure leaves the window."""
        deadlines = list(self._banned.values())
        deadlines.extend(times[0] + self.settings.window for times in self._failures.values() if times)
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        """Lift bans that ran out and forget failures older than the window."""
        for host, until in list(self._banned.items()):
            if until <= now:
                del self._banned[host]
                self._events.append(AddressUnbanned(host))
        for host, times in list(self._failures.items()):
            while times and times[0] <= now - self.settings.window:
                times.popleft()
            if not times:
                del self._failures[host]


@dataclass(frozen=True, slots=True)
class TrustedTrunk:
    """A trunk that authenticates by source address: its name and its networks (an IP is a /32 or /128)."""

    name: str
    networks: tuple[IpNetwork, ...]

    @classmethod
    def parse(cls, name: str, addresses: Iterable[str]) -> TrustedTrunk:
        """From addresses or CIDR blocks as text."""
        networks: list[IpNetwork] = []
        for text in addresses:
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise SecurityError(f"trunk {name}: {text!r} is not an IP address or network") from None
        if not networks:
            raise SecurityError(f"trunk {name} has no trusted addresses")
        return cls(name, tuple(networks))

    def contains(self, host: str) -> bool:
        """Whether the source host lies in one of the trunk's networks."""
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)


class Verdict(enum.Enum):
    """The gate's answer for one request."""

    ALLOW = "allow"
    CHALLENGE = "challenge"
    REJECT = "reject"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The verdict, the response to send (407 or 403; None for allow and drop) and who the caller is."""

    verdict: Verdict
    reason: str
    response: Response | None = None
    user: str | None = None
    trunk: str | None = None
    banned: bool = False


_UNCHALLENGEABLE = frozenset({"ACK", "CANCEL"})


class RequestGate:
    """Decides per out-of-dialog request: allow, challenge (407), reject (403) or drop (banned source).

    Trusted: a trunk's static addresses (a request from one trunk to another only with
    `trunk_to_trunk`), or valid Proxy-Authorization of a configured user. `registered` maps a source
    address to the login of a phone registered from it: such a phone may reach local targets without
    credentials, but a trunk only when `registered_may_use_trunks` (a spoofed UDP source could fake it).
    Anything else is challenged; wrong credentials are refused with 403 and counted toward the ban.
    """

    def __init__(
        self,
        digest: DigestServer,
        trunks: Iterable[TrustedTrunk] = (),
        *,
        ban: AuthBan | None = None,
        trunk_to_trunk: bool = False,
        registered: Callable[[Address], str | None] | None = None,
        registered_may_use_trunks: bool = False,
    ) -> None:
        if not digest.proxy:
            raise SecurityError("the gate challenges with 407: give it a DigestServer(proxy=True)")
        self.digest = digest
        self.trunks = tuple(trunks)
        self.ban = ban or AuthBan()
        self.trunk_to_trunk = trunk_to_trunk
        self._registered = registered
        self.registered_may_use_trunks = registered_may_use_trunks

    @classmethod
    def from_config(
        cls,
        center: CenterConfig,
        digest: DigestServer,
        *,
        ban: AuthBan | None = None,
        registered: Callable[[Address], str | None] | None = None,
    ) -> RequestGate:
        """The gate trusting every trunk's allowed_addresses (static_ip trunks must have some)."""
        trunks = [
            TrustedTrunk.parse(t.name, t.allowed_addresses)
            for t in center.telephony.trunks
            if t.allowed_addresses
        ]
        return cls(digest, trunks, ban=ban, registered=registered)

    def trunk_at(self, host: str) -> str | None:
        """The name of the trunk whose networks hold host, if any."""
        for trunk in self.trunks:
            if trunk.contains(host):
                return trunk.name
        return None

    def check(self, request: Request, source: Address, now: float, *, to_trunk: bool) -> GateDecision:
        """Decide what happens to request from source; `to_trunk` says it would be routed to a provider."""
        host = source[0]
        if self.ban.is_banned(host, now):
            return self._banned(request)
        trunk = self.trunk_at(host)
        if trunk is not None:
            if to_trunk and not self.trunk_to_trunk:
                return self._reject(request, "a trunk may not call out through a trunk", trunk=trunk)
            return GateDecision(Verdict.ALLOW, "trusted trunk address", trunk=trunk)
        if request.method in _UNCHALLENGEABLE:
            if to_trunk:
                return self._reject(request, f"{request.method} outside a transaction toward a trunk")
            return GateDecision(Verdict.ALLOW, f"{request.method} follows its transaction")
        if self._registered is not None and (not to_trunk or self.registered_may_use_trunks):
            login = self._registered(source)
            if login is not None:
                return GateDecision(Verdict.ALLOW, "registered phone's address", user=login)
        outcome = self.digest.authenticate(request, now)
        if isinstance(outcome, AuthAccepted):
            return GateDecision(Verdict.ALLOW, "authenticated user", user=outcome.username)
        if isinstance(outcome, AuthChallenged):
            return GateDecision(Verdict.CHALLENGE, "no credentials", outcome.response)
        if self.ban.failure(host, now):
            return self._banned(request)
        return self._reject(request, f"authentication failed: {outcome.reason}")

    def auth_failed(self, source: Address, now: float) -> bool:
        """Count a failed authentication seen elsewhere (the registrar); True when the source is banned."""
        return self.ban.failure(source[0], now)

    def _banned(self, request: Request) -> GateDecision:
        if self.ban.settings.action is BanAction.DROP or request.method == "ACK":
            return GateDecision(Verdict.DROP, "banned source", banned=True)
        return GateDecision(
            Verdict.REJECT, "banned source", response_to(request, 403, "Forbidden"), banned=True
        )

    def _reject(self, request: Request, reason: str, *, trunk: str | None = None) -> GateDecision:
        response = None if request.method == "ACK" else response_to(request, 403, "Forbidden")
        return GateDecision(Verdict.REJECT, reason, response, trunk=trunk)


class AccessFilter:
    """The UA's `request_filter` for a server: REGISTER to the registrar, other requests through the gate.

    Returns the response that answers a new out-of-dialog request itself (401/407 challenge, 403, the
    registrar's answer) or None to let the user agent handle it. Failed REGISTER authentications count
    toward the source's ban like failed INVITEs. Methods in `open_methods` (OPTIONS: keep-alive probes)
    pass without credentials. A filter cannot stay silent, so a banned source is answered 403 here; to
    drop its packets unread, the transport asks `should_drop(source, now)` before feeding the core.
    """

    def __init__(
        self,
        gate: RequestGate,
        registrar: Registrar | None = None,
        *,
        to_trunk: Callable[[Request], bool] | None = None,
        open_methods: frozenset[str] = frozenset({"OPTIONS"}),
    ) -> None:
        self.gate = gate
        self.registrar = registrar
        self._to_trunk = to_trunk
        self.open_methods = open_methods

    def should_drop(self, source: Address, now: float) -> bool:
        """Whether a datagram from source is to be dropped unread (banned, and the ban action is drop)."""
        return self.gate.ban.settings.action is BanAction.DROP and self.gate.ban.is_banned(source[0], now)

    def __call__(self, request: Request, source: Address, now: float) -> Response | None:
        if self.gate.ban.is_banned(source[0], now):
            return response_to(request, 403, "Forbidden")
        if request.method == "REGISTER" and self.registrar is not None:
            outcome = self.registrar.handle_register(request, source, now)
            if outcome.auth_failed:
                self.gate.auth_failed(source, now)
            return outcome.response
        if request.method in self.open_methods:
            return None
        to_trunk = self._to_trunk(request) if self._to_trunk is not None else False
        decision = self.gate.check(request, source, now, to_trunk=to_trunk)
        if decision.verdict is Verdict.ALLOW:
            return None
        return decision.response or response_to(request, 403, "Forbidden")
