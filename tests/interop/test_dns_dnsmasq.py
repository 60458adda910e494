"""RFC 3263 location against a real DNS server: dnsmasq on 127.0.0.1 serving NAPTR, SRV, A, AAAA."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import dns.asyncresolver
import pytest

from okc.sip import SipUri, parse_uri
from okc.sip.agent import UserAgent
from okc.sip.resolver import DnspythonClient, ServerLocator, SrvRecord, Target, TransportKind, order_srv
from tests.conftest import require_program

pytestmark = pytest.mark.interop

UDP, TCP, TLS = TransportKind.UDP, TransportKind.TCP, TransportKind.TLS

RECORDS = [
    # example.test: NAPTR picks TLS, then TCP, then UDP; UDP has two SRV priorities.
    "--naptr-record=example.test,10,10,s,SIPS+D2T,,_sips._tcp.example.test",
    "--naptr-record=example.test,10,20,s,SIP+D2T,,_sip._tcp.example.test",
    "--naptr-record=example.test,20,10,s,SIP+D2U,,_sip._udp.example.test",
    "--naptr-record=example.test,5,10,s,SIP+D2S,,_sip._sctp.example.test",
    "--srv-host=_sips._tcp.example.test,c.example.test,5081,0,0",
    "--srv-host=_sip._tcp.example.test,c.example.test,5080,0,0",
    "--srv-host=_sip._udp.example.test,b.example.test,5072,20,0",
    "--srv-host=_sip._udp.example.test,a.example.test,5070,10,0",
    # srv-only.test: no NAPTR, SRV for TCP only.
    "--srv-host=_sip._tcp.srv-only.test,a.example.test,5090,0,0",
    # weighted.test: one priority, three weights.
    "--srv-host=_sip._udp.weighted.test,a.example.test,6001,0,60",
    "--srv-host=_sip._udp.weighted.test,b.example.test,6002,0,30",
    "--srv-host=_sip._udp.weighted.test,c.example.test,6003,0,10",
    "--host-record=a.example.test,127.0.0.2",
    "--host-record=b.example.test,127.0.0.3",
    "--host-record=c.example.test,127.0.0.4,::1",
    "--host-record=plain.test,127.0.0.5",
]


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq serves both)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port: int = udp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", port))
    return port


def _resolver(port: int, timeout: float = 1.0) -> dns.asyncresolver.Resolver:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.timeout = timeout
    resolver.lifetime = 3 * timeout
    return resolver


def _ready(port: int) -> bool:
    async def probe() -> bool:
        try:
            return bool(await DnspythonClient(_resolver(port, 0.05)).addresses("plain.test"))
        except Exception:  # noqa: BLE001 - not up yet: any failure means try again
            return False

    return asyncio.run(probe())


@contextmanager
def dnsmasq(records: list[str]) -> Iterator[int]:
    """dnsmasq on 127.0.0.1 answering only from `records` (no upstream, no hosts file); yields its port."""
    program = require_program("dnsmasq")
    for _ in range(3):
        port = _free_port()
        process = subprocess.Popen(
            [
                program,
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--conf-file=/dev/null",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                f"--port={port}",
                "--pid-file=",
                "--local=/test/",
                *records,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                if process.poll() is not None:
                    break
                if _ready(port):
                    yield port
                    return
        finally:
            process.terminate()
            process.wait(timeout=10)
    pytest.fail("dnsmasq did not start")


@pytest.fixture(scope="module")
def dns_port() -> Iterator[int]:
    with dnsmasq(RECORDS) as port:
        yield port


def locate(port: int, uri: str, seed: int = 0) -> list[Target]:
    sip_uri = parse_uri(uri)
    assert isinstance(sip_uri, SipUri)
    locator = ServerLocator(DnspythonClient(_resolver(port)), random.Random(seed))
    return asyncio.run(locator.locate(sip_uri))


def test_naptr_then_srv_priorities_then_addresses(dns_port: int) -> None:
    assert locate(dns_port, "sip:trunk@example.test") == [
        Target(TLS, "127.0.0.4", 5081),
        Target(TLS, "::1", 5081),
        Target(TCP, "127.0.0.4", 5080),
        Target(TCP, "::1", 5080),
        Target(UDP, "127.0.0.2", 5070),
        Target(UDP, "127.0.0.3", 5072),
    ]


def test_sips_uri_takes_only_the_tls_branch(dns_port: int) -> None:
    assert locate(dns_port, "sips:trunk@example.test") == [
        Target(TLS, "127.0.0.4", 5081),
        Target(TLS, "::1", 5081),
    ]


def test_transport_param_goes_straight_to_its_srv(dns_port: int) -> None:
    assert locate(dns_port, "sip:trunk@example.test;transport=udp") == [
        Target(UDP, "127.0.0.2", 5070),
        Target(UDP, "127.0.0.3", 5072),
    ]


def test_srv_without_naptr(dns_port: int) -> None:
    assert locate(dns_port, "sip:srv-only.test") == [Target(TCP, "127.0.0.2", 5090)]


def test_a_record_fallback_and_explicit_port(dns_port: int) -> None:
    assert locate(dns_port, "sip:plain.test") == [Target(UDP, "127.0.0.5", 5060)]
    assert locate(dns_port, "sip:plain.test:5999;transport=tcp") == [Target(TCP, "127.0.0.5", 5999)]


def test_weighted_srv_order_follows_the_injected_random(dns_port: int) -> None:
    records = [
        SrvRecord(0, 60, 6001, "a.example.test."),
        SrvRecord(0, 30, 6002, "b.example.test."),
        SrvRecord(0, 10, 6003, "c.example.test."),
    ]
    hosts = {"a.example.test.": "127.0.0.2", "b.example.test.": "127.0.0.3", "c.example.test.": "127.0.0.4"}
    for seed in range(5):
        expected = order_srv(records, random.Random(seed))
        got = locate(dns_port, "sip:weighted.test", seed)
        assert [(t.host, t.port) for t in got if t.host != "::1"] == [
            (hosts[r.target], r.port) for r in expected
        ]


def test_a_user_agent_reaches_a_trunk_located_through_srv() -> None:
    """okc's UserAgent with the locator as its resolver sends OPTIONS to sip:trunk.test, which only DNS
    (SRV → host → 127.0.0.1:port) says where to find; the okc agent listening there answers."""
    trunk_port = _free_port()
    records = [
        f"--srv-host=_sip._udp.trunk.test,edge.trunk.test,{trunk_port},0,0",
        "--host-record=edge.trunk.test,127.0.0.1",
        "--host-record=plain.test,127.0.0.5",
    ]

    async def scenario(dns: int) -> int:
        trunk = await UserAgent.start(port=trunk_port)
        locator = ServerLocator(DnspythonClient(_resolver(dns)), random.Random(1))
        caller = await UserAgent.start(resolver=locator.next_hop)
        try:
            result = await caller.options("sip:trunk.test")
            return result.status
        finally:
            await caller.close()
            await trunk.close()

    with dnsmasq(records) as dns:
        assert asyncio.run(scenario(dns)) == 200
