"""baresip (a softphone nobody here wrote) and okc exchange RTP and RTCP in a real call.

baresip calls an okc user agent that answers with an `RtpEndpoint` sending A-law and its own reports
(SR + SDES every second here). libre's RTCP must parse with nothing malformed; baresip's SDES CNAME is
read; its report blocks about our SSRC carry LSR/DLSR from which okc works out a loopback round trip;
and okc's statistics of baresip's audio show it arriving whole.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from okc.rtp.endpoint import PortAllocator, RtcpReceived, RtpEndpoint
from okc.rtp.g711 import alaw_encode
from okc.rtp.packet import PCMA, RtpPacket
from okc.rtp.rtcp import ReceiverReport, SenderReport, SourceDescription
from okc.sip.agent import UserAgent
from okc.sip.sdp import LocalMedia, answer
from okc.sip.ua_events import CallEstablished, IncomingCall, UaEvent
from tests.interop.test_baresip import baresip

pytestmark = [pytest.mark.interop, pytest.mark.slow]  # waits for libre's first report (2.5 … 7.5 s)

OUR_SSRC = 0x0C0FFEE0


async def _send_audio(endpoint: RtpEndpoint) -> None:
    """20 ms A-law frames of a quiet ramp, on a drift-free schedule."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    pcm = bytes(range(256)) + bytes(64)
    for frame in range(100_000):
        payload = alaw_encode(pcm)
        endpoint.send_rtp(bytes(RtpPacket(PCMA, frame & 0xFFFF, 160 * frame, OUR_SSRC, payload, frame == 0)))
        await asyncio.sleep(max(0.0, start + 0.02 * (frame + 1) - loop.time()))


def test_baresip_rtcp_parses_and_gives_okc_its_round_trip(tmp_path: Path) -> None:
    async def scenario() -> tuple[RtpEndpoint, list[RtcpReceived]]:
        rng = random.Random(7)
        agent = await UserAgent.start("127.0.0.1", 0, rng=rng)
        low = rng.randrange(46000, 60000, 2)
        endpoint = await RtpEndpoint.open(
            PortAllocator(low, low + 20), reports=True, ssrc=OUR_SSRC, cname="okc@test", rtcp_interval=1.0
        )
        reports: list[RtcpReceived] = []
        endpoint.on_rtcp = reports.append
        sender: list[asyncio.Task[None]] = []

        def on_event(event: UaEvent) -> None:
            if isinstance(event, IncomingCall) and event.offer is not None:
                offer = event.offer
                media = offer.media[0]
                address = offer.media_connection(media)
                assert address is not None
                endpoint.session.set_remote((address, media.port))
                sdp = answer(offer, LocalMedia("127.0.0.1", endpoint.local_rtp[1], 1))
                agent.answer(event.call, sdp)
            elif isinstance(event, CallEstablished):
                sender.append(asyncio.get_running_loop().create_task(_send_audio(endpoint)))

        agent.on_event(on_event)
        try:
            async with baresip(tmp_path, "<sip:tester@127.0.0.1>;regint=0") as phone:
                await phone.command("dial", f"sip:okc@127.0.0.1:{agent.local[1]}")
                await phone.event("CALL_ESTABLISHED")
                async with asyncio.timeout(20):
                    while endpoint.session.round_trip is None or not any(
                        r.compound.first(SourceDescription) for r in reports
                    ):
                        await asyncio.sleep(0.1)
                await phone.command("hangup")
        finally:
            for task in sender:
                task.cancel()
            endpoint.close()
            await agent.close()
        return endpoint, reports

    endpoint, reports = asyncio.run(scenario())
    session = endpoint.session
    assert session.counters.malformed == 0, session.last_error
    assert reports
    sdes = next(r.compound.first(SourceDescription) for r in reports if r.compound.first(SourceDescription))
    assert sdes is not None
    (chunk,) = sdes.chunks
    assert sdes.cname_of(chunk.ssrc)  # libre's CNAME for its source
    blocks = [
        block
        for r in reports
        for packet in r.compound.packets
        if isinstance(packet, SenderReport | ReceiverReport)
        for block in packet.reports
        if block.ssrc == OUR_SSRC
    ]
    assert blocks
    assert any(block.lsr for block in blocks)
    assert session.round_trip is not None
    assert 0.0 <= session.round_trip < 0.2  # loopback; libre's DLSR has 1/65536 s resolution
    # baresip loops back what it hears (aubridge): its stream arrives in order, nothing lost.
    stats = session.streams[chunk.ssrc]
    assert stats.packets_received > 0
    assert stats.cumulative_lost == 0
    assert session.counters.rtcp_sent >= 1
