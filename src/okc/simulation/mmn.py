"""M/M/N(+M) call-center traffic through the real ACD engine, for checking it against Erlang C and A.

Poisson arrivals to one service staffed by N always-ready agents, exponential handle times, longest-idle
routing, and (optionally) exponential patience. Agents answer the moment they are offered a call and hang
up after the drawn handle time; a waiting caller whose patience runs out abandons. Only calls that arrive
inside the measured window (after a warm-up) are counted, and each is followed to its end, so a
replication yields one unbiased-enough sample of P(wait), service level, abandonment and mean wait.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from okc.acd import AcdEngine, AcdEvent, RingAgent, RoutingPolicy, Service, ServicePolicy
from okc.ids import InteractionId
from okc.simulation.events import EventLoop, Scheduled, SimulationError
from okc.simulation.stats import Estimate, estimate
from okc.simulation.traffic import ExponentialDuration, PoissonArrivals

__all__ = [
    "AcdPort",
    "MmnEstimates",
    "MmnScenario",
    "MmnTally",
    "Offer",
    "QueuePort",
    "replicate",
    "run_replication",
]

# Interaction ids carry a wall-clock millisecond stamp; virtual time 0 maps to this moment (2026-01-01).
_EPOCH = 1_767_225_600.0


@dataclass(frozen=True, slots=True)
class Offer:
    """The engine put interaction through to agent (the agent's phone rings)."""

    interaction: InteractionId
    agent: str


class QueuePort(Protocol):
    """What the scenario needs from a call distributor; each call returns the offers it caused."""

    def add_agent(self, agent: str, now: float) -> list[Offer]:
        """Log agent in with a registered phone and make them ready."""
        ...

    def arrive(self, interaction: InteractionId, now: float) -> list[Offer]:
        """A caller enters the service's queue."""
        ...

    def answer(self, interaction: InteractionId, agent: str, now: float) -> list[Offer]:
        """The ringing agent answers."""
        ...

    def hang_up(self, interaction: InteractionId, agent: str, now: float) -> list[Offer]:
        """The call ends; the agent becomes free again."""
        ...

    def abandon(self, interaction: InteractionId, now: float) -> list[Offer]:
        """A waiting caller hangs up."""
        ...

    def get_timer(self) -> float | None:
        """When the distributor next needs handle_timer (ring limits, ACW limits), or None."""
        ...

    def handle_timer(self, now: float) -> list[Offer]:
        """Let the distributor act on its timers."""
        ...


def _offers(events: list[AcdEvent]) -> list[Offer]:
    return [Offer(e.interaction, e.agent) for e in events if isinstance(e, RingAgent)]


class AcdPort:
    """QueuePort over the real okc.acd engine: one service, longest-idle routing, no ring limit or ACW."""

    SERVICE = "mmn"

    def __init__(self, threshold: float = 20.0, rng: random.Random | None = None) -> None:
        policy = ServicePolicy(routing=RoutingPolicy.LONGEST_IDLE, sl_threshold=threshold, ring_limit=None)
        self.engine = AcdEngine([Service(self.SERVICE, self.SERVICE, policy)], 0.0, rng)

    def add_agent(self, agent: str, now: float) -> list[Offer]:
        """Log in with the service skill, register the phone and go ready."""
        events = self.engine.login(agent, {self.SERVICE: 100}, now)
        events += self.engine.register_phone(agent, now)
        events += self.engine.set_ready(agent, now)
        return _offers(events)

    def arrive(self, interaction: InteractionId, now: float) -> list[Offer]:
        """The caller enters the service's queue."""
        return _offers(self.engine.arrive(interaction, self.SERVICE, now))

    def answer(self, interaction: InteractionId, agent: str, now: float) -> list[Offer]:
        """The ringing agent answers."""
        return _offers(self.engine.answer(interaction, now))

    def hang_up(self, interaction: InteractionId, agent: str, now: float) -> list[Offer]:
        """The call ends and the agent is ready again."""
        return _offers(self.engine.hang_up(interaction, now))

    def abandon(self, interaction: InteractionId, now: float) -> list[Offer]:
        """The waiting caller hangs up."""
        return _offers(self.engine.abandon(interaction, now))

    def get_timer(self) -> float | None:
        """The engine's next timer."""
        return self.engine.get_timer()

    def handle_timer(self, now: float) -> list[Offer]:
        """Run the engine's due timers."""
        return _offers(self.engine.handle_timer(now))


@dataclass(frozen=True, slots=True)
class MmnScenario:
    """Offered traffic (Erlangs), agents, mean handle time, optional mean patience, SL threshold and window.

    warmup and horizon are in seconds of virtual time: calls arriving in [warmup, warmup + horizon) count.
    """

    traffic: float
    agents: int
    aht: float
    threshold: float
    warmup: float
    horizon: float
    patience: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.traffic < math.inf:
            raise SimulationError(f"traffic must be above zero, not {self.traffic!r}")
        if type(self.agents) is not int or self.agents <= 0:
            raise SimulationError(f"agents must be a whole number above zero, not {self.agents!r}")
        if self.patience is None and self.traffic >= self.agents:
            raise SimulationError("without abandonment the queue is unstable unless traffic < agents")
        for name in ("aht", "horizon"):
            value = getattr(self, name)
            if not 0.0 < value < math.inf:
                raise SimulationError(f"{name} must be a finite number above zero, not {value!r}")
        for name in ("threshold", "warmup"):
            value = getattr(self, name)
            if not 0.0 <= value < math.inf:
                raise SimulationError(f"{name} must be a finite number ≥ 0, not {value!r}")
        if self.patience is not None and not 0.0 < self.patience < math.inf:
            raise SimulationError(f"patience must be a finite number above zero, not {self.patience!r}")


@dataclass(frozen=True, slots=True)
class MmnTally:
    """Counts over the calls that arrived in one replication's measured window, each followed to its end."""

    offered: int
    waited: int
    answered: int
    answered_within: int
    abandoned: int
    total_wait: float

    @property
    def p_wait(self) -> float:
        """Share of callers who found no free agent."""
        return self.waited / self.offered

    @property
    def service_level(self) -> float:
        """Answered within the threshold / (answered + abandoned), abandons all counted (the guide's SL)."""
        return self.answered_within / self.offered

    @property
    def p_abandon(self) -> float:
        """Share of callers who hung up while waiting."""
        return self.abandoned / self.offered

    @property
    def mean_wait(self) -> float:
        """Mean time in queue over all callers, answered or abandoned."""
        return self.total_wait / self.offered


class _Run:
    """One replication's mutable bookkeeping; lives only inside run_replication."""

    def __init__(self, scenario: MmnScenario, port: QueuePort, rng: random.Random) -> None:
        self.scenario = scenario
        self.port = port
        self.rng = rng
        self.loop = EventLoop()
        self.arrivals = PoissonArrivals.from_traffic(scenario.traffic, scenario.aht)
        self.handle = ExponentialDuration(scenario.aht)
        self.patience = None if scenario.patience is None else ExponentialDuration(scenario.patience)
        self.start = scenario.warmup
        self.end = scenario.warmup + scenario.horizon
        self.arrived: dict[InteractionId, float] = {}
        self.give_up: dict[InteractionId, Scheduled] = {}
        self.pending = 0  # measured calls not yet answered or abandoned
        self.offered = self.waited = self.answered = self.within = self.abandoned = 0
        self.total_wait = 0.0

    def measured(self, arrival: float) -> bool:
        return self.start <= arrival < self.end

    def apply(self, offers: list[Offer]) -> None:
        """Agents answer every offer at once; each answered call ends after its drawn handle time."""
        now = self.loop.now
        for offer in offers:
            arrival = self.arrived.pop(offer.interaction)
            timer = self.give_up.pop(offer.interaction, None)
            if timer is not None:
                timer.cancel()
            wait = now - arrival
            if self.measured(arrival):
                self.pending -= 1
                self.answered += 1
                self.total_wait += wait
                self.waited += wait > 0.0
                self.within += wait <= self.scenario.threshold
            self.apply(self.port.answer(offer.interaction, offer.agent, now))
            self.loop.schedule(now + self.handle.draw(self.rng), self._hang_up_later(offer))

    def _hang_up_later(self, offer: Offer) -> Callable[[], None]:
        return lambda: self.apply(self.port.hang_up(offer.interaction, offer.agent, self.loop.now))

    def arrive(self) -> None:
        now = self.loop.now
        interaction = InteractionId.new(_EPOCH + now, self.rng)
        self.arrived[interaction] = now
        if self.measured(now):
            self.offered += 1
            self.pending += 1
        self.apply(self.port.arrive(interaction, now))
        if self.patience is not None and interaction in self.arrived:  # still waiting: may lose patience
            self.give_up[interaction] = self.loop.schedule(
                now + self.patience.draw(self.rng), self._abandon_later(interaction)
            )
        self.loop.schedule(self.arrivals.next_after(now, self.rng), self.arrive)

    def _abandon_later(self, interaction: InteractionId) -> Callable[[], None]:
        def abandon() -> None:
            now = self.loop.now
            del self.give_up[interaction]
            arrival = self.arrived.pop(interaction)
            if self.measured(arrival):
                self.pending -= 1
                self.abandoned += 1
                self.waited += 1  # only a caller left waiting can abandon
                self.total_wait += now - arrival
            self.apply(self.port.abandon(interaction, now))

        return abandon

    def done(self) -> bool:
        return self.loop.now >= self.end and self.pending == 0

    def run(self) -> MmnTally:
        for index in range(self.scenario.agents):
            self.apply(self.port.add_agent(f"agent-{index:05d}", 0.0))
        self.loop.add_timer_source(self.port, self._apply_timer_output)
        self.loop.schedule(self.arrivals.next_after(0.0, self.rng), self.arrive)
        self.loop.run(stop=self.done)
        return MmnTally(
            self.offered, self.waited, self.answered, self.within, self.abandoned, self.total_wait
        )

    def _apply_timer_output(self, output: object) -> None:
        offers = output if isinstance(output, list) else []
        self.apply([o for o in offers if isinstance(o, Offer)])


def run_replication(scenario: MmnScenario, port: QueuePort, seed: int) -> MmnTally:
    """Simulate one replication of scenario through port with random.Random(seed)."""
    return _Run(scenario, port, random.Random(seed)).run()


@dataclass(frozen=True, slots=True)
class MmnEstimates:
    """Confidence intervals over independent replications for each figure Erlang C and A predict."""

    p_wait: Estimate
    service_level: Estimate
    p_abandon: Estimate
    mean_wait: Estimate
    calls: int


def replicate(
    scenario: MmnScenario,
    make_port: Callable[[], QueuePort],
    seeds: Sequence[int],
    level: float = 0.99,
) -> MmnEstimates:
    """Run one replication per seed, each on a fresh port, and estimate every figure with a t interval."""
    tallies = [run_replication(scenario, make_port(), seed) for seed in seeds]
    return MmnEstimates(
        p_wait=estimate([t.p_wait for t in tallies], level),
        service_level=estimate([t.service_level for t in tallies], level),
        p_abandon=estimate([t.p_abandon for t in tallies], level),
        mean_wait=estimate([t.mean_wait for t in tallies], level),
        calls=sum(t.offered for t in tallies),
    )
