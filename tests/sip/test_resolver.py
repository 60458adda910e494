"""RFC 3263 server location against a fake DNS client: NAPTR, SRV (RFC 2782 order), A/AAAA, short-cuts."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.sip import SipUri, parse_uri
from okc.sip.resolver import (
    NaptrRecord,
    ResolverError,
    ServerLocator,
    SrvRecord,
    Target,
    TransportKind,
    order_naptr,
    order_srv,
)

UDP, TCP, TLS = TransportKind.UDP, TransportKind.TCP, TransportKind.TLS


class FakeDns:
    """A DnsClient answering from tables, recording every query."""

    def __init__(
        self,
        naptr: dict[str, list[NaptrRecord]] | None = None,
        srv: dict[str, list[SrvRecord]] | None = None,
        hosts: dict[str, list[str]] | None = None,
    ) -> None:
        self.naptr_table = naptr or {}
        self.srv_table = srv or {}
        self.hosts = hosts or {}
        self.queries: list[str] = []

    async def naptr(self, name: str) -> Sequence[NaptrRecord]:
        self.queries.append(f"NAPTR {name}")
        return self.naptr_table.get(name, [])

    async def srv(self, name: str) -> Sequence[SrvRecord]:
        self.queries.append(f"SRV {name}")
        return self.srv_table.get(name, [])

    async def addresses(self, name: str) -> Sequence[str]:
        self.queries.append(f"A {name}")
        return self.hosts.get(name.rstrip("."), [])


def locate(dns: FakeDns, uri: str, seed: int = 0) -> list[Target]:
    sip_uri = parse_uri(uri)
    assert isinstance(sip_uri, SipUri)
    return asyncio.run(ServerLocator(dns, random.Random(seed)).locate(sip_uri))


def test_numeric_host_needs_no_dns() -> None:
    dns = FakeDns()
    assert locate(dns, "sip:1002@192.0.2.1") == [Target(UDP, "192.0.2.1", 5060)]
    assert locate(dns, "sip:1002@192.0.2.1:5070;transport=tcp") == [Target(TCP, "192.0.2.1", 5070)]
    assert locate(dns, "sips:1002@[2001:db8::1]") == [Target(TLS, "2001:db8::1", 5061)]
    assert dns.queries == []


def test_explicit_port_skips_naptr_and_srv() -> None:
    dns = FakeDns(hosts={"sip.example.org": ["192.0.2.5", "2001:db8::5"]})
    assert locate(dns, "sip:sip.example.org:5080") == [
        Target(UDP, "192.0.2.5", 5080),
        Target(UDP, "2001:db8::5", 5080),
    ]
    assert dns.queries == ["A sip.example.org"]


def test_transport_param_queries_only_its_srv() -> None:
    dns = FakeDns(
        srv={"_sip._tcp.example.org": [SrvRecord(0, 0, 5090, "tcp.example.org.")]},
        hosts={"tcp.example.org": ["192.0.2.7"]},
    )
    assert locate(dns, "sip:example.org;transport=tcp") == [Target(TCP, "192.0.2.7", 5090)]
    assert dns.queries == ["SRV _sip._tcp.example.org", "A tcp.example.org."]


def test_transport_param_without_srv_falls_back_to_a_record() -> None:
    dns = FakeDns(hosts={"example.org": ["192.0.2.8"]})
    assert locate(dns, "sip:example.org;transport=tcp") == [Target(TCP, "192.0.2.8", 5060)]


def test_naptr_order_and_preference_pick_the_srv_names() -> None:
    dns = FakeDns(
        naptr={
            "example.org": [
                NaptrRecord(20, 10, "s", "SIP+D2U", "_sip._udp.example.org."),
                NaptrRecord(10, 20, "s", "SIP+D2T", "_sip._tcp.example.org."),
                NaptrRecord(10, 10, "s", "SIPS+D2T", "_sips._tcp.example.org."),
                NaptrRecord(5, 10, "s", "E2U+sip", "ignored.example.org."),
                NaptrRecord(5, 10, "u", "SIP+D2U", "!^.*$!sip:x@y!"),
            ]
        },
        srv={
            "_sip._udp.example.org.": [SrvRecord(0, 0, 5060, "a.example.org.")],
            "_sip._tcp.example.org.": [SrvRecord(0, 0, 5060, "a.example.org.")],
            "_sips._tcp.example.org.": [SrvRecord(0, 0, 5061, "a.example.org.")],
        },
        hosts={"a.example.org": ["192.0.2.1"]},
    )
    assert locate(dns, "sip:example.org") == [
        Target(TLS, "192.0.2.1", 5061),
        Target(TCP, "192.0.2.1", 5060),
        Target(UDP, "192.0.2.1", 5060),
    ]


def test_sips_uses_only_tls_records() -> None:
    dns = FakeDns(
        naptr={
            "example.org": [
                NaptrRecord(10, 10, "s", "SIP+D2U", "_sip._udp.example.org."),
                NaptrRecord(20, 10, "s", "SIPS+D2T", "_sips._tcp.example.org."),
            ]
        },
        srv={"_sips._tcp.example.org.": [SrvRecord(0, 0, 5061, "tls.example.org.")]},
        hosts={"tls.example.org": ["192.0.2.9"]},
    )
    assert locate(dns, "sips:example.org") == [Target(TLS, "192.0.2.9", 5061)]


def test_without_naptr_srv_is_queried_per_transport() -> None:
    dns = FakeDns(
        srv={
            "_sip._tcp.example.org": [SrvRecord(0, 0, 5070, "b.example.org.")],
            "_sips._tcp.example.org": [SrvRecord(0, 0, 5071, "b.example.org.")],
        },
        hosts={"b.example.org": ["192.0.2.2"]},
    )
    assert locate(dns, "sip:example.org") == [Target(TCP, "192.0.2.2", 5070), Target(TLS, "192.0.2.2", 5071)]
    assert dns.queries[:4] == [
        "NAPTR example.org",
        "SRV _sip._udp.example.org",
        "SRV _sip._tcp.example.org",
        "A b.example.org.",
    ]


def test_without_naptr_or_srv_the_a_record_on_udp_5060() -> None:
    dns = FakeDns(hosts={"example.org": ["192.0.2.3"]})
    assert locate(dns, "sip:example.org") == [Target(UDP, "192.0.2.3", 5060)]
    assert locate(dns, "sips:example.org") == [Target(TLS, "192.0.2.3", 5061)]


def test_no_records_at_all_is_an_error() -> None:
    with pytest.raises(ResolverError):
        locate(FakeDns(), "sip:nowhere.example")
    with pytest.raises(ResolverError):
        locate(FakeDns(), "sips:192.0.2.1;transport=udp")
    with pytest.raises(ResolverError):
        locate(FakeDns(), "sip:example.org;transport=sctp")


def test_srv_priorities_come_in_order_and_dot_target_means_no_service() -> None:
    records = [
        SrvRecord(20, 0, 5060, "c."),
        SrvRecord(10, 5, 5060, "a."),
        SrvRecord(10, 5, 5060, "b."),
        SrvRecord(5, 0, 5060, "."),
    ]
    for seed in range(20):
        ordered = [r.target for r in order_srv(records, random.Random(seed))]
        assert sorted(ordered[:2]) == ["a.", "b."]
        assert ordered[2] == "c."


def test_srv_weights_share_first_place_proportionally() -> None:
    records = [
        SrvRecord(0, 90, 5060, "heavy."),
        SrvRecord(0, 10, 5060, "light."),
        SrvRecord(0, 0, 5060, "zero."),
    ]
    rng = random.Random(42)
    firsts = Counter(order_srv(records, rng)[0].target for _ in range(4000))
    assert 0.85 < firsts["heavy."] / 4000 < 0.95
    assert 0.06 < firsts["light."] / 4000 < 0.14
    assert firsts["zero."] < 40


_srv = st.builds(
    SrvRecord,
    st.integers(0, 3),
    st.integers(0, 100),
    st.integers(1, 65535),
    st.sampled_from(["a.", "b.", "c.", "d.", "."]),
)


@given(st.lists(_srv, max_size=8), st.integers(0, 2**32))
def test_srv_order_is_a_permutation_sorted_by_priority(records: list[SrvRecord], seed: int) -> None:
    ordered = order_srv(records, random.Random(seed))
    assert Counter(ordered) == Counter(r for r in records if r.target != ".")
    assert [r.priority for r in ordered] == sorted(r.priority for r in ordered)


def test_naptr_filter_keeps_supported_services_only() -> None:
    records = [
        NaptrRecord(1, 1, "S", "sip+d2t", "t."),
        NaptrRecord(1, 0, "s", "SIP+D2U", "u."),
        NaptrRecord(0, 0, "s", "SIP+D2S", "sctp."),
        NaptrRecord(0, 0, "s", "SIP+D2T", "."),
    ]
    assert order_naptr(records, [UDP, TCP]) == [(UDP, "u."), (TCP, "t.")]
    assert order_naptr(records, [TCP]) == [(TCP, "t.")]


def test_target_validates_port() -> None:
    with pytest.raises(ResolverError):
        Target(UDP, "192.0.2.1", 0)
    assert Target(UDP, "192.0.2.1", 5060).address == ("192.0.2.1", 5060)


def test_next_hop_is_the_first_target_and_needs_a_sip_uri() -> None:
    dns = FakeDns(hosts={"example.org": ["192.0.2.3", "192.0.2.4"]})
    locator = ServerLocator(dns, random.Random(0))
    assert asyncio.run(locator.next_hop(parse_uri("sip:example.org"))) == ("192.0.2.3", 5060)
    with pytest.raises(ResolverError):
        asyncio.run(locator.next_hop(parse_uri("tel:+74951234567")))
