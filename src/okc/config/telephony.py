"""Telephony: SIP listeners, the realm, RTP ports, trunks to providers, and the dial-in and outbound plans."""

from __future__ import annotations

import enum
import ipaddress
from typing import Annotated, Self

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

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
    "Tone",
    "Tones",
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


ToneFrequency = Annotated[float, Field(ge=50, lt=4000)]
"""A tone frequency in Hz: 50 Hz up to (not including) 4000 Hz, the Nyquist limit of 8 kHz audio."""
CadenceMilliseconds = Annotated[int, Field(ge=10, le=60_000)]
"""One step of a cadence in milliseconds (10 ms … 60 s)."""
CadenceStep = tuple[CadenceMilliseconds, CadenceMilliseconds]
"""An [on, off] pair of milliseconds."""
_STEP_SCHEMA = {"type": "integer", "minimum": 10, "maximum": 60_000}


def _one_or_two(frequencies: tuple[float, ...]) -> tuple[float, ...]:
    if not 1 <= len(frequencies) <= 2:
        raise ValueError(f"a tone has one or two frequencies, not {len(frequencies)}")
    if len(set(frequencies)) != len(frequencies):
        raise ValueError("a frequency is listed twice")
    return frequencies


def _parse_cadence(value: object) -> object:
    """The word continuous is the empty cadence; an empty YAML list is refused so intent is written out."""
    if isinstance(value, str):
        if value != "continuous":
            raise ValueError(
                f'a cadence is "continuous" or a list of [on, off] millisecond pairs, not {value!r}'
            )
        return ()
    if isinstance(value, list) and not value:  # Python code passes () for continuous; YAML gives a list
        raise ValueError('an empty cadence: write "continuous" for a steady tone')
    return value


def _serialize_cadence(cadence: tuple[tuple[int, int], ...]) -> str | list[list[int]]:
    return [list(step) for step in cadence] if cadence else "continuous"


ToneFrequencies = Annotated[
    tuple[ToneFrequency, ...],
    AfterValidator(_one_or_two),
    Field(json_schema_extra={"minItems": 1, "maxItems": 2, "uniqueItems": True}),
]
"""One frequency, or two different ones for a dual tone."""

Cadence = Annotated[
    tuple[CadenceStep, ...],
    BeforeValidator(_parse_cadence),
    PlainSerializer(_serialize_cadence, return_type=str | list[list[int]]),
    WithJsonSchema(
        {
            "anyOf": [
                {"const": "continuous"},
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "prefixItems": [_STEP_SCHEMA, _STEP_SCHEMA],
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
            ]
        }
    ),
]
"""Repeating [on, off] millisecond pairs; "continuous" (the empty tuple in Python) for a steady tone."""


class Tone(Model):
    """A call-progress tone: one or two frequencies at a level, sounding continuously or in a cadence."""

    frequencies: ToneFrequencies = (425.0,)
    """Frequencies in Hz sounded together (one, or two for a dual tone); Russia uses 425 Hz."""
    level_dbm0: Annotated[float, Field(ge=-30, le=0)] = -10.0
    """Level of the whole tone in dBm0 (−30 … 0; the Russian rules ask for −15 … −5)."""
    cadence: Annotated[Cadence, Field(json_schema_extra={"default": "continuous"})] = ()
    """[on, off] millisecond pairs repeated in order, e.g. [[1000, 4000]]; or "continuous" (the default)."""


class Tones(Model):
    """The call-progress tones okc generates; the defaults are the Russian national tones (425 Hz)."""

    dial: Tone = Tone()
    """Dial tone: continuous."""
    ringback: Tone = Tone(cadence=((1000, 4000),))
    """Ringback (контроль посылки вызова): 1 s on, 4 s off; a set system_sounds.ringback plays instead."""
    busy: Tone = Tone(cadence=((400, 400),))
    """Busy (занято): 0.4 s on, 0.4 s off."""
    congestion: Tone = Tone(cadence=((200, 200),))
    """Congestion (занято при перегрузке): 0.2 s on, 0.2 s off."""


class Telephony(Model):
    """SIP listeners, the center's digest realm, the RTP port range and the provider trunks."""

    realm: Realm = "okc.local"
    listen: Annotated[tuple[Listen, ...], Field(min_length=1)] = (Listen(),)
    rtp_ports: RtpPorts = RtpPorts()
    trunks: tuple[Trunk, ...] = ()
    tones: Tones = Tones()
    """Call-progress tones (dial, ringback, busy, congestion)."""


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
