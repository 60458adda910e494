"""Per-stream statistics and reports, against values worked out by hand from RFC 3550 6.4.1, A.3 and A.8."""

from __future__ import annotations

import pytest

from okc.rtp.packet import RtpError, SequenceEvent, SequenceUpdate, SourceTracker
from okc.rtp.rtcp import (
    CompoundPacket,
    ReceiverReport,
    ReportBlock,
    SenderInfo,
    SenderReport,
    SourceDescription,
)
from okc.rtp.stats import NtpClock, SenderStatistics, StreamStatistics, build_report, round_trip_time

NTP_UNIX = 2_208_988_800
SSRC = 0x5EED


def receive(
    stats: StreamStatistics, tracker: SourceTracker, seq: int, timestamp: int, arrival: float
) -> None:
    stats.on_packet(tracker.update(SSRC, seq), timestamp, arrival, 160)


def test_rfc_3550_round_trip_example() -> None:
    # Figure in 6.4.1: LSR 46853.125 s, DLSR 5.250 s, arrival A 46864.500 s: RTT 6.125 s.
    assert round_trip_time(0xB710_8000, 0xB705_2000, 0x0005_4000) == 6.125
    assert round_trip_time(0xB710_8000, 0, 0) is None  # no SR heard yet
    assert round_trip_time(0xB705_0000, 0xB705_2000, 0) is None  # negative: a clock stepped


def test_sender_takes_the_round_trip_from_a_report_block_about_itself() -> None:
    # Our NTP time at monotonic 100.0 is 0xB44DB710.80000000, whose middle 32 bits are 0xB7108000.
    clock = NtpClock(0xB44D_B710 + 0.5 - NTP_UNIX - 100.0)
    sender = SenderStatistics(SSRC, 8000, clock)
    block = ReportBlock(SSRC, 0, 0, 0, 0, lsr=0xB705_2000, dlsr=0x0005_4000)
    assert sender.on_report_block(block, 100.0) == pytest.approx(6.125)
    assert sender.round_trip == pytest.approx(6.125)
    assert sender.on_report_block(ReportBlock(SSRC + 1, 0, 0, 0, 0, 1, 1), 100.0) is None


def test_loss_and_fraction_lost_per_interval() -> None:
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    for seq in (0, 1, 2, 4, 5, 8, 10):  # 0 is on probation; 1 … 10 expected, 3, 6, 7, 9 lost
        receive(stats, tracker, seq, 160 * seq, 0.02 * seq)
    assert (stats.expected, stats.packets_received, stats.cumulative_lost) == (10, 6, 4)
    block = stats.report_block(0.3)
    assert block.fraction_lost == (4 << 8) // 10  # 102: 4 of 10 lost in this interval
    assert (block.cumulative_lost, block.highest_seq) == (4, 10)
    for seq in range(11, 21):
        receive(stats, tracker, seq, 160 * seq, 0.02 * seq)
    block = stats.report_block(0.5)
    assert (block.fraction_lost, block.cumulative_lost, block.highest_seq) == (0, 4, 20)


def test_duplicates_make_the_loss_negative_and_the_interval_fraction_zero() -> None:
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    for seq in (1, 2, 3, 3, 3):
        receive(stats, tracker, seq, 0, 0.0)
    assert stats.cumulative_lost == -2
    assert stats.duplicates == 2
    assert stats.report_block(1.0).fraction_lost == 0


def test_cumulative_loss_is_clamped_to_24_bits() -> None:
    stats = StreamStatistics(SSRC, 8000)
    stats.on_packet(SequenceUpdate(SequenceEvent.NEW_SOURCE, SSRC, 0), 0, 0.0, 160)
    stats.on_packet(SequenceUpdate(SequenceEvent.ACCEPTED, SSRC, 1 << 24), 0, 0.02, 160)
    assert stats.cumulative_lost == 0x7F_FFFF
    assert stats.report_block(1.0).highest_seq == 1 << 24


def test_interarrival_jitter_by_hand() -> None:
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    receive(stats, tracker, 0, 0, 0.0)  # probation: not counted
    receive(stats, tracker, 1, 160, 0.020)  # first counted packet: no D yet
    receive(stats, tracker, 2, 320, 0.050)  # 10 ms late: D = 80 units, J = 80/16 = 5
    assert stats.jitter == pytest.approx(5.0)
    receive(stats, tracker, 3, 480, 0.060)  # back on time: D = |80 − 160| = 80, J = 5 + 75/16
    assert stats.jitter == pytest.approx(9.6875)
    assert stats.jitter_ms == pytest.approx(9.6875 / 8)
    assert stats.report_block(0.1).jitter == 9


def test_jitter_is_zero_for_a_steady_stream_across_a_timestamp_wrap() -> None:
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    for n in range(50):
        receive(stats, tracker, n, (0xFFFF_FF00 + 160 * n) & 0xFFFF_FFFF, 7.0 + 0.02 * n)
    assert stats.jitter == pytest.approx(0.0, abs=1e-6)


def test_lsr_and_dlsr_from_the_last_sender_report() -> None:
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    receive(stats, tracker, 1, 0, 0.0)
    receive(stats, tracker, 2, 160, 0.02)
    assert (stats.report_block(5.0).lsr, stats.report_block(5.0).dlsr) == (0, 0)
    report = SenderReport(SSRC, SenderInfo(0xB44D_B705_2000_0000, 0, 0, 0))
    stats.on_sender_report(report, 10.0)
    block = stats.report_block(15.25)
    assert (block.lsr, block.dlsr) == (0xB705_2000, 0x0005_4000)


def test_a_restarted_source_starts_its_counts_over() -> None:
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    for seq in (1, 2, 3, 9000, 9001, 9002):
        receive(stats, tracker, seq, 0, 0.0)
    assert (stats.expected, stats.packets_received, stats.extended_max) == (2, 2, 9002)


def test_sender_info_maps_ntp_to_the_extrapolated_rtp_timestamp() -> None:
    sender = SenderStatistics(SSRC, 8000, NtpClock(1000.0))
    assert not sender.sent_recently
    sender.on_sent(1000, 160, 1.0)
    sender.on_sent(1160, 160, 1.02)
    info = sender.sender_info(1.52)
    assert (info.rtp_timestamp, info.packet_count, info.octet_count) == (5160, 2, 320)
    # Unix time 1001.52 s in NTP 32.32, to within a microsecond (a double holds ~0.2 µs at this size).
    assert abs(info.ntp - (((1001 + NTP_UNIX) << 32) + round(0.52 * 2**32))) < 2**32 // 1_000_000
    assert sender.sent_recently


def test_build_report_sends_an_sr_after_sending_an_rr_otherwise_and_blocks_for_sources_heard() -> None:
    sender = SenderStatistics(1, 8000)
    stats, tracker = StreamStatistics(SSRC, 8000), SourceTracker()
    idle = StreamStatistics(0xD1E, 8000)  # never started: no block
    receive(stats, tracker, 1, 0, 0.0)
    receive(stats, tracker, 2, 160, 0.02)
    sender.on_sent(0, 160, 0.0)
    first = CompoundPacket.parse(bytes(build_report(1.0, 1, "okc@example", [stats, idle], sender)))
    sr = first.first(SenderReport)
    assert sr is not None
    assert [block.ssrc for block in sr.reports] == [SSRC]
    sdes = first.first(SourceDescription)
    assert sdes is not None
    assert sdes.cname_of(1) == b"okc@example"
    # RFC 3550 6.4: an SR while we sent within the last two intervals, and no block for a silent source.
    second = build_report(2.0, 1, "okc@example", [stats], sender).first(SenderReport)
    assert second is not None
    assert second.reports == ()
    receive(stats, tracker, 3, 320, 2.5)
    third = build_report(3.0, 1, "okc@example", [stats], sender).first(ReceiverReport)
    assert third is not None
    assert [block.highest_seq for block in third.reports] == [3]


def test_a_clock_rate_is_positive() -> None:
    with pytest.raises(RtpError):
        StreamStatistics(1, 0)
    with pytest.raises(RtpError):
        SenderStatistics(1, -8000)
