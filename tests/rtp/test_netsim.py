"""Synthetic network traces: seeded, and each impairment does what its profile says."""

from __future__ import annotations

import itertools
import statistics

import pytest

from okc.rtp.netsim import DelaySpike, JitterShape, NetsimError, NetworkProfile, generate
from okc.rtp.packet import PCMA, seq_distance


def test_same_seed_same_trace_other_seed_other_trace() -> None:
    profile = NetworkProfile(duration=10, jitter=0.04, loss=0.02)
    assert generate(profile, 1) == generate(profile, 1)
    assert generate(profile, 1).arrivals != generate(profile, 2).arrivals


def test_clean_network_delivers_every_packet_in_order_at_the_base_delay() -> None:
    trace = generate(NetworkProfile(duration=10, base_delay=0.05), 3)
    assert trace.sent == 500
    assert len(trace.arrivals) == 500
    assert trace.lost == 0
    packets = [a.packet for a in trace]
    assert all(seq_distance(a.sequence, b.sequence) == 1 for a, b in itertools.pairwise(packets))
    assert all(p.payload_type == PCMA and len(p.payload) == 160 for p in packets)
    assert {round(a.arrival - a.sent, 9) for a in trace} == {0.05}


@pytest.mark.parametrize("shape", list(JitterShape))
def test_jitter_stays_within_its_range(shape: JitterShape) -> None:
    trace = generate(NetworkProfile(duration=60, jitter=0.08, shape=shape), 5)
    delays = [a.arrival - a.sent - 0.03 for a in trace]
    assert min(delays) >= -1e-9
    assert max(delays) <= 0.08 + 1e-9
    assert statistics.pstdev(delays) > 0.005
    arrival_order = [a.sent for a in trace]
    assert arrival_order != sorted(arrival_order)  # 80 ms of jitter reorders 20 ms packets


def test_loss_rate_and_bursts() -> None:
    trace = generate(NetworkProfile(duration=180, loss=0.05, burst=3), 7)
    assert trace.lost / trace.sent == pytest.approx(0.05, abs=0.015)
    sequences = sorted(a.packet.sequence - trace.arrivals[0].packet.sequence for a in trace)
    gaps = [b - a - 1 for a, b in itertools.pairwise(sequences) if b - a > 1]
    assert statistics.mean(gaps) > 2  # losses come in bursts


def test_spike_holds_packets_back_then_releases_them_together() -> None:
    trace = generate(NetworkProfile(duration=20, spike=DelaySpike(5.0, 0.4)), 1)
    during = [a for a in trace if 5.0 <= a.sent < 5.4]
    assert all(a.arrival == pytest.approx(5.43) for a in during)
    assert all(a.arrival - a.sent == pytest.approx(0.03) for a in trace if a.sent < 5.0 or a.sent > 5.4)


def test_drift_changes_the_sending_rate() -> None:
    fast = generate(NetworkProfile(duration=100, drift=0.001), 1)
    sent = [a.sent for a in fast]
    assert sent[-1] == pytest.approx(4999 * 0.02 / 1.001)


def test_talkspurts_alternate_with_quiet() -> None:
    trace = generate(NetworkProfile(duration=60), 2)
    voiced = [a.voiced for a in trace]
    assert 0.3 < sum(voiced) / len(voiced) < 0.9


def test_profiles_validate() -> None:
    for kwargs in ({"loss": 1.0}, {"burst": 0.5}, {"drift": 0.1}, {"duration": 0}, {"jitter": -1}):
        with pytest.raises(NetsimError):
            NetworkProfile(**kwargs)
    with pytest.raises(NetsimError):
        DelaySpike(1.0, 0.0)
