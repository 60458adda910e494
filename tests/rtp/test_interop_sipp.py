"""SIPp plays its shipped G.711 A-law capture to an okc endpoint; okc's recording equals those samples.

SIPp sends RTP to the address in the SDP of the 200 OK it receives. okc's SIP stack is not wired to media
yet, so a minimal answerer on a UDP socket in this file answers the INVITE (100, then 200 with SDP naming
the okc endpoint), and ACK and BYE (200). The endpoint latches onto SIPp's media, the payloads are decoded
and fed to okc's recorder as the customer's side, and the PCM recording is compared with the capture's
payloads decoded, after finding where the stream starts in the recording.
"""

from __future__ import annotations

import asyncio
import audioop
import shutil
import socket
import struct
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from okc.rtp.endpoint import PortAllocator, RtpEndpoint, RtpReceived
from okc.rtp.recorder import CallRecorder, Direction, RecordingFormat, RecordingOptions
from tests.conftest import REQUIRE_INTEROP, TESTS_DATA, require_program

pytestmark = pytest.mark.interop

G711A_PCAP = Path("/usr/share/sip-tester/g711a.pcap")
SCENARIO = TESTS_DATA.parent / "rtp" / "data" / "sipp_uac_play_g711a.xml"


def _capture_payloads(path: Path) -> list[tuple[int, bytes]]:
    """(RTP timestamp, payload) of every packet in a libpcap file of Ethernet/IPv4/UDP/RTP frames."""
    data = path.read_bytes()
    magic, _, _, _, _, _, link = struct.unpack_from("<IHHiIII", data)
    assert magic == 0xA1B2C3D4
    assert link == 1  # Ethernet
    offset, packets = 24, []
    while offset < len(data):
        _, _, captured, _ = struct.unpack_from("<IIII", data, offset)
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        ip = frame[14:]
        udp = ip[(ip[0] & 0x0F) * 4 :]
        rtp = udp[8 : struct.unpack_from("!H", udp, 4)[0]]
        packets.append((struct.unpack_from("!I", rtp, 4)[0], rtp[12:]))
    return packets


def _alaw(payload: bytes) -> npt.NDArray[np.int16]:
    return np.frombuffer(audioop.alaw2lin(payload, 2), dtype="<i2").astype(np.int16)


class _Answerer(asyncio.DatagramProtocol):
    """Just enough of a UAS for SIPp's scenario: 100 + 200 with SDP to INVITE, 200 to BYE."""

    def __init__(self, media_port: int) -> None:
        self.media_port = media_port
        self.transport: asyncio.DatagramTransport | None = None
        self.answered = asyncio.Event()
        self.hung_up = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # On 3.11 the selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode()
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        method = head[0].split(" ", 1)[0]
        headers = [
            line for line in head[1:] if line.split(":", 1)[0].lower() in ("via", "from", "call-id", "cseq")
        ]
        to = next(line for line in head[1:] if line.lower().startswith("to:"))
        if ";tag=" not in to:
            to += ";tag=okc1"
        common = "\r\n".join([*headers, to])
        assert self.transport is not None
        if method == "INVITE":
            self.transport.sendto(
                f"SIP/2.0 100 Trying\r\n{common}\r\nContent-Length: 0\r\n\r\n".encode(), addr
            )
            sdp = (
                "v=0\r\no=okc 1 1 IN IP4 127.0.0.1\r\ns=okc\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                f"m=audio {self.media_port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
            )
            port = self.transport.get_extra_info("sockname")[1]
            ok = (
                f"SIP/2.0 200 OK\r\n{common}\r\nContact: <sip:okc@127.0.0.1:{port}>"
                f"\r\nContent-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
            )
            self.transport.sendto(ok.encode(), addr)
            self.answered.set()
        elif method == "BYE":
            self.transport.sendto(f"SIP/2.0 200 OK\r\n{common}\r\nContent-Length: 0\r\n\r\n".encode(), addr)
            self.hung_up.set()


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _call(workdir: Path, recording: Path) -> int:
    """Run SIPp against the answerer and an okc endpoint that records; return SIPp's exit code."""
    sipp = require_program("sipp")
    loop = asyncio.get_running_loop()
    low = _free_udp_port() & ~1
    endpoint = await RtpEndpoint.open(PortAllocator(low, low + 40))
    recorder = CallRecorder(recording, loop.time(), RecordingOptions(format=RecordingFormat.PCM))

    def on_rtp(packet: RtpReceived) -> None:
        recorder.push(
            Direction.CUSTOMER, packet.ssrc, packet.timestamp, _alaw(packet.payload), packet.arrival
        )

    endpoint.on_rtp = on_rtp
    transport, answerer = await loop.create_datagram_endpoint(
        lambda: _Answerer(endpoint.pair.rtp), local_addr=("127.0.0.1", 0)
    )
    sip_port = transport.get_extra_info("sockname")[1]
    process = await asyncio.create_subprocess_exec(
        sipp,
        "-sf",
        str(workdir / SCENARIO.name),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(_free_udp_port()),
        "-mi",
        "127.0.0.1",
        "-mp",
        str(_free_udp_port()),
        "-nostdin",
        "-timeout",
        "30",
        "-timeout_error",
        f"127.0.0.1:{sip_port}",
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        while not answerer.hung_up.is_set() and process.returncode is None:
            timer = recorder.get_timer()
            await asyncio.sleep(max(0.0, (timer or loop.time()) - loop.time()) + 0.001)
            recorder.handle_timer(loop.time())
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        recorder.close()
        transport.close()
        endpoint.close()
    assert endpoint.session.counters.malformed == 0
    assert endpoint.session.latched
    if process.returncode != 0:
        pytest.fail(f"sipp exited {process.returncode}: {stderr.decode(errors='replace')[-2000:]}")
    return process.returncode


def test_sipp_g711a_capture_is_recorded_sample_exact(tmp_path: Path) -> None:
    require_program("sipp")
    if not G711A_PCAP.exists():
        if REQUIRE_INTEROP:
            pytest.fail(f"{G711A_PCAP} is missing")
        pytest.skip(f"{G711A_PCAP} is missing")
    shutil.copyfile(G711A_PCAP, tmp_path / "g711a.pcap")
    shutil.copyfile(SCENARIO, tmp_path / SCENARIO.name)
    recording = tmp_path / "call.wav"
    asyncio.run(_call(tmp_path, recording))

    packets = _capture_payloads(G711A_PCAP)
    first_timestamp = packets[0][0]
    expected = np.zeros(packets[-1][0] - first_timestamp + len(packets[-1][1]), dtype=np.int16)
    for timestamp, payload in packets:
        expected[timestamp - first_timestamp : timestamp - first_timestamp + len(payload)] = _alaw(payload)
    recorded, rate = soundfile.read(recording, dtype="int16")
    assert rate == 8000
    # Where the stream starts: the one place the capture's first 30 ms packet matches.
    windows = np.lib.stride_tricks.sliding_window_view(recorded, 240)
    starts = np.flatnonzero((windows == expected[:240]).all(axis=1))
    assert starts.size >= 1
    start = int(starts[0])
    assert np.array_equal(recorded[start : start + expected.size], expected)
    # Before and after the stream (until BYE) the call was silent.
    assert not recorded[:start].any()
    assert not recorded[start + expected.size :].any()
