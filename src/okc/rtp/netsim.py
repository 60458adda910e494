"""Seeded synthetic network traces for one G.711 RTP stream: delay jitter, bursty loss, reordering, a delay
spike and sender/receiver clock drift.

Tests and benchmarks feed the packets of a `Trace` to a jitter buffer at their arrival times. Everything is
drawn from one `random.Random(seed)`, so a trace is the same on every run and machine. Times are seconds on
the receiver's clock.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from okc.errors import OkcError
from okc.rtp.g711 import alaw_encode
from okc.rtp.packet import PCMA, RtpPacket

__all__ = ["Arrival", "DelaySpike", "JitterShape", "NetsimError", "NetworkProfile", "Trace", "generate"]

SAMPLE_RATE: Final = 8000
FRAME_SAMPLES: Final = 160


class NetsimError(OkcError):
    """A network profile with values out of range."""


class JitterShape(enum.Enum):
    """How the variable part of the delay is distributed within 0 … jitter."""

    UNIFORM = "uniform"
    """Every delay in the range equally likely."""
    EXPONENTIAL = "exponential"
    """Mostly short, with a tail up to the jitter (a queue that is usually near empty); mean jitter / 4."""
    CORRELATED = "correlated"
    """A slowly wandering queue (AR(1), about 200 ms memory) with a little per-packet noise."""


@dataclass(frozen=True, slots=True)
class DelaySpike:
    """A sudden queue: packets sent from `start` wait `height` seconds more, decaying at 1 s/s (sawtooth).

    Those sent during the spike arrive almost together once it clears, as behind a stalled link.
    """

    start: float
    height: float

    def __post_init__(self) -> None:
        if self.start < 0 or not 0 < self.height <= 5:
            raise NetsimError(
                f"a spike starts at ≥ 0 s and is (0, 5] s high, not {self.start}, {self.height}"
            )

    def added(self, sent: float) -> float:
        """Added delay for a packet sent at `sent`."""
        if sent < self.start:
            return 0.0
        return max(0.0, self.height - (sent - self.start))


@dataclass(frozen=True, slots=True)
class NetworkProfile:
    """What the network does to a stream of 20 ms packets."""

    duration: float = 180.0
    """Seconds of audio sent."""
    base_delay: float = 0.03
    """The smallest one-way delay."""
    jitter: float = 0.0
    """Range of the variable delay, 0 … 0.08 s and beyond."""
    shape: JitterShape = JitterShape.EXPONENTIAL
    loss: float = 0.0
    """Average share of packets lost, 0 … 1."""
    burst: float = 1.0
    """Mean length of a loss burst in packets (Gilbert–Elliott); 1 is independent loss."""
    reorder: float = 0.0
    """Share of packets held back 1–3 packet times more, so later ones overtake them."""
    spike: DelaySpike | None = None
    drift: float = 0.0
    """Sender clock rate relative to the receiver's minus one: +0.001 sends 0.1 % more packets per second."""
    talk: float = 1.2
    """Mean talkspurt in seconds; the audio alternates speech-like noise and low-level background."""
    pause: float = 0.8
    """Mean pause between talkspurts in seconds."""
    ssrc: int = 0x5EED

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.base_delay < 0 or self.jitter < 0:
            raise NetsimError("duration must be positive, base delay and jitter non-negative")
        if not 0 <= self.loss < 1 or self.burst < 1 or not 0 <= self.reorder < 1:
            raise NetsimError("loss and reorder are shares in [0, 1), burst a mean length ≥ 1")
        if abs(self.drift) >= 0.05:
            raise NetsimError(f"clock drift beyond ±5 % is not a clock, not {self.drift}")
        if self.talk <= 0 or self.pause <= 0:
            raise NetsimError("talkspurts and pauses have positive mean lengths")


@dataclass(frozen=True, slots=True)
class Arrival:
    """One packet that reached the receiver: when it was sent and arrived, and the packet."""

    sent: float
    arrival: float
    packet: RtpPacket
    voiced: bool


@dataclass(frozen=True, slots=True)
class Trace:
    """A generated trace: the arrivals in arrival order and how many packets were sent."""

    profile: NetworkProfile
    seed: int
    arrivals: tuple[Arrival, ...]
    sent: int
    lost: int = field(default=0)

    def __iter__(self) -> Iterator[Arrival]:
        return iter(self.arrivals)


def _frames(rng: random.Random, count: int, profile: NetworkProfile) -> tuple[list[bytes], list[bool]]:
    """A-law frames alternating talkspurts (shaped noise near −20 dBm0) and background near −55 dBm0."""
    noise = np.random.default_rng(rng.getrandbits(32))
    payloads: list[bytes] = []
    voiced: list[bool] = []
    talking = rng.random() < 0.5
    left = 0
    for _ in range(count):
        if left <= 0:
            talking = not talking
            mean = profile.talk if talking else profile.pause
            left = max(1, round(rng.expovariate(1 / mean) / 0.02))
        left -= 1
        level = 2000.0 if talking else 40.0
        samples = noise.normal(0, level, FRAME_SAMPLES)
        if talking:  # a crude voiced buzz: low-passed noise with a 120–200 Hz periodic component
            samples = np.convolve(samples, np.ones(4) / 2, mode="same")
            samples += level * np.sin(2 * math.pi * rng.uniform(120, 200) * np.arange(FRAME_SAMPLES) / 8000)
        pcm = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
        payloads.append(alaw_encode(pcm))
        voiced.append(talking)
    return payloads, voiced


def generate(profile: NetworkProfile, seed: int = 0) -> Trace:
    """The trace of one call over the profile's network, the same for the same profile and seed."""
    rng = random.Random(seed)
    count = round(profile.duration / 0.02)
    payloads, voiced = _frames(rng, count, profile)
    first_seq = rng.randrange(1 << 16)
    first_ts = rng.randrange(1 << 32)
    period = 0.02 / (1 + profile.drift)  # a fast sender clock sends its 20 ms packets more often
    bad = False
    to_bad = profile.loss / (profile.burst * (1 - profile.loss)) if profile.loss else 0.0
    to_good = 1 / profile.burst
    queue = 0.0
    arrivals: list[Arrival] = []
    lost = 0
    for index in range(count):
        sent = index * period
        bad = rng.random() >= to_good if bad else rng.random() < to_bad
        if bad:
            lost += 1
            continue
        delay = profile.base_delay + _variable(rng, profile, queue)
        if profile.shape is JitterShape.CORRELATED:
            queue = delay - profile.base_delay
        if profile.reorder and rng.random() < profile.reorder:
            delay += 0.02 * rng.randint(1, 3)
        if profile.spike is not None:
            delay += profile.spike.added(sent)
        packet = RtpPacket(
            PCMA,
            (first_seq + index) & 0xFFFF,
            (first_ts + index * FRAME_SAMPLES) & 0xFFFF_FFFF,
            profile.ssrc,
            payloads[index],
            marker=index == 0,
        )
        arrivals.append(Arrival(sent, sent + delay, packet, voiced[index]))
    arrivals.sort(key=lambda arrival: arrival.arrival)
    return Trace(profile, seed, tuple(arrivals), count, lost)


def _variable(rng: random.Random, profile: NetworkProfile, queue: float) -> float:
    jitter = profile.jitter
    if jitter == 0:
        return 0.0
    if profile.shape is JitterShape.UNIFORM:
        return rng.uniform(0, jitter)
    if profile.shape is JitterShape.EXPONENTIAL:
        return min(jitter, rng.expovariate(4 / jitter))
    # AR(1) around jitter / 3 with 0.9 per packet (about 10 packets of memory), clipped to the range.
    target = 0.9 * queue + 0.1 * rng.uniform(0, 2 * jitter / 3) + rng.gauss(0, jitter / 12)
    return min(jitter, max(0.0, target))
