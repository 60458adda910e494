"""The asyncio user agent API that the B2BUA and library users drive.

`UserAgent.start(...)` binds a transport (okc.sip.transport) around a `UserAgentCore` (okc.sip.ua) and
exposes the call commands as plain methods: `call`, `ring`, `answer`, `reject`, `hangup`, `hold`, `unhold`,
`send_dtmf` (RFC 4733 through the media attached with `attach_dtmf`, else INFO), `transfer`,
`notify_transfer`, and `options` (a standalone OPTIONS awaited for its response). Every state change
arrives as an event of okc.sip.ua_events through `events()` (an async iterator), `next_event(...)`, or an
`on_event` callback.
401/407 challenges are answered when credentials are given.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from okc.errors import OkcError
from okc.sip.auth import DigestClient
from okc.sip.layer import Address, TransactionKey
from okc.sip.message import Request, Response
from okc.sip.refer import Replaces
from okc.sip.sdp import SessionDescription
from okc.sip.timers import TimerConfig
from okc.sip.transport import SipTransport, TransportOptions
from okc.sip.ua import RequestFilter, UserAgentCore
from okc.sip.ua_events import CallEnded, CallFailed, CallRef, RequestFailed, ResponseToRequest, UaEvent
from okc.sip.uri import SipUri, Uri, parse_uri

__all__ = ["AgentError", "AgentSettings", "OptionsResult", "UserAgent"]

#: Turns a target URI into the address of the next hop (an RFC 3263 resolver plugs in here).
Resolver = Callable[[Uri], Awaitable[Address]]
#: A call's media sending one DTMF digit as RFC 4733 events: (digit, duration in ms).
DtmfMedia = Callable[[str, int], None]


class AgentError(OkcError):
    """A user agent command cannot be carried out (unresolvable target, timeout waiting for an event)."""


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """Who the agent is and how it behaves; every field has a working default."""

    user: str = "okc"
    username: str | None = None  # digest credentials toward trunks / registrars
    password: str | None = None
    session_expires: int | None = None
    timers: TimerConfig = field(default_factory=TimerConfig)
    user_agent: str = "okc"


@dataclass(frozen=True, slots=True)
class OptionsResult:
    """The outcome of `UserAgent.options`: the final response (None on timeout) and the round trip."""

    response: Response | None
    status: int
    rtt: float


async def _default_resolver(uri: Uri) -> Address:
    if not isinstance(uri, SipUri):
        raise AgentError(f"cannot route {uri}: give an address for non-SIP URIs")
    host = uri.maddr or uri.host.strip("[]")
    port = uri.port or (5061 if uri.scheme == "sips" else 5060)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=2)  # SOCK_DGRAM
        if not infos:
            raise AgentError(f"cannot resolve {host}") from None
        host = str(infos[0][4][0])
    return host, port


class UserAgent:
    """One SIP user agent on one local address."""

    def __init__(self, transport: SipTransport, resolver: Resolver) -> None:
        self.transport = transport
        self.core = transport.core
        self._resolver = resolver
        self._queue: asyncio.Queue[UaEvent] = asyncio.Queue()
        self._callbacks: list[Callable[[UaEvent], None]] = []
        self._waiting: dict[TransactionKey, asyncio.Future[Response | int]] = {}
        self._dtmf_media: dict[CallRef, DtmfMedia] = {}

    @classmethod
    async def start(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        settings: AgentSettings | None = None,
        options: TransportOptions | None = None,
        request_filter: RequestFilter | None = None,
        resolver: Resolver | None = None,
        rng: random.Random | None = None,
    ) -> UserAgent:
        """Bind and start; `port` 0 picks a free one (see `local`)."""
        settings = settings or AgentSettings()
        rng = rng or random.Random(time.time_ns())
        credentials = None
        if settings.username is not None and settings.password is not None:
            credentials = DigestClient(
                settings.username, settings.password, random.Random(rng.getrandbits(64))
            )

        def make_core(local: Address, kind: str) -> UserAgentCore:
            return UserAgentCore(
                local,
                rng=rng,
                transport=kind,
                timers=settings.timers,
                user=settings.user,
                request_filter=request_filter,
                credentials=credentials,
                session_expires=settings.session_expires,
                user_agent=settings.user_agent,
                large_over_tcp=kind == "UDP" and (options is None or options.tcp_fallback),
            )

        transport = await SipTransport.open(host, port, make_core, options)
        agent = cls(transport, resolver or _default_resolver)
        transport.on_event = agent._on_event
        return agent

    @property
    def local(self) -> Address:
        """The bound address."""
        return self.transport.local

    @property
    def contact(self) -> str:
        """Our Contact URI."""
        return str(self.core.contact.uri)

    # --- events --------------------------------------------------------------------------------------

    def _on_event(self, event: UaEvent) -> None:
        if isinstance(event, CallEnded | CallFailed):
            self._dtmf_media.pop(event.call, None)
        if isinstance(event, ResponseToRequest | RequestFailed):
            future = self._waiting.pop(event.key, None)
            if future is not None and not future.done():
                future.set_result(event.response if isinstance(event, ResponseToRequest) else event.status)
                return
        for callback in self._callbacks:
            callback(event)
        if not self._callbacks:
            self._queue.put_nowait(event)

    def on_event(self, callback: Callable[[UaEvent], None]) -> None:
        """Deliver events to `callback` (called on the loop) instead of the `events()` queue."""
        self._callbacks.append(callback)

    async def events(self) -> AsyncIterator[UaEvent]:
        """Every event, as it comes (until the agent is closed and the queue is empty)."""
        while True:
            yield await self._queue.get()

    async def next_event(
        self, kind: type | tuple[type, ...] = object, *, call: CallRef | None = None, timeout: float = 10.0
    ) -> UaEvent:
        """The next queued event of `kind` (for `call`, if given); others before it are discarded."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = await self._queue.get()
                    if isinstance(event, kind) and (call is None or getattr(event, "call", None) == call):
                        return event
        except TimeoutError:
            raise AgentError(f"no {kind} event within {timeout} s") from None

    # --- commands ------------------------------------------------------------------------------------

    def _now(self) -> float:
        return self.transport.loop.time()

    async def call(
        self,
        uri: str | Uri,
        *,
        sdp: SessionDescription | None = None,
        address: Address | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> CallRef:
        """Send an INVITE to `uri` (through `address`, else where the resolver says); returns at once."""
        target = parse_uri(uri) if isinstance(uri, str) else uri
        hop = address or await self._resolver(target)
        ref = self.core.invite(target, hop, self._now(), sdp=sdp, extra=extra)
        self.transport.flush()
        return ref

    def ring(self, call: CallRef, *, status: int = 180, sdp: SessionDescription | None = None) -> None:
        """Send 180 Ringing (or 183 with early media)."""
        self.core.ring(call, self._now(), status=status, sdp=sdp)
        self.transport.flush()

    def answer(self, call: CallRef, sdp: SessionDescription | None) -> None:
        """Answer an incoming call 200 OK."""
        self.core.answer(call, sdp, self._now())
        self.transport.flush()

    def reject(self, call: CallRef, status: int = 486) -> None:
        """Refuse an incoming call."""
        self.core.reject(call, status, self._now())
        self.transport.flush()

    def hangup(self, call: CallRef) -> None:
        """End a call in whatever state it is (CANCEL, 603 or BYE)."""
        self.core.hangup(call, self._now())
        self.transport.flush()

    def hold(self, call: CallRef) -> None:
        """Put the call on hold (re-INVITE sendonly)."""
        self.core.hold(call, self._now())
        self.transport.flush()

    def unhold(self, call: CallRef) -> None:
        """Take the call off hold (re-INVITE sendrecv)."""
        self.core.unhold(call, self._now())
        self.transport.flush()

    def attach_dtmf(self, call: CallRef, send: DtmfMedia) -> None:
        """Let the call's media send DTMF as RFC 4733 events: `send(digit, duration_ms)` (okc.rtp.dtmf)."""
        self._dtmf_media[call] = send

    def send_dtmf(self, call: CallRef, digit: str, duration_ms: int = 160) -> str:
        """Send a DTMF digit: handed to the media as RFC 4733 when attached and the peer's SDP has
        telephone-event, else by SIP INFO. Returns which way it went ("rfc4733" or "info")."""
        media = self._dtmf_media.get(call)
        sdp = self.core.remote_sdp(call)
        events = sdp is not None and any(
            c.name.lower() == "telephone-event" for m in sdp.media[:1] for c in m.codecs
        )
        if media is not None and events:
            media(digit, duration_ms)
            return "rfc4733"
        self.core.send_dtmf(call, digit, self._now(), duration_ms)
        self.transport.flush()
        return "info"

    def transfer(self, call: CallRef, target: str | SipUri, *, replaces: Replaces | None = None) -> None:
        """REFER the peer to `target` (blind; attended with `replaces`)."""
        self.core.transfer(call, target, self._now(), replaces=replaces)
        self.transport.flush()

    def notify_transfer(self, call: CallRef, status: int) -> None:
        """Tell the referrer how our transfer INVITE is going."""
        self.core.notify_transfer(call, status, self._now())
        self.transport.flush()

    async def options(self, uri: str | Uri, *, address: Address | None = None) -> OptionsResult:
        """Send OPTIONS and wait for its final response (or the transaction's timeout, 32 s by default)."""
        target = parse_uri(uri) if isinstance(uri, str) else uri
        hop = address or await self._resolver(target)
        start = self._now()
        key = self.core.request("OPTIONS", target, hop, start)
        future: asyncio.Future[Response | int] = self.transport.loop.create_future()
        self._waiting[key] = future
        self.transport.flush()
        result = await future
        rtt = self._now() - start
        if isinstance(result, Response):
            return OptionsResult(result, result.status, rtt)
        return OptionsResult(None, result, rtt)

    async def send_request(self, request: Request, address: Address) -> Response | int:
        """Send a prebuilt out-of-dialog request from this agent's socket; its final response, or the
        status (408 timeout, 503 transport failure) when none came."""
        key = self.core.send(request, address, self._now())
        future: asyncio.Future[Response | int] = self.transport.loop.create_future()
        self._waiting[key] = future
        self.transport.flush()
        return await future

    async def close(self) -> None:
        """Close the sockets (calls are not hung up: do that first if you care)."""
        for future in self._waiting.values():
            future.cancel()
        await self.transport.wait_closed()
