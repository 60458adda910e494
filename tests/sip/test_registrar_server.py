"""RegistrarServer on loopback UDP: okc's own OutboundRegistration registers to it over a socket, the
binding expires on the loop's timer, and a stranger's INVITE is challenged before it reaches the agent."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from okc.config import CenterConfig
from okc.config.people import User
from okc.config.telephony import Telephony, Trunk, TrunkAuth
from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import (
    DigestClient,
    NameAddr,
    PhoneRegistered,
    PhoneUnregistered,
    Request,
    Via,
    parse_message,
    parse_uri,
)
from okc.sip.agent import AgentError, UserAgent
from okc.sip.message import Response, response_to
from okc.sip.outbound import (
    OutboundError,
    OutboundRegistration,
    PeerDown,
    PeerUp,
    RegistrationEvent,
    TrunkRegistered,
    TrunkUnregistered,
)
from okc.sip.registrar import Account, Registrar, RegistrarSettings, UnregisterReason
from okc.sip.registrar_server import OutboundLink, RegistrarServer, ServerEvent, read_trunk_secret
from okc.sip.resolver import NaptrRecord, ServerLocator, SrvRecord, Target, TransportKind
from okc.sip.security import AuthBan, BanAction, BanSettings, RequestGate
from okc.sip.ua_events import CallFailed
from okc.sip.uri import Params, SipUri

REALM = "okc.test"


class _Client(asyncio.DatagramProtocol):
    """A bare phone socket: collects responses and answers OPTIONS 200 while `answering`."""

    def __init__(self) -> None:
        self.responses: asyncio.Queue[Response] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.answering = True

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = parse_message(data)
        if isinstance(message, Response):
            self.responses.put_nowait(message)
        elif message.method == "OPTIONS" and self.answering and self.transport is not None:
            self.transport.sendto(bytes(response_to(message, 200, "OK", to_tag="phone")), addr)


async def _server(keepalive_interval: float | None = None) -> RegistrarServer:
    rng = random.Random(5)
    account = Account(
        "alice",
        "1001",
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
    )
    settings = RegistrarSettings(min_expires=1, default_expires=60, max_expires=60)
    registrar = Registrar(REALM, [account], rng.randbytes(32), rng, settings=settings)
    gate = RequestGate(registrar.proxy_digest(rng.randbytes(32)))
    return await RegistrarServer.start(
        registrar, gate, rng=rng, keepalive_interval=keepalive_interval, keepalive_misses=2
    )


async def _register(
    server: RegistrarServer, expires: int
) -> tuple[asyncio.DatagramTransport, _Client, list[RegistrationEvent]]:
    """A bare socket registering as alice through okc's own OutboundRegistration."""
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(_Client, local_addr=("127.0.0.1", 0))
    client.transport = transport
    local = transport.get_extra_info("sockname")
    rng = random.Random(6)
    registration = OutboundRegistration(
        "okc",
        SipUri(REALM),
        SipUri(REALM, "alice"),
        SipUri(local[0], "alice", None, local[1]),
        Target(TransportKind.UDP, *server.local),
        client=DigestClient("alice", "wonder", rng),
        rng=rng,
        local=(local[0], local[1]),
        expires=expires,
    )
    registration.start(loop.time())
    while not (events := registration.events()):
        for item in registration.requests():
            transport.sendto(bytes(item.request), item.target.address)
        response = await asyncio.wait_for(client.responses.get(), 5.0)
        registration.receive_response(response, loop.time())
    return transport, client, events


def test_outbound_registration_to_the_registrar_server_and_expiry_on_the_loop() -> None:
    async def scenario() -> None:
        server = await _server()
        transport, _, events = await _register(server, 1)
        local = transport.get_extra_info("sockname")
        try:
            assert events == [TrunkRegistered("okc", 1)]
            registered = await server.next_event(PhoneRegistered)
            assert isinstance(registered, PhoneRegistered)
            assert registered.source == (local[0], local[1])
            gone = await server.next_event(PhoneUnregistered, timeout=5.0)
            assert isinstance(gone, PhoneUnregistered)
            assert gone.reason is UnregisterReason.EXPIRED
            assert server.registrar.lookup("alice") == ()
        finally:
            transport.close()
            await server.close()

    asyncio.run(scenario())


def test_registered_phones_are_probed_up_and_down() -> None:
    async def scenario() -> list[ServerEvent]:
        server = await _server(keepalive_interval=0.1)
        events: list[ServerEvent] = []
        server.on_event(events.append)
        transport, client, _ = await _register(server, 60)
        try:
            async with asyncio.timeout(5.0):
                while not any(isinstance(e, PeerUp) for e in events):
                    await asyncio.sleep(0.02)
                client.answering = False
                while not any(isinstance(e, PeerDown) for e in events):
                    await asyncio.sleep(0.02)
                client.answering = True
                while [type(e) for e in events if isinstance(e, PeerUp)] != [PeerUp, PeerUp]:
                    await asyncio.sleep(0.02)
        finally:
            transport.close()
            await server.close()
        return events

    events = [e for e in asyncio.run(scenario()) if isinstance(e, PeerUp | PeerDown)]
    name = "sip:alice@okc.test sip:alice@127.0.0.1:"
    assert [type(e) for e in events] == [PeerUp, PeerDown, PeerUp]
    assert all(e.peer.startswith(name) for e in events)
    assert events[1] == PeerDown(events[1].peer, 2)


def test_a_strangers_invite_is_challenged_on_the_wire() -> None:
    async def scenario() -> tuple[int, CallFailed]:
        server = await _server()
        try:
            probe = await server.agent.options(f"sip:{server.local[0]}:{server.local[1]}")
            await server.agent.call(f"sip:1001@{server.local[0]}:{server.local[1]}")
            failed = await server.agent.next_event(CallFailed, timeout=5.0)
            assert isinstance(failed, CallFailed)
            return probe.status, failed
        finally:
            await server.close()

    options_status, failed = asyncio.run(scenario())
    assert options_status == 200
    assert failed.status == 407


def test_a_watched_trunk_is_reported_up_then_down() -> None:
    async def scenario() -> list[ServerEvent]:
        server = await _server(keepalive_interval=0.1)
        trunk = await UserAgent.start()
        events: list[ServerEvent] = []
        server.on_event(events.append)
        try:
            server.watch(
                "provider",
                SipUri(trunk.local[0], None, None, trunk.local[1]),
                Target(TransportKind.UDP, *trunk.local),
            )
            async with asyncio.timeout(5.0):
                while not any(isinstance(e, PeerUp) for e in events):
                    await asyncio.sleep(0.02)
                await trunk.close()
                while not any(isinstance(e, PeerDown) for e in events):
                    await asyncio.sleep(0.02)
            server.unwatch("provider")
        finally:
            await trunk.close()
            await server.close()
        return events

    assert asyncio.run(scenario()) == [PeerUp("provider"), PeerDown("provider", 2)]


def test_watch_needs_a_keepalive() -> None:
    async def scenario() -> None:
        server = await _server()
        try:
            with pytest.raises(AgentError):
                server.watch("provider", SipUri("127.0.0.1"), Target(TransportKind.UDP, "127.0.0.1", 5060))
        finally:
            await server.close()

    asyncio.run(scenario())


def test_from_config_registers_the_centers_users_and_trusts_static_trunks() -> None:
    center = CenterConfig(
        telephony=Telephony(
            trunks=(
                Trunk(
                    name="static",
                    host="sip.example.org",
                    auth=TrunkAuth.STATIC_IP,
                    allowed_addresses=("192.0.2.7",),
                ),
            )
        ),
        users=(
            User(
                login="alice",
                extension="1001",
                ha1_md5=digest_ha1("alice", "okc.local", "wonder", HA1Algorithm.MD5),
                ha1_sha256=digest_ha1("alice", "okc.local", "wonder", HA1Algorithm.SHA_256),
            ),
        ),
    )

    async def scenario() -> tuple[list[RegistrationEvent], str | None]:
        server = await RegistrarServer.from_config(center, random.Random(8), host="127.0.0.1", port=0)
        try:
            transport, _, events = await _register(server, 60)
            transport.close()
            return events, server.access.gate.trunk_at("192.0.2.7")
        finally:
            await server.close()

    events, trunk = asyncio.run(scenario())
    assert events == [TrunkRegistered("okc", 60)]
    assert trunk == "static"


async def _banned_server(action: BanAction) -> RegistrarServer:
    """A server that has already banned 127.0.0.1 (one failure bans it) with `action`."""
    rng = random.Random(7)
    registrar = Registrar(REALM, [], rng.randbytes(32), rng)
    ban = AuthBan(BanSettings(max_failures=1, window=60.0, ban_time=600.0, action=action))
    gate = RequestGate(registrar.proxy_digest(rng.randbytes(32)), ban=ban)
    server = await RegistrarServer.start(registrar, gate, rng=rng)
    gate.auth_failed(("127.0.0.1", 1), asyncio.get_running_loop().time())
    return server


async def _options_from_socket(server: RegistrarServer, wait: float) -> Response | None:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(_Client, local_addr=("127.0.0.1", 0))
    local = transport.get_extra_info("sockname")
    via = Via("UDP", local[0], local[1]).with_params(Params((("branch", "z9hG4bKban1"), ("rport", None))))
    request = Request.build(
        "OPTIONS",
        f"sip:{server.local[0]}:{server.local[1]}",
        via=via,
        from_=NameAddr(parse_uri("sip:mallory@example.com")).with_tag("m1"),
        to=NameAddr(parse_uri(f"sip:{server.local[0]}")),
        call_id="ban-1",
        cseq=1,
    )
    transport.sendto(bytes(request), server.local)
    try:
        return await asyncio.wait_for(client.responses.get(), wait)
    except TimeoutError:
        return None
    finally:
        transport.close()


def test_a_source_banned_with_drop_gets_no_answer_on_the_wire() -> None:
    """BanAction.DROP: the transport's accept hook drops the banned source's packets unread (no 403)."""

    async def scenario() -> tuple[Response | None, Response | None]:
        dropping = await _banned_server(BanAction.DROP)
        rejecting = await _banned_server(BanAction.REJECT)
        try:
            return (
                await _options_from_socket(dropping, 0.5),
                await _options_from_socket(rejecting, 5.0),
            )
        finally:
            await dropping.close()
            await rejecting.close()

    dropped, rejected = asyncio.run(scenario())
    assert dropped is None
    assert rejected is not None
    assert rejected.status == 403


def test_an_agent_registers_through_outbound_link_from_its_own_socket() -> None:
    """OutboundLink: the REGISTER leaves from the agent's socket, so the binding's source is the agent."""

    async def scenario() -> tuple[list[RegistrationEvent], PhoneRegistered, tuple[str, int]]:
        server = await _server()
        agent = await UserAgent.start("127.0.0.1", 0, rng=random.Random(8))
        rng = random.Random(9)
        registration = OutboundRegistration(
            "okc",
            SipUri(REALM),
            SipUri(REALM, "alice"),
            SipUri(agent.local[0], "alice", None, agent.local[1]),
            Target(TransportKind.UDP, *server.local),
            client=DigestClient("alice", "wonder", rng),
            rng=rng,
            local=agent.local,
            expires=30,
        )
        link = OutboundLink(agent, registration)
        try:
            link.start()
            events = [await link.next_event()]
            registered = await server.next_event(PhoneRegistered)
            assert isinstance(registered, PhoneRegistered)
            link.stop()
            events.append(await link.next_event())
            return events, registered, agent.local
        finally:
            link.close()
            await agent.close()
            await server.close()

    events, registered, local = asyncio.run(scenario())
    assert events == [TrunkRegistered("okc", 30), TrunkUnregistered("okc")]
    assert registered.source == local
    assert str(registered.contact) == f"sip:alice@{local[0]}:{local[1]}"


class _Dns:
    """A DnsClient answering SRV and A from tables and recording every query."""

    def __init__(self, srv: dict[str, list[SrvRecord]], hosts: dict[str, list[str]]) -> None:
        self.srv_table = srv
        self.hosts = hosts
        self.queries: list[str] = []

    async def naptr(self, name: str) -> Sequence[NaptrRecord]:
        self.queries.append(f"NAPTR {name}")
        return []

    async def srv(self, name: str) -> Sequence[SrvRecord]:
        self.queries.append(f"SRV {name}")
        return self.srv_table.get(name.rstrip("."), [])

    async def addresses(self, name: str) -> Sequence[str]:
        self.queries.append(f"A {name}")
        return self.hosts.get(name.rstrip("."), [])


def test_trunks_without_registration_start_nothing() -> None:
    """Static-IP and digest-from-provider trunks: no DNS lookup, no secret read, no REGISTER link."""
    center = CenterConfig(
        telephony=Telephony(
            trunks=(
                Trunk(
                    name="static",
                    host="sip.example.org",
                    auth=TrunkAuth.STATIC_IP,
                    allowed_addresses=("192.0.2.7",),
                ),
                Trunk(
                    name="inbound",
                    host="sip.example.net",
                    auth=TrunkAuth.DIGEST_FROM_PROVIDER,
                    username="okc",
                    secret_env="OKC_UNUSED_SECRET",
                ),
            )
        )
    )
    dns = _Dns({}, {})
    secrets_read: list[str] = []

    def secret(trunk: Trunk) -> str:
        secrets_read.append(trunk.name)
        return "unused"

    async def scenario() -> dict[str, OutboundLink]:
        server = await RegistrarServer.from_config(
            center,
            random.Random(10),
            host="127.0.0.1",
            port=0,
            locator=ServerLocator(dns, random.Random(11)),
            trunk_secret=secret,
        )
        links = dict(server.links)
        await server.close()
        return links

    assert asyncio.run(scenario()) == {}
    assert dns.queries == []
    assert secrets_read == []


def test_a_registration_trunk_is_located_and_registered_then_removed_on_close() -> None:
    """The trunk's host is found through SRV; it registers from the center's socket; close unregisters."""
    dns = _Dns({}, {"pbx.provider.test": ["127.0.0.1"]})

    async def scenario() -> tuple[list[ServerEvent], PhoneRegistered, PhoneUnregistered, tuple[str, int]]:
        provider = await _server()
        dns.srv_table["_sip._udp.provider.test"] = [SrvRecord(0, 0, provider.local[1], "pbx.provider.test")]
        trunk = Trunk(name="provider", host="provider.test", username="alice", secret_env="OKC_UNUSED_SECRET")
        center = await RegistrarServer.from_config(
            CenterConfig(telephony=Telephony(trunks=(trunk,))),
            random.Random(12),
            host="127.0.0.1",
            port=0,
            locator=ServerLocator(dns, random.Random(13)),
            trunk_secret=lambda _: "wonder",
            register_expires=60,
        )
        try:
            events = [await center.next_event(TrunkRegistered)]
            registered = await provider.next_event(PhoneRegistered)
            assert isinstance(registered, PhoneRegistered)
            local = center.local
            await center.close()
            events.append(
                await center.next_event(TrunkUnregistered, timeout=0.1)
            )  # queued before close returned
            gone = await provider.next_event(PhoneUnregistered)
            assert isinstance(gone, PhoneUnregistered)
            assert provider.registrar.lookup("alice") == ()
            return events, registered, gone, local
        finally:
            await provider.close()

    events, registered, gone, local = asyncio.run(scenario())
    assert "SRV _sip._udp.provider.test" in dns.queries
    assert registered.source == local
    assert gone.reason is UnregisterReason.REMOVED
    assert events == [TrunkRegistered("provider", 60), TrunkUnregistered("provider")]


def test_read_trunk_secret_from_environment_or_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OKC_TEST_TRUNK_SECRET", "from-env")
    by_env = Trunk(name="a", host="sip.example.org", username="okc", secret_env="OKC_TEST_TRUNK_SECRET")
    (tmp_path / "trunk.secret").write_text("from-file\n", encoding="utf-8")
    by_file = Trunk(name="b", host="sip.example.org", username="okc", secret_file="trunk.secret")
    assert read_trunk_secret(by_env) == "from-env"
    assert read_trunk_secret(by_file, tmp_path) == "from-file"
    monkeypatch.delenv("OKC_TEST_TRUNK_SECRET")
    with pytest.raises(OutboundError, match="OKC_TEST_TRUNK_SECRET"):
        read_trunk_secret(by_env)
    with pytest.raises(OutboundError, match="cannot read"):
        read_trunk_secret(by_file, tmp_path / "elsewhere")
