"""Random traffic for simulations: Poisson arrivals and exponential durations from one seeded source."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from okc.simulation.events import SimulationError

__all__ = ["ExponentialDuration", "PoissonArrivals"]


def _positive(value: float, name: str) -> None:
    if not 0.0 < value < math.inf:
        raise SimulationError(f"{name} must be a finite number above zero, not {value!r}")


@dataclass(frozen=True, slots=True)
class ExponentialDuration:
    """Exponentially distributed durations (handle time, patience) with the given mean, in seconds."""

    mean: float

    def __post_init__(self) -> None:
        _positive(self.mean, "mean duration")

    def draw(self, rng: random.Random) -> float:
        """One duration drawn from rng."""
        return rng.expovariate(1.0 / self.mean)


@dataclass(frozen=True, slots=True)
class PoissonArrivals:
    """A Poisson stream of arrivals: rate per second, so gaps are exponential with mean 1/rate."""

    rate: float

    def __post_init__(self) -> None:
        _positive(self.rate, "arrival rate")

    @classmethod
    def from_traffic(cls, erlangs: float, aht: float) -> PoissonArrivals:
        """The arrival stream that offers erlangs of traffic with average handling time aht."""
        _positive(erlangs, "traffic")
        _positive(aht, "aht")
        return cls(erlangs / aht)

    def next_after(self, now: float, rng: random.Random) -> float:
        """The time of the next arrival after now."""
        return now + rng.expovariate(self.rate)
