"""Wireshark (tshark, which nobody here wrote) reads the RFC 4733 events okc sends, packet by packet.

The digits okc's DtmfSender schedules are put on the wire as RTP, written into a capture, and dissected
by tshark's RTP event dissector: event code, marker on the first packet only, one timestamp per event,
growing durations every 50 ms, three end packets carrying the final duration, and the volume.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from okc.rtp.dtmf import DtmfSender, digit_code
from tests.conftest import require_program
from tests.rtp.capture import write_capture

pytestmark = pytest.mark.interop

PT = 101
SRC, DST = ("127.0.0.1", 40002), ("127.0.0.2", 40000)


def test_tshark_dissects_okc_rfc4733_events(tmp_path: Path) -> None:
    tshark = require_program("tshark")
    sender = DtmfSender(PT, volume=7)
    start = 1_795_000_000.0
    sender.send("5", 0.16, now=start, timestamp=0xFFFF_FF00)  # its events' durations cross the wrap
    sender.send("#", 0.1, now=start, timestamp=0xFFFF_FF00)
    packets = []
    sequence = 65_533
    while (timer := sender.get_timer()) is not None:
        for event in sender.handle_timer(timer):
            packets.append((timer, bytes(event.packet(sequence, 0xD7F)), event))
            sequence = (sequence + 1) & 0xFFFF
    capture = write_capture(tmp_path / "dtmf.pcap", [(time, SRC, DST, data) for time, data, _ in packets])
    fields = ["rtp.seq", "rtp.marker", "rtp.timestamp", "rtp.p_type"]
    fields += ["rtpevent.event_id", "rtpevent.end_of_event", "rtpevent.volume", "rtpevent.duration"]
    result = subprocess.run(
        [tshark, "-r", str(capture), "-d", f"udp.port=={DST[1]},rtp", "-d", f"rtp.pt=={PT},rtpevent",
         "-T", "fields", "-E", "separator=;", *(arg for field in fields for arg in ("-e", field))],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    rows = [line.split(";") for line in result.stdout.splitlines()]
    assert len(rows) == len(packets)
    seen = []
    for row, (_, _, event) in zip(rows, packets, strict=True):
        seq, marker, timestamp, pt, code, end, volume, duration = row
        marker_bit = marker in ("1", "True")
        end_bit = end in ("1", "True")
        seen.append((int(code), marker_bit, int(timestamp), end_bit, int(duration)))
        assert int(pt) == PT
        assert int(volume) == 7
        assert (int(code), marker_bit, end_bit, int(duration)) == (
            event.event.event,
            event.marker,
            event.event.end,
            event.event.duration,
        )
        assert int(seq) == (65_533 + len(seen) - 1) & 0xFFFF
    for digit, units in (("5", 1280), ("#", 800)):
        mine = [row for row in seen if row[0] == digit_code(digit)]
        assert len({row[2] for row in mine}) == 1  # one timestamp for the whole event
        assert [row[1] for row in mine] == [True] + [False] * (len(mine) - 1)  # marker on the first only
        durations = [row[4] for row in mine]
        assert durations == sorted(durations)
        ends = [row for row in mine if row[3]]
        assert len(ends) == 3  # the end packet sent three times
        assert {row[4] for row in ends} == {units}  # with the digit's whole duration
    first, second = (next(row[2] for row in seen if row[0] == digit_code(d)) for d in "5#")
    assert first == 0xFFFF_FF00
    assert second == (first + 1280 + round((3 * 0.05 + 0.1) * 8000)) & 0xFFFF_FFFF  # after the gap
