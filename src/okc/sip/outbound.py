"""Registration toward providers and OPTIONS keep-alive, sans-I/O (clock and random source injected).

`OutboundRegistration` keeps one binding at a provider's registrar: REGISTER, the digest answer to a
401/407, refresh before expiry, 423 Min-Expires, failover to the next resolved server on a timeout or 503
(RFC 3263 §4.3), and RFC 5626 §4.5 back-off once every server failed. `KeepAlive`
probes trunks and registered phones with OPTIONS every N seconds and marks them down after k misses.
Both hand out `Outgoing(request, target)` from `requests()`, take `receive_response(response, now)` and
`failed(request, now)` (transaction timeout or transport error), and run on `get_timer`/`handle_timer`.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from okc.sip.auth import AuthError, DigestClient
from okc.sip.errors import SipError, SipParseError
from okc.sip.headers import NameAddr, Via
from okc.sip.layer import Address
from okc.sip.message import Request, Response
from okc.sip.registrar import contact_key
from okc.sip.resolver import Target, TransportKind
from okc.sip.uri import Params, SipUri

if TYPE_CHECKING:
    from okc.config.telephony import Trunk

__all__ = [
    "BackOff",
    "KeepAlive",
    "KeepAliveEvent",
    "OutboundError",
    "OutboundRegistration",
    "Outgoing",
    "PeerDown",
    "PeerState",
    "PeerUp",
    "RegistrationEvent",
    "RegistrationState",
    "TrunkRegistered",
    "TrunkRegistrationFailed",
    "TrunkUnregistered",
]


class OutboundError(SipError):
    """Invalid registration or keep-alive settings."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request to send through a new client transaction to target (`peer`: the keep-alive peer probed)."""

    request: Request
    target: Target
    peer: str | None = None


@dataclass(frozen=True, slots=True)
class BackOff:
    """RFC 5626 §4.5 retry wait: min(max_time, base_time · 2^failures), drawn from its upper half."""

    base_time: float = 30.0
    max_time: float = 1800.0

    def __post_init__(self) -> None:
        if not 0 < self.base_time <= self.max_time:
            raise OutboundError(f"need 0 < base_time ({self.base_time}) <= max_time ({self.max_time})")

    def wait(self, failures: int, rng: random.Random) -> float:
        """Seconds to wait after `failures` consecutive failures (1 or more)."""
        ceiling = min(self.max_time, self.base_time * 2.0 ** min(failures, 32))
        return rng.uniform(ceiling / 2.0, ceiling)


class RegistrationState(enum.Enum):
    """Where an outbound registration stands."""

    IDLE = "idle"
    REGISTERING = "registering"
    REGISTERED = "registered"
    WAITING = "waiting"
    UNREGISTERING = "unregistering"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class TrunkRegistered:
    """The provider accepted the binding for `expires` seconds."""

    trunk: str
    expires: int


@dataclass(frozen=True, slots=True)
class TrunkRegistrationFailed:
    """A REGISTER failed (status None: no response); the next try is at retry_at."""

    trunk: str
    status: int | None
    reason: str
    retry_at: float


@dataclass(frozen=True, slots=True)
class TrunkUnregistered:
    """The binding was removed (stop), or the removal was given up on."""

    trunk: str


RegistrationEvent = TrunkRegistered | TrunkRegistrationFailed | TrunkUnregistered

_REFRESH_MARGIN = 30.0


def _transport_param(transport: TransportKind) -> Params:
    return Params() if transport is TransportKind.UDP else Params((("transport", transport.value),))


class OutboundRegistration:
    """One registration of okc at a provider's registrar."""

    def __init__(
        self,
        trunk: str,
        registrar: SipUri,
        aor: SipUri,
        contact: SipUri,
        target: Target,
        *,
        client: DigestClient,
        rng: random.Random,
        local: Address,
        expires: int = 3600,
        backoff: BackOff | None = None,
        user_agent: str = "okc",
        alternates: Sequence[Target] = (),
    ) -> None:
        if expires < 1:
            raise OutboundError(f"expires must be positive, not {expires}")
        self.trunk = trunk
        self.registrar = registrar
        self.aor = aor
        self.contact = contact
        self.target = target
        self.targets = (target, *alternates)
        self._tried = 0
        self.client = client
        self.local = local
        self.expires = expires
        self.backoff = backoff or BackOff()
        self.user_agent = user_agent
        self.state = RegistrationState.IDLE
        self.failures = 0
        self.expires_at: float | None = None
        self._rng = rng
        self._call_id = f"{rng.randbytes(10).hex()}@{local[0]}"
        self._tag = rng.randbytes(6).hex()
        self._cseq = 0
        self._pending: Request | None = None
        self._auth_tries = 0
        self._min_expires_tried = False
        self._timer: float | None = None
        self._out: list[Outgoing] = []
        self._events: list[RegistrationEvent] = []

    @classmethod
    def for_trunk(
        cls,
        trunk: Trunk,
        secret: str,
        target: Target,
        rng: random.Random,
        *,
        local: Address,
        expires: int = 3600,
        backoff: BackOff | None = None,
        alternates: Sequence[Target] = (),
    ) -> OutboundRegistration:
        """The registration a `registration` trunk needs; `secret` is its resolved password.

        `target` and `alternates` are where ServerLocator.locate found the trunk's host, in order.
        """
        if trunk.username is None:
            raise OutboundError(f"trunk {trunk.name} has no username to register with")
        transport = TransportKind(trunk.transport.value)
        scheme = "sips" if transport is TransportKind.TLS else "sip"
        port = None if trunk.port == transport.default_port else trunk.port
        registrar = SipUri(trunk.host, None, None, port, _transport_param(transport), scheme=scheme)
        aor = SipUri(trunk.host, trunk.username, scheme=scheme)
        contact = SipUri(local[0], trunk.username, None, local[1], _transport_param(transport))
        client = DigestClient(trunk.username, secret, rng)
        return cls(
            trunk.name,
            registrar,
            aor,
            contact,
            target,
            client=client,
            rng=rng,
            local=local,
            expires=expires,
            backoff=backoff,
            alternates=alternates,
        )

    # --- outputs ---------------------------------------------------------------------------------------

    def requests(self) -> list[Outgoing]:
        """Take the requests to send."""
        out, self._out = self._out, []
        return out

    def events(self) -> list[RegistrationEvent]:
        """Take the events produced so far."""
        out, self._events = self._events, []
        return out

    def get_timer(self) -> float | None:
        """When to refresh or retry."""
        return self._timer

    # --- inputs ----------------------------------------------------------------------------------------

    def start(self, now: float) -> None:
        """Register now."""
        if self.state in (RegistrationState.IDLE, RegistrationState.STOPPED):
            self.failures = 0
            self._send(self.expires)

    def stop(self, now: float) -> None:
        """Remove the binding (REGISTER with Expires 0) and stop refreshing."""
        self._timer = None
        in_flight = self.state is RegistrationState.REGISTERING
        if self.state is not RegistrationState.UNREGISTERING and (in_flight or self.expires_at is not None):
            self.state = RegistrationState.UNREGISTERING  # a binding may exist at the provider: remove it
            self._send(0)
        elif self.state is not RegistrationState.UNREGISTERING:
            self._pending = None
            self.state = RegistrationState.STOPPED

    def retarget(self, target: Target) -> None:
        """Send later requests to another target (the resolver found other servers)."""
        self.target = target

    def handle_timer(self, now: float) -> None:
        """Refresh or retry when due."""
        if self._timer is None or now < self._timer:
            return
        self._timer = None
        if self.state in (RegistrationState.REGISTERED, RegistrationState.WAITING):
            self._send(self.expires)

    def receive_response(self, response: Response, now: float) -> None:
        """A response to one of our REGISTERs (others are ignored)."""
        pending = self._pending
        if pending is None or response.status < 200 or not self._matches(pending, response):
            return
        self._pending = None
        status = response.status
        unregistering = self.state is RegistrationState.UNREGISTERING
        if status in (401, 407) and self._answer_challenge(pending, response):
            return
        if status == 423 and not unregistering and self._retry_min_expires(response):
            return
        if unregistering:
            self._stopped()
        elif 200 <= status < 300:
            self._tried = 0
            self._registered(response, now)
        elif status == 503 and self._fail_over():
            return
        else:
            self._failure(now, status, response.reason, _retry_after(response))

    def failed(self, request: Request, now: float) -> None:
        """Our REGISTER timed out or its transport failed."""
        pending = self._pending
        if pending is None or request.call_id != pending.call_id or request.cseq != pending.cseq:
            return
        self._pending = None
        if self.state is RegistrationState.UNREGISTERING:
            self._stopped()
        elif not self._fail_over():
            self._failure(now, None, "no response", None)

    def _fail_over(self) -> bool:
        """Try the next alternate target at once (RFC 3263 §4.3); False when every one has been tried."""
        if self._tried + 1 >= len(self.targets):
            self._tried = 0
            self.target = self.targets[0]
            return False
        self._tried += 1
        self.target = self.targets[self._tried]
        self._send(self.expires)
        return True

    # --- internals -------------------------------------------------------------------------------------

    @staticmethod
    def _matches(pending: Request, response: Response) -> bool:
        try:
            return response.call_id == pending.call_id and response.cseq == pending.cseq
        except SipParseError:
            return False

    def _build(self, expires: int) -> Request:
        self._cseq += 1
        branch = "z9hG4bK" + self._rng.randbytes(8).hex()
        via = Via(
            self.target.transport.value.upper(),
            self.local[0],
            self.local[1],
            Params((("branch", branch), ("rport", None))),
        )
        return Request.build(
            "REGISTER",
            self.registrar,
            via=via,
            from_=NameAddr(self.aor).with_tag(self._tag),
            to=NameAddr(self.aor),
            call_id=self._call_id,
            cseq=self._cseq,
            contact=NameAddr(self.contact),
            extra=(("Expires", str(expires)), ("User-Agent", self.user_agent)),
        )

    def _send(self, expires: int, request: Request | None = None) -> None:
        if request is None:
            request = self._build(expires)
            self._auth_tries = 0
            self._min_expires_tried = False
        if self.state is not RegistrationState.UNREGISTERING:
            self.state = RegistrationState.REGISTERING
        self._pending = request
        self._out.append(Outgoing(request, self.target))

    def _answer_challenge(self, pending: Request, response: Response) -> bool:
        """Retry with credentials once per attempt (again only for a stale nonce); else a wrong password."""
        try:
            stale = any(c.stale for _, c in self.client.pick(response))
        except (AuthError, SipParseError):
            return False
        if self._auth_tries >= (2 if stale else 1):
            return False
        self._auth_tries += 1
        try:
            retry = self.client.retry(pending, response)
        except (AuthError, SipParseError):
            return False
        self._cseq = retry.cseq.seq
        self._send(0, retry)
        return True

    def _retry_min_expires(self, response: Response) -> bool:
        """Re-register once with the registrar's Min-Expires (a fresh request: it is challenged anew)."""
        value = response.headers.get("Min-Expires")
        if self._min_expires_tried or value is None or not value.strip().isdigit():
            return False
        self._min_expires_tried = True
        self.expires = max(self.expires, int(value.strip()))
        self._send(self.expires)
        self._min_expires_tried = True
        return True

    def _granted(self, response: Response) -> int:
        mine = contact_key(self.contact)
        try:
            for contact in response.contacts:
                if contact_key(contact.uri) == mine and contact.expires is not None:
                    return contact.expires
            if response.expires is not None:
                return response.expires
        except SipParseError:
            pass
        return self.expires

    def _registered(self, response: Response, now: float) -> None:
        granted = self._granted(response)
        if granted <= 0:
            self._failure(now, response.status, "registrar kept no binding", None)
            return
        self.state = RegistrationState.REGISTERED
        self.failures = 0
        self.expires_at = now + granted
        self._timer = now + max(granted / 2.0, granted - _REFRESH_MARGIN)
        self._events.append(TrunkRegistered(self.trunk, granted))

    def _failure(self, now: float, status: int | None, reason: str, retry_after: float | None) -> None:
        self.failures += 1
        wait = self.backoff.wait(self.failures, self._rng)
        if retry_after is not None:
            wait = max(wait, retry_after)
        self.state = RegistrationState.WAITING
        self._timer = now + wait
        if self.expires_at is not None and self.expires_at <= now:
            self.expires_at = None
        self._events.append(TrunkRegistrationFailed(self.trunk, status, reason, self._timer))

    def _stopped(self) -> None:
        self.state = RegistrationState.STOPPED
        self.expires_at = None
        self._timer = None
        self._events.append(TrunkUnregistered(self.trunk))


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    seconds = value.split(";")[0].split("(")[0].strip()
    return float(seconds) if seconds.isdigit() else None


class PeerState(enum.Enum):
    """What the keep-alive knows of a peer."""

    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class PeerUp:
    """A peer answered an OPTIONS (first time, or after being down)."""

    peer: str


@dataclass(frozen=True, slots=True)
class PeerDown:
    """A peer missed `misses` probes in a row."""

    peer: str
    misses: int


KeepAliveEvent = PeerUp | PeerDown


@dataclass(slots=True)
class _Peer:
    name: str
    uri: SipUri
    target: Target
    call_id: str
    tag: str
    next_probe: float
    state: PeerState = PeerState.UNKNOWN
    misses: int = 0
    cseq: int = 0
    outstanding: int | None = None


class KeepAlive:
    """OPTIONS probes every `interval` seconds per peer; `max_misses` unanswered probes mark it down.

    Any final response counts as alive (a 404 or 501 still proves the peer is there); a probe is missed
    when its transaction fails or the next probe is due before it was answered.
    """

    def __init__(
        self,
        local: Address,
        rng: random.Random,
        *,
        interval: float = 30.0,
        max_misses: int = 3,
        user: str = "okc",
        user_agent: str = "okc",
    ) -> None:
        if interval <= 0 or max_misses < 1:
            raise OutboundError(f"need interval > 0 and max_misses >= 1, not {interval}, {max_misses}")
        self.local = local
        self.interval = interval
        self.max_misses = max_misses
        self.user = user
        self.user_agent = user_agent
        self._rng = rng
        self._peers: dict[str, _Peer] = {}
        self._by_call_id: dict[str, _Peer] = {}
        self._out: list[Outgoing] = []
        self._events: list[KeepAliveEvent] = []

    def requests(self) -> list[Outgoing]:
        """Take the probes to send."""
        out, self._out = self._out, []
        return out

    def events(self) -> list[KeepAliveEvent]:
        """Take the events produced so far."""
        out, self._events = self._events, []
        return out

    def state(self, name: str) -> PeerState:
        """The peer's state (UNKNOWN for one not tracked)."""
        peer = self._peers.get(name)
        return PeerState.UNKNOWN if peer is None else peer.state

    def peers(self) -> tuple[str, ...]:
        """The tracked peers' names."""
        return tuple(self._peers)

    def add(self, name: str, uri: SipUri, target: Target, now: float) -> None:
        """Track a peer (trunk or phone contact) and probe it now; an existing one is re-targeted."""
        peer = self._peers.get(name)
        if peer is not None:
            peer.uri, peer.target = uri, target
            return
        call_id = f"{self._rng.randbytes(10).hex()}@{self.local[0]}"
        peer = _Peer(name, uri, target, call_id, self._rng.randbytes(6).hex(), now)
        self._peers[name] = peer
        self._by_call_id[call_id] = peer

    def remove(self, name: str) -> None:
        """Stop probing a peer (a phone unregistered)."""
        peer = self._peers.pop(name, None)
        if peer is not None:
            del self._by_call_id[peer.call_id]

    def get_timer(self) -> float | None:
        """When the next probe is due."""
        return min((p.next_probe for p in self._peers.values()), default=None)

    def handle_timer(self, now: float) -> None:
        """Count unanswered probes as misses and send the probes that are due."""
        for peer in self._peers.values():
            if peer.next_probe > now:
                continue
            if peer.outstanding is not None:
                self._miss(peer)
            self._probe(peer)
            peer.next_probe = now + self.interval

    def receive_response(self, response: Response, now: float) -> None:
        """A response to a probe: the peer is alive."""
        if response.status < 200:
            return
        try:
            peer = self._by_call_id.get(response.call_id)
            seq = response.cseq.seq
        except SipParseError:
            return
        if peer is not None:
            self.answered(peer.name, seq, now)

    def failed(self, request: Request, now: float) -> None:
        """A probe's transaction timed out or its transport failed."""
        try:
            peer = self._by_call_id.get(request.call_id)
        except SipParseError:
            return
        if peer is not None:
            self.missed(peer.name, request.cseq.seq, now)

    def answered(self, name: str, seq: int, now: float) -> None:
        """Probe `seq` of peer `name` got a final response (for I/O layers that send probes themselves)."""
        peer = self._peers.get(name)
        if peer is None or peer.outstanding != seq:
            return
        peer.outstanding = None
        peer.misses = 0
        if peer.state is not PeerState.UP:
            peer.state = PeerState.UP
            self._events.append(PeerUp(peer.name))

    def missed(self, name: str, seq: int, now: float) -> None:
        """Probe `seq` of peer `name` failed (timeout, transport error); a late report changes nothing."""
        peer = self._peers.get(name)
        if peer is None or peer.outstanding != seq:
            return
        self._miss(peer)

    def _miss(self, peer: _Peer) -> None:
        peer.outstanding = None
        peer.misses += 1
        if peer.misses >= self.max_misses and peer.state is not PeerState.DOWN:
            peer.state = PeerState.DOWN
            self._events.append(PeerDown(peer.name, peer.misses))

    def _probe(self, peer: _Peer) -> None:
        peer.cseq += 1
        peer.outstanding = peer.cseq
        branch = "z9hG4bK" + self._rng.randbytes(8).hex()
        via = Via(
            peer.target.transport.value.upper(),
            self.local[0],
            self.local[1],
            Params((("branch", branch), ("rport", None))),
        )
        local = NameAddr(SipUri(self.local[0], self.user, None, self.local[1])).with_tag(peer.tag)
        request = Request.build(
            "OPTIONS",
            peer.uri,
            via=via,
            from_=local,
            to=NameAddr(peer.uri),
            call_id=peer.call_id,
            cseq=peer.cseq,
            extra=(("Accept", "application/sdp"), ("User-Agent", self.user_agent)),
        )
        self._out.append(Outgoing(request, peer.target, peer.name))
