"""Telephony: SIP listeners, the realm, RTP ports, trunks to providers, and the dial-in and outbound plans."""

from __future__ import annotations

import enum
import ipaddress
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from okc.config.base import Digits, Extension, Model, Name, PhoneNumber, Port, RelativePath, Text
from okc.config.general import SecretRef

__all__ = [
    "CallerIdChoice",
    "Codec",
    "DialInPlan",
    "Listen",
    "OutboundRule",
    "RtpPorts",
    "Telephony",
    "Transport",
    "Trunk",
    "TrunkAuth",
]


def _ip_address(text: str) -> str:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None
    return text


IpAddress = Annotated[str, AfterValidator(_ip_address)]
HostName = Annotated[
    str,
    Field(
        pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$"
    ),
]
Realm = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")]


class Transport(enum.Enum):
    """SIP transports."""

    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class Listen(Model):
    """A SIP listening socket; TLS needs a certificate and its private key (PEM files)."""

    transport: Transport = Transport.UDP
    address: IpAddress = "0.0.0.0"  # noqa: S104 - phones on the LAN must reach the center
    port: Port = 5060
    certificate: RelativePath | None = None
    private_key: RelativePath | None = None

    @model_validator(mode="after")
    def _tls_files(self) -> Self:
        if self.transport is Transport.TLS and (self.certificate is None or self.private_key is None):
            raise ValueError("a TLS listener needs certificate and private_key files")
        if self.transport is not Transport.TLS and (self.certificate or self.private_key):
            raise ValueError(f"certificate and private_key apply only to tls, not {self.transport.value}")
        return self


class RtpPorts(Model):
    """The UDP port range for media (RTP on even ports, RTCP on the next odd one)."""

    start: Annotated[int, Field(ge=1024, le=65_534)] = 10_000
    end: Annotated[int, Field(ge=1025, le=65_535)] = 20_000

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.start % 2:
            raise ValueError(f"start {self.start} must be even (RTP uses even ports)")
        if self.end - self.start < 3:
            raise ValueError(f"the range {self.start}-{self.end} must hold at least two RTP/RTCP pairs")
        return self


class TrunkAuth(enum.Enum):
    """How a provider trunk authenticates: okc registers to it, it sends digest to okc, or static IP."""

    REGISTRATION = "registration"
    DIGEST_FROM_PROVIDER = "digest_from_provider"
    STATIC_IP = "static_ip"


class Codec(enum.Enum):
    """Audio codecs okc offers to providers: G.711 only."""

    PCMA = "pcma"
    PCMU = "pcmu"


class Trunk(SecretRef):
    """A SIP trunk to a provider; its secret comes from secret_env or secret_file, never the YAML."""

    name: Name
    host: HostName
    port: Port = 5060
    transport: Transport = Transport.UDP
    auth: TrunkAuth = TrunkAuth.REGISTRATION
    realm: Realm | None = None
    """The provider's digest realm (None: accept whatever the challenge names)."""
    username: Annotated[Text, Field(min_length=1, max_length=128)] | None = None
    codecs: Annotated[tuple[Codec, ...], Field(min_length=1)] = (Codec.PCMA, Codec.PCMU)
    allowed_addresses: tuple[IpAddress, ...] = ()
    """Source addresses accepted from the provider (static IP authentication)."""

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if self.auth is TrunkAuth.STATIC_IP:
            if self.has_secret or self.username is not None:
                raise ValueError("static_ip trunks take no username or secret")
            if not self.allowed_addresses:
                raise ValueError("static_ip trunks need allowed_addresses")
        elif self.username is None or not self.has_secret:
            raise ValueError(f"{self.auth.value} trunks need a username and secret_env or secret_file")
        if len(set(self.codecs)) != len(self.codecs):
            raise ValueError("a codec is listed twice")
        return self


class Telephony(Model):
    """SIP listeners, the center's digest realm, the RTP port range and the provider trunks."""

    realm: Realm = "okc.local"
    listen: Annotated[tuple[Listen, ...], Field(min_length=1)] = (Listen(),)
    rtp_ports: RtpPorts = RtpPorts()
    trunks: tuple[Trunk, ...] = ()


class DialInPlan(Model):
    """Which scenario runs for calls to these numbers, in which service, with what queue priority.

    A number belongs to one dial-in plan only. hours None takes the service's hours.
    """

    name: Name
    scenario: Name
    service: Name | None = None
    hours: Name | None = None
    internal_numbers: tuple[Extension, ...] = ()
    external_numbers: tuple[PhoneNumber, ...] = ()
    queue_priority: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="after")
    def _has_numbers(self) -> Self:
        if not (self.internal_numbers or self.external_numbers):
            raise ValueError("a dial-in plan needs internal_numbers or external_numbers")
        return self


class CallerIdChoice(enum.Enum):
    """The caller ID an outbound call shows: the service's number if it has one, else the rule's."""

    SERVICE_THEN_RULE = "service_then_rule"
    RULE = "rule"


class OutboundRule(Model):
    """An outbound number plan rule: dialled digits (or a prefix) → provider, service and caller ID."""

    digits: Digits
    is_prefix: bool = True
    strip_prefix: bool = False
    insert_prefix: Digits | None = None
    service: Name | None = None
    """Service an agent's outbound call is counted in when the agent chose none."""
    trunk: Name | None = None
    """Trunk the call leaves by (None: the first trunk)."""
    caller_id: PhoneNumber | None = None
    caller_id_choice: CallerIdChoice = CallerIdChoice.SERVICE_THEN_RULE

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.strip_prefix and not self.is_prefix:
            raise ValueError("strip_prefix needs is_prefix: true")
        if self.caller_id_choice is CallerIdChoice.RULE and self.caller_id is None:
            raise ValueError("caller_id_choice rule needs caller_id")
        return self
