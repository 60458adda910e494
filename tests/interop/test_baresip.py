"""baresip (a SIP softphone nobody here wrote) registers to okc's RegistrarServer with digest auth, answers
okc's OPTIONS keep-alive, calls the okc user agent there (answering the 407 with its account's password),
is hung up on, and unregisters when it quits — over UDP and over TLS with a certificate made in the test.
baresip is driven through its ctrl_tcp module (JSON netstrings: commands in, call events out)."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import PhoneRegistered, PhoneUnregistered
from okc.sip.outbound import PeerUp
from okc.sip.registrar import Account, Registrar, UnregisterReason
from okc.sip.registrar_server import RegistrarServer, ServerEvent
from okc.sip.sdp import LocalMedia, answer
from okc.sip.security import RequestGate
from okc.sip.transport import TransportOptions
from okc.sip.ua_events import CallEnded, CallEstablished, IncomingCall, UaEvent
from tests.conftest import require_program

pytestmark = pytest.mark.interop

REALM = "okc.test"


def _free_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port: int = udp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", port))
    return port


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with openssl."""
    openssl = require_program("openssl")
    cert, key = folder / "okc-cert.pem", folder / "okc-key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Baresip:
    """A baresip process and its ctrl_tcp connection."""

    def __init__(
        self, process: asyncio.subprocess.Process, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.process = process
        self.reader = reader
        self.writer = writer
        self.events: list[dict[str, object]] = []

    async def _message(self) -> dict[str, object]:
        length = await self.reader.readuntil(b":")
        body = await self.reader.readexactly(int(length[:-1]) + 1)
        message: dict[str, object] = json.loads(body[:-1])
        return message

    async def command(self, command: str, params: str = "") -> None:
        data = json.dumps({"command": command, "params": params, "token": command}).encode()
        self.writer.write(str(len(data)).encode() + b":" + data + b",")
        await self.writer.drain()

    async def event(self, kind: str, timeout: float = 10.0) -> dict[str, object]:
        """The next event of this type (others are kept in `events`)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self._message()
                if message.get("event"):
                    self.events.append(message)
                    if message.get("type") == kind:
                        return message


@asynccontextmanager
async def baresip(folder: Path, account: str, *, cafile: Path | None = None) -> AsyncIterator[Baresip]:
    """Start baresip with a generated config and accounts file; connect to its ctrl_tcp port."""
    program = require_program("baresip")
    modules = Path("/usr/lib/baresip/modules")
    ctrl = _free_port()
    lines = [
        "poll_method epoll",
        "net_interface 127.0.0.1",
        f"sip_listen 127.0.0.1:{_free_port()}",
        f"module_path {modules}",
        "module g711.so",
        "module aubridge.so",
        "module_app account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        f"ctrl_tcp_listen 127.0.0.1:{ctrl}",
        "audio_player aubridge,okc",  # no sound card: the bridge loops what it hears back as its source
        "audio_source aubridge,okc",
        "audio_alert aubridge,alert",
        "rtp_ports 44000-44100",
    ]
    if cafile is not None:
        lines.append(f"sip_cafile {cafile}")
    (folder / "config").write_text("\n".join(lines) + "\n")
    (folder / "accounts").write_text(account + "\n")
    log = (folder / "baresip.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        program,
        "-f",
        str(folder),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        reader, writer = await _connect(ctrl, process)
        phone = Baresip(process, reader, writer)
        try:
            yield phone
        finally:
            writer.close()
    finally:
        if process.returncode is None:
            process.terminate()
            with suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10.0)
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()


async def _connect(
    port: int, process: asyncio.subprocess.Process
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    async with asyncio.timeout(10.0):
        while True:
            if process.returncode is not None:
                raise RuntimeError("baresip exited")
            try:
                return await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)


@dataclass
class Okc:
    server: RegistrarServer
    ua_events: list[UaEvent]
    registrar_events: list[ServerEvent]


@asynccontextmanager
async def okc(options: TransportOptions | None = None) -> AsyncIterator[Okc]:
    rng = random.Random(31)
    account = Account(
        "alice",
        "1001",
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
    )
    registrar = Registrar(REALM, [account], rng.randbytes(32), rng)
    gate = RequestGate(registrar.proxy_digest(rng.randbytes(32)))
    server = await RegistrarServer.start(registrar, gate, options=options, rng=rng, keepalive_interval=0.2)
    state = Okc(server, [], [])

    def on_call(event: UaEvent) -> None:
        state.ua_events.append(event)
        if isinstance(event, IncomingCall):
            local = LocalMedia("127.0.0.1", 45000, 1)
            server.agent.answer(event.call, answer(event.offer, local) if event.offer else None)

    server.agent.on_event(on_call)
    server.on_event(state.registrar_events.append)
    try:
        yield state
    finally:
        await server.close()


async def _wait_for(events: list[UaEvent] | list[ServerEvent], kind: type, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not any(isinstance(e, kind) for e in events):
            await asyncio.sleep(0.02)


async def _register_call_hangup_quit(state: Okc, phone: Baresip, target: str) -> None:
    await _wait_for(state.registrar_events, PhoneRegistered)  # may finish before ctrl_tcp is connected
    await _wait_for(state.registrar_events, PeerUp)  # baresip answers okc's keep-alive OPTIONS
    await phone.command("dial", target)
    await phone.event("CALL_ESTABLISHED")
    await _wait_for(state.ua_events, CallEstablished)
    call = next(e.call for e in state.ua_events if isinstance(e, CallEstablished))
    state.server.agent.hangup(call)
    await phone.event("CALL_CLOSED")
    await _wait_for(state.ua_events, CallEnded)
    await phone.command("quit")
    await _wait_for(state.registrar_events, PhoneUnregistered)


def _check(state: Okc) -> None:
    registered = [e for e in state.registrar_events if isinstance(e, PhoneRegistered)]
    assert [e.aor for e in registered] == ["sip:alice@okc.test"]
    gone = [e for e in state.registrar_events if isinstance(e, PhoneUnregistered)]
    assert [e.reason for e in gone] == [UnregisterReason.REMOVED]
    incoming = [e for e in state.ua_events if isinstance(e, IncomingCall)]
    assert len(incoming) == 1
    assert incoming[0].request.headers.get("Proxy-Authorization") is not None


def test_baresip_registers_calls_and_unregisters_over_udp(tmp_path: Path) -> None:
    async def scenario() -> Okc:
        async with okc() as state:
            port = state.server.local[1]
            account = f"<sip:alice@127.0.0.1:{port};transport=udp>;auth_pass=wonder;regint=60"
            async with baresip(tmp_path, account) as phone:
                await _register_call_hangup_quit(state, phone, f"sip:1001@127.0.0.1:{port}")
            return state

    _check(asyncio.run(scenario()))


def test_baresip_registers_calls_and_unregisters_over_tls(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def scenario() -> Okc:
        async with okc(TransportOptions(kind="tls", server_ssl=context)) as state:
            port = state.server.local[1]
            account = f"<sip:alice@127.0.0.1:{port};transport=tls>;auth_pass=wonder;regint=60"
            async with baresip(tmp_path, account, cafile=cert) as phone:
                await _register_call_hangup_quit(state, phone, f"sip:1001@127.0.0.1:{port}")
            return state

    state = asyncio.run(scenario())
    _check(state)
    (registered,) = [e for e in state.registrar_events if isinstance(e, PhoneRegistered)]
    assert str(registered.contact).endswith(";transport=tls")
