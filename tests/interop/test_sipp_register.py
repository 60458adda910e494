"""SIPp against okc's RegistrarServer (registrar and digest gate on a UserAgent) on loopback UDP:
REGISTER with MD5 digest (and removal with Contact *), a wrong password that must be refused, and calls
that authenticate with 407 first. And the other way round: okc's OutboundRegistration toward SIPp playing a
provider's registrar that checks the digest (verifyauth), driven by hand, through an agent's OutboundLink, and
by the center itself from a config with a `registration` trunk (registered at start, gone at close)."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from okc.config import CenterConfig
from okc.config.telephony import Telephony, Trunk
from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import DigestClient, PhoneRegistered, PhoneUnregistered, Response, SipUri, parse_message
from okc.sip.agent import UserAgent
from okc.sip.outbound import (
    OutboundRegistration,
    RegistrationEvent,
    TrunkRegistered,
    TrunkRegistrationFailed,
    TrunkUnregistered,
)
from okc.sip.registrar import Account, Registrar
from okc.sip.registrar_server import OutboundLink, RegistrarServer, ServerEvent
from okc.sip.resolver import Target, TransportKind
from okc.sip.sdp import LocalMedia, answer
from okc.sip.security import AuthBan, BanSettings, RequestGate
from okc.sip.transport import TransportOptions
from okc.sip.ua_events import CallEnded, CallEstablished, IncomingCall, UaEvent
from tests.conftest import require_program

pytestmark = pytest.mark.interop

SCENARIOS = Path(__file__).parent / "scenarios"
REALM = "okc.test"


@dataclass
class Server:
    """okc's RegistrarServer and what it reported."""

    server: RegistrarServer
    ua_events: list[UaEvent] = field(default_factory=list)
    registrar_events: list[ServerEvent] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.local[1]

    @property
    def registrar(self) -> Registrar:
        return self.server.registrar


@asynccontextmanager
async def okc_server(kind: str = "udp") -> AsyncIterator[Server]:
    """A RegistrarServer on loopback (UDP or TCP) whose agent answers every call with G.711."""
    rng = random.Random(11)
    account = Account(
        "alice",
        "1001",
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
    )
    registrar = Registrar(REALM, [account], rng.randbytes(32), rng)  # MD5 challenges: all SIPp 3.6 knows
    gate = RequestGate(registrar.proxy_digest(rng.randbytes(32)), ban=AuthBan(BanSettings(max_failures=5)))
    options = TransportOptions(kind=kind, tcp_fallback=False)
    server = await RegistrarServer.start(registrar, gate, rng=rng, options=options)
    state = Server(server)

    def on_call(event: UaEvent) -> None:
        state.ua_events.append(event)
        if isinstance(event, IncomingCall):
            local = LocalMedia("127.0.0.1", 40000, 1)
            server.agent.answer(event.call, answer(event.offer, local) if event.offer else None)

    server.agent.on_event(on_call)
    server.on_event(state.registrar_events.append)
    try:
        yield state
    finally:
        await server.close()


async def run_sipp(
    scenario: str, port: int, password: str, tmp_path: Path, *, calls: int = 1, transport: str = "u1"
) -> tuple[int, str]:
    """Run a SIPp scenario against 127.0.0.1:port; its exit status and its error log."""
    sipp = require_program("sipp")
    process = await asyncio.create_subprocess_exec(
        sipp,
        "-sf",
        str(SCENARIOS / scenario),
        "-s",
        "alice",
        "-au",
        "alice",
        "-ap",
        password,
        "-m",
        str(calls),
        "-l",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-nostdin",
        "-t",
        transport,
        "-trace_err",
        "-error_file",
        str(tmp_path / "errors.log"),
        "-timeout",
        "20",
        f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=tmp_path,
    )
    status = await process.wait()
    errors = tmp_path / "errors.log"
    return status, errors.read_text(errors="replace") if errors.exists() else ""


@pytest.mark.parametrize(("kind", "sipp_transport"), [("udp", "u1"), ("tcp", "t1")])
def test_sipp_registers_and_unregisters(tmp_path: Path, kind: str, sipp_transport: str) -> None:
    async def scenario() -> Server:
        async with okc_server(kind) as server:
            status, errors = await run_sipp(
                "register_auth.xml", server.port, "wonder", tmp_path, calls=3, transport=sipp_transport
            )
            assert status == 0, errors
            return server

    server = asyncio.run(scenario())
    kinds = [type(e) for e in server.registrar_events]
    assert kinds == [PhoneRegistered, PhoneUnregistered] * 3
    assert server.registrar.lookup("alice") == ()


def test_sipp_with_a_wrong_password_is_refused(tmp_path: Path) -> None:
    async def scenario() -> Server:
        async with okc_server() as server:
            status, errors = await run_sipp("register_wrong_password.xml", server.port, "guess", tmp_path)
            assert status == 0, errors
            status, _ = await run_sipp("register_auth.xml", server.port, "guess", tmp_path)
            assert status != 0
            return server

    server = asyncio.run(scenario())
    assert server.registrar_events == []


def test_sipp_calls_authenticate_with_407_then_connect(tmp_path: Path) -> None:
    async def scenario() -> Server:
        async with okc_server() as server:
            status, errors = await run_sipp("invite_auth.xml", server.port, "wonder", tmp_path, calls=5)
            assert status == 0, errors
            return server

    server = asyncio.run(scenario())
    kinds = [type(e) for e in server.ua_events if isinstance(e, IncomingCall | CallEstablished | CallEnded)]
    assert kinds.count(IncomingCall) == 5
    assert kinds.count(CallEstablished) == 5
    assert kinds.count(CallEnded) == 5


def test_sipp_calls_with_a_wrong_password_never_reach_the_user_agent(tmp_path: Path) -> None:
    async def scenario() -> Server:
        async with okc_server() as server:
            status, _ = await run_sipp("invite_auth.xml", server.port, "guess", tmp_path)
            assert status != 0
            return server

    server = asyncio.run(scenario())
    assert not any(isinstance(e, IncomingCall) for e in server.ua_events)


class _RegistrationSocket(asyncio.DatagramProtocol):
    """A thin UDP driver for OutboundRegistration: sends its requests, feeds responses and timers back."""

    def __init__(self, registration: OutboundRegistration) -> None:
        self.registration = registration
        self.transport: asyncio.DatagramTransport | None = None
        self.events: list[RegistrationEvent] = []
        self.timer: asyncio.TimerHandle | None = None
        self.unanswered: list[tuple[bytes, tuple[str, int]]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = parse_message(data)
        if isinstance(message, Response):
            self.unanswered.clear()
            self.registration.receive_response(message, asyncio.get_running_loop().time())
            self.pump()

    def pump(self) -> None:
        assert self.transport is not None
        for item in self.registration.requests():
            self.unanswered = [(bytes(item.request), item.target.address)]
            self.transport.sendto(*self.unanswered[0])
        self.events.extend(self.registration.events())
        if self.timer is not None:
            self.timer.cancel()
        deadline = self.registration.get_timer()
        loop = asyncio.get_running_loop()
        self.timer = None if deadline is None else loop.call_at(deadline, self.fire)

    def retransmit(self) -> None:
        """What a transaction layer would do (Timer A): send the unanswered request again."""
        assert self.transport is not None
        for data, address in self.unanswered:
            self.transport.sendto(data, address)

    def fire(self) -> None:
        self.registration.handle_timer(asyncio.get_running_loop().time())
        self.pump()


async def register_to_sipp(tmp_path: Path, password: str) -> tuple[int, list[RegistrationEvent]]:
    """okc's OutboundRegistration toward SIPp playing a provider's registrar (user trunk, password s3cret)."""
    sipp = require_program("sipp")
    port = _free_udp_port()
    process = await asyncio.create_subprocess_exec(
        sipp,
        "-sf",
        str(SCENARIOS / "registrar_uas.xml"),
        "-key",
        "user",
        "trunk",
        "-key",
        "password",
        "s3cret",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-m",
        "1",
        "-nostdin",
        "-timeout",
        "20",
        "-trace_err",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=tmp_path,
    )
    loop = asyncio.get_running_loop()
    rng = random.Random(3)
    transport, driver = await loop.create_datagram_endpoint(
        lambda: _RegistrationSocket(
            OutboundRegistration(
                "provider",
                SipUri("provider.test"),
                SipUri("provider.test", "trunk"),
                SipUri("127.0.0.1", "trunk"),
                Target(TransportKind.UDP, "127.0.0.1", port),
                client=DigestClient("trunk", password, rng),
                rng=rng,
                local=("127.0.0.1", 0),
            )
        ),
        local_addr=("127.0.0.1", 0),
    )
    driver.transport = transport
    driver.registration.local = transport.get_extra_info("sockname")
    try:
        driver.registration.start(loop.time())
        driver.pump()
        async with asyncio.timeout(10):
            while not driver.events:
                await asyncio.sleep(0.25)
                driver.retransmit()  # SIPp may still have been binding its port
            if isinstance(driver.events[0], TrunkRegistered):
                driver.registration.stop(loop.time())
                driver.pump()
                while len(driver.events) < 2:
                    await asyncio.sleep(0.25)
                    driver.retransmit()
        status = await asyncio.wait_for(process.wait(), 10)
    finally:
        transport.close()
        if driver.timer is not None:
            driver.timer.cancel()
        if process.returncode is None:
            process.kill()
            await process.wait()
    return status, driver.events


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_okc_registers_to_sipp_as_a_provider_and_unregisters(tmp_path: Path) -> None:
    status, events = asyncio.run(register_to_sipp(tmp_path, "s3cret"))
    assert events == [TrunkRegistered("provider", 300), TrunkUnregistered("provider")]
    assert status == 0


def test_okc_registration_with_a_wrong_trunk_password_fails(tmp_path: Path) -> None:
    _, events = asyncio.run(register_to_sipp(tmp_path, "wrong"))
    (failed,) = events
    assert isinstance(failed, TrunkRegistrationFailed)
    assert failed.status == 403


async def register_agent_to_sipp(tmp_path: Path, password: str) -> tuple[int, list[RegistrationEvent]]:
    """The same provider, reached through a running UserAgent: OutboundLink sends from the agent's socket."""
    sipp = require_program("sipp")
    port = _free_udp_port()
    process = await asyncio.create_subprocess_exec(
        sipp,
        *("-sf", str(SCENARIOS / "registrar_uas.xml"), "-key", "user", "trunk", "-key", "password", "s3cret"),
        *("-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin", "-timeout", "20", "-trace_err"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=tmp_path,
    )
    agent = await UserAgent.start("127.0.0.1", 0, rng=random.Random(4))
    rng = random.Random(3)
    registration = OutboundRegistration(
        "provider",
        SipUri("provider.test"),
        SipUri("provider.test", "trunk"),
        SipUri(agent.local[0], "trunk", None, agent.local[1]),
        Target(TransportKind.UDP, "127.0.0.1", port),
        client=DigestClient("trunk", password, rng),
        rng=rng,
        local=agent.local,
    )
    link = OutboundLink(agent, registration)
    events: list[RegistrationEvent] = []
    try:
        link.start()  # the agent's Timer E covers SIPp still binding its port
        events.append(await link.next_event(timeout=15))
        if isinstance(events[0], TrunkRegistered):
            link.stop()
            events.append(await link.next_event(timeout=15))
        status = await asyncio.wait_for(process.wait(), 10)
    finally:
        link.close()
        await agent.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    return status, events


def test_agent_registers_to_sipp_as_a_provider_and_unregisters(tmp_path: Path) -> None:
    status, events = asyncio.run(register_agent_to_sipp(tmp_path, "s3cret"))
    assert events == [TrunkRegistered("provider", 300), TrunkUnregistered("provider")]
    assert status == 0


def test_agent_registration_with_a_wrong_trunk_password_fails(tmp_path: Path) -> None:
    _, events = asyncio.run(register_agent_to_sipp(tmp_path, "wrong"))
    (failed,) = events
    assert isinstance(failed, TrunkRegistrationFailed)
    assert failed.status == 403


async def center_registers_to_sipp(tmp_path: Path, password: str) -> tuple[int, list[ServerEvent]]:
    """The center from config: one `auth: registration` trunk at SIPp's provider registrar (numeric host,
    so no DNS); the trunk's first event, then `close()`, then what close reported; SIPp's exit status."""
    sipp = require_program("sipp")
    port = _free_udp_port()
    process = await asyncio.create_subprocess_exec(
        sipp,
        *("-sf", str(SCENARIOS / "registrar_uas.xml"), "-key", "user", "trunk", "-key", "password", "s3cret"),
        *("-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin", "-timeout", "20", "-trace_err"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=tmp_path,
    )
    trunk = Trunk(
        name="provider", host="127.0.0.1", port=port, username="trunk", secret_env="OKC_TRUNK_SECRET"
    )
    center = await RegistrarServer.from_config(
        CenterConfig(telephony=Telephony(trunks=(trunk,))),
        random.Random(12),
        host="127.0.0.1",
        port=0,
        trunk_secret=lambda _: password,
    )
    events: list[ServerEvent] = []
    closed = False
    try:
        # the agent's Timer E covers SIPp still binding its port
        events.append(await center.next_event((TrunkRegistered, TrunkRegistrationFailed), timeout=15))
        closed = True
        await center.close(unregister_timeout=15)
        if isinstance(events[0], TrunkRegistered):
            events.append(await center.next_event(TrunkUnregistered, timeout=1))
        status = await asyncio.wait_for(process.wait(), 10)
    finally:
        if not closed:
            await center.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    return status, events


def test_center_registers_its_trunk_to_sipp_and_unregisters_on_close(tmp_path: Path) -> None:
    status, events = asyncio.run(center_registers_to_sipp(tmp_path, "s3cret"))
    assert events == [TrunkRegistered("provider", 300), TrunkUnregistered("provider")]
    assert status == 0  # SIPp saw the digest-authenticated removal (Expires 0) and answered it 200


def test_center_with_a_wrong_trunk_password_reports_403(tmp_path: Path) -> None:
    _, events = asyncio.run(center_registers_to_sipp(tmp_path, "wrong"))
    (failed,) = events
    assert isinstance(failed, TrunkRegistrationFailed)
    assert failed.trunk == "provider"
    assert failed.status == 403
