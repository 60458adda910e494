"""`okc sip answer` and `okc sip options`: bad input via CliRunner, real calls against a subprocess."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from okc.cli.main import cli
from okc.cli.sip import parse_hostport

from okc.rtp.endpoint import PortAllocator, RtpEndpoint, RtpReceived
from okc.rtp.g711 import alaw_decode_array
from okc.sip.agent import UserAgent
from okc.sip.sdp import LocalMedia, make_offer
from okc.sip.ua_events import CallAnswered, EndReason

OKC = str(Path(sys.executable).with_name("okc"))


@pytest.mark.parametrize(
    "args",
    [
        ["sip", "answer", "--listen", "nonsense:port"],
        ["sip", "answer", "--listen", "example.com:5060"],
        ["sip", "answer", "--listen", "127.0.0.1:70000"],
        ["sip", "answer", "--rtp-ports", "30000-20000"],
        ["sip", "answer", "--tone-hz", "5000"],
        ["sip", "options", "sip:"],
        ["sip", "options", "tel:+7123"],
        ["sip", "options", "sip:a@127.0.0.1", "--count", "0"],
    ],
)
def test_bad_input_exits_2(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output


def test_hostport_forms() -> None:
    assert parse_hostport("127.0.0.1:5062") == ("127.0.0.1", 5062)
    assert parse_hostport("[::1]:5070") == ("::1", 5070)
    assert parse_hostport("::1") == ("::1", 5060)


@pytest.fixture
def answerer() -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`okc sip answer` on a free port, taking one call."""
    proc = subprocess.Popen(
        [OKC, "sip", "answer", "--listen", "127.0.0.1:0", "--max-calls", "1", "--rtp-ports", "46000-46099"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on udp 127.0.0.1:"), line + (proc.stderr.read() if proc.stderr else "")
    yield proc, int(line.rsplit(":", 1)[1])
    if proc.poll() is None:
        proc.kill()
    proc.communicate()  # closes the pipes


def test_options_against_the_answerer_and_a_silent_port(answerer: tuple[subprocess.Popen[str], int]) -> None:
    _, port = answerer
    result = CliRunner().invoke(cli, ["sip", "options", f"sip:probe@127.0.0.1:{port}", "--count", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("SIP/2.0 200 OK") and line.endswith(" ms") for line in lines)
    silent = CliRunner().invoke(cli, ["sip", "options", "sip:probe@127.0.0.1:9", "--timeout", "0.3"])
    assert silent.exit_code == 1
    assert "no answer" in silent.output or "transaction failed" in silent.output


def test_answer_plays_a_425_hz_tone_and_ends_when_the_caller_hangs_up(
    answerer: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = answerer

    async def main() -> list[bytes]:
        agent = await UserAgent.start()
        endpoint = await RtpEndpoint.open(PortAllocator(47000, 47099), "127.0.0.1")
        payloads: list[bytes] = []

        def got(packet: RtpReceived) -> None:
            assert packet.packet.payload_type == 8
            payloads.append(packet.packet.payload)

        endpoint.on_rtp = got
        try:
            offer = make_offer(LocalMedia("127.0.0.1", endpoint.local_rtp[1], 7))
            ref = await agent.call(f"sip:test@127.0.0.1:{port}", sdp=offer)
            answered = await agent.next_event(CallAnswered, call=ref)
            assert isinstance(answered, CallAnswered)
            assert answered.sdp is not None
            assert answered.sdp.media[0].codecs[0].name == "PCMA"
            for _ in range(100):
                if len(payloads) >= 25:
                    break
                await asyncio.sleep(0.02)
            agent.hangup(ref)
            await asyncio.sleep(0.2)
            return payloads
        finally:
            endpoint.close()
            await agent.close()

    payloads = asyncio.run(main())
    assert len(payloads) >= 25
    samples = alaw_decode_array(np.frombuffer(b"".join(payloads[:25]), dtype=np.uint8)).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * 8000 / len(samples)
    assert abs(peak_hz - 425) < 5
    out, _ = proc.communicate(timeout=10)
    assert f"{EndReason.REMOTE_BYE.value}" in out
    assert out.strip().endswith("1 calls, 0 failed")
    assert proc.returncode == 0
