"""A lossy link (loss:A|B=P), message by message, for the simulation that owns it (regionctl.sim.simulator)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Protocol

from regionctl.contract.faults import Fault
from regionctl.sim.core import EventLoop
from regionctl.sim.network import Network


class LinkOwner(Protocol):
    """What a lossy link needs of its simulation (regionctl.sim.simulator.Simulation)."""

    seed: int
    loop: EventLoop
    network: Network

    @property
    def now(self) -> float: ...

    def _react(self, what: str, change: Callable[[], object]) -> None: ...


LOSS_SLOT = 0.1  # seconds: a lossy link carries one message each way per slot (etcd's heartbeat interval)


class LossyLink:
    """loss:A|B=P, message by message: each slot's message in each direction is lost with probability P, drawn
    from the link's own seeded stream (the run's other figures draw nothing from it, so adding a loss fault
    changes no other fault's draws). A run of lost slots cuts that direction for its length: what the
    engines' own timers make of the silence (a missed heartbeat, an expired lease, a client's timeout, a stream
    that resends later) is theirs to decide. The runs are drawn whole (geometric lengths), so a link costs two
    events per run of losses, not one per message: a 0% link costs nothing, a 100% link is one long cut."""

    __slots__ = ("cut", "directions", "fault", "generation", "p", "rng", "sim")

    def __init__(self, sim: LinkOwner, fault: Fault, fid: int) -> None:
        self.sim = sim
        self.fault = fault
        self.p = fault.value
        self.rng = random.Random(f"loss:{sim.seed}:{fid}")
        self.directions = ((fault.a, fault.b), (fault.b, fault.a))
        self.cut: list[tuple[str, str]] = []
        self.generation = 0

    def _run(self, p: float) -> float:
        """How many slots until an event of probability p per slot happens (0, 1, ...; inf: never)."""
        if p <= 0.0:
            return math.inf
        if p >= 1.0:
            return 0.0
        return math.floor(math.log(1.0 - self.rng.random()) / math.log(1.0 - p))

    def start(self, now: float) -> list[tuple[str, str]]:
        """Schedule each direction's first run of losses; returns those that begin now (cut at once)."""
        first = []
        for direction in self.directions:
            slots = self._run(self.p)
            if slots == 0:
                first.append(direction)
                self.cut.append(direction)
                self._later(now, direction, False)
            elif slots != math.inf:
                self.sim.loop.schedule(now + slots * LOSS_SLOT, self._toggle, direction, True, self.generation)
        return first

    def stop(self) -> list[tuple[str, str]]:
        """The fault heals: pending runs become no-ops; returns the directions cut now."""
        self.generation += 1
        cut, self.cut = self.cut, []
        return cut

    def _later(self, now: float, direction: tuple[str, str], losing: bool) -> None:
        """The next change of `direction`: the end of this run of losses (losing=False) or of deliveries."""
        slots = 1 + self._run(1.0 - self.p if not losing else self.p)
        if slots != math.inf:
            self.sim.loop.schedule(now + slots * LOSS_SLOT, self._toggle, direction, losing, self.generation)

    def _toggle(self, direction: tuple[str, str], losing: bool, generation: int) -> None:
        if generation != self.generation:
            return
        now = self.sim.now
        if losing:
            self.cut.append(direction)
        else:
            self.cut.remove(direction)
        self.sim._react(f"fault {self.fault.spec}", lambda: self.sim.network.drop(*direction, losing))
        self._later(now, direction, not losing)
