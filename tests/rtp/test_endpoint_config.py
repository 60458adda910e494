"""The endpoint's port range comes from the configuration: okc.config's telephony.rtp_ports."""

from __future__ import annotations

import asyncio
import random

import pytest

from okc.config.telephony import RtpPorts, Telephony
from okc.rtp.endpoint import EndpointError, PortAllocator, RtpEndpoint


def test_the_default_configured_range_gives_five_thousand_pairs() -> None:
    allocator = PortAllocator.from_config(Telephony().rtp_ports)
    assert allocator.capacity == (20_000 - 10_000) // 2
    first = allocator.allocate()
    assert (first.rtp, first.rtcp) == (10_000, 10_001)


def test_a_configured_range_is_inclusive_and_every_pair_is_even_then_odd() -> None:
    allocator = PortAllocator.from_config(RtpPorts(start=40_000, end=40_007))
    pairs = [allocator.allocate() for _ in range(allocator.capacity)]
    assert [(p.rtp, p.rtcp) for p in pairs] == [
        (40_000, 40_001),
        (40_002, 40_003),
        (40_004, 40_005),
        (40_006, 40_007),
    ]
    with pytest.raises(EndpointError):
        allocator.allocate()


def test_an_endpoint_binds_inside_the_configured_range() -> None:
    low = random.Random().randrange(42_000, 60_000, 2)
    ports = RtpPorts(start=low, end=low + 39)

    async def scenario() -> None:
        endpoint = await RtpEndpoint.open(PortAllocator.from_config(ports))
        try:
            _, port = endpoint.local_rtp
            assert low <= port < port + 1 <= low + 39
            assert port % 2 == 0
        finally:
            endpoint.close()

    asyncio.run(scenario())
