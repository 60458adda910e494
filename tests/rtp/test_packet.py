"""RTP packets on the wire (RFC 3550 5.1) and RFC 3550 A.1 source validation."""

from __future__ import annotations

import pytest

from okc.errors import OkcError
from okc.rtp.packet import (
    PCMA,
    PCMU,
    HeaderExtension,
    RtpError,
    RtpPacket,
    SequenceEvent,
    SourceTracker,
    seq_distance,
    seq_newer,
    ts_newer,
)

# V=2 P=1 X=1 CC=2, M=1 PT=8, seq 0x1234, ts 0xDEADBEEF, SSRC 0x01020304, CSRCs 5 and 6,
# extension profile 0xBEDE with one word, payload "hi", three octets of padding.
WIRE = bytes.fromhex("b288 1234 deadbeef 01020304 00000005 00000006 bede0001 aabbccdd 6869 000003")


def test_a_full_packet_parses_field_by_field() -> None:
    packet = RtpPacket.parse(WIRE)
    assert packet == RtpPacket(
        payload_type=PCMA,
        sequence=0x1234,
        timestamp=0xDEADBEEF,
        ssrc=0x01020304,
        payload=b"hi",
        marker=True,
        csrcs=(5, 6),
        extension=HeaderExtension(0xBEDE, bytes.fromhex("aabbccdd")),
        padding=3,
    )
    assert bytes(packet) == WIRE


def test_a_plain_pcmu_packet_is_twelve_bytes_of_header_and_the_payload() -> None:
    packet = RtpPacket(PCMU, 1, 160, 0xABC, b"\xff" * 160)
    data = bytes(packet)
    assert data[:12] == bytes.fromhex("80 00 0001 000000a0 00000abc")
    assert len(data) == 172
    assert RtpPacket.parse(data) == packet


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x80\x00\x00", "at least 12 bytes"),
        (bytes.fromhex("40 00 0001 00000000 00000001"), "version 1"),
        (bytes.fromhex("80 c8 0001 00000000 00000001"), "is RTCP"),
        (bytes.fromhex("80 cc 0001 00000000 00000001"), "is RTCP"),
        (bytes.fromhex("82 00 0001 00000000 00000001 00000005"), "2 CSRCs need 20 bytes"),
        (bytes.fromhex("90 00 0001 00000000 00000001 bede"), "cut short"),
        (bytes.fromhex("90 00 0001 00000000 00000001 bede0002 00000000"), "runs past"),
        (bytes.fromhex("a0 00 0001 00000000 00000001 0000"), "padding count is 0"),
        (bytes.fromhex("a0 00 0001 00000000 00000001 0005"), "overrun"),
    ],
)
def test_malformed_packets_raise_rtp_error_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(RtpError, match=reason):
        RtpPacket.parse(data)


def test_rtp_error_is_an_okc_error() -> None:
    assert issubclass(RtpError, OkcError)


@pytest.mark.parametrize(
    "fields",
    [
        {"payload_type": 128},
        {"payload_type": 72},
        {"sequence": 65536},
        {"timestamp": -1},
        {"ssrc": 1 << 32},
        {"csrcs": tuple(range(16))},
        {"padding": 256},
    ],
)
def test_out_of_range_fields_are_refused_on_construction(fields: dict[str, int]) -> None:
    values: dict[str, object] = {"payload_type": 0, "sequence": 0, "timestamp": 0, "ssrc": 0, **fields}
    with pytest.raises(RtpError):
        RtpPacket(**values)  # type: ignore[arg-type]


def test_extension_data_is_whole_words() -> None:
    with pytest.raises(RtpError, match="32-bit words"):
        HeaderExtension(1, b"abc")


def test_serial_number_helpers_take_the_near_way_round() -> None:
    assert seq_distance(65535, 0) == 1
    assert seq_distance(0, 65535) == -1
    assert seq_newer(2, 65530)
    assert not seq_newer(65530, 2)
    assert ts_newer(10, 0xFFFF_FFF0)
    assert not ts_newer(0xFFFF_FFF0, 10)


def feed(tracker: SourceTracker, ssrc: int, *seqs: int) -> list[SequenceEvent]:
    return [tracker.update(ssrc, seq).event for seq in seqs]


def test_a_source_is_believed_after_two_in_sequence_packets() -> None:
    tracker = SourceTracker()
    assert feed(tracker, 1, 100) == [SequenceEvent.PROBATION]
    assert (tracker.expected, tracker.received) == (0, 0)
    assert feed(tracker, 1, 102, 103) == [SequenceEvent.PROBATION, SequenceEvent.NEW_SOURCE]
    assert tracker.ssrc == 1
    assert tracker.base_seq == 103
    assert (tracker.expected, tracker.received) == (1, 1)


def test_wrap_late_and_duplicate_packets() -> None:
    tracker = SourceTracker()
    feed(tracker, 9, 65533, 65534)
    updates = [tracker.update(9, seq) for seq in (65535, 1, 0, 0, 1, 2)]
    assert [u.event for u in updates] == [
        SequenceEvent.ACCEPTED,
        SequenceEvent.ACCEPTED,
        SequenceEvent.LATE,
        SequenceEvent.DUPLICATE,
        SequenceEvent.DUPLICATE,
        SequenceEvent.ACCEPTED,
    ]
    assert [u.extended for u in updates] == [65535, 65537, 65536, 65536, 65537, 65538]
    assert tracker.expected == 65538 - 65534 + 1
    # A.1 counts duplicates as received, so the loss may be negative (RFC 3550 6.4.1).
    assert tracker.received == 7


def test_a_large_jump_is_dropped_unless_the_next_packet_follows_it() -> None:
    tracker = SourceTracker()
    feed(tracker, 5, 10, 11, 12)
    assert feed(tracker, 5, 9000, 13) == [SequenceEvent.JUMP, SequenceEvent.ACCEPTED]
    assert feed(tracker, 5, 20000, 20001) == [SequenceEvent.JUMP, SequenceEvent.NEW_SOURCE]
    assert tracker.base_seq == 20001
    assert (tracker.expected, tracker.received) == (1, 1)


def test_a_packet_further_behind_than_max_misorder_is_a_jump() -> None:
    tracker = SourceTracker()
    feed(tracker, 5, 1000, 1001, 1200)
    assert feed(tracker, 5, 1101, 1100) == [SequenceEvent.LATE, SequenceEvent.JUMP]


def test_a_stray_ssrc_does_not_take_over_but_a_persistent_one_does() -> None:
    tracker = SourceTracker()
    feed(tracker, 1, 10, 11)
    assert feed(tracker, 2, 500) == [SequenceEvent.PROBATION]
    assert feed(tracker, 1, 12) == [SequenceEvent.ACCEPTED]
    assert feed(tracker, 2, 700, 701) == [SequenceEvent.PROBATION, SequenceEvent.NEW_SOURCE]
    assert tracker.ssrc == 2
    update = tracker.update(2, 702)
    assert update.playable
    assert update.extended == 702
    assert not tracker.update(1, 13).playable


def test_each_ssrc_is_on_probation_on_its_own() -> None:
    tracker = SourceTracker()
    assert feed(tracker, 1, 10) == [SequenceEvent.PROBATION]
    assert feed(tracker, 2, 500) == [SequenceEvent.PROBATION]  # a stray between the stream's first two
    assert feed(tracker, 1, 11) == [SequenceEvent.NEW_SOURCE]
    assert feed(tracker, 2, 501) == [SequenceEvent.PROBATION]  # candidates start over after a new source
    for ssrc in range(100, 100 + SourceTracker.MAX_CANDIDATES):
        feed(tracker, ssrc, 0)
    assert feed(tracker, 2, 502) == [SequenceEvent.PROBATION]  # forgotten: the oldest stranger went first
    assert feed(tracker, 2, 503) == [SequenceEvent.NEW_SOURCE]
