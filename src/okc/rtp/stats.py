"""Per-stream RTP statistics and the RTCP reports built from them (RFC 3550 6.4 and appendix A.3, A.8).

`StreamStatistics` follows one received SSRC: packets and octets, expected and lost (A.3), the fraction
lost since the previous report, interarrival jitter (A.8) and the last SR heard, and writes the report
block our RR/SR carries about it. `SenderStatistics` follows what we send: counts for our SR, the
NTP ↔ RTP timestamp mapping, and the round-trip time a peer's report block reveals (6.4.1).
Times are the caller's: `now`/`arrival` on a monotonic clock, and a fixed offset from it to Unix time
for NTP timestamps — nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from okc.rtp.packet import RtpError, SequenceEvent, SequenceUpdate, ts_distance
from okc.rtp.rtcp import (
    CompoundPacket,
    ReceiverReport,
    ReportBlock,
    SenderInfo,
    SenderReport,
    SourceDescription,
    ntp_middle,
    seconds_to_ntp,
)

__all__ = [
    "NtpClock",
    "SenderStatistics",
    "StreamStatistics",
    "build_report",
    "round_trip_time",
]

_LOST_MIN: Final = -0x80_0000
_LOST_MAX: Final = 0x7F_FFFF
_U32: Final = 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class NtpClock:
    """Maps the caller's monotonic `now` to NTP wall-clock time by a fixed offset (Unix − monotonic)."""

    offset: float = 0.0

    def ntp(self, now: float) -> int:
        """The 64-bit NTP timestamp of monotonic instant `now`."""
        return seconds_to_ntp(now + self.offset)


def round_trip_time(arrival_middle: int, lsr: int, dlsr: int) -> float | None:
    """Round trip in seconds from a report block: A − LSR − DLSR, all in 1/65536 s (RFC 3550 6.4.1).

    `arrival_middle` is the middle 32 bits of our NTP time when the block arrived. None when the peer
    has heard no SR from us yet (LSR 0) or the arithmetic goes negative (a clock stepped).
    """
    if lsr == 0:
        return None
    delay = (arrival_middle - lsr - dlsr) & _U32
    if delay >= 0x8000_0000:
        return None
    return delay / 65536


class StreamStatistics:
    """Reception statistics of one SSRC we receive, fed by SourceTracker's verdicts (RFC 3550 A.3, A.8)."""

    def __init__(self, ssrc: int, clock_rate: int) -> None:
        if clock_rate <= 0:
            raise RtpError(f"an RTP clock rate is positive, not {clock_rate}")
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.packets_received = 0
        """Packets counted as A.1 does (late and duplicate included) since the source was (re)started."""
        self.octets_received = 0
        """Payload octets of every packet counted in packets_received."""
        self.duplicates = 0
        self.late = 0
        self._base = 0
        self._max = -1
        self._expected_prior = 0
        self._received_prior = 0
        self._jitter = 0.0
        self._last_arrival: float | None = None
        self._last_timestamp = 0
        self._last_sr: int | None = None
        self._last_sr_arrival = 0.0

    @property
    def started(self) -> bool:
        """Whether the source has passed probation and packets are being counted."""
        return self._max >= self._base

    @property
    def heard_since_report(self) -> bool:
        """Whether packets arrived since the last report block, so the next report covers this source."""
        return self.started and self.packets_received != self._received_prior

    @property
    def extended_max(self) -> int:
        """The extended highest sequence number received."""
        return self._max

    @property
    def expected(self) -> int:
        """Packets expected: extended highest − base + 1 (A.3)."""
        return self._max - self._base + 1 if self.started else 0

    @property
    def cumulative_lost(self) -> int:
        """Expected − received, clamped to the report block's signed 24 bits (negative with duplicates)."""
        return max(_LOST_MIN, min(_LOST_MAX, self.expected - self.packets_received))

    @property
    def jitter(self) -> float:
        """Interarrival jitter (A.8) in RTP timestamp units."""
        return self._jitter

    @property
    def jitter_ms(self) -> float:
        """Interarrival jitter in milliseconds."""
        return 1000.0 * self._jitter / self.clock_rate

    @property
    def last_sr(self) -> int | None:
        """The middle 32 bits of the NTP timestamp of the last SR from this source (LSR), if any."""
        return self._last_sr

    def on_packet(self, update: SequenceUpdate, timestamp: int, arrival: float, payload_size: int) -> None:
        """Count one RTP packet of this source, as SourceTracker judged it."""
        event, extended = update.event, update.extended
        if extended is None:  # probation or a jump: not (yet) this source's media
            return
        if event is SequenceEvent.NEW_SOURCE:
            self._base = self._max = extended
            self.packets_received = self.duplicates = self.late = 0
            self.octets_received = 0
            self._expected_prior = self._received_prior = 0
            self._jitter = 0.0
            self._last_arrival = None
        elif event is SequenceEvent.ACCEPTED:
            self._max = extended
        elif event is SequenceEvent.LATE:
            self.late += 1
        else:  # a duplicate counts as received (A.1), but says nothing about jitter
            self.duplicates += 1
            self.packets_received += 1
            self.octets_received += payload_size
            return
        self.packets_received += 1
        self.octets_received += payload_size
        self._update_jitter(timestamp, arrival)

    def _update_jitter(self, timestamp: int, arrival: float) -> None:
        """J += (|D| − J) / 16, D the change in transit time between consecutive arrivals (A.8)."""
        if self._last_arrival is not None:
            arrived = (arrival - self._last_arrival) * self.clock_rate
            sent = ts_distance(self._last_timestamp, timestamp)
            self._jitter += (abs(arrived - sent) - self._jitter) / 16
        self._last_arrival = arrival
        self._last_timestamp = timestamp

    def on_sender_report(self, report: SenderReport, arrival: float) -> None:
        """Remember the source's SR for the LSR/DLSR of our next report block."""
        self._last_sr = ntp_middle(report.sender.ntp)
        self._last_sr_arrival = arrival

    def report_block(self, now: float) -> ReportBlock:
        """The reception report block about this source, and start a new reporting interval (A.3)."""
        expected = self.expected
        expected_interval = expected - self._expected_prior
        received_interval = self.packets_received - self._received_prior
        self._expected_prior = expected
        self._received_prior = self.packets_received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = (lost_interval << 8) // expected_interval
        lsr, dlsr = 0, 0
        if self._last_sr is not None:
            lsr = self._last_sr
            dlsr = min(_U32, max(0, round((now - self._last_sr_arrival) * 65536)))
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=fraction,
            cumulative_lost=self.cumulative_lost,
            highest_seq=max(self._max, 0) & _U32,
            jitter=min(_U32, int(self._jitter)),
            lsr=lsr,
            dlsr=dlsr,
        )


class SenderStatistics:
    """What we send on one SSRC: counts and NTP/RTP mapping for our SR, and the RTT peers report."""

    def __init__(self, ssrc: int, clock_rate: int, clock: NtpClock | None = None) -> None:
        if clock_rate <= 0:
            raise RtpError(f"an RTP clock rate is positive, not {clock_rate}")
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.clock = clock or NtpClock()
        self.packet_count = 0
        self.octet_count = 0
        """Payload octets sent (RFC 3550 6.4.1: header and padding excluded)."""
        self.round_trip: float | None = None
        """The latest round-trip time in seconds from a peer's report block about us, if any."""
        self._last_timestamp: int | None = None
        self._last_sent = 0.0
        self._counts_at_reports = (0, 0)  # packet_count at the report before last, and at the last

    @property
    def sent_recently(self) -> bool:
        """Whether RTP went out since the report before last, so the next report is an SR (RFC 3550 6.4)."""
        return self.packet_count != self._counts_at_reports[0]

    def reported(self) -> None:
        """A report (SR or RR) went out: the two-report window of `sent_recently` moves on."""
        self._counts_at_reports = (self._counts_at_reports[1], self.packet_count)

    def on_sent(self, timestamp: int, payload_size: int, now: float) -> None:
        """Count one RTP packet we sent, carrying RTP `timestamp`, at monotonic `now`."""
        self.packet_count = (self.packet_count + 1) & _U32
        self.octet_count = (self.octet_count + payload_size) & _U32
        self._last_timestamp = timestamp
        self._last_sent = now

    def sender_info(self, now: float) -> SenderInfo:
        """Our SR's sender info at `now`: the RTP timestamp extrapolated from the last packet sent."""
        rtp_timestamp = 0
        if self._last_timestamp is not None:
            elapsed = round((now - self._last_sent) * self.clock_rate)
            rtp_timestamp = (self._last_timestamp + elapsed) & _U32
        return SenderInfo(self.clock.ntp(now), rtp_timestamp, self.packet_count, self.octet_count)

    def on_report_block(self, block: ReportBlock, arrival: float) -> float | None:
        """A peer's report block about our SSRC: the round trip it reveals (also kept in round_trip)."""
        if block.ssrc != self.ssrc:
            return None
        rtt = round_trip_time(ntp_middle(self.clock.ntp(arrival)), block.lsr, block.dlsr)
        if rtt is not None:
            self.round_trip = rtt
        return rtt


def build_report(
    now: float,
    ssrc: int,
    cname: str,
    receptions: Iterable[StreamStatistics],
    sender: SenderStatistics | None = None,
) -> CompoundPacket:
    """Our compound RTCP at `now`: an SR if we sent RTP since the report before last, else an RR (RFC 3550
    6.4), then SDES CNAME.

    Report blocks go out for the sources heard since the last report (at most 31, RFC 3550 6.4); each
    starts a new interval.
    """
    heard = [stats for stats in receptions if stats.heard_since_report][:31]
    blocks = tuple(stats.report_block(now) for stats in heard)
    report: SenderReport | ReceiverReport
    if sender is not None and sender.sent_recently:
        report = SenderReport(ssrc, sender.sender_info(now), blocks)
    else:
        report = ReceiverReport(ssrc, blocks)
    if sender is not None:
        sender.reported()
    return CompoundPacket((report, SourceDescription.cname(ssrc, cname)))
