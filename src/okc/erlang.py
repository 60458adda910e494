"""Erlang B, C and A: staffing figures for a queue of callers served by interchangeable agents.

Traffic is in Erlangs (arrival rate × average handling time); times are in the caller's unit (seconds
throughout okc). Every function stays finite and exact to double precision for 10,000 agents: Erlang B
in closed form as a ratio of the Poisson pmf (in logs) to its cdf (the regularised upper incomplete gamma
function), falling back to the textbook recursion where that cdf underflows; Erlang C from Erlang B; and
Erlang A (M/M/N+M, exponential patience) from the birth–death chain with the queue part summed in log
space and the waiting-time law of a caller who finds k ahead of them written with the regularised
incomplete beta function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from okc.errors import OkcError

__all__ = [
    "ErlangAResult",
    "ErlangCTable",
    "ErlangError",
    "StaffingResult",
    "agents_required",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "service_level",
]

# Queue-part terms smaller than this, relative to the largest, no longer change a double-precision sum.
_LOG_NEGLIGIBLE = -60.0
# Below this P(Poisson(a) ≤ n) the closed form of Erlang B loses its digits; the recursion takes over.
_CDF_FLOOR = 1e-200
_INF = math.inf
_exp, _log, _lgamma = math.exp, math.log, math.lgamma
_poisson_cdf_upper = special.gammaincc


class ErlangError(OkcError):
    """Inputs outside the model: negative traffic, no agents, a non-positive time, a goal outside 0..1."""


def _check_traffic(traffic: float) -> float:
    if not 0.0 <= traffic < math.inf:  # also rejects NaN
        raise ErlangError(f"traffic must be a finite number of Erlangs ≥ 0, not {traffic!r}")
    return traffic


def _check_agents(agents: int, name: str = "agents") -> int:
    if type(agents) is not int or agents <= 0:  # bool is an int subclass, not a head count
        raise ErlangError(f"{name} must be a whole number > 0, not {agents!r}")
    return agents


def _check_time(value: float, name: str, *, allow_zero: bool = False) -> float:
    if not ((value >= 0.0 if allow_zero else value > 0.0) and value < math.inf):  # NaN fails both
        bound = "≥ 0" if allow_zero else "> 0"
        raise ErlangError(f"{name} must be a finite number of seconds {bound}, not {value!r}")
    return value


def _check_fraction(value: float, name: str, *, allow_zero: bool = True) -> float:
    if not math.isfinite(value) or value > 1 or value < 0 or (value == 0 and not allow_zero):
        raise ErlangError(f"{name} must be between 0 and 1, not {value!r}")
    return float(value)


def erlang_b(traffic: float, servers: int) -> float:
    """Probability that a call finds all servers busy and is lost (M/M/N/N), by the stable recursion."""
    return _erlang_b(_check_traffic(traffic), _check_agents(servers, "servers"))


def _erlang_b(a: float, n: int) -> float:
    """B(a, n) = P(Poisson(a) = n) / P(Poisson(a) ≤ n) in closed form: O(1) for any n, the pmf in logs."""
    if a == 0.0:
        return 0.0
    cdf = float(_poisson_cdf_upper(n + 1.0, a))  # Q(n + 1, a) = P(Poisson(a) ≤ n)
    if cdf < _CDF_FLOOR:  # far more servers demanded than offered: the cdf underflows, recur instead
        return _erlang_b_recursion(a, n)
    return min(1.0, _exp(n * _log(a) - a - _lgamma(n + 1.0)) / cdf)


def _erlang_b_recursion(a: float, n: int) -> float:
    # 1/B_k = 1 + (k/a)·(1/B_{k-1}): positive terms only, so no cancellation; a huge 1/B goes to inf → B = 0.
    inverse = 1.0
    for k in range(1, n + 1):
        inverse = 1.0 + inverse * k / a
    return 1.0 / inverse


def _erlang_c_from_b(a: float, n: int, b: float) -> float:
    if a >= n:
        return 1.0
    return n * b / (n - a * (1.0 - b))


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a caller waits (M/M/N, infinite patience); 1.0 when traffic ≥ agents (unstable)."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    return _erlang_c_from_b(a, n, _erlang_b(a, n))


def _sl_from_c(a: float, n: int, c: float, aht: float, threshold: float) -> float:
    if a >= n:
        return 0.0
    return max(0.0, 1.0 - c * math.exp(-(n - a) * threshold / aht))


def service_level(traffic: float, agents: int, aht: float, threshold: float) -> float:
    """Share of callers answered within threshold seconds (Erlang C); 0.0 when the queue is unstable."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    h = _check_time(aht, "aht")
    t = _check_time(threshold, "threshold", allow_zero=True)
    return _sl_from_c(a, n, _erlang_c_from_b(a, n, _erlang_b(a, n)), h, t)


def average_speed_of_answer(traffic: float, agents: int, aht: float) -> float:
    """Mean wait of all callers, in seconds (Erlang C); infinity when traffic ≥ agents."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    h = _check_time(aht, "aht")
    if a >= n:
        return math.inf
    return _erlang_c_from_b(a, n, _erlang_b(a, n)) * h / (n - a)


def occupancy(traffic: float, agents: int) -> float:
    """Share of agents' time spent handling calls: traffic / agents, capped at 1 (all busy)."""
    # the checks inline: this is a one-division figure, called in tight staffing loops
    if not 0.0 <= traffic < _INF:
        _check_traffic(traffic)
    if type(agents) is not int or agents <= 0:
        _check_agents(agents)
    return traffic / agents if traffic < agents else 1.0


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """The smallest staffing that meets a service-level goal, with the figures it achieves."""

    agents: int
    p_wait: float
    service_level: float
    average_speed_of_answer: float
    occupancy: float


def agents_required(
    traffic: float,
    aht: float,
    target_service_level: float,
    threshold: float,
    max_occupancy: float = 1.0,
) -> StaffingResult:
    """Fewest agents whose Erlang C service level reaches the target and whose occupancy ≤ max_occupancy.

    Starts at the first stable staffing with Erlang B in closed form and walks upward one recursion step
    per agent, so the search costs a few steps past the answer, not a pass from one agent.
    """
    a = _check_traffic(traffic)
    h = _check_time(aht, "aht")
    target = _check_fraction(target_service_level, "target service level")
    t = _check_time(threshold, "threshold", allow_zero=True)
    max_occ = _check_fraction(max_occupancy, "max occupancy", allow_zero=False)
    if target == 1.0 and a > 0:
        raise ErlangError("a service level of exactly 1 is unreachable with any finite staffing")
    n = max(math.floor(a) + 1, math.ceil(a / max_occ))
    b = _erlang_b(a, n)  # closed form at the first stable staffing, then one recursion step per agent
    while True:
        c = _erlang_c_from_b(a, n, b)
        sl = _sl_from_c(a, n, c, h, t)
        if sl >= target and a / n <= max_occ:
            asa = c * h / (n - a)
            return StaffingResult(
                agents=n, p_wait=c, service_level=sl, average_speed_of_answer=asa, occupancy=a / n
            )
        n += 1
        b = a * b / (n + a * b)


class ErlangCTable:
    """Erlang C figures for one offered traffic and AHT, per agent count, each computed once and kept.

    A staffing table asks for many agent counts on the same traffic: Erlang B for a count is one recursion
    step from the count below when that is known (else the closed form), and every figure is remembered,
    so a sweep costs one step per count and a repeated question a dictionary lookup. The state is the
    table's own (nothing global); agent counts are checked the first time each is asked for.
    """

    __slots__ = ("_b", "_c", "_occupancy", "_sl", "aht", "traffic")

    def __init__(self, traffic: float, aht: float) -> None:
        self.traffic = _check_traffic(traffic)
        self.aht = _check_time(aht, "aht")
        self._b: dict[int, float] = {}
        self._c: dict[int, float] = {}
        self._occupancy: dict[int, float] = {}
        self._sl: dict[tuple[int, float], float] = {}

    def erlang_b(self, agents: int) -> float:
        """Blocking probability with agents servers (Erlang B)."""
        b = self._b.get(agents)
        if b is None:
            n, a = _check_agents(agents), self.traffic
            below = self._b.get(n - 1)
            b = a * below / (n + a * below) if below is not None else _erlang_b(a, n)
            self._b[n] = b
        return b

    def p_wait(self, agents: int) -> float:
        """Probability that a caller waits (erlang_c)."""
        try:
            return self._c[agents]
        except KeyError:
            n = _check_agents(agents)
            c = self._c[n] = _erlang_c_from_b(self.traffic, n, self.erlang_b(n))
            return c

    def service_level(self, agents: int, threshold: float) -> float:
        """Share of callers answered within threshold seconds (service_level)."""
        key = (agents, threshold)
        try:
            return self._sl[key]
        except KeyError:
            t = _check_time(threshold, "threshold", allow_zero=True)
            sl = self._sl[key] = _sl_from_c(self.traffic, agents, self.p_wait(agents), self.aht, t)
            return sl

    def average_speed_of_answer(self, agents: int) -> float:
        """Mean wait of all callers in seconds; infinity when traffic ≥ agents."""
        c = self.p_wait(agents)
        return math.inf if self.traffic >= agents else c * self.aht / (agents - self.traffic)

    def occupancy(self, agents: int) -> float:
        """Share of agents' time spent handling calls (occupancy)."""
        try:
            return self._occupancy[agents]
        except KeyError:
            value = self._occupancy[agents] = occupancy(self.traffic, agents)
            return value

    def agents_required(
        self, target_service_level: float, threshold: float, max_occupancy: float = 1.0
    ) -> StaffingResult:
        """Fewest agents meeting the goal (agents_required on this table's traffic and AHT)."""
        return agents_required(self.traffic, self.aht, target_service_level, threshold, max_occupancy)


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady-state figures of M/M/N+M (Erlang A): every probability is per arriving caller.

    mean_wait is over all callers (those who abandon count with the time they waited);
    average_speed_of_answer is over answered callers only; service_level is the share of all callers
    answered within the threshold (abandons count in the denominator), or None when no threshold is given;
    service_level_excluding_short_abandons leaves callers who abandon within the threshold out of the
    denominator (the guide's other way of counting), and p_short_abandon is their share of all callers.
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    average_speed_of_answer: float
    mean_queue_length: float
    occupancy: float
    service_level: float | None
    service_level_excluding_short_abandons: float | None = None
    p_short_abandon: float | None = None


def _log_inverse_erlang_b_minus_one(a: float, n: int) -> float:
    """log(1/B(a, n) - 1) = log(Σ_{k<n} π_k/π_n), by the recursion 1/B_k = 1 + (k/a)/B_{k-1} in logs."""
    log_inv = 0.0  # log(1/B_0)
    log_a = math.log(a)
    for k in range(1, n + 1):
        x = math.log(k) - log_a + log_inv
        log_inv = x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
    # log(1/B - 1) = log(e^{L} - 1) = L + log(-expm1(-L)); L > 0 whenever n ≥ 1 and a > 0.
    return log_inv + math.log(-math.expm1(-log_inv))


def _log_queue_terms(a: float, n: int, ratio: float) -> np.ndarray:
    """log(π_{n+j} / π_n) for j = 0, 1, …, until the terms no longer matter (θ/μ = ratio > 0)."""
    # Term j+1 over term j is a / (n + (j+1)·ratio): terms grow until j ≈ (a - n)/ratio, then fall fast.
    peak = max(0.0, (a - n) / ratio)
    size = int(peak) + 64
    while True:
        j = np.arange(1, size + 1, dtype=np.float64)
        steps = math.log(a) - np.log(n + j * ratio)
        logs = np.concatenate(([0.0], np.cumsum(steps)))
        if logs[-1] < logs.max() + _LOG_NEGLIGIBLE:
            return logs
        size *= 2


def erlang_a(
    traffic: float, agents: int, aht: float, patience: float, threshold: float | None = None
) -> ErlangAResult:
    """Erlang A (M/M/N+M): Poisson arrivals, exponential handling and exponential patience (mean seconds).

    Exact from the birth–death chain: states below N follow the Erlang B weights, the queue part is
    summed in log space, so large traffic and 10,000 agents neither overflow nor lose precision.
    """
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    h = _check_time(aht, "aht")
    p = _check_time(patience, "patience")
    if not math.isfinite(p):
        raise ErlangError("patience must be finite; use erlang_c for callers who never abandon")
    t = None if threshold is None else _check_time(threshold, "threshold", allow_zero=True)
    if a == 0:
        none = t is None
        return ErlangAResult(
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None if none else 1.0, None if none else 1.0, None if none else 0.0
        )
    ratio = h / p  # θ/μ: abandonment rate per waiting caller in units of the service rate
    logs = _log_queue_terms(a, n, ratio)  # log(π_{n+j}/π_n)
    log_below = _log_inverse_erlang_b_minus_one(a, n)  # log(Σ_{k<n} π_k/π_n)
    scale = max(float(logs.max()), log_below)
    weights = np.exp(logs - scale)
    below = math.exp(log_below - scale)
    total = float(weights.sum()) + below
    probs = weights / total  # π_{n+j}: the chance an arriving caller finds j waiting (PASTA)
    no_wait = below / total
    p_wait = min(1.0, float(probs.sum()))
    queue_len = float((probs * np.arange(probs.size)).sum())
    lam = a / h
    p_abandon = min(p_wait, queue_len / p / lam)  # abandonment flow θ·E[Q] over the arrival flow λ
    mean_wait = queue_len / lam  # Little's law over all callers
    # A caller who finds k = j+1 in line moves up at rate nμ + (k-1)θ … nμ while themselves abandoning at
    # rate θ; with x = 1 - e^{-θs} their time to reach an agent is Beta(k, nμ/θ) in x, so
    # P(answered) = β/(k+β) and E[wait; answered] = β/(k+β) · (ψ(k+β+1) - ψ(β+1)) / θ, β = nμ/θ.
    k = np.arange(1, probs.size + 1, dtype=np.float64)
    beta = n / ratio
    answered_share = beta / (k + beta)
    p_answered = no_wait + float((probs * answered_share).sum())
    log_gain = special.digamma(k + beta + 1.0) - special.digamma(beta + 1.0)
    wait_answered = float((probs * answered_share * log_gain).sum())
    asa = wait_answered * p / p_answered if p_answered > 0 else math.inf
    sl: float | None = None
    sl_excluding: float | None = None
    short: float | None = None
    if t is not None:
        x = -math.expm1(-t / p)
        within = special.betainc(k, beta + 1.0, x) if x > 0 else np.zeros_like(k)
        sl = min(1.0, no_wait + float((probs * answered_share * within).sum()))
        # Abandoning by t, with X = 1 - e^{-θT} ~ Beta(k, β) for the time T to reach an agent:
        # ∫_0^x (1 - I_u(k, β)) du = x - x·I_x(k, β) + k/(k+β)·I_x(k+1, β).
        if x > 0:
            gone = x - x * special.betainc(k, beta, x) + (k / (k + beta)) * special.betainc(k + 1.0, beta, x)
            short = min(p_abandon, max(0.0, float((probs * gone).sum())))
        else:
            short = 0.0
        sl_excluding = min(1.0, sl / (1.0 - short)) if short < 1.0 else 1.0
    busy = a * p_answered  # carried traffic: only answered callers occupy agents
    return ErlangAResult(
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=mean_wait,
        average_speed_of_answer=asa,
        mean_queue_length=queue_len,
        occupancy=min(1.0, busy / n),
        service_level=sl,
        service_level_excluding_short_abandons=sl_excluding,
        p_short_abandon=short,
    )
