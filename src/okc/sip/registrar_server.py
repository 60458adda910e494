"""okc's registrar on the wire: a `UserAgent` whose request filter is the registrar and the toll-fraud gate.

`RegistrarServer.start(registrar, gate, ...)` binds a user agent (okc.sip.agent) whose `AccessFilter`
answers REGISTER from the `Registrar` and lets other out-of-dialog requests through `RequestGate` (407
challenge, 403, or on to the agent: calls from registered or authenticated phones arrive as IncomingCall).
The thin part kept here is time: the registrar's expiry and the ban's timers get their own `loop.call_at`,
re-armed after every request the filter saw. A source banned with BanAction.DROP is dropped by the
transport before the core sees it: no answer at all. With a `KeepAlive`, every registered contact is
probed with OPTIONS (sent through the agent, to the address it registered from) and reported up or down.
Registrar, ban and keep-alive events come from `events()` or callbacks.

Provider registration: `from_config` also starts one `OutboundLink` per trunk with `auth: registration`.
Each trunk's host is located with RFC 3263 (`ServerLocator`; a numeric host needs no DNS), its secret read
from `secret_env` or `secret_file` (relative to `config_dir`), and its REGISTERs leave from this server's
socket with this server's Contact. Their TrunkRegistered / TrunkRegistrationFailed / TrunkUnregistered
events arrive with the server's own events; `close()` unregisters them (bounded by `unregister_timeout`)
before the socket closes. Trunks authenticated by digest from the provider or by static IP start nothing.
"""

from __future__ import annotations

import asyncio
import os
import random
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import dns.asyncresolver

from okc.config.telephony import TrunkAuth
from okc.sip.agent import AgentError, AgentSettings, UserAgent
from okc.sip.layer import Address
from okc.sip.message import Request, Response
from okc.sip.outbound import (
    KeepAlive,
    KeepAliveEvent,
    OutboundError,
    OutboundRegistration,
    Outgoing,
    RegistrationEvent,
)
from okc.sip.registrar import PhoneRegistered, PhoneUnregistered, Registrar, RegistrarEvent, RegistrarSettings
from okc.sip.resolver import DnspythonClient, ServerLocator, Target, TransportKind
from okc.sip.security import AccessFilter, AuthBan, BanEvent, BanSettings, RequestGate
from okc.sip.transport import TransportOptions
from okc.sip.uri import Params, SipUri

if TYPE_CHECKING:
    from okc.config import CenterConfig
    from okc.config.telephony import Trunk

__all__ = ["OutboundLink", "RegistrarServer", "ServerEvent", "read_trunk_secret", "trunk_uri"]

ServerEvent = RegistrarEvent | BanEvent | KeepAliveEvent | RegistrationEvent


def read_trunk_secret(trunk: Trunk, config_dir: Path = Path()) -> str:
    """A trunk's password from its `secret_env` variable or `secret_file` (relative to `config_dir`)."""
    if trunk.secret_env is not None:
        value = os.environ.get(trunk.secret_env)
        if value is None:
            raise OutboundError(f"trunk {trunk.name}: environment variable {trunk.secret_env} is not set")
        return value
    if trunk.secret_file is not None:
        path = config_dir / trunk.secret_file
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise OutboundError(f"trunk {trunk.name}: cannot read {path}: {exc.strerror}") from None
    raise OutboundError(f"trunk {trunk.name} names no secret_env or secret_file")


def trunk_uri(trunk: Trunk) -> SipUri:
    """The URI to locate a trunk's registrar by (RFC 3263): its host, a non-default port, its transport."""
    transport = TransportKind(trunk.transport.value)
    port = None if trunk.port == transport.default_port else trunk.port
    params = Params() if transport is TransportKind.UDP else Params((("transport", transport.value),))
    return SipUri(
        trunk.host, None, None, port, params, scheme="sips" if transport is TransportKind.TLS else "sip"
    )


class RegistrarServer:
    """A user agent that also registers the center's phones and guards its trunks."""

    def __init__(
        self, agent: UserAgent, registrar: Registrar, access: AccessFilter, keepalive: KeepAlive | None = None
    ) -> None:
        self.agent = agent
        self.registrar = registrar
        self.access = access
        self.keepalive = keepalive
        self._probes: set[asyncio.Task[None]] = set()
        self._loop = agent.transport.loop
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._queue: asyncio.Queue[ServerEvent] = asyncio.Queue()
        self._callbacks: list[Callable[[ServerEvent], None]] = []
        self.links: dict[str, OutboundLink] = {}
        """Provider registrations running on this server's socket, by trunk name."""

    @classmethod
    async def start(
        cls,
        registrar: Registrar,
        gate: RequestGate,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        options: TransportOptions | None = None,
        settings: AgentSettings | None = None,
        to_trunk: Callable[[Request], bool] | None = None,
        rng: random.Random | None = None,
        keepalive_interval: float | None = None,
        keepalive_misses: int = 3,
    ) -> RegistrarServer:
        """Bind host:port (0: a free port) and answer REGISTER there; other requests go to `agent`.

        With `keepalive_interval`, registered contacts get an OPTIONS every that many seconds and are
        reported down (PeerDown) after `keepalive_misses` unanswered ones, up again (PeerUp) on an answer.
        """
        access = AccessFilter(gate, registrar, to_trunk=to_trunk)
        holder: list[RegistrarServer] = []

        def request_filter(request: Request, source: Address, now: float) -> Response | None:
            response = access(request, source, now)
            if holder:
                holder[0]._loop.call_soon(holder[0]._pump)
            return response

        agent = await UserAgent.start(
            host, port, settings=settings, options=options, request_filter=request_filter, rng=rng
        )
        keepalive = None
        if keepalive_interval is not None:
            keepalive_rng = random.Random(rng.getrandbits(64)) if rng is not None else random.Random()
            keepalive = KeepAlive(
                agent.local, keepalive_rng, interval=keepalive_interval, max_misses=keepalive_misses
            )
        agent.transport.accept = lambda source, now: not access.should_drop(source, now)
        server = cls(agent, registrar, access, keepalive)
        holder.append(server)
        return server

    @classmethod
    async def from_config(
        cls,
        center: CenterConfig,
        rng: random.Random,
        *,
        listen: int = 0,
        host: str | None = None,
        port: int | None = None,
        server_ssl: ssl.SSLContext | None = None,
        settings: RegistrarSettings | None = None,
        ban: BanSettings | None = None,
        keepalive_interval: float | None = 30.0,
        trust_registered_sources: bool = False,
        locator: ServerLocator | None = None,
        trunk_secret: Callable[[Trunk], str] | None = None,
        config_dir: Path = Path(),
        register_expires: int = 3600,
    ) -> RegistrarServer:
        """The center's registrar on its `telephony.listen[listen]` socket (host/port override it).

        Users with digest HA1s may register; static-IP trunks are trusted by address. Nonce secrets come
        from `rng` — give `random.SystemRandom()` outside tests. A TLS listener needs `server_ssl`.
        `trust_registered_sources` lets a registered phone's address reach local targets without a 407.
        Every `auth: registration` trunk is registered to from this socket: located with `locator`
        (default: the system's DNS through dnspython), its password from `trunk_secret` (default:
        `read_trunk_secret` with `config_dir`). A secret or location that fails raises before binding.
        """
        where = center.telephony.listen[listen]
        registrar = Registrar.from_config(center, rng.randbytes(32), rng, settings=settings)
        gate = RequestGate.from_config(
            center,
            registrar.proxy_digest(rng.randbytes(32)),
            ban=AuthBan(ban),
            registered=registrar.login_at if trust_registered_sources else None,
        )
        options = TransportOptions(kind=where.transport.value, server_ssl=server_ssl)
        secret_of = trunk_secret or (lambda trunk: read_trunk_secret(trunk, config_dir))
        registering = [t for t in center.telephony.trunks if t.auth is TrunkAuth.REGISTRATION]
        secrets = {t.name: secret_of(t) for t in registering}
        located: dict[str, list[Target]] = {}
        for trunk in registering:
            if locator is None:
                locator = ServerLocator(DnspythonClient(dns.asyncresolver.Resolver()), rng)
            located[trunk.name] = await locator.locate(trunk_uri(trunk))
        server = await cls.start(
            registrar,
            gate,
            where.address if host is None else host,
            where.port if port is None else port,
            options=options,
            rng=rng,
            keepalive_interval=keepalive_interval,
        )
        for trunk in registering:
            first, *alternates = located[trunk.name]
            registration = OutboundRegistration.for_trunk(
                trunk,
                secrets[trunk.name],
                first,
                random.Random(rng.getrandbits(64)),
                local=server.local,
                expires=register_expires,
                alternates=alternates,
            )
            server.register_to(OutboundLink(server.agent, registration, on_event=server._deliver))
        return server

    def register_to(self, link: OutboundLink) -> None:
        """Run a provider registration on this server: started now, unregistered by `close()`."""
        if link.registration.trunk in self.links:
            raise OutboundError(f"trunk {link.registration.trunk} is already registering")
        self.links[link.registration.trunk] = link
        link.start()

    @property
    def local(self) -> Address:
        """The bound address."""
        return self.agent.local

    def on_event(self, callback: Callable[[ServerEvent], None]) -> None:
        """Deliver registrar and ban events to `callback` instead of the `events()` queue."""
        self._callbacks.append(callback)

    async def events(self) -> AsyncIterator[ServerEvent]:
        """Registrar and ban events as they come."""
        while True:
            yield await self._queue.get()

    async def next_event(
        self, kind: type | tuple[type, ...] = object, *, timeout: float = 10.0
    ) -> ServerEvent:
        """The next queued event of `kind`; others before it are discarded."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self._queue.get()
                if isinstance(event, kind):
                    return event

    def _pump(self) -> None:
        now = self._loop.time()
        self.registrar.handle_timer(now)
        ban = self.access.gate.ban
        ban.handle_timer(now)
        events: list[ServerEvent] = [*self.registrar.events(), *ban.events()]
        timers = [self.registrar.get_timer(), ban.get_timer()]
        if self.keepalive is not None:
            self._track(events, now)
            self.keepalive.handle_timer(now)
            for item in self.keepalive.requests():
                task = self._loop.create_task(self._probe(item))
                self._probes.add(task)
                task.add_done_callback(self._probes.discard)
            events += self.keepalive.events()
            timers.append(self.keepalive.get_timer())
        for event in events:
            self._deliver(event)
        deadlines = [t for t in timers if t is not None]
        deadline = min(deadlines) if deadlines else None
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = None if deadline is None else self._loop.call_at(deadline, self._fire)

    def _deliver(self, event: ServerEvent) -> None:
        for callback in self._callbacks:
            callback(event)
        if not self._callbacks:
            self._queue.put_nowait(event)

    def watch(self, name: str, uri: SipUri, target: Target) -> None:
        """Probe a trunk (or any peer) too: OPTIONS `uri` at `target` (ServerLocator finds it)."""
        if self.keepalive is None:
            raise AgentError("this server was started without keepalive_interval")
        self.keepalive.add(name, uri, target, self._loop.time())
        self._pump()

    def unwatch(self, name: str) -> None:
        """Stop probing a peer added with `watch`."""
        if self.keepalive is not None:
            self.keepalive.remove(name)

    def _track(self, events: list[ServerEvent], now: float) -> None:
        """Probe each registered contact at the address it registered from; stop when it goes."""
        assert self.keepalive is not None
        kind = TransportKind(self.agent.transport.options.kind)
        for event in events:
            if isinstance(event, PhoneRegistered) and isinstance(event.contact, SipUri):
                target = Target(
                    kind, *event.source
                )  # a connection-oriented phone is reached on its connection
                self.keepalive.add(f"{event.aor} {event.contact}", event.contact, target, now)
            elif isinstance(event, PhoneUnregistered):
                self.keepalive.remove(f"{event.aor} {event.contact}")

    async def _probe(self, item: Outgoing) -> None:
        """Send one keep-alive OPTIONS through the agent and report the outcome."""
        assert self.keepalive is not None
        assert item.peer is not None
        seq = item.request.cseq.seq
        try:
            result = await self.agent.options(item.request.uri, address=item.target.address)
        except AgentError:
            result = None
        now = self._loop.time()
        if result is not None and result.response is not None:
            self.keepalive.answered(item.peer, seq, now)
        else:
            self.keepalive.missed(item.peer, seq, now)
        self._pump()

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = None
        self._pump()

    async def close(self, *, unregister_timeout: float = 5.0) -> None:
        """Unregister from providers (waiting up to `unregister_timeout`), stop timers, close the agent."""
        links = list(self.links.values())
        for link in links:
            link.stop()
        try:
            async with asyncio.timeout(unregister_timeout):
                for link in links:
                    await link.settled()
        except TimeoutError:
            pass  # a provider that does not answer keeps its binding until it expires
        for link in links:
            link.close()
        self.links.clear()
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._probes):
            task.cancel()
        await self.agent.close()


class OutboundLink:
    """A provider registration (`OutboundRegistration`) on a running agent: its REGISTERs leave from the
    agent's socket through the agent's transaction layer (retransmissions, timeouts), so the provider
    sees the agent's own address and Contact. Build the registration with `local=agent.local`.

    The thin part is time and tasks: each request is awaited with `UserAgent.send_request`, its response
    (or 408/503) fed back, and the refresh timer re-armed with `loop.call_at`.
    """

    def __init__(
        self,
        agent: UserAgent,
        registration: OutboundRegistration,
        *,
        on_event: Callable[[RegistrationEvent], None] | None = None,
    ) -> None:
        self.agent = agent
        self.registration = registration
        self._on_event = on_event
        self._loop = agent.transport.loop
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._queue: asyncio.Queue[RegistrationEvent] = asyncio.Queue()

    def start(self) -> None:
        """Register now, then refresh before expiry and retry after failures."""
        self.registration.start(self._loop.time())
        self._pump()

    def stop(self) -> None:
        """Unregister (Expires 0) and stop refreshing; TrunkUnregistered follows."""
        self.registration.stop(self._loop.time())
        self._pump()

    async def next_event(self, *, timeout: float = 10.0) -> RegistrationEvent:
        """The next TrunkRegistered, TrunkRegistrationFailed or TrunkUnregistered (none with `on_event`)."""
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    def _pump(self) -> None:
        for item in self.registration.requests():
            task = self._loop.create_task(self._send(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        for event in self.registration.events():
            if self._on_event is not None:
                self._on_event(event)
            else:
                self._queue.put_nowait(event)
        if self._timer is not None:
            self._timer.cancel()
        deadline = self.registration.get_timer()
        self._timer = None if deadline is None else self._loop.call_at(deadline, self._fire)

    async def settled(self) -> None:
        """Wait until no request is in flight (after `stop`: until the unregister has been answered)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def _send(self, item: Outgoing) -> None:
        result = await self.agent.send_request(item.request, item.target.address)
        now = self._loop.time()
        if isinstance(result, Response):
            self.registration.receive_response(result, now)
        else:
            self.registration.failed(item.request, now)
        self._pump()

    def _fire(self) -> None:
        self._timer = None
        self.registration.handle_timer(self._loop.time())
        self._pump()

    def close(self) -> None:
        """Stop the timer and the requests in flight (no unregister: call `stop` first for that)."""
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()
