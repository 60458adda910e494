"""Locating SIP servers (RFC 3263 §4): NAPTR, then SRV, then A/AAAA, through an injected DNS client.

`ServerLocator.locate(uri)` returns every (transport, address, port) target in the order to try them, for
failover. The ordering rules are plain functions (`order_naptr`, `order_srv`) fed records and a
random.Random; only `DnsClient` does I/O, and `DnspythonClient` adapts dnspython's asyncio resolver
(pointed at any nameserver and port) to it. Tests use a fake client at that boundary.
"""

from __future__ import annotations

import enum
import ipaddress
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.rdata
import dns.rdatatype
import dns.resolver
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA
from dns.rdtypes.IN.NAPTR import NAPTR
from dns.rdtypes.IN.SRV import SRV

from okc.sip.errors import SipError
from okc.sip.uri import SipUri, Uri

__all__ = [
    "DnsClient",
    "DnspythonClient",
    "NaptrRecord",
    "ResolverError",
    "ServerLocator",
    "SrvRecord",
    "Target",
    "TransportKind",
    "order_naptr",
    "order_srv",
]


class ResolverError(SipError):
    """A URI that cannot be located (no records, an unsupported transport, a malformed record)."""


class TransportKind(enum.Enum):
    """Transports a target can be reached by, with their NAPTR service, SRV prefix and default port."""

    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"

    @property
    def naptr_service(self) -> str:
        """The RFC 3263 NAPTR service field for this transport."""
        return {"udp": "SIP+D2U", "tcp": "SIP+D2T", "tls": "SIPS+D2T"}[self.value]

    @property
    def srv_prefix(self) -> str:
        """The SRV owner-name prefix for this transport."""
        return {"udp": "_sip._udp", "tcp": "_sip._tcp", "tls": "_sips._tcp"}[self.value]

    @property
    def default_port(self) -> int:
        """5061 for TLS, else 5060."""
        return 5061 if self is TransportKind.TLS else 5060

    @classmethod
    def of_param(cls, value: str) -> TransportKind:
        """The transport a URI's transport parameter names."""
        try:
            return cls(value.lower())
        except ValueError:
            raise ResolverError(f"unsupported transport {value!r}") from None


_BY_SERVICE = {t.naptr_service: t for t in TransportKind}


@dataclass(frozen=True, slots=True)
class Target:
    """One place to send a request: transport, IP address and port."""

    transport: TransportKind
    host: str
    port: int

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ResolverError(f"port out of range: {self.port}")

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) for a socket."""
        return self.host, self.port


@dataclass(frozen=True, slots=True)
class NaptrRecord:
    """A NAPTR record's fields that RFC 3263 uses."""

    order: int
    preference: int
    flags: str
    service: str
    replacement: str


@dataclass(frozen=True, slots=True)
class SrvRecord:
    """An SRV record (RFC 2782)."""

    priority: int
    weight: int
    port: int
    target: str


class DnsClient(Protocol):
    """The DNS lookups RFC 3263 needs; each returns [] when the name has no such records."""

    async def naptr(self, name: str) -> Sequence[NaptrRecord]:
        """NAPTR records of name."""
        ...

    async def srv(self, name: str) -> Sequence[SrvRecord]:
        """SRV records of name."""
        ...

    async def addresses(self, name: str) -> Sequence[str]:
        """IPv4 then IPv6 addresses of name."""
        ...


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


class DnspythonClient:
    """DnsClient over dnspython's asyncio resolver (configure its nameservers and port beforehand)."""

    def __init__(self, resolver: dns.asyncresolver.Resolver) -> None:
        self.resolver = resolver

    async def _query(self, name: str, rdtype: dns.rdatatype.RdataType) -> list[dns.rdata.Rdata]:
        try:
            answer = await self.resolver.resolve(_absolute(name), rdtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return []  # no such records, or refused / server failure: the next step of §4 is tried
        except dns.exception.DNSException as exc:
            raise ResolverError(f"DNS lookup of {name} {rdtype.name} failed: {exc}") from None
        return list(answer)

    async def naptr(self, name: str) -> Sequence[NaptrRecord]:
        """NAPTR records of name."""
        return [
            NaptrRecord(rd.order, rd.preference, _text(rd.flags), _text(rd.service), str(rd.replacement))
            for rd in await self._query(name, dns.rdatatype.NAPTR)
            if isinstance(rd, NAPTR)
        ]

    async def srv(self, name: str) -> Sequence[SrvRecord]:
        """SRV records of name."""
        return [
            SrvRecord(rd.priority, rd.weight, rd.port, str(rd.target))
            for rd in await self._query(name, dns.rdatatype.SRV)
            if isinstance(rd, SRV)
        ]

    async def addresses(self, name: str) -> Sequence[str]:
        """A then AAAA addresses of name."""
        found: list[str] = []
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            found.extend(rd.address for rd in await self._query(name, rdtype) if isinstance(rd, A | AAAA))
        return found


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def order_naptr(
    records: Iterable[NaptrRecord], allowed: Iterable[TransportKind]
) -> list[tuple[TransportKind, str]]:
    """The usable NAPTR records (flag "s", a SIP service we support) as (transport, SRV name), best first."""
    usable = set(allowed)
    chosen: list[tuple[int, int, TransportKind, str]] = []
    for record in records:
        transport = _BY_SERVICE.get(record.service.upper())
        if transport is None or transport not in usable or record.flags.lower() != "s":
            continue
        if record.replacement in ("", "."):
            continue
        chosen.append((record.order, record.preference, transport, record.replacement))
    chosen.sort(key=lambda item: (item[0], item[1]))
    return [(transport, name) for _, _, transport, name in chosen]


def order_srv(records: Iterable[SrvRecord], rng: random.Random) -> list[SrvRecord]:
    """RFC 2782 order: priority ascending; within a priority, weighted random draws without replacement.

    Zero-weight records are placed first in the running sum (so they are chosen only rarely), as the RFC
    says; the rest by target and port, so the order depends on the random source, not on the answer's.
    A record with target "." means the service is not offered there: it is left out.
    """
    pool = [r for r in records if r.target not in (".", "")]
    out: list[SrvRecord] = []
    for priority in sorted({r.priority for r in pool}):
        group = sorted(
            (r for r in pool if r.priority == priority), key=lambda r: (r.weight != 0, r.target, r.port)
        )
        while group:
            total = sum(r.weight for r in group)
            pick = rng.randint(0, total)
            running = 0
            for index, record in enumerate(group):
                running += record.weight
                if running >= pick:
                    out.append(group.pop(index))
                    break
    return out


def _numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class ServerLocator:
    """RFC 3263 client-side server location for SIP and SIPS URIs."""

    def __init__(
        self,
        client: DnsClient,
        rng: random.Random,
        *,
        transports: Iterable[TransportKind] = (TransportKind.UDP, TransportKind.TCP, TransportKind.TLS),
    ) -> None:
        self.client = client
        self.rng = rng
        self.transports = tuple(transports)
        if not self.transports:
            raise ResolverError("at least one transport is needed")

    def _allowed(self, uri: SipUri) -> tuple[TransportKind, ...]:
        if uri.scheme == "sips":
            return tuple(t for t in self.transports if t is TransportKind.TLS)
        return self.transports

    def _explicit_transport(self, uri: SipUri) -> TransportKind | None:
        param = uri.transport
        if param is None:
            return TransportKind.TLS if uri.scheme == "sips" else None
        transport = TransportKind.of_param(param)
        if uri.scheme == "sips" and transport is TransportKind.UDP:
            raise ResolverError(f"sips URI over udp: {uri}")
        if uri.scheme == "sips" and transport is TransportKind.TCP:
            transport = TransportKind.TLS  # sips with transport=tcp means TLS over TCP (RFC 3261 §26.2.2)
        if transport not in self.transports:
            raise ResolverError(f"transport {transport.value} is not enabled")
        return transport

    async def locate(self, uri: SipUri) -> list[Target]:
        """Every target for uri in the order to try them (maddr, if present, takes the host's place)."""
        host = uri.maddr or uri.host
        explicit = self._explicit_transport(uri)
        if _numeric(host):
            transport = explicit or TransportKind.UDP
            return [Target(transport, host.strip("[]"), uri.port or transport.default_port)]
        targets = await self._targets(uri, host, explicit)
        if not targets:
            raise ResolverError(f"no address for {host}")
        return _unique(targets)

    async def _targets(self, uri: SipUri, host: str, explicit: TransportKind | None) -> list[Target]:
        if uri.port is not None:
            return await self._addresses(host, explicit or TransportKind.UDP, uri.port)
        if explicit is not None and uri.transport is not None:
            found = await self._srv(f"{explicit.srv_prefix}.{host}", explicit)
            return found or await self._addresses(host, explicit, explicit.default_port)
        allowed = self._allowed(uri)
        naptr = order_naptr(await self.client.naptr(host), allowed)
        targets: list[Target] = []
        if naptr:
            for transport, name in naptr:
                targets += await self._srv(name, transport)
        else:
            for transport in allowed:
                targets += await self._srv(f"{transport.srv_prefix}.{host}", transport)
        if not targets:
            fallback = TransportKind.TLS if uri.scheme == "sips" else allowed[0]
            targets = await self._addresses(host, fallback, fallback.default_port)
        return targets

    async def next_hop(self, uri: Uri) -> tuple[str, int]:
        """The first target's address: the `resolver` a UserAgent takes (okc.sip.agent)."""
        if not isinstance(uri, SipUri):
            raise ResolverError(f"cannot locate a server for {uri}")
        return (await self.locate(uri))[0].address

    async def _srv(self, name: str, transport: TransportKind) -> list[Target]:
        targets: list[Target] = []
        for record in order_srv(await self.client.srv(name), self.rng):
            targets += await self._addresses(record.target, transport, record.port)
        return targets

    async def _addresses(self, host: str, transport: TransportKind, port: int) -> list[Target]:
        return [Target(transport, address, port) for address in await self.client.addresses(host)]


def _unique(targets: list[Target]) -> list[Target]:
    seen: set[Target] = set()
    out: list[Target] = []
    for target in targets:
        if target not in seen:
            seen.add(target)
            out.append(target)
    return out
