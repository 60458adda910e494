"""asyncio transports for a `UserAgentCore`: UDP, TCP and TLS sockets that only move bytes and time.

`SipTransport.open` binds the sockets, builds the core for the bound address and then, for every datagram
or framed stream message, feeds the core (`receive` / `receive_message` with `loop.time()`), sends what the
core returns, hands its events to a callback and re-arms the core's one timer (a single `loop.call_at`).

UDP mode may also listen on TCP at the same port (`tcp_fallback`): a request larger than 1300 octets
(RFC 3261 §18.1.1) then travels over TCP, and any message to an address with an open connection reuses
it. TCP/TLS connections are keyed by the peer's address (what Via received/rport name), framed with
`StreamFramer`, and closed after `idle_timeout` seconds without traffic. A stream that cannot be framed is
closed; a datagram the core cannot parse is answered by the core (4xx) or dropped — the server lives on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from okc.errors import OkcError
from okc.sip.errors import SipError, SipParseError
from okc.sip.framing import StreamFramer
from okc.sip.headers import Headers, canonical_key, split_list
from okc.sip.layer import Address, client_key
from okc.sip.message import Request, Response, parse_message
from okc.sip.ua import UDP_LIMIT, UserAgentCore
from okc.sip.ua_events import UaEvent

__all__ = ["SipTransport", "TransportError", "TransportOptions"]

_log = logging.getLogger(__name__)
_KINDS = ("udp", "tcp", "tls")


class TransportError(OkcError):
    """A SIP transport cannot be opened (bad kind, no certificate for TLS, address in use …)."""


@dataclass(frozen=True, slots=True)
class TransportOptions:
    """How to listen: kind (udp, tcp, tls), TCP beside UDP, TLS contexts, idle close of connections."""

    kind: str = "udp"
    tcp_fallback: bool = True
    server_ssl: ssl.SSLContext | None = None
    client_ssl: ssl.SSLContext | None = None
    idle_timeout: float = 300.0
    receive_buffer: int = 4 * 1024 * 1024
    """UDP socket receive buffer asked of the kernel (capped by net.core.rmem_max): bursts of INVITEs and
    BYEs wait there while the loop is busy instead of being dropped (the default ~208 KiB lost ~5 % of packets
    at 1,000 calls/s)."""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise TransportError(f"unknown SIP transport {self.kind!r} (use udp, tcp or tls)")
        if self.kind == "tls" and self.server_ssl is None:
            raise TransportError("TLS needs a certificate: give server_ssl")
        if self.idle_timeout <= 0:
            raise TransportError(f"idle timeout must be positive, not {self.idle_timeout}")
        if self.receive_buffer < 0:
            raise TransportError(f"receive buffer must not be negative, not {self.receive_buffer}")


def _ask_rport(request: Request) -> Request:
    """A request that came over TCP to a UDP-mode core, with rport asked for in its top Via.

    The core answers such a request as it would a datagram: to Via's received/rport (RFC 3581). With rport
    filled from the connection's source, the answer goes back down that connection (RFC 3261 §18.2.2).
    """
    try:
        via = request.top_via
    except SipParseError:
        return request  # the core answers it 400
    if via.rport_requested:
        return request
    fields = list(request.headers.fields)
    for pos, (name, value) in enumerate(fields):
        if canonical_key(name) == "via":
            items = split_list(value)
            items[0] = str(via.with_params(via.params.with_param("rport", None)))
            fields[pos] = (name, ", ".join(items))
            break
    return request.replace(headers=Headers(fields))


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: SipTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner._on_datagram(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        _log.debug("UDP error: %s", exc)  # ICMP unreachable and the like: the core's timers handle it


class _Stream(asyncio.Protocol):
    """One TCP/TLS connection: frames messages and feeds them to the core."""

    def __init__(self, owner: SipTransport, peer: Address | None = None) -> None:
        self.owner = owner
        self.peer = peer
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.queue: list[bytes] = []
        self.last_activity = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.peer is None:
            name = transport.get_extra_info("peername")
            self.peer = (str(name[0]), int(name[1]))
        self.last_activity = self.owner.loop.time()
        self.owner._connections[self.peer] = self
        for data in self.queue:
            transport.write(data)
        self.queue.clear()

    def data_received(self, data: bytes) -> None:
        assert self.peer is not None
        self.last_activity = self.owner.loop.time()
        try:
            messages = self.framer.feed(data)
        except SipParseError as exc:
            _log.info("closing SIP stream from %s: %s", self.peer, exc)
            self.close()
            return
        for message in messages:
            self.owner._on_message(message, self.peer)

    def write(self, data: bytes) -> None:
        self.last_activity = self.owner.loop.time()
        if self.transport is None:
            self.queue.append(data)
        else:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.owner._connections.get(self.peer) is self:
            del self.owner._connections[self.peer]


class SipTransport:
    """The sockets of one user agent core and the loop glue around it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, options: TransportOptions) -> None:
        self.loop = loop
        self.options = options
        self.core: UserAgentCore
        self.local: Address = ("", 0)
        self.on_event: Callable[[UaEvent], None] = lambda event: None
        #: Asked before any input from a source reaches the core: False drops it unread and unanswered
        #: (a banned address under BanAction.DROP — `AccessFilter.should_drop`).
        self.accept: Callable[[Address, float], bool] | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[Address, _Stream] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        make_core: Callable[[Address, str], UserAgentCore],
        options: TransportOptions | None = None,
        on_event: Callable[[UaEvent], None] | None = None,
    ) -> SipTransport:
        """Bind host:port (0: any free port) and build the core with `make_core(bound address, kind)`."""
        options = options or TransportOptions()
        loop = asyncio.get_running_loop()
        self = cls(loop, options)
        if on_event is not None:
            self.on_event = on_event
        try:
            if options.kind == "udp":
                udp, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(self), local_addr=(host, port)
                )
                self._udp = udp
                if options.receive_buffer:
                    sock = udp.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, options.receive_buffer)
                name = udp.get_extra_info("sockname")
                self.local = (str(name[0]), int(name[1]))
                if options.tcp_fallback:
                    self._server = await loop.create_server(lambda: _Stream(self), host, self.local[1])
            else:
                tls = options.server_ssl if options.kind == "tls" else None
                self._server = await loop.create_server(lambda: _Stream(self), host, port, ssl=tls)
                name = self._server.sockets[0].getsockname()
                self.local = (str(name[0]), int(name[1]))
        except OSError as exc:
            self.close()
            raise TransportError(f"cannot listen for SIP on {host}:{port} ({options.kind}): {exc}") from exc
        self.core = make_core(self.local, options.kind.upper())
        self._sweeper = loop.call_later(options.idle_timeout / 2, self._sweep)
        return self

    # --- input ---------------------------------------------------------------------------------------

    def _on_datagram(self, data: bytes, source: Address) -> None:
        if data in (b"\r\n\r\n", b"\r\n", b"\0\0\0\0"):
            return  # RFC 5626 keep-alives
        if self.accept is not None and not self.accept(source, self.loop.time()):
            return
        try:
            self.core.receive(data, source, self.loop.time())
        except SipError as exc:
            _log.warning("SIP core refused input from %s: %s", source, exc)
        self.flush()

    def _on_message(self, message: Request | Response, source: Address) -> None:
        if self.accept is not None and not self.accept(source, self.loop.time()):
            return
        if self.options.kind == "udp" and isinstance(message, Request):
            message = _ask_rport(message)
        try:
            self.core.receive_message(message, source, self.loop.time())
        except SipError as exc:
            _log.warning("SIP core refused input from %s: %s", source, exc)
        self.flush()

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        try:
            self.core.handle_timer(self.loop.time())
        except SipError as exc:
            _log.warning("SIP timer failed: %s", exc)
        self.flush()

    # --- output --------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Send what the core has queued, deliver its events, re-arm its timer. Call after any command."""
        if self._closed:
            return
        for data, address in self.core.datagrams():
            self._send(data, address)
        for event in self.core.events():
            try:
                self.on_event(event)
            except Exception:  # noqa: BLE001 — an application callback must not kill the transport
                _log.exception("SIP event handler failed on %r", event)
        for data, address in self.core.datagrams():  # what the handlers' commands queued
            self._send(data, address)
        self._arm()

    def _arm(self) -> None:
        deadline = self.core.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = None if deadline is None else self.loop.call_at(deadline, self._on_timer)

    def _send(self, data: bytes, address: Address) -> None:
        connection = self._connections.get(address)
        if connection is not None:
            connection.write(data)
            return
        kind = self.options.kind
        large_request = len(data) > UDP_LIMIT and not data.startswith(b"SIP/2.0 ")
        if kind == "udp" and not (large_request and self.options.tcp_fallback):
            if self._udp is not None:
                self._udp.sendto(data, address)
            return
        self._connect(address).write(data)

    def _connect(self, address: Address) -> _Stream:
        stream = _Stream(self, address)
        self._connections[address] = stream
        tls = self.options.client_ssl if self.options.kind == "tls" else None

        async def connect() -> None:
            try:
                await self.loop.create_connection(lambda: stream, address[0], address[1], ssl=tls)
            except OSError as exc:
                _log.info("SIP connection to %s failed: %s", address, exc)
                if self._connections.get(address) is stream:
                    del self._connections[address]
                self._failed(stream.queue)

        task = self.loop.create_task(connect())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return stream

    def _failed(self, unsent: list[bytes]) -> None:
        """Tell the core which of its client transactions could not be sent (it reports them as 503)."""
        for data in unsent:
            try:
                message = parse_message(data)
                if isinstance(message, Request) and message.method != "ACK":
                    branch = message.top_via.branch or ""
                    self.core.transport_error(client_key(branch, message.method), self.loop.time())
            except SipError as exc:
                _log.warning("SIP transport error handling failed: %s", exc)
        unsent.clear()
        self.flush()

    def _sweep(self) -> None:
        now = self.loop.time()
        for stream in list(self._connections.values()):
            if now - stream.last_activity > self.options.idle_timeout:
                stream.close()
        if not self._closed:
            self._sweeper = self.loop.call_later(self.options.idle_timeout / 2, self._sweep)

    @property
    def connections(self) -> int:
        """How many TCP/TLS connections are open."""
        return len(self._connections)

    def close(self) -> None:
        """Close every socket and stop the timers."""
        self._closed = True
        for handle in (self._timer, self._sweeper):
            if handle is not None:
                handle.cancel()
        if self._udp is not None:
            self._udp.close()
        if self._server is not None:
            self._server.close()
        for stream in list(self._connections.values()):
            stream.close()
        self._connections.clear()

    async def wait_closed(self) -> None:
        """Close and wait for the listening server to finish."""
        self.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
