"""SIPp against okc's RegistrarServer (registrar and digest gate on a UserAgent) on loopback UDP:
REGISTER with MD5 digest (and removal with Contact *), a wrong password that must be refused, and calls
that authenticate with 407 first."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import PhoneRegistered, PhoneUnregistered
from okc.sip.registrar import Account, Registrar
from okc.sip.registrar_server import RegistrarServer, ServerEvent
from okc.sip.sdp import LocalMedia, answer
from okc.sip.security import AuthBan, BanSettings, RequestGate
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
async def okc_server() -> AsyncIterator[Server]:
    """A RegistrarServer on loopback UDP whose agent answers every call with G.711."""
    rng = random.Random(11)
    account = Account(
        "alice",
        "1001",
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
    )
    registrar = Registrar(REALM, [account], rng.randbytes(32), rng)  # MD5 challenges: all SIPp 3.6 knows
    gate = RequestGate(registrar.proxy_digest(rng.randbytes(32)), ban=AuthBan(BanSettings(max_failures=5)))
    server = await RegistrarServer.start(registrar, gate, rng=rng)
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
    scenario: str, port: int, password: str, tmp_path: Path, calls: int = 1
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


def test_sipp_registers_with_md5_digest_and_unregisters(tmp_path: Path) -> None:
    async def scenario() -> Server:
        async with okc_server() as server:
            status, errors = await run_sipp("register_auth.xml", server.port, "wonder", tmp_path, calls=3)
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
