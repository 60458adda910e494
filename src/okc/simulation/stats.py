"""Estimates from independent replications: the mean and its Student-t confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from okc.simulation.events import SimulationError

__all__ = ["Estimate", "estimate"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A sample mean with a two-sided confidence interval of the given level."""

    mean: float
    half_width: float
    level: float
    samples: int

    def __post_init__(self) -> None:
        if not 0.0 < self.level < 1.0:
            raise SimulationError(f"confidence level must be between 0 and 1, not {self.level!r}")
        if self.samples < 2 or not self.half_width >= 0.0:
            raise SimulationError("an estimate needs at least two samples and a non-negative half-width")

    @property
    def low(self) -> float:
        """Lower end of the interval."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the interval."""
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        """Whether value lies inside the interval."""
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.5f} ± {self.half_width:.5f} ({100 * self.level:g} % CI, n = {self.samples})"


def estimate(samples: Sequence[float], level: float = 0.99) -> Estimate:
    """Mean of independent, identically distributed samples with a Student-t interval of this level."""
    n = len(samples)
    if n < 2:
        raise SimulationError(f"an interval needs at least two samples, got {n}")
    mean = math.fsum(samples) / n
    variance = math.fsum((x - mean) ** 2 for x in samples) / (n - 1)
    quantile = float(stats.t.ppf(0.5 + level / 2, n - 1)) if 0.0 < level < 1.0 else math.nan
    if math.isnan(quantile):
        raise SimulationError(f"confidence level must be between 0 and 1, not {level!r}")
    return Estimate(mean, quantile * math.sqrt(variance / n), level, n)
