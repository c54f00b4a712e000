"""Run a drill on the simulator and build its report (contract.report.DrillReport). No I/O here either:
the command line prints what this returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from regionctl.contract.faults import ScheduledFault
from regionctl.contract.report import DrillReport, EventRecord, FaultRecord, LeaderRecord, judge_slo
from regionctl.drill.consistency import consistency_section, violated
from regionctl.exit_codes import ExitCode
from regionctl.model.topology import Slo, Topology
from regionctl.sim.simulator import Simulation

if TYPE_CHECKING:  # the checker is imported only where probes record a history
    from regionctl.consistency import History


@dataclass
class DrillResult:
    """A drill's typed report, its event log and (with probes) its operation history."""

    typed: DrillReport
    events: list[tuple[float, str, str]] = field(default_factory=list)
    history: History | None = None  # the probe sessions' operations, when probes were on

    @property
    def report(self) -> dict[str, Any]:
        """The JSON form (`--json`), which the views and JUnit read."""
        return self.typed.to_json()

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode(self.typed.exit_code)


def slo_targets(slo: Slo) -> dict[str, float | None]:
    """A topology's objectives, in the drill report's order."""
    return {"availability": slo.availability, "rpo": slo.rpo, "rto": slo.rto,
            "write_latency_p99": slo.write_latency_p99, "read_latency_p99": slo.read_latency_p99}


def leaders(sim: Simulation, before: dict[str, str | None]) -> dict[str, LeaderRecord]:
    out = {}
    for name, cluster in sim.clusters.items():
        leader = cluster.leader
        out[name] = LeaderRecord(before.get(name), leader.name if leader is not None else None, cluster.term)
    return out


def start_drill(sim: Simulation, schedule: list[ScheduledFault]) -> dict[str, str | None]:
    """Put the fault schedule on the simulator's clock; returns the leaders before anything happened."""
    before = {name: c.initial_leader for name, c in sim.clusters.items()}
    for item in schedule:
        sim.schedule_fault(item.fault, item.at, item.duration)
    return before


def run_drill(topology: Topology, schedule: list[ScheduledFault], duration: float, seed: int = 1,
              wall_clock: Any = None, probes: bool = False) -> DrillResult:
    """`wall_clock` is a callable returning seconds (the CLI passes time.perf_counter). With `probes`
    (or a cluster that promises a consistency model) probe sessions record a history that is checked."""
    started = wall_clock() if wall_clock else 0.0
    sim = Simulation(topology, seed=seed)
    if probes:
        sim.enable_probes()  # the topology's `probes` settings
    before = start_drill(sim, schedule)
    sim.run_until(duration)
    return finish_drill(sim, topology, before, duration, seed,
                        wall=(wall_clock() - started) if wall_clock else 0.0)


def finish_drill(sim: Simulation, topology: Topology, before: dict[str, str | None], duration: float,
                 seed: int, wall: float) -> DrillResult:
    """The report of a drill whose simulation has run to `duration` (at once, or paced by a backend)."""
    consistency = consistency_section(sim)  # first: the figures then read the final check
    metrics = sim.metrics()
    checks = judge_slo(slo_targets(topology.slo), metrics)
    passed = all(c.ok for c in checks) and not violated(consistency)
    report = DrillReport(
        result="pass" if passed else "fail",
        exit_code=int(ExitCode.PASSED if passed else ExitCode.FAILED),
        topology=topology.name,
        backend="sim",
        seed=seed,
        sim_seconds=round(duration, 6),
        wall_seconds=round(wall, 3),
        faults=tuple(FaultRecord(f.fault.spec, round(f.at, 6), None if f.healed_at is None else round(f.healed_at, 6))
                     for f in sim.faults),
        steps=(),
        metrics=metrics,  # type: ignore[arg-type]  # the simulator's summary has the Metrics keys
        leaders=leaders(sim, before),
        blast_radius=sim.observed_blast_radius(),  # type: ignore[arg-type]
        slo=checks,
        events=tuple(EventRecord(round(t, 6), c, m) for t, c, m in sim.events),
        sim_events=sim.loop.events,
        consistency=consistency,
    )
    history = sim.probe_checks.history() if sim.probe_checks is not None else None
    return DrillResult(report, list(sim.events), history)
