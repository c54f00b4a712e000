"""The changes a session makes to a simulation, one call each, and the log that keeps them.

The simulator backend carries out every state-changing command through `perform`, and the replay
calls the very same function with the same arguments at the same simulated time: that, with a
simulation that does not depend on the steps time was advanced by, is what makes a replay equal the
live run. A promotion is two operations: `promote` checks the node and draws how long its engine
takes (from the run's seeded RNG), `promote-end` makes it the leader once that time has passed (other
commands may come in between, as they did live).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from regionctl.contract.faults import FaultSpecError, parse_fault
from regionctl.sim import operator
from regionctl.sim.simulator import Simulation

# do -> the fields it needs (besides t), and those it may have
OPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "inject": (("fault",), ()),
    "heal": (("fault",), ()),
    "heal-all": ((), ()),
    "promote": (("node",), ("took",)),
    "promote-end": (("node",), ()),
    "demote": (("node",), ()),
    "repoint": (("node",), ("to",)),
    "fence": (("node",), ()),
    "unfence": (("node",), ()),
    "read-only": (("cluster",), ()),
    "read-write": (("cluster",), ()),
    "shift-traffic": (("to",), ("from", "cluster")),
    "end": ((), ()),
}
RESULT_FIELDS = ("ok", "result")


class Entry(NamedTuple):
    """One operation at simulated time `t`, and what it answered live (`ok`, `result`). A named tuple, not a
    dataclass: the simulator backend imports this on the dashboard's first frame, and a dataclass costs ms."""

    t: float
    do: str
    fault: str | None = None
    node: str | None = None
    to: str | None = None
    from_: str | None = None
    cluster: str | None = None
    took: float | None = None  # promote: how long the engine takes (drawn live; the replay checks it)
    ok: bool = True
    result: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t, "do": self.do}
        for name in self._fields:
            if name in ("t", "do", "ok", "result"):
                continue
            value = getattr(self, name)
            if value is not None:
                out[name.rstrip("_")] = value
        if self.do != "end":
            out["ok"] = self.ok
            out["result"] = self.result
        return out

    def label(self) -> str:
        """What the operation was, in the words of the fault specs and runbook actions."""
        if self.do in ("inject", "heal"):
            return f"{self.do} {self.fault}"
        if self.do == "shift-traffic":
            return " ".join(["shift-traffic", f"to {self.to}"] + ([f"from {self.from_}"] if self.from_ else [])
                            + ([f"({self.cluster})"] if self.cluster else []))
        target = self.node or self.cluster or ""
        extra = f" to {self.to}" if self.do == "repoint" and self.to else ""
        return f"{self.do} {target}{extra}".strip()


class Outcome(NamedTuple):
    ok: bool
    message: str
    took: float | None = None


def perform(sim: Simulation, entry: Entry) -> Outcome:
    """Carry out one operation on `sim` at its current time; a refusal is an Outcome, never an exception."""
    try:
        return _perform(sim, entry)
    except (FaultSpecError, ValueError) as exc:
        return Outcome(False, str(exc))


def _perform(sim: Simulation, entry: Entry) -> Outcome:
    do, node = entry.do, entry.node or ""
    if do == "inject":
        fid = sim.inject(parse_fault(entry.fault or ""))
        return Outcome(True, f"injected {sim.faults[fid - 1].fault.spec}")
    if do == "heal":
        fault = parse_fault(entry.fault or "")
        for active in sim.active_faults():
            if active.fault == fault:  # canonical: partition:A|B heals partition:B|A
                sim.heal(active.fid)
                return Outcome(True, f"healed {active.fault.spec}")
        return Outcome(False, f"no active fault {fault.spec!r}")
    if do == "heal-all":
        count = len(sim.active_faults())
        sim.heal_all()
        return Outcome(True, f"healed {count} fault(s)")
    if do == "promote":
        if sim.already_leads(node):
            return Outcome(True, f"{node} is already the leader")  # as on real hosts
        return Outcome(True, f"promoting {node}", operator.promotion_time(sim, node))
    if do == "promote-end":
        sim.promote(node)
        return Outcome(True, f"promoted {node}")
    if do == "demote":
        operator.demote(sim, node)
        return Outcome(True, f"demoted {node}")
    if do == "repoint":
        operator.repoint(sim, node, entry.to)
        return Outcome(True, f"repointed {node}")
    if do in ("fence", "unfence"):
        operator.fence(sim, node, do == "fence")
        return Outcome(True, f"{do}d {node}")
    if do in ("read-only", "read-write"):
        operator.set_read_only(sim, entry.cluster or "", do == "read-only")
        return Outcome(True, f"{entry.cluster} {do}")
    if do == "shift-traffic":
        moved = operator.shift_traffic(sim, entry.to or "", entry.from_, entry.cluster)
        return Outcome(True, f"shifted {moved} client group(s) to {entry.to}")
    if do == "end":
        return Outcome(True, "end of the session")
    raise ValueError(f"unknown operation {do!r}")


class SessionLog:
    """Every operation a simulator backend performed, in order; `listeners` hear each as it is logged
    (a recording writes it to its file at once, so a killed dashboard leaves its session behind)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.entries: list[Entry] = []
        self.topology_yaml: str | None = None  # the topology's text, where the frontend knows it (a replay saves it)
        self.topology_file = ""
        self.listeners: list[Callable[[Entry], None]] = []

    def perform(self, sim: Simulation, entry: Entry) -> Outcome:
        outcome = perform(sim, entry)
        self.add(entry._replace(t=sim.now, ok=outcome.ok, result=outcome.message, took=outcome.took))
        return outcome

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        for listener in self.listeners:
            listener(entry)
