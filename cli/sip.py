"""`okc sip`: tools for administrators testing their telephony.

`okc sip answer --listen HOST:PORT` is an auto-answering user agent (200 with a PCMA/PCMU answer, a tone
over RTP, hang up when the caller does; the far end for trunk tests and benchmarks). `okc sip options URI`
sends OPTIONS and prints the status line and round-trip time, like sipsak: exit 0 on 2xx, 1 on a
non-2xx or timeout, 2 on bad input.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

import click

from okc.errors import OkcError
from okc.rtp.endpoint import PortAllocator, RtpEndpoint
from okc.rtp.outgoing import OutgoingStream
from okc.rtp.tones import ToneGenerator, ToneSpec
from okc.sip.agent import AgentSettings, UserAgent
from okc.sip.sdp import LocalMedia, SdpError, SessionDescription, answer, make_offer
from okc.sip.transport import TransportOptions
from okc.sip.ua_events import CallEnded, CallEstablished, CallFailed, CallRef, IncomingCall, UaEvent
from okc.sip.uri import SipUri, parse_uri

_FRAME = 0.020


class SipCliError(OkcError):
    """Bad input to an `okc sip` command."""


def parse_hostport(text: str, default_port: int = 5060) -> tuple[str, int]:
    """'127.0.0.1:5060', '[::1]:5062' or a bare host → (host, port)."""
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipCliError(f"--listen: unterminated IPv6 reference in {text!r}")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise SipCliError(f"--listen: bad port in {text!r}")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise SipCliError(f"--listen: bad port in {text!r}")
        port = int(port_text)
    if not 0 <= port <= 65535:
        raise SipCliError(f"--listen: port {port} out of range")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise SipCliError(f"--listen: {host!r} is not an IP address") from None
    return host, port


def parse_port_range(text: str) -> tuple[int, int]:
    """'20000-29999' → (20000, 29999)."""
    low, dash, high = text.partition("-")
    if not dash or not low.isdigit() or not high.isdigit() or not 1024 <= int(low) < int(high) <= 65535:
        raise SipCliError(f"--rtp-ports: expected LOW-HIGH within 1024-65535, not {text!r}")
    return int(low), int(high)


@dataclass(slots=True)
class _Answered:
    """One call the answerer took: when, from whom, its media."""

    caller: str
    started: float
    endpoint: RtpEndpoint | None = None
    tone: asyncio.Task[None] | None = None
    established: bool = False


@dataclass(slots=True)
class _Answerer:
    """The state of `okc sip answer`: live calls and counters."""

    agent: UserAgent
    host: str
    tone_hz: float
    media: bool
    allocator: PortAllocator
    max_calls: int
    quiet: bool
    calls: dict[CallRef, _Answered] = field(default_factory=dict)
    finished: int = 0
    failed: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    rng: random.Random = field(default_factory=lambda: random.Random(time.time_ns()))

    def on_event(self, event: UaEvent) -> None:
        if isinstance(event, IncomingCall):
            self.calls[event.call] = _Answered(str(event.caller.uri), time.monotonic())
            asyncio.get_running_loop().create_task(self._answer(event))
        elif isinstance(event, CallEstablished) and event.call in self.calls:
            self.calls[event.call].established = True
        elif isinstance(event, CallEnded | CallFailed):
            self._finish(event)

    async def _answer(self, event: IncomingCall) -> None:
        ref = event.call
        session_id = self.rng.randrange(1, 2**31)
        call = self.calls.get(ref)
        if call is None:
            return
        port = 9  # the discard port: a valid SDP port when no media is sent (benchmarks)
        if self.media:
            call.endpoint = await RtpEndpoint.open(self.allocator, self.host)
            port = call.endpoint.local_rtp[1]
        if ref not in self.calls:  # the caller gave up while we were opening the ports
            self._close_media(call)
            return
        local = LocalMedia(self.host, port, session_id)
        try:
            sdp = answer(event.offer, local) if event.offer is not None else make_offer(local)
        except SdpError:
            self.agent.reject(ref, 488)
            return
        self.agent.answer(ref, sdp)
        if call.endpoint is not None and event.offer is not None:
            self._start_tone(call, call.endpoint, event.offer, sdp)

    def _start_tone(
        self, call: _Answered, endpoint: RtpEndpoint, offer: SessionDescription, sdp: SessionDescription
    ) -> None:
        media = offer.media[0] if offer.media else None
        address = offer.media_connection(media) if media is not None else None
        if media is None or address is None:
            return
        endpoint.session.set_remote((address, media.port))
        codec = sdp.media[0].codecs[0] if sdp.media and sdp.media[0].port else None
        if codec is None:
            return
        call.tone = asyncio.get_running_loop().create_task(
            _play_tone(endpoint, codec.payload_type, self.tone_hz, self.rng)
        )

    def _close_media(self, call: _Answered) -> None:
        if call.tone is not None:
            call.tone.cancel()
        if call.endpoint is not None:
            call.endpoint.close()

    def _finish(self, event: CallEnded | CallFailed) -> None:
        call = self.calls.pop(event.call, None)
        if call is None:
            return
        self._close_media(call)
        ok = isinstance(event, CallEnded) and call.established
        self.finished += 1
        self.failed += 0 if ok else 1
        if not self.quiet:
            how = event.reason.value if isinstance(event, CallEnded) else f"failed {event.status}"
            seconds = time.monotonic() - call.started
            click.echo(f"call {event.call.call_id} from {call.caller}: {seconds:.1f} s, {how}")
        if self.max_calls and self.finished >= self.max_calls:
            self.done.set()


async def _play_tone(endpoint: RtpEndpoint, payload_type: int, hz: float, rng: random.Random) -> None:
    """Stream a continuous tone as 20 ms G.711 frames (payload type 0 or 8) on a drift-free schedule."""
    generator = ToneGenerator(ToneSpec((hz,)))
    loop = asyncio.get_running_loop()
    start = loop.time()
    ssrc, sequence, timestamp = rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(32)
    stream = OutgoingStream(payload_type, start, ssrc=ssrc, sequence=sequence, timestamp=timestamp)
    frame = 0
    while True:
        endpoint.send_rtp(bytes(stream.audio(generator.next_frame(), start + frame * _FRAME)))
        frame += 1
        await asyncio.sleep(max(0.0, start + frame * _FRAME - loop.time()))


@click.group()
def sip() -> None:
    """SIP tools: an auto-answering user agent and an OPTIONS probe."""


@sip.command("answer")
@click.option(
    "--listen", default="127.0.0.1:5060", show_default=True, help="HOST:PORT to listen on (port 0: any)."
)
@click.option("--transport", type=click.Choice(["udp", "tcp"]), default="udp", show_default=True)
@click.option("--tone-hz", type=float, default=425.0, show_default=True, help="Frequency of the tone played.")
@click.option(
    "--max-calls", type=int, default=0, help="Exit after this many calls ended (0: run until stopped)."
)
@click.option("--no-media", is_flag=True, help="Answer with SDP but send no RTP (signalling benchmarks).")
@click.option("--rtp-ports", default="20000-29999", show_default=True, help="RTP port range LOW-HIGH.")
@click.option("--quiet", is_flag=True, help="No line per call, only the final count.")
def answer_command(
    *,
    listen: str,
    transport: str,
    tone_hz: float,
    max_calls: int,
    no_media: bool,
    rtp_ports: str,
    quiet: bool,
) -> None:
    """Answer every INVITE with 200 and G.711, play a tone, hang up when the caller does."""
    host, port = parse_hostport(listen)
    low, high = parse_port_range(rtp_ports)
    if not 0 < tone_hz < 4000:
        raise SipCliError(f"--tone-hz must lie between 0 and 4000, not {tone_hz}")
    if max_calls < 0:
        raise SipCliError("--max-calls cannot be negative")
    config = AnswerConfig(host, port, transport, tone_hz, max_calls, not no_media, (low, high), quiet)
    answerer = asyncio.run(_serve(config))
    click.echo(f"{answerer.finished} calls, {answerer.failed} failed")


@dataclass(frozen=True, slots=True)
class AnswerConfig:
    """What `okc sip answer` was asked to do."""

    host: str
    port: int
    transport: str
    tone_hz: float
    max_calls: int
    media: bool
    ports: tuple[int, int]
    quiet: bool


async def _serve(config: AnswerConfig) -> _Answerer:
    host, transport = config.host, config.transport
    agent = await UserAgent.start(
        host, config.port, settings=AgentSettings(user="okc-answer"), options=TransportOptions(kind=transport)
    )
    allocator = PortAllocator(*config.ports)
    answerer = _Answerer(agent, host, config.tone_hz, config.media, allocator, config.max_calls, config.quiet)
    agent.on_event(answerer.on_event)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows loops and loops outside the main thread have no signal handlers; Ctrl-C then
        # ends the command through KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, answerer.done.set)
    bound_host, bound_port = agent.local
    click.echo(f"listening on {transport} {bound_host}:{bound_port}")
    sys.stdout.flush()
    try:
        await answerer.done.wait()
    finally:
        for call in answerer.calls.values():
            answerer._close_media(call)
        await agent.close()
    return answerer


def _source_for(target: tuple[str, int]) -> str:
    """The local address the kernel would use toward target (a UDP connect sends nothing)."""
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect(target)
        return str(probe.getsockname()[0])


@sip.command("options")
@click.argument("uri")
@click.option(
    "--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait for each answer."
)
@click.option(
    "--count", type=int, default=1, show_default=True, help="How many OPTIONS to send, one a second."
)
def options_command(uri: str, timeout: float, count: int) -> None:
    """Send OPTIONS to URI; print the status line and round-trip time (exit 0 on 2xx, 1 otherwise)."""
    target = parse_uri(
        uri if ":" in uri.split("@", 1)[0] or uri.startswith(("sip:", "sips:")) else f"sip:{uri}"
    )
    if not isinstance(target, SipUri):
        raise SipCliError(f"{uri} is not a SIP URI")
    if timeout <= 0 or count < 1:
        raise SipCliError("--timeout must be positive and --count at least 1")
    ok = asyncio.run(_probe(target, timeout, count))
    sys.exit(0 if ok else 1)


async def _probe(target: SipUri, timeout: float, count: int) -> bool:
    host = target.maddr or target.host.strip("[]")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, target.port or 5060, type=socket.SOCK_DGRAM
        )
    except OSError as exc:
        raise SipCliError(f"cannot resolve {host}: {exc}") from None
    address = (str(infos[0][4][0]), int(infos[0][4][1]))
    agent = await UserAgent.start(_source_for(address), 0, settings=AgentSettings(user="okc-options"))
    all_ok = True
    try:
        for n in range(count):
            if n:
                await asyncio.sleep(1.0)
            try:
                result = await asyncio.wait_for(agent.options(target, address=address), timeout)
            except TimeoutError:
                click.echo(f"{target}: no answer within {timeout:g} s")
                all_ok = False
                continue
            if result.response is None:
                click.echo(f"{target}: transaction failed ({result.status})")
                all_ok = False
                continue
            line = f"SIP/2.0 {result.status} {result.response.reason}"
            click.echo(f"{line}  {result.rtt * 1000:.1f} ms")
            all_ok = all_ok and 200 <= result.status < 300
    finally:
        await agent.close()
    return all_ok
