"""Wireshark's RTP stream analysis (tshark, which nobody here wrote) of what okc's OutgoingStream sends: a
prompt with and without an RFC 4733 digit in it, sequence numbers and timestamps wrapping. Wireshark finds
one stream of the right packets, nothing lost, no problem flagged, and — for audio alone — no jitter."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from okc.rtp.dtmf import DtmfSender
from okc.rtp.outgoing import OutgoingStream
from okc.rtp.packet import PCMA, PCMU
from okc.rtp.player import Player, Prompt
from tests.conftest import require_program
from tests.rtp.capture import write_capture

pytestmark = pytest.mark.interop

START = 1_795_000_000.0  # Unix time in late 2026: the capture's clock
SRC, DST = ("127.0.0.1", 40010), ("127.0.0.2", 40020)
# Start, end, addresses, ports, SSRC, payload names, packets, lost (share), then min/mean/max delta and
# min/mean/max jitter (ms), then the "Problems?" column (empty when Wireshark saw nothing wrong).
ROW = re.compile(
    r"^\s*[\d.]+\s+[\d.]+\s+\S+\s+\d+\s+\S+\s+\d+\s+(0x[0-9A-F]+)\s+(.+?)\s+(\d+)\s+(-?\d+) \(([^)]*)\)"
    + r"\s+([\d.]+)" * 6
    + r"(.*)$",
    re.MULTILINE,
)


def _send(payload_type: int, digit: str | None) -> list[tuple[float, bytes]]:
    rng = np.random.default_rng(6)
    prompt = Prompt("p", np.clip(rng.normal(0, 3000, 3 * 8000), -32768, 32767).astype(np.int16))
    player = Player([prompt], START)
    stream = OutgoingStream(payload_type, START, ssrc=0xABC, sequence=65_520, timestamp=2**32 - 1600)
    sender = DtmfSender(101)
    if digit is not None:
        sender.send(digit, 0.12, now=START + 1.0, timestamp=stream.rtp_time(START + 1.0))
    sent = []
    while timers := [t for t in (player.get_timer(), sender.get_timer()) if t is not None]:
        now = min(timers)
        sent += [(now, bytes(stream.frame(frame))) for frame in player.handle_timer(now)]
        sent += [(now, bytes(stream.event(event))) for event in sender.handle_timer(now)]
    return sent


def _analyse(tmp_path: Path, sent: list[tuple[float, bytes]]) -> tuple[str, str, int, int, list[float], str]:
    capture = write_capture(tmp_path / "out.pcap", [(time, SRC, DST, data) for time, data in sent])
    report = subprocess.run(
        [require_program("tshark"), "-r", str(capture), "-d", f"udp.port=={DST[1]},rtp",
         "-d", "rtp.pt==101,rtpevent", "-q", "-z", "rtp,streams"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    rows = ROW.findall(report)
    assert len(rows) == 1, report  # one stream: SSRC, sequence and clock never broke it in two
    ssrc, payloads, packets, lost, _, *figures, problems = rows[0]
    return ssrc, payloads, int(packets), int(lost), [float(f) for f in figures], problems.strip()


@pytest.mark.parametrize(("payload_type", "name"), [(PCMA, "g711A"), (PCMU, "g711U")])
def test_wireshark_sees_a_prompt_as_one_perfect_stream(tmp_path: Path, payload_type: int, name: str) -> None:
    sent = _send(payload_type, None)
    ssrc, payloads, packets, lost, figures, problems = _analyse(tmp_path, sent)
    assert (ssrc, payloads, packets, lost, problems) == ("0x00000ABC", name, 150, 0, "")
    min_delta, _, max_delta, _, _, max_jitter = figures
    assert (min_delta, max_delta, max_jitter) == (20.0, 20.0, 0.0)


def test_wireshark_sees_a_prompt_with_a_digit_as_one_stream_with_nothing_lost(tmp_path: Path) -> None:
    sent = _send(PCMA, "3")
    ssrc, payloads, packets, lost, _, problems = _analyse(tmp_path, sent)
    assert (ssrc, payloads, packets, lost, problems) == ("0x00000ABC", "g711A, rtpevent", len(sent), 0, "")
    assert len(sent) > 150 + 3
