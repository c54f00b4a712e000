"""Predict a fault's blast radius by forking the simulation and running the fault forward.

No estimate is written by hand: the fork is the same deterministic simulator a drill
runs, so the prediction is what the drill would observe from that instant (same
regions, nodes, clusters, services, tenants, traffic, data at risk and RTO).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regionctl.contract.faults import Fault
from regionctl.contract.report import BlastReport
from regionctl.model.topology import Topology
from regionctl.sim.simulator import Simulation

DEFAULT_AT = 30.0  # a steady state: replication streams running, lag at its usual level
DEFAULT_HORIZON = 300.0  # long enough for every bundled failover policy to settle


def predict_blast(source: Simulation | Topology, faults: Sequence[Fault], *, at: float = DEFAULT_AT,
                  seed: int = 1, horizon: float = DEFAULT_HORIZON) -> dict[str, Any]:
    """`predict`'s report as JSON (what `blast --json` prints)."""
    return predict(source, faults, at=at, seed=seed, horizon=horizon).to_json()


def predict(source: Simulation | Topology, faults: Sequence[Fault], *, at: float = DEFAULT_AT,
            seed: int = 1, horizon: float = DEFAULT_HORIZON) -> BlastReport:
    """What `faults` would reach if injected now, without touching `source`.

    `source` is a live Simulation (forked at its current time; `at` and `seed` are not used)
    or a Topology (simulated from zero to `at` with `seed` first). The faults are injected
    together into the fork, which then runs `horizon` seconds. Returns
    `{"topology", "faults", "at", "seed", "horizon_seconds", "slo", "blast_radius"}`; the
    `blast_radius` has the keys of a drill report's. Raises FaultSpecError for a fault naming what the topology lacks.
    """
    if horizon <= 0:
        raise ValueError("the horizon must be positive")
    if isinstance(source, Simulation):
        fork = source.fork()
        seed = source.seed
    else:
        fork = Simulation(source, seed=seed)
        fork.run_until(at)
    topology = fork.topology
    parsed = list(faults)  # parsed and checked at the edge (the simulator checks the targets again on inject)
    start = fork.now
    # The fork keeps its own books from here: earlier outages (and the worst lag so far) are not this
    # fault's doing.
    steady_lag = fork.start_forecast()
    for fault in parsed:
        fork.inject(fault)
    fork.run_until(start + horizon)
    # Replication lag the fault causes (what a later region loss would cost: RPO at risk).
    lag = {name: {"max_lag_seconds": round(c.max_lag_seconds, 6), "before_seconds": round(steady_lag[name], 6)}
           for name, c in fork.clusters.items() if c.max_lag_seconds > max(1.0, 2 * steady_lag[name])}
    slo = topology.slo
    return BlastReport(
        topology=topology.name,
        faults=tuple(f.spec for f in parsed),
        at=round(start, 6),
        seed=seed,
        horizon_seconds=round(horizon, 6),
        slo={"rto": slo.rto, "rpo": slo.rpo},
        blast_radius={**fork.observed_blast_radius(), "lag": lag},  # type: ignore[typeddict-item]
    )
